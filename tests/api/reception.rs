//! A joint reception day over real HTTP: residents book slots with a department by the
//! sign-up rules (first come, first served; a waitlist; the first waiting promoted on a
//! cancel), the help team books for an elder without a phone, walk-ins are recorded at the
//! door, and conversations become cases assigned to the department; who sees which booking
//! through the feed and the REST read; every refusal's code.

use chrono::{Duration, NaiveTime, TimeZone};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::phone::Phone;
use crate::territory::{Village, applied, refused};

async fn bookings(phone: &mut Phone) -> Vec<Value> {
    phone.pull().await;
    phone.replica_of("booking").into_iter().cloned().collect()
}

#[tokio::test]
async fn residents_book_the_departments_and_each_conversation_can_become_a_case() {
    let v = Village::new().await;
    let app = &v.app;
    let admin = v.admin().await;
    let heating = app.resident("13912360001", "供暖科老李").await;
    let property = app.resident("13912360002", "物業公司小王").await;
    let a = app.resident("13912360011", "甲").await;
    let b = app.resident("13912360012", "乙").await;
    let c = app.resident("13912360013", "丙").await;
    let elder = app.resident("13912360014", "孫奶奶").await;
    let helper = app.resident("13912360015", "幫辦團老張").await;
    let mut admin_phone = v.phone(&admin);
    let (d1, d2, day) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    applied(
        &mut admin_phone,
        "department.create",
        json!({"id": d1, "name": "供暖科", "liaison_id": heating.id}),
    )
    .await;
    applied(
        &mut admin_phone,
        "department.create",
        json!({"id": d2, "name": "物業公司", "liaison_id": property.id}),
    )
    .await;
    applied(&mut admin_phone, "position.assign", json!({"id": Uuid::now_v7(), "kind": "help_team", "unit_id": null, "resident_id": helper.id, "starts_on": "2026-01-01"})).await;
    // Tomorrow, 9 to 11 in Beijing: four half-hour slots, one resident per department each.
    let tomorrow = (chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai)
        + Duration::days(1))
    .date_naive();
    let nine = chrono_tz::Asia::Shanghai
        .from_local_datetime(&tomorrow.and_time(NaiveTime::from_hms_opt(9, 0, 0).unwrap()))
        .unwrap()
        .to_utc();
    let slot = |k: i64| (nine + Duration::minutes(30 * k)).to_rfc3339();
    refused(&mut v.phone(&v.building_leader), "reception.create", json!({"id": Uuid::now_v7(), "title": "聯合接訪日", "place": "社區活動中心", "starts_at": slot(0), "ends_at": slot(4), "slot_minutes": 30, "capacity": 1, "department_ids": [d1]}), "forbidden").await;
    applied(&mut admin_phone, "reception.create", json!({"id": day, "title": "聯合接訪日", "place": "社區活動中心", "starts_at": slot(0), "ends_at": slot(4), "slot_minutes": 30, "capacity": 1, "waitlist_limit": 1, "department_ids": [d1, d2]})).await;

    let book = |dept: Uuid, k: i64| json!({"reception_id": day, "department_id": dept, "slot_start": slot(k), "topic": "暖氣不熱"});
    let mut pa = v.phone(&a);
    let mut pb = v.phone(&b);
    let r = applied(&mut pa, "reception.book", book(d1, 0)).await;
    assert_eq!(r["data"]["data"]["status"], "confirmed");
    let r = applied(&mut pb, "reception.book", book(d1, 0)).await;
    assert_eq!(r["data"]["data"]["status"], "waitlisted");
    refused(
        &mut v.phone(&c),
        "reception.book",
        book(d1, 0),
        "waitlist_full",
    )
    .await;
    // Booking again is harmless; a slot that is not one, a department not attending, are not.
    let again = applied(&mut pa, "reception.book", book(d1, 0)).await;
    assert_eq!(again["data"]["data"]["status"], "confirmed");
    let mut odd = book(d1, 0);
    odd["slot_start"] = json!((nine + Duration::minutes(10)).to_rfc3339());
    refused(&mut pa, "reception.book", odd, "validation_failed").await;
    let mut elsewhere = book(d1, 0);
    elsewhere["department_id"] = json!(Uuid::now_v7());
    refused(&mut pa, "reception.book", elsewhere, "not_found").await;

    // The help team books for an elder without a phone; a plain resident may not.
    let mut for_elder = book(d2, 1);
    for_elder["on_behalf_of"] = json!(elder.id);
    refused(
        &mut v.phone(&c),
        "reception.book",
        for_elder.clone(),
        "forbidden",
    )
    .await;
    let mut ph = v.phone(&helper);
    let r = applied(&mut ph, "reception.book", for_elder).await;
    let elder_booking: Uuid = serde_json::from_value(r["data"]["data"]["id"].clone()).unwrap();
    assert_eq!(bookings(&mut v.phone(&elder)).await.len(), 1);
    assert_eq!(bookings(&mut ph).await.len(), 1);

    // Who sees which: each resident their own; each liaison their department's; the
    // president all.
    assert_eq!(bookings(&mut pb).await.len(), 1);
    assert_eq!(bookings(&mut v.phone(&c)).await.len(), 0);
    let mut ph1 = v.phone(&heating);
    assert_eq!(bookings(&mut ph1).await.len(), 2);
    assert_eq!(bookings(&mut v.phone(&property)).await.len(), 1);
    assert_eq!(bookings(&mut v.phone(&v.president)).await.len(), 3);
    assert_eq!(bookings(&mut v.phone(&v.building_leader)).await.len(), 0);

    // Booking ids are derived; guessing another's gets nothing of theirs back: not as a
    // walk-in's id, not by cancelling it as help team.
    let a_id = again["data"]["data"]["id"].clone();
    let r = refused(
        &mut v.phone(&c),
        "reception.walk_in",
        json!({"id": a_id, "reception_id": day, "department_id": d1, "name": "x"}),
        "conflict",
    )
    .await;
    assert!(r["data"].is_null(), "{r}");
    let r = refused(
        &mut ph,
        "reception.walk_in",
        json!({"id": a_id, "reception_id": day, "department_id": d1, "name": "x"}),
        "conflict",
    )
    .await;
    assert!(r["data"].is_null(), "{r}");
    let r = refused(
        &mut ph,
        "reception.cancel",
        json!({"booking_id": a_id}),
        "not_found",
    )
    .await;
    assert!(r["data"].is_null(), "{r}");
    // 甲 cannot come: 乙, first waiting, takes the place.
    let a_booking = again["data"]["data"]["id"].clone();
    refused(
        &mut pb,
        "reception.cancel",
        json!({"booking_id": a_booking}),
        "not_found",
    )
    .await;
    applied(
        &mut pa,
        "reception.cancel",
        json!({"booking_id": a_booking}),
    )
    .await;
    let mine = bookings(&mut pb).await;
    assert_eq!(mine[0]["status"], "confirmed");

    // At the door: a walk-in who is not a resident; a resident may not record one.
    refused(
        &mut v.phone(&c),
        "reception.walk_in",
        json!({"id": Uuid::now_v7(), "reception_id": day, "department_id": d1, "name": "老趙"}),
        "forbidden",
    )
    .await;
    let walk_in = Uuid::now_v7();
    applied(&mut ph1, "reception.walk_in", json!({"id": walk_in, "reception_id": day, "department_id": d1, "name": "外來訪客老趙", "topic": "供暖費"})).await;

    // Conversations become cases assigned to the department; 乙 follows theirs.
    let b_booking = mine[0]["id"].clone();
    let case = Uuid::now_v7();
    refused(&mut v.phone(&property), "reception.intake", json!({"booking_id": b_booking, "case_id": Uuid::now_v7(), "category": "company", "description": "x"}), "not_found").await;
    applied(&mut ph1, "reception.intake", json!({"booking_id": b_booking, "case_id": case, "category": "company", "description": "3號樓暖氣不熱，申請檢修"})).await;
    refused(&mut ph1, "reception.intake", json!({"booking_id": b_booking, "case_id": Uuid::now_v7(), "category": "company", "description": "again"}), "case_opened").await;
    pb.pull().await;
    let c_row = pb.get("case", case).unwrap();
    assert_eq!(
        (
            c_row["source"].clone(),
            c_row["state"].clone(),
            c_row["assignee_name"].clone()
        ),
        (json!("reception"), json!("assigned"), json!("供暖科"))
    );
    applied(
        &mut ph1,
        "case.resolve",
        json!({"id": case, "text": "已派人檢修"}),
    )
    .await;
    let visitor_case = Uuid::now_v7();
    let r = applied(&mut ph1, "reception.intake", json!({"booking_id": walk_in, "case_id": visitor_case, "category": "company", "description": "詢問供暖費標準"})).await;
    assert_eq!(r["data"]["data"]["case_id"], json!(visitor_case));
    applied(&mut ph, "reception.intake", json!({"booking_id": elder_booking, "case_id": Uuid::now_v7(), "category": "property", "description": "樓道燈壞"})).await;

    // The day's read at the door: the liaison's queue, in order; a resident's own only.
    let resp = app
        .get(
            &format!("/api/v1/receptions/{day}"),
            Some(&heating.access_token),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let view: Value = resp.json().await.unwrap();
    let statuses: Vec<&str> = view["bookings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.len(), 3, "{view}");
    assert!(
        statuses.contains(&"cancelled")
            && statuses.contains(&"confirmed")
            && statuses.contains(&"walk_in")
    );
    assert_eq!(view["day"]["departments"].as_array().unwrap().len(), 2);
    let resp = app
        .get(&format!("/api/v1/receptions/{day}"), Some(&c.access_token))
        .await;
    let view: Value = resp.json().await.unwrap();
    assert_eq!(view["bookings"], json!([]));

    // Once a slot has begun it is a walk-in's, not a booking's.
    app.sync.clock.advance(Duration::days(2));
    refused(
        &mut v.phone(&c),
        "reception.book",
        book(d1, 3),
        "signups_closed",
    )
    .await;
}
