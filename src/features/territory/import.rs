//! `linli import territory FILE`: the committee's roster, as it keeps it in Excel (or CSV),
//! into compounds, areas, buildings, grid cells, households and residents without accounts.
//!
//! One row per person, or per empty flat (no name). The first row names the columns, in
//! Chinese or English, in any order: 小區 compound, 片區 area (optional), 樓棟 building,
//! 網格 cell (optional), 單元 entrance, 樓層 floor, 房號 room, 姓名 name, 出生 born (a year or
//! a date), 關係 relation (戶主 owner, 租戶 tenant, 家屬 family). A sample is
//! `tests/data/roster.csv`.
//!
//! The import matches natural keys, so running it twice changes nothing and a roster that
//! grew adds only what is new: a compound by its name, an area by (compound, name), a
//! building by (parent, name), a cell by its name, a household by (building, entrance, room),
//! a resident without an account by (household, name, birth). What already exists in the
//! community, however it was made, is matched the same way.
//!
//! Every row is checked before anything is written; if any row is wrong, each error is listed
//! with its row number and nothing is written (`--dry-run` only checks). Then the roster goes
//! through the sync engine as the community's admin would push it, 500 mutations a push, so
//! phones receive it like any change and every rule of the handlers holds.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::Context;
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use super::entity::{grid_cell, household, residency, unit};
use super::rules::{self, Birth, Relation};
use crate::domain::territory::UnitKind;

/// One row of the roster, as read (cells as text).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RosterRow {
    /// 1-based, counting the header as row 1 (as a spreadsheet shows it).
    pub line: usize,
    pub compound: String,
    pub area: String,
    pub building: String,
    pub cell: String,
    pub entrance: String,
    pub floor: String,
    pub room: String,
    pub name: String,
    pub born: String,
    pub relation: String,
}

/// A row that cannot be imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "row {}: {}", self.line, self.message)
    }
}

const COLUMNS: [(&str, &[&str]); 10] = [
    ("compound", &["小區", "小区", "compound"]),
    ("area", &["片區", "片区", "area"]),
    ("building", &["樓棟", "楼栋", "樓", "building"]),
    ("cell", &["網格", "网格", "cell"]),
    ("entrance", &["單元", "单元", "entrance"]),
    ("floor", &["樓層", "楼层", "floor"]),
    ("room", &["房號", "房号", "room"]),
    ("name", &["姓名", "name"]),
    ("born", &["出生", "出生年月", "born"]),
    ("relation", &["關係", "关系", "relation"]),
];

/// Reads the first sheet of a workbook (xlsx, xls, ods) or a CSV file.
pub fn read(path: &Path) -> anyhow::Result<Vec<RosterRow>> {
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let table: Vec<Vec<String>> = if is_csv {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_path(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        reader
            .records()
            .map(|r| r.map(|rec| rec.iter().map(|c| c.trim().to_owned()).collect()))
            .collect::<Result<_, _>>()
            .with_context(|| format!("{} is not valid CSV", path.display()))?
    } else {
        use calamine::Reader;
        let mut book = calamine::open_workbook_auto(path).with_context(|| {
            format!(
                "cannot open {} as a workbook (xlsx, xls, ods) or CSV",
                path.display()
            )
        })?;
        let sheet = book
            .worksheet_range_at(0)
            .context("the workbook has no sheet")??;
        sheet
            .rows()
            .map(|row| row.iter().map(cell_text).collect())
            .collect()
    };
    rows_of(table)
}

/// A spreadsheet cell as the text the roster means: whole numbers without `.0`, dates as
/// `YYYY-MM-DD`.
fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::String(s) => s.trim().to_owned(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d
            .as_datetime()
            .map(|t| t.date().format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        Data::DateTimeIso(s) => s.chars().take(10).collect(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(_) | Data::Empty => String::new(),
    }
}

/// Rows from a table whose first row names the columns.
pub fn rows_of(table: Vec<Vec<String>>) -> anyhow::Result<Vec<RosterRow>> {
    let mut lines = table.into_iter();
    let header = lines.next().context("the roster is empty")?;
    let mut at: HashMap<&str, usize> = HashMap::new();
    for (i, title) in header.iter().enumerate() {
        let title = title.trim().trim_start_matches('\u{feff}');
        if title.is_empty() {
            continue;
        }
        let Some((key, _)) = COLUMNS
            .iter()
            .find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(title)))
        else {
            anyhow::bail!(
                "row 1: unknown column {title:?}; the columns are {}",
                COLUMNS
                    .iter()
                    .map(|(_, names)| names[0])
                    .collect::<Vec<_>>()
                    .join("、")
            );
        };
        at.insert(key, i);
    }
    for required in ["compound", "building", "room"] {
        anyhow::ensure!(
            at.contains_key(required),
            "row 1: the roster needs a {required} column ({})",
            COLUMNS
                .iter()
                .find(|(k, _)| *k == required)
                .map(|(_, n)| n[0])
                .unwrap_or_default()
        );
    }
    Ok(lines
        .enumerate()
        .map(|(i, cells)| {
            let get = |key: &str| {
                at.get(key)
                    .and_then(|&c| cells.get(c))
                    .map(|s| s.trim().to_owned())
                    .unwrap_or_default()
            };
            RosterRow {
                line: i + 2,
                compound: get("compound"),
                area: get("area"),
                building: get("building"),
                cell: get("cell"),
                entrance: get("entrance"),
                floor: get("floor"),
                room: get("room"),
                name: get("name"),
                born: get("born"),
                relation: get("relation"),
            }
        })
        .filter(|r| {
            // Blank lines at the end of a sheet are not rows.
            !(r.compound.is_empty()
                && r.building.is_empty()
                && r.room.is_empty()
                && r.name.is_empty())
        })
        .collect())
}

fn relation(s: &str) -> Option<Relation> {
    match s.trim() {
        "" | "家屬" | "家属" | "family" => Some(Relation::Family),
        "戶主" | "户主" | "業主" | "业主" | "owner" => Some(Relation::Owner),
        "租戶" | "租户" | "tenant" => Some(Relation::Tenant),
        _ => None,
    }
}

/// Where a building was first placed: (area, cell, row).
type Placement = (Option<String>, Option<String>, usize);
/// A unit's natural key: (kind, parent, name).
type UnitKey = (UnitKind, Option<Uuid>, String);
/// Mutations to push, by name with their arguments.
pub type Mutations = Vec<(&'static str, Value)>;

/// A checked row.
#[derive(Debug, Clone)]
pub struct Checked {
    compound: String,
    area: Option<String>,
    building: String,
    cell: Option<String>,
    entrance: String,
    floor: i32,
    room: String,
    person: Option<(String, Birth, Relation)>,
}

/// Checks every row against the rules; all errors, each with its row number.
pub fn check(rows: &[RosterRow], today: NaiveDate) -> Result<Vec<Checked>, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut checked = Vec::with_capacity(rows.len());
    // A building named twice must be placed the same way both times.
    let mut placed: HashMap<(String, String), Placement> = HashMap::new();
    for row in rows {
        let mut fail = |message: String| {
            errors.push(RowError {
                line: row.line,
                message,
            })
        };
        let compound =
            rules::unit_name(&row.compound).map_err(|e| format!("compound: {}", e.reason));
        let building =
            rules::unit_name(&row.building).map_err(|e| format!("building: {}", e.reason));
        let area = (!row.area.is_empty())
            .then(|| rules::unit_name(&row.area).map_err(|e| format!("area: {}", e.reason)))
            .transpose();
        let cell = (!row.cell.is_empty())
            .then(|| rules::unit_name(&row.cell).map_err(|e| format!("cell: {}", e.reason)))
            .transpose();
        let floor = row
            .floor
            .trim()
            .parse::<i32>()
            .map_err(|_| format!("floor: {:?} is not a whole number", row.floor));
        let flat = floor.clone().and_then(|floor| {
            rules::flat(&row.entrance, &row.room, floor)
                .map(|(e, r)| (e, floor, r))
                .map_err(|e| format!("{}: {}", e.field, e.reason))
        });
        let person = if row.name.is_empty() {
            if !row.born.is_empty() {
                Err("born is given but the name is empty".to_owned())
            } else {
                Ok(None)
            }
        } else {
            let name = rules::person_name(&row.name).map_err(|e| format!("name: {}", e.reason));
            let born = if row.born.is_empty() {
                Err("born: each resident needs a birth year or date (elections need the voting age)".to_owned())
            } else {
                Birth::parse(&row.born, today).map_err(|e| format!("born: {}", e.reason))
            };
            let rel = relation(&row.relation).ok_or_else(|| {
                format!(
                    "relation: {:?} is none of 戶主 (owner), 租戶 (tenant), 家屬 (family)",
                    row.relation
                )
            });
            match (name, born, rel) {
                (Ok(n), Ok(b), Ok(r)) => Ok(Some((n, b, r))),
                (n, b, r) => Err([n.err(), b.err(), r.err()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("; ")),
            }
        };
        let mut ok = true;
        for e in [
            compound.as_ref().err(),
            building.as_ref().err(),
            area.as_ref().err(),
            cell.as_ref().err(),
            flat.as_ref().err(),
            person.as_ref().err(),
        ]
        .into_iter()
        .flatten()
        {
            fail(e.clone());
            ok = false;
        }
        if !ok {
            continue;
        }
        let (compound, building, area, cell) = (
            compound.unwrap_or_default(),
            building.unwrap_or_default(),
            area.unwrap_or_default(),
            cell.unwrap_or_default(),
        );
        let key = (compound.clone(), building.clone());
        match placed.get(&key) {
            Some((a, c, first)) if (a, c) != (&area, &cell) => {
                fail(format!(
                    "building {building} of {compound} is placed differently on row {first} (area {:?}, cell {:?}): a building is in one area and one grid cell",
                    a.as_deref().unwrap_or("—"),
                    c.as_deref().unwrap_or("—"),
                ));
                continue;
            }
            Some(_) => {}
            None => {
                placed.insert(key, (area.clone(), cell.clone(), row.line));
            }
        }
        let (entrance, floor, room) = flat.unwrap_or_default();
        checked.push(Checked {
            compound,
            area,
            building,
            cell,
            entrance,
            floor,
            room,
            person: person.unwrap_or_default(),
        });
    }
    if errors.is_empty() {
        Ok(checked)
    } else {
        Err(errors)
    }
}

/// What the community has already, by natural key.
#[derive(Default)]
pub struct Existing {
    /// (kind, parent, name) → (id, grid cell).
    units: HashMap<UnitKey, (Uuid, Option<Uuid>)>,
    cells: HashMap<String, Uuid>,
    households: HashMap<(Uuid, String, String), Uuid>,
    residents: std::collections::HashSet<(Uuid, String, String)>,
}

impl Existing {
    pub async fn read(
        conn: &impl ConnectionTrait,
        community: Uuid,
    ) -> Result<Self, sea_orm::DbErr> {
        let mut me = Self::default();
        for u in unit::Entity::find()
            .filter(unit::Column::CommunityId.eq(community))
            .filter(unit::Column::DeletedAt.is_null())
            .all(conn)
            .await?
        {
            if let Some(kind) = UnitKind::parse(&u.kind) {
                me.units
                    .insert((kind, u.parent_id, u.name), (u.id, u.cell_id));
            }
        }
        for c in grid_cell::Entity::find()
            .filter(grid_cell::Column::CommunityId.eq(community))
            .filter(grid_cell::Column::DeletedAt.is_null())
            .all(conn)
            .await?
        {
            me.cells.insert(c.name, c.id);
        }
        for h in household::Entity::find()
            .filter(household::Column::CommunityId.eq(community))
            .filter(household::Column::DeletedAt.is_null())
            .all(conn)
            .await?
        {
            me.households
                .insert((h.building_id, h.entrance, h.room), h.id);
        }
        for r in residency::Entity::find()
            .filter(residency::Column::CommunityId.eq(community))
            .filter(residency::Column::DeletedAt.is_null())
            .filter(residency::Column::MovedOut.is_null())
            .all(conn)
            .await?
        {
            me.residents.insert((r.household_id, r.name, r.born));
        }
        Ok(me)
    }
}

/// What an import adds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub units: usize,
    pub cells: usize,
    pub households: usize,
    pub residents: usize,
}

/// The mutations (name, args) that bring the community from `existing` to the roster, in
/// an order the handlers accept (parents first), with the counts of what they add; or the
/// rows that contradict what exists (a building already in another grid cell).
pub fn plan(
    community: Uuid,
    rows: &[Checked],
    existing: &mut Existing,
    lines: &[usize],
) -> Result<(Mutations, Counts), Vec<RowError>> {
    let id = |key: String| Uuid::new_v5(&community, key.as_bytes());
    let mut out: Mutations = Vec::new();
    let mut counts = Counts::default();
    let mut errors = Vec::new();
    let unit = |out: &mut Vec<_>,
                existing: &mut Existing,
                counts: &mut Counts,
                kind: UnitKind,
                parent: Option<Uuid>,
                name: &str| {
        let key = (kind, parent, name.to_owned());
        if let Some((u, _)) = existing.units.get(&key) {
            return *u;
        }
        let u = id(format!("unit/{}/{parent:?}/{name}", kind.as_str()));
        out.push((
            "unit.create",
            json!({"id": u, "kind": kind.as_str(), "parent_id": parent, "name": name}),
        ));
        counts.units += 1;
        existing.units.insert(key, (u, None));
        u
    };
    let mut in_cell: BTreeMap<Uuid, Uuid> = BTreeMap::new();
    for (row, &line) in rows.iter().zip(lines) {
        let compound = unit(
            &mut out,
            existing,
            &mut counts,
            UnitKind::Compound,
            None,
            &row.compound,
        );
        let parent = match &row.area {
            Some(area) => unit(
                &mut out,
                existing,
                &mut counts,
                UnitKind::Area,
                Some(compound),
                area,
            ),
            None => compound,
        };
        let building = unit(
            &mut out,
            existing,
            &mut counts,
            UnitKind::Building,
            Some(parent),
            &row.building,
        );
        if let Some(cell_name) = &row.cell {
            let cell = match existing.cells.get(cell_name) {
                Some(c) => *c,
                None => {
                    let c = id(format!("cell/{cell_name}"));
                    out.push(("cell.create", json!({"id": c, "name": cell_name})));
                    counts.cells += 1;
                    existing.cells.insert(cell_name.clone(), c);
                    c
                }
            };
            let now_in = existing
                .units
                .values()
                .find(|(u, _)| *u == building)
                .and_then(|(_, c)| *c)
                .or_else(|| in_cell.get(&building).copied());
            match now_in {
                Some(c) if c == cell => {}
                Some(_) => errors.push(RowError {
                    line,
                    message: format!(
                        "building {} is in another grid cell already; take it out of that one in the app first",
                        row.building
                    ),
                }),
                None => {
                    out.push(("cell.assign", json!({"building_id": building, "cell_id": cell})));
                    in_cell.insert(building, cell);
                    if let Some(v) = existing.units.values_mut().find(|(u, _)| *u == building) {
                        v.1 = Some(cell);
                    }
                }
            }
        }
        let flat_key = (building, row.entrance.clone(), row.room.clone());
        let flat = match existing.households.get(&flat_key) {
            Some(h) => *h,
            None => {
                let h = id(format!(
                    "household/{building}/{}/{}",
                    row.entrance, row.room
                ));
                out.push((
                    "household.create",
                    json!({"id": h, "building_id": building, "entrance": row.entrance, "floor": row.floor, "room": row.room}),
                ));
                counts.households += 1;
                existing.households.insert(flat_key, h);
                h
            }
        };
        if let Some((name, born, relation)) = &row.person {
            let key = (flat, name.clone(), born.to_text());
            if existing.residents.insert(key) {
                let r = id(format!("residency/{flat}/{name}/{}", born.to_text()));
                out.push((
                    "residency.record",
                    json!({"id": r, "household_id": flat, "relation": relation.as_str(), "name": name, "born": born.to_text(), "moved_in": NaiveDate::from_ymd_opt(2000, 1, 1)}),
                ));
                counts.residents += 1;
            }
        }
    }
    if errors.is_empty() {
        Ok((out, counts))
    } else {
        Err(errors)
    }
}

/// Pushes `mutations` as `admin` through the sync engine, 500 at a time, with a progress bar;
/// fails on the first one refused (the rows were checked, so that is a bug or a race).
pub async fn apply(
    state: &crate::http::AppState,
    admin: Uuid,
    mutations: Mutations,
) -> anyhow::Result<()> {
    use crate::features::{Mutation, PushRequest};
    use crate::sync::wire::PushedMutation;
    let bar = indicatif::ProgressBar::new(mutations.len() as u64).with_style(
        indicatif::ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message("寫入 writing");
    let client = Uuid::now_v7();
    let mut next = 1u64;
    for chunk in mutations.chunks(500) {
        let mut batch = Vec::with_capacity(chunk.len());
        for (name, args) in chunk {
            let m = json!({"id": next, "hlc": state.sync.clock.now().to_string(), "name": name, "args": args});
            next += 1;
            batch.push(
                <PushedMutation<Mutation> as poem_openapi::types::ParseFromJSON>::parse_from_json(
                    Some(m),
                )
                .map_err(|e| anyhow::anyhow!("import mutation: {}", e.into_message()))?,
            );
        }
        let actor = state
            .actor_by_id(admin)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let out = crate::http::sync::push_as(
            state,
            actor,
            PushRequest {
                client_id: client,
                schema_version: 1,
                mutations: batch,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        for (r, (name, args)) in out.results.iter().zip(chunk) {
            anyhow::ensure!(
                r.status == crate::sync::registry::MutationStatus::Applied,
                "{name} {args} was refused: {}",
                r.message.clone().unwrap_or_default()
            );
        }
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    Ok(())
}

/// `linli import territory`: reads, checks, plans and (unless `dry_run`) writes; prints what
/// it did or every row error.
pub async fn run(
    db: sea_orm::DatabaseConnection,
    community_slug: Option<&str>,
    path: &Path,
    dry_run: bool,
) -> anyhow::Result<Counts> {
    let community = crate::persistence::communities::pick(&db, community_slug).await?;
    let rows = read(path)?;
    let today = super::local_today(chrono::Utc::now());
    let checked = check(&rows, today).map_err(|errors| report(&errors))?;
    let lines: Vec<usize> = rows.iter().map(|r| r.line).collect();
    let mut existing = Existing::read(&db, community.id).await?;
    let (mutations, counts) =
        plan(community.id, &checked, &mut existing, &lines).map_err(|errors| report(&errors))?;
    println!(
        "{}: {} rows; new: {} units, {} grid cells, {} households, {} residents",
        path.display(),
        rows.len(),
        counts.units,
        counts.cells,
        counts.households,
        counts.residents
    );
    if dry_run || mutations.is_empty() {
        println!(
            "{}",
            if dry_run {
                "dry run: nothing written"
            } else {
                "nothing to write"
            }
        );
        return Ok(counts);
    }
    let admin = crate::persistence::roles::an_admin_of(&db, community.id)
        .await?
        .context(
            "the community has no admin to import as; make one with  linli user create --admin",
        )?;
    let state = crate::http::AppState::new(
        db.clone(),
        db.clone(),
        crate::auth::tokens::TokenKeys::new(
            crate::auth::tokens::generate_secret().as_bytes(),
            "linli",
            "linli-app",
        )?,
        crate::sync::cursor::CursorKey::derive(b"import"),
        std::sync::Arc::new(crate::sync::pokes::Poker::new()),
        std::time::Duration::from_secs(15),
    );
    apply(&state, admin, mutations).await?;
    println!("imported into {} ({})", community.name, community.slug);
    Ok(counts)
}

fn report(errors: &[RowError]) -> anyhow::Error {
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    anyhow::anyhow!(
        "{} rows cannot be imported; nothing was written. Fix them and run again:\n{}",
        errors.len(),
        shown.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
            .collect()
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
    }

    #[test]
    fn columns_are_named_in_chinese_or_english_in_any_order() {
        let rows = rows_of(table(&[
            &[
                "房號", "樓棟", "小區", "姓名", "出生", "關係", "樓層", "單元",
            ],
            &["302", "3號樓", "東苑", "孫秀英", "1948", "戶主", "3", "1"],
            &["", "", "", "", "", "", "", ""],
        ]))
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].room, "302");
        assert_eq!(rows[0].line, 2);
        let english = rows_of(table(&[
            &["compound", "building", "room"],
            &["East", "3", "101"],
        ]));
        assert!(english.is_ok());
        let unknown = rows_of(table(&[&["小區", "樓棟", "房號", "電話"]])).unwrap_err();
        assert!(unknown.to_string().contains("電話"), "{unknown}");
        let missing = rows_of(table(&[&["小區", "房號"]])).unwrap_err();
        assert!(missing.to_string().contains("building"), "{missing}");
    }

    #[test]
    fn every_wrong_row_is_listed_with_its_number() {
        let rows = rows_of(table(&[
            &[
                "小區", "片區", "樓棟", "網格", "單元", "樓層", "房號", "姓名", "出生", "關係",
            ],
            &[
                "東苑",
                "東片",
                "1號樓",
                "一格",
                "1",
                "3",
                "302",
                "孫秀英",
                "1948",
                "戶主",
            ],
            &["東苑", "", "2號樓", "", "1", "三", "101", "", "", ""],
            &[
                "東苑",
                "",
                "2號樓",
                "",
                "1",
                "1",
                "102",
                "李建國",
                "",
                "家屬",
            ],
            &["東苑", "西片", "1號樓", "一格", "1", "4", "401", "", "", ""],
            &[
                "東苑", "", "2號樓", "", "1", "1", "103", "王", "1950", "親戚",
            ],
        ]))
        .unwrap();
        let errors = check(&rows, today()).unwrap_err();
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 5, 6], "{errors:?}");
        assert!(errors[0].message.contains("floor"));
        assert!(errors[1].message.contains("born"));
        assert!(errors[2].message.contains("placed differently"));
        assert!(errors[3].message.contains("relation"));
    }

    #[test]
    fn a_plan_creates_each_thing_once_parents_first_and_nothing_that_exists() {
        let rows = rows_of(table(&[
            &[
                "小區", "片區", "樓棟", "網格", "單元", "樓層", "房號", "姓名", "出生", "關係",
            ],
            &[
                "東苑",
                "東片",
                "1號樓",
                "一格",
                "1",
                "3",
                "302",
                "孫秀英",
                "1948",
                "戶主",
            ],
            &[
                "東苑",
                "東片",
                "1號樓",
                "一格",
                "1",
                "3",
                "302",
                "孫建國",
                "1975-04-02",
                "家屬",
            ],
            &["東苑", "", "2號樓", "", "", "1", "101", "", "", ""],
        ]))
        .unwrap();
        let checked = check(&rows, today()).unwrap();
        let lines: Vec<usize> = rows.iter().map(|r| r.line).collect();
        let community = Uuid::now_v7();
        let mut existing = Existing::default();
        let (mutations, counts) = plan(community, &checked, &mut existing, &lines).unwrap();
        assert_eq!(
            counts,
            Counts {
                units: 4,
                cells: 1,
                households: 2,
                residents: 2
            }
        );
        let names: Vec<&str> = mutations.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "unit.create",
                "unit.create",
                "unit.create",
                "cell.create",
                "cell.assign",
                "household.create",
                "residency.record",
                "residency.record",
                "unit.create",
                "household.create"
            ]
        );
        // The same roster again, against what the first made: nothing.
        let (again, counts) = plan(community, &checked, &mut existing, &lines).unwrap();
        assert!(again.is_empty(), "{again:?}");
        assert_eq!(counts, Counts::default());
    }
}
