//! The demo's ground: Sun Village's four compounds with their areas, buildings, grid cells
//! and households, about four residents a household (most without an account, as the
//! committee's roster has them), every position filled, and some residents' claims on their
//! household confirmed and some still waiting.
//!
//! The roster is made as rows of the committee's spreadsheet and goes through the same
//! check, plan and push as `linli import territory`.

use chrono::Utc;
use serde_json::json;
use uuid::Uuid;

use super::{COMPOUNDS, DemoPhone, GIVEN, SURNAMES};
use crate::features::territory::import::{self, RosterRow};
use crate::http::AppState;

/// Flats per building at most: 2 entrances × 6 floors × 2 rooms.
const FLATS_PER_BUILDING: usize = 24;
/// Buildings per grid cell.
const BUILDINGS_PER_CELL: usize = 10;
/// Areas of each compound (南苑 has none: its buildings sit in the compound).
const AREAS: [&[&str]; 4] = [&["一片", "二片"], &["一片", "二片"], &[], &["一片"]];

/// The roster: `households` flats spread over the four compounds.
pub fn roster(households: usize) -> Vec<RosterRow> {
    let buildings = households.div_ceil(FLATS_PER_BUILDING).max(COMPOUNDS.len());
    let per_building = households.div_ceil(buildings);
    let mut rows = Vec::new();
    let mut person = 0usize;
    for b in 0..buildings {
        let c = b % COMPOUNDS.len();
        let in_compound = b / COMPOUNDS.len();
        let areas = AREAS[c];
        let area = if areas.is_empty() {
            String::new()
        } else {
            format!("{}{}", COMPOUNDS[c], areas[in_compound % areas.len()])
        };
        let cell = format!(
            "{}第{}網格",
            COMPOUNDS[c],
            in_compound / BUILDINGS_PER_CELL + 1
        );
        for f in 0..per_building {
            let flat = b * per_building + f;
            if flat >= households {
                break;
            }
            let (entrance, floor, room) = (f / 12 + 1, (f % 12) / 2 + 1, f % 2 + 1);
            let base = RosterRow {
                line: rows.len() + 2,
                compound: COMPOUNDS[c].to_owned(),
                area: area.clone(),
                building: format!("{}號樓", in_compound + 1),
                cell: cell.clone(),
                entrance: entrance.to_string(),
                floor: floor.to_string(),
                room: format!("{floor}0{room}"),
                ..RosterRow::default()
            };
            // One to seven people a flat, four on average; one flat in twelve empty.
            let size = if flat % 12 == 11 {
                0
            } else {
                [4, 3, 5, 2, 6, 4, 1, 7, 4, 3, 5][flat % 11]
            };
            if size == 0 {
                rows.push(base);
                continue;
            }
            for k in 0..size {
                person += 1;
                let surname = SURNAMES[flat % SURNAMES.len()];
                let given = GIVEN[(person / SURNAMES.len() + k) % GIVEN.len()];
                // Owners and spouses born 1935–1975, children later.
                let year = if k < 2 {
                    1935 + (flat * 7 + k) % 40
                } else {
                    1970 + (person * 13) % 50
                };
                rows.push(RosterRow {
                    line: rows.len() + 2,
                    name: format!(
                        "{surname}{given}{}",
                        if k > 0 { k.to_string() } else { String::new() }
                    ),
                    born: if person.is_multiple_of(3) {
                        format!("{year}-{:02}-{:02}", person % 12 + 1, person % 28 + 1)
                    } else {
                        year.to_string()
                    },
                    relation: match (k, flat % 9) {
                        (0, 4) => "租戶",
                        (0, _) => "戶主",
                        _ => "家屬",
                    }
                    .to_owned(),
                    ..base.clone()
                });
            }
        }
    }
    rows
}

/// Builds the ground, fills every position from `accounts` (the president is the admin),
/// and has some account holders claim their household; returns a summary line.
pub async fn build(
    state: &AppState,
    community: Uuid,
    president: Uuid,
    accounts: &[Uuid],
    households: usize,
) -> anyhow::Result<String> {
    let rows = roster(households);
    let today = crate::features::territory::local_today(Utc::now());
    let checked = import::check(&rows, today)
        .map_err(|e| anyhow::anyhow!("the demo roster is wrong: {}", e[0]))?;
    let lines: Vec<usize> = rows.iter().map(|r| r.line).collect();
    let mut existing = import::Existing::read(&state.db, community).await?;
    let (mutations, counts) = import::plan(community, &checked, &mut existing, &lines)
        .map_err(|e| anyhow::anyhow!("the demo roster is wrong: {}", e[0]))?;
    // The units' ids, as the plan named them, for positions and claims.
    let units: Vec<(String, serde_json::Value)> = mutations
        .iter()
        .filter(|(n, _)| *n == "unit.create" || *n == "cell.create")
        .map(|(n, a)| (n.to_string(), a.clone()))
        .collect();
    let flats: Vec<(Uuid, Uuid)> = mutations
        .iter()
        .filter(|(n, _)| *n == "household.create")
        .filter_map(|(_, a)| {
            Some((
                a["id"].as_str()?.parse().ok()?,
                a["building_id"].as_str()?.parse().ok()?,
            ))
        })
        .collect();
    import::apply(state, president, mutations).await?;

    // Every position: a leader per building, area and compound, a worker per cell, the
    // community's officers; holders cycle through the residents with accounts.
    let mut holders = accounts.iter().cycle();
    let mut next = || {
        *holders
            .next()
            .expect("the demo has residents with accounts")
    };
    let mut admin = DemoPhone::new(president);
    let mut assign = Vec::new();
    for (name, args) in &units {
        let id = args["id"].clone();
        let kind = match (name.as_str(), args["kind"].as_str()) {
            ("cell.create", _) => "grid_worker",
            (_, Some("building")) => "building_leader",
            (_, Some("area")) => "area_leader",
            (_, Some("compound")) => "branch_president",
            _ => continue,
        };
        assign.push(json!({"kind": kind, "unit_id": id, "resident_id": next()}));
        if kind == "building_leader" && assign.len() % 5 == 0 {
            assign.push(json!({"kind": "representative", "unit_id": id, "resident_id": next()}));
        }
    }
    assign.push(json!({"kind": "president", "unit_id": null, "resident_id": president}));
    for kind in [
        "vice_president",
        "help_team",
        "help_team",
        "help_team",
        "mediator",
        "mediator",
        "election_officer",
        "company_liaison",
    ] {
        assign.push(json!({"kind": kind, "unit_id": null, "resident_id": next()}));
    }
    let positions = assign.len();
    for mut a in assign {
        a["id"] = json!(Uuid::now_v7());
        a["starts_on"] = json!("2026-01-01");
        a["ends_on"] = json!("2028-12-31");
        a["decision"] = json!("2026年1月居民代表大會選舉");
        let out = admin.push(state, "position.assign", a).await?;
        anyhow::ensure!(
            out["status"] == "applied",
            "a demo position was refused: {out}"
        );
    }

    // A resident with an account in one flat in every twenty claims it; the building leader
    // confirms two claims in three, the rest wait.
    let mut claims = (0, 0);
    for (i, who) in accounts.iter().enumerate().take(flats.len().div_ceil(20)) {
        let (flat, _) = flats[(i * 20) % flats.len()];
        let claim = Uuid::now_v7();
        let out = DemoPhone::new(*who)
            .push(state, "residency.claim", json!({"id": claim, "household_id": flat, "relation": "family", "born": format!("{}", 1950 + i % 50)}))
            .await?;
        if out["status"] != "applied" {
            continue;
        }
        if i % 3 == 2 {
            claims.1 += 1;
        } else {
            let out = admin
                .push(
                    state,
                    "residency.decide",
                    json!({"id": claim, "verdict": "confirm"}),
                )
                .await?;
            anyhow::ensure!(
                out["status"] == "applied",
                "a demo claim was not confirmed: {out}"
            );
            claims.0 += 1;
        }
    }
    Ok(format!(
        "{} units, {} grid cells, {} households, {} residents on the roll, {positions} positions held, {} claims confirmed and {} waiting",
        counts.units, counts.cells, counts.households, counts.residents, claims.0, claims.1
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_full_roster_is_sun_villages_size_and_passes_the_checks() {
        let rows = roster(5_000);
        let people = rows.iter().filter(|r| !r.name.is_empty()).count();
        assert!((18_000..=20_500).contains(&people), "{people}");
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert!(import::check(&rows, today).is_ok());
    }
}
