//! The demo's grid work, cases, mediation and reception day, in 利民小區 (Limin compound).
//!
//! Grid worker 劉華 (Liu Hua) takes over the compound's first cell and keeps her daily log
//! for the past week: "發現樓梯口有一堆垃圾，已清理", a home visit to an elder living alone,
//! a loose handrail that needs follow-up, which she opens as a case in one step. The mining
//! company's heating department and the property company have liaisons; cases of each tier
//! are open or done (a red gas smell handled in an hour and confirmed with five stars, a
//! yellow radiator leak with the heating department, a blue rubbish heap just reported), and
//! the help team has carried an elder's request to the company. A neighbours' dispute over a
//! leaking bathroom is mediated to an agreement both families confirmed; next week's joint
//! reception day has bookings, one made by the help team for an elder without a phone.
//! Everything goes through the same mutations a phone pushes. (Photos are left out: the
//! demo's bytes would need the server's store.)

use chrono::{Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{COMPOUNDS, DemoPhone, applied, create};
use crate::entity::{community, resident};
use crate::features::territory::entity::{grid_cell, position, unit};
use crate::features::territory::local_today;
use crate::http::AppState;

/// Holders of a community-wide position today.
async fn holder(state: &AppState, village: Uuid, kind: &str) -> anyhow::Result<Vec<Uuid>> {
    Ok(position::Entity::find()
        .filter(position::Column::CommunityId.eq(village))
        .filter(position::Column::Kind.eq(kind))
        .filter(position::Column::DeletedAt.is_null())
        .order_by_asc(position::Column::Id)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|p| p.resident_id)
        .collect())
}

pub async fn build(
    state: &AppState,
    village: &community::Model,
    president: Uuid,
    hash: &str,
) -> anyhow::Result<String> {
    let db = &state.db;
    let mut admin = DemoPhone::new(president);
    let cell_name = format!("{}第1網格", COMPOUNDS[0]);
    let cell = grid_cell::Entity::find()
        .filter(grid_cell::Column::CommunityId.eq(village.id))
        .filter(grid_cell::Column::Name.eq(cell_name.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo's grid needs {cell_name}"))?;
    let building = unit::Entity::find()
        .filter(unit::Column::CellId.eq(cell.id))
        .filter(unit::Column::DeletedAt.is_null())
        .order_by_asc(unit::Column::Name)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo's cell has no building"))?;

    // 劉華 takes over the cell from the worker elected with everyone else.
    let liu = create(db, village, "13710000100", "劉華", hash).await?;
    if let Some(old) = position::Entity::find()
        .filter(position::Column::UnitId.eq(cell.id))
        .filter(position::Column::Kind.eq("grid_worker"))
        .filter(position::Column::DeletedAt.is_null())
        .one(db)
        .await?
    {
        let out = admin
            .push(
                state,
                "position.end",
                json!({"id": old.id, "ends_on": "2026-01-01"}),
            )
            .await?;
        applied(&out, "grid worker's handover")?;
    }
    let out = admin
        .push(state, "position.assign", json!({"id": Uuid::now_v7(), "kind": "grid_worker", "unit_id": cell.id, "resident_id": liu,
            "starts_on": "2026-01-02", "ends_on": "2028-12-31", "decision": "2026年1月社區任命"}))
        .await?;
    applied(&out, "劉華's appointment")?;

    // Her week.
    let today = local_today(Utc::now());
    let mut liu_phone = DemoPhone::new(liu);
    let rounds = [
        (6, "property", "樓梯口有一堆垃圾", "已清理", false, "closed"),
        (
            5,
            "helper",
            "獨居老人王奶奶行動不便，冬菜沒人搬",
            "聯繫志願者送菜上門",
            true,
            "closed",
        ),
        (
            4,
            "educator",
            "居民不清楚冬季防煤氣中毒",
            "入戶講解，發放宣傳單",
            true,
            "closed",
        ),
        (
            2,
            "liaison",
            "居民反映小區門口路燈不亮",
            "已記錄，報社區",
            false,
            "closed",
        ),
        (
            1,
            "property",
            "3單元樓梯扶手鬆動，老人上下樓危險",
            "",
            false,
            "follow_up",
        ),
        (
            0,
            "mediator",
            "兩戶因樓道堆物爭吵",
            "當場勸解，雙方同意清走雜物",
            false,
            "closed",
        ),
    ];
    let mut follow_up = None;
    for (back, hat, found, done, visit, status) in rounds {
        let id = Uuid::now_v7();
        let out = liu_phone
            .push(state, "log.write", json!({"id": id, "cell_id": cell.id, "day": today - Duration::days(back),
                "building_id": building.id, "staircase": "", "place": format!("{}樓梯口", building.name),
                "hat": hat, "found": found, "done": done, "home_visit": visit, "status": status}))
            .await?;
        applied(&out, "log entry")?;
        if status == "follow_up" {
            follow_up = Some(id);
        }
    }
    let handrail = Uuid::now_v7();
    let out = liu_phone
        .push(state, "case.report", json!({"id": handrail, "category": "safety", "tier": "yellow", "log_entry_id": follow_up}))
        .await?;
    applied(&out, "case from the log")?;

    // The company's departments, with the community's liaison for each.
    let liaisons = holder(state, village.id, "company_liaison").await?;
    let property_liaison = create(db, village, "13710000101", "物業公司小王", hash).await?;
    let (heating, property) = (Uuid::now_v7(), Uuid::now_v7());
    for (id, name, liaison) in [
        (
            heating,
            "供暖科",
            liaisons.first().copied().unwrap_or(president),
        ),
        (property, "物業公司", property_liaison),
    ] {
        let out = admin
            .push(
                state,
                "department.create",
                json!({"id": id, "name": name, "liaison_id": liaison}),
            )
            .await?;
        applied(&out, "department")?;
    }

    // Residents with accounts, to report and be reported for.
    let people: Vec<Uuid> = resident::Entity::find()
        .filter(resident::Column::CommunityId.eq(village.id))
        .filter(resident::Column::Id.ne(president))
        .order_by_asc(resident::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let [a, b, c, d, e, ..] = people.as_slice() else {
        anyhow::bail!("the demo's cases need five residents with accounts");
    };
    let leader = position::Entity::find()
        .filter(position::Column::UnitId.eq(building.id))
        .filter(position::Column::Kind.eq("building_leader"))
        .filter(position::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .map_or(president, |p| p.resident_id);
    let mut leader_phone = DemoPhone::new(leader);
    let step = |what: &'static str| move |out: Value| applied(&out, what);

    // Red: a smell of gas, handled within the hour, confirmed with five stars.
    let gas = Uuid::now_v7();
    let mut pa = DemoPhone::new(*a);
    step("red case")(pa.push(state, "case.report", json!({"id": gas, "category": "safety", "tier": "red", "unit_id": building.id, "place": "2單元3樓", "description": "樓道裡有煤氣味"})).await?)?;
    for (name, args) in [
        ("case.accept", json!({"id": gas})),
        (
            "case.assign",
            json!({"id": gas, "kind": "resident", "to": liu}),
        ),
    ] {
        step("red case")(leader_phone.push(state, name, args).await?)?;
    }
    step("red case")(
        liu_phone
            .push(
                state,
                "case.resolve",
                json!({"id": gas, "text": "燃氣公司已到場，更換老化軟管"}),
            )
            .await?,
    )?;
    step("red case")(
        pa.push(
            state,
            "case.confirm",
            json!({"id": gas, "rating": 5, "comment": "來得很快"}),
        )
        .await?,
    )?;

    // Yellow: a leaking radiator, with the heating department.
    let radiator = Uuid::now_v7();
    let mut pb = DemoPhone::new(*b);
    step("yellow case")(pb.push(state, "case.report", json!({"id": radiator, "category": "repair", "unit_id": building.id, "description": "暖氣片接口漏水"})).await?)?;
    for (name, args) in [
        ("case.accept", json!({"id": radiator, "tier": "yellow"})),
        (
            "case.assign",
            json!({"id": radiator, "kind": "department", "to": heating}),
        ),
    ] {
        step("yellow case")(leader_phone.push(state, name, args).await?)?;
    }

    // Blue: a heap of rubbish behind the building, just reported.
    step("blue case")(DemoPhone::new(*c).push(state, "case.report", json!({"id": Uuid::now_v7(), "category": "sanitation", "tier": "blue", "unit_id": building.id, "place": "樓後空地", "description": "建築垃圾堆了一週"})).await?)?;

    // The help team carries an elder's request to the company.
    let helpers = holder(state, village.id, "help_team").await?;
    if let Some(h) = helpers.first() {
        let request = Uuid::now_v7();
        let mut ph = DemoPhone::new(*h);
        step("help team's request")(ph.push(state, "case.report", json!({"id": request, "category": "company", "unit_id": building.id, "description": "申請更換老化自來水管", "on_behalf_of": d})).await?)?;
        step("help team's request")(
            admin
                .push(
                    state,
                    "case.assign",
                    json!({"id": request, "kind": "department", "to": property}),
                )
                .await?,
        )?;
        step("help team's request")(
            DemoPhone::new(property_liaison)
                .push(
                    state,
                    "case.reply",
                    json!({"id": request, "text": "已列入本月維修計劃"}),
                )
                .await?,
        )?;
    }

    // A neighbours' dispute, mediated to an agreement both families confirmed.
    let mediators = holder(state, village.id, "mediator").await?;
    let mediator = *mediators
        .first()
        .ok_or_else(|| anyhow::anyhow!("the demo's dispute needs a mediator"))?;
    let dispute = Uuid::now_v7();
    let mut pe = DemoPhone::new(*e);
    step("dispute")(pe.push(state, "case.report", json!({"id": dispute, "category": "dispute", "unit_id": building.id, "description": "樓上衛生間漏水到樓下，兩家協商不成"})).await?)?;
    step("dispute")(admin.push(state, "mediation.open", json!({"case_id": dispute, "parties": [{"resident_id": e}, {"resident_id": c}], "mediators": [mediator]})).await?)?;
    let mut pm = DemoPhone::new(mediator);
    let session = Utc::now() - Duration::days(2);
    for (name, args) in [
        (
            "mediation.session",
            json!({"case_id": dispute, "at": session, "place": "社區調解室", "notes": "雙方陳述，查看漏水位置"}),
        ),
        (
            "mediation.agree",
            json!({"case_id": dispute, "text": "樓上負責重做衛生間防水，本月20日前完工；樓下天花板修補費用由樓上承擔。"}),
        ),
    ] {
        step("mediation")(pm.push(state, name, args).await?)?;
    }
    step("mediation")(
        pe.push(state, "mediation.confirm", json!({"case_id": dispute}))
            .await?,
    )?;
    step("mediation")(
        DemoPhone::new(*c)
            .push(state, "mediation.confirm", json!({"case_id": dispute}))
            .await?,
    )?;
    step("mediation")(
        pm.push(
            state,
            "mediation.close",
            json!({"case_id": dispute, "outcome": "agreed"}),
        )
        .await?,
    )?;

    // Next week's joint reception day: 9 to 11, the two departments.
    let day = Uuid::now_v7();
    let date = (Utc::now().with_timezone(&Shanghai) + Duration::days(7)).date_naive();
    let nine = Shanghai
        .from_local_datetime(&date.and_time(NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default()))
        .single()
        .map(|t| t.to_utc())
        .ok_or_else(|| anyhow::anyhow!("no 9 o'clock next week"))?;
    step("reception day")(admin.push(state, "reception.create", json!({"id": day, "title": "煤礦公司聯合接訪日", "place": format!("{}活動中心", COMPOUNDS[0]),
        "starts_at": nine, "ends_at": nine + Duration::hours(2), "slot_minutes": 30, "capacity": 3, "department_ids": [heating, property]})).await?)?;
    step("booking")(pb.push(state, "reception.book", json!({"reception_id": day, "department_id": heating, "slot_start": nine, "topic": "暖氣費"})).await?)?;
    if let Some(h) = helpers.first() {
        step("booking")(DemoPhone::new(*h).push(state, "reception.book", json!({"reception_id": day, "department_id": property, "slot_start": nine + Duration::minutes(30), "topic": "水管老化", "on_behalf_of": d})).await?)?;
    }
    Ok(format!(
        "劉華 keeps {cell_name}'s log (6 entries, 2 home visits); 5 cases (red confirmed, yellow with 供暖科, blue reported, one from her log, one by the help team); a dispute mediated to an agreement; a reception day on {date}"
    ))
}
