//! `linli census --out FILE.xlsx`: the census as the mining company keeps it on paper, one
//! sheet per building (its residents today, flat by flat) after a summary sheet (households,
//! residents and adults per building). Written with `rust_xlsxwriter`.
//!
//! Only verified residencies open today count; pending claims are not residents yet.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use rust_xlsxwriter::{Format, Workbook};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::entity::{household, residency, unit};
use super::local_today;
use super::rules::{self, Birth, Relation, Status};
use crate::domain::territory::UnitKind;

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, unique.
fn sheet_name(wanted: &str, taken: &mut Vec<String>) -> String {
    let clean: String = wanted
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(28)
        .collect();
    let mut name = clean.clone();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{clean}~{n}");
        n += 1;
    }
    taken.push(name.clone());
    name
}

fn relation_zh(s: &str) -> &'static str {
    match Relation::parse(s) {
        Some(Relation::Owner) => "戶主",
        Some(Relation::Tenant) => "租戶",
        _ => "家屬",
    }
}

pub async fn write(
    db: &impl ConnectionTrait,
    community_slug: Option<&str>,
    out: &Path,
) -> anyhow::Result<()> {
    let community = crate::persistence::communities::pick(db, community_slug).await?;
    let today = local_today(chrono::Utc::now());
    let units = unit::Entity::find()
        .filter(unit::Column::CommunityId.eq(community.id))
        .filter(unit::Column::DeletedAt.is_null())
        .all(db)
        .await?;
    let by_id: HashMap<_, _> = units.iter().map(|u| (u.id, u)).collect();
    let flats = household::Entity::find()
        .filter(household::Column::CommunityId.eq(community.id))
        .filter(household::Column::DeletedAt.is_null())
        .all(db)
        .await?;
    let people = residency::Entity::find()
        .filter(residency::Column::CommunityId.eq(community.id))
        .filter(residency::Column::DeletedAt.is_null())
        .filter(residency::Column::Status.eq(Status::Verified.as_str()))
        .all(db)
        .await?;
    let flat_of: HashMap<_, _> = flats.iter().map(|h| (h.id, h)).collect();
    // Buildings in order: compound, then building name.
    let mut buildings: Vec<(&unit::Model, String)> = units
        .iter()
        .filter(|u| u.kind == UnitKind::Building.as_str())
        .map(|b| {
            let mut path = vec![b.name.clone()];
            let mut parent = b.parent_id;
            while let Some(p) = parent.and_then(|p| by_id.get(&p)) {
                path.push(p.name.clone());
                parent = p.parent_id;
            }
            path.reverse();
            (b, path.join(" "))
        })
        .collect();
    buildings.sort_by(|a, b| a.1.cmp(&b.1));

    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let mut taken = Vec::new();
    let summary_name = sheet_name("總表", &mut taken);
    let mut totals = Vec::new();
    let mut sheets = Vec::new();
    for (building, title) in &buildings {
        let mut rows: Vec<(&household::Model, &residency::Model)> = people
            .iter()
            .filter(|r| r.building_id == building.id)
            .filter(|r| r.moved_in <= today && r.moved_out.is_none_or(|out| out >= today))
            .filter_map(|r| Some((*flat_of.get(&r.household_id)?, r)))
            .collect();
        rows.sort_by(|a, b| {
            (&a.0.entrance, a.0.floor, &a.0.room, &a.1.name).cmp(&(
                &b.0.entrance,
                b.0.floor,
                &b.0.room,
                &b.1.name,
            ))
        });
        let households = flats
            .iter()
            .filter(|h| h.building_id == building.id)
            .count();
        let adults = rows
            .iter()
            .filter(|(_, r)| {
                Birth::parse(&r.born, today)
                    .ok()
                    .and_then(|b| b.at_least(rules::ADULT, today))
                    .unwrap_or(false)
            })
            .count();
        totals.push((title.clone(), households, rows.len(), adults));
        sheets.push((sheet_name(title, &mut taken), title.clone(), rows));
    }

    let summary = book.add_worksheet();
    summary.set_name(&summary_name)?;
    summary.write_string_with_format(
        0,
        0,
        format!("{} 人口普查 {today}", community.name),
        &bold,
    )?;
    for (c, h) in ["樓棟", "戶數", "居民", "成年（18歲以上）"]
        .iter()
        .enumerate()
    {
        summary.write_string_with_format(2, c as u16, *h, &bold)?;
    }
    for (i, (title, households, residents, adults)) in totals.iter().enumerate() {
        let r = 3 + i as u32;
        summary.write_string(r, 0, title)?;
        summary.write_number(r, 1, *households as f64)?;
        summary.write_number(r, 2, *residents as f64)?;
        summary.write_number(r, 3, *adults as f64)?;
    }
    let last = 3 + totals.len() as u32;
    summary.write_string_with_format(last, 0, "合計", &bold)?;
    for (c, value) in [
        totals.iter().map(|t| t.1).sum::<usize>(),
        totals.iter().map(|t| t.2).sum::<usize>(),
        totals.iter().map(|t| t.3).sum::<usize>(),
    ]
    .into_iter()
    .enumerate()
    {
        summary.write_number_with_format(last, 1 + c as u16, value as f64, &bold)?;
    }
    summary.set_column_width(0, 24)?;

    for (name, title, rows) in &sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(name)?;
        sheet.write_string_with_format(0, 0, title, &bold)?;
        for (c, h) in ["單元", "樓層", "房號", "姓名", "出生", "關係", "入住"]
            .iter()
            .enumerate()
        {
            sheet.write_string_with_format(1, c as u16, *h, &bold)?;
        }
        for (i, (flat, r)) in rows.iter().enumerate() {
            let row = 2 + i as u32;
            sheet.write_string(row, 0, &flat.entrance)?;
            sheet.write_number(row, 1, f64::from(flat.floor))?;
            sheet.write_string(row, 2, &flat.room)?;
            sheet.write_string(row, 3, &r.name)?;
            sheet.write_string(row, 4, &r.born)?;
            sheet.write_string(row, 5, relation_zh(&r.relation))?;
            sheet.write_string(row, 6, r.moved_in.to_string())?;
        }
        sheet.set_column_width(3, 14)?;
    }
    book.save(out)
        .with_context(|| format!("cannot write {}", out.display()))?;
    println!(
        "{}: {} buildings, {} residents",
        out.display(),
        totals.len(),
        totals.iter().map(|t| t.2).sum::<usize>()
    );
    Ok(())
}
