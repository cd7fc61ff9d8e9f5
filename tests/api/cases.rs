//! Cases over real HTTP: a resident's request round the closed loop with its reporter
//! following every step; who sees a case through the sync feed and the REST reads; an
//! overdue case escalated by the clock; a duplicate merged and its reporter following the
//! survivor; a case opened from a grid log entry; the help team carrying a request to a
//! company department whose reply the resident sees; a dispute kept from everyone but the
//! president and its mediator.

use chrono::Duration;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::grid::{declared, phone_photo, upload};
use crate::helpers::{Resident, assert_problem};
use crate::phone::Phone;
use crate::territory::{Village, applied, refused};

fn report(id: Uuid, unit: Uuid, what: &str) -> Value {
    json!({"id": id, "category": "repair", "unit_id": unit, "place": "2單元樓道", "description": what})
}

async fn sees(phone: &mut Phone, id: Uuid) -> Option<Value> {
    phone.pull().await;
    phone.get("case", id).cloned()
}

fn steps(case: &Value) -> Vec<String> {
    case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap().to_owned())
        .collect()
}

/// Appoints `who` to a community-wide position, by the admin.
async fn appoint(v: &Village, kind: &str, who: &Resident) {
    let admin = v.admin().await;
    let mut phone = v.phone(&admin);
    applied(&mut phone, "position.assign", json!({"id": Uuid::now_v7(), "kind": kind, "unit_id": null, "resident_id": who.id, "starts_on": "2026-01-01"})).await;
}

async fn admin_phone(v: &Village) -> Phone {
    let admin = v.admin().await;
    v.phone(&admin)
}

#[tokio::test]
async fn a_request_goes_round_the_loop_and_its_reporter_follows_every_step() {
    let v = Village::new().await;
    let app = &v.app;
    let auntie = app.resident("13912340001", "王阿姨").await;
    let neighbour = app.resident("13912340002", "鄰居").await;
    let liaison_r = app.resident("13912340003", "供暖科老李").await;
    let mut reporter = v.phone(&auntie);
    let (id, photo_id) = (Uuid::now_v7(), Uuid::now_v7());
    let photo = phone_photo(320, 240, 11);
    let mut r = report(id, v.b1, "暖氣片漏水");
    r["photos"] = json!([declared(photo_id, &photo)]);
    let out = applied(&mut reporter, "case.report", r).await;
    let data = &out["data"]["data"];
    assert_eq!(
        (
            data["state"].clone(),
            data["tier"].clone(),
            data["source"].clone()
        ),
        (json!("reported"), json!("yellow"), json!("app"))
    );
    assert_eq!(data["photos"][0]["state"], "pending");
    upload(app, &auntie, photo_id, &photo, 64 * 1024).await;

    // Seen by the holders over building 1 (its leader, the area's, the compound's, its grid
    // worker) and the president; not by building 2's leader, the mediator or a neighbour.
    for who in [
        &v.building_leader,
        &v.area_leader,
        &v.branch_president,
        &v.grid_worker,
        &v.president,
    ] {
        let c = sees(&mut v.phone(who), id).await;
        assert!(c.is_some(), "{} should see the case", who.phone);
        assert_eq!(c.unwrap()["photos"][0]["state"], "ready");
    }
    for who in [
        &v.other_building_leader,
        &v.mediator,
        &neighbour,
        &liaison_r,
    ] {
        assert!(
            sees(&mut v.phone(who), id).await.is_none(),
            "{} sees it",
            who.phone
        );
        let resp = app
            .get(&format!("/api/v1/cases/{id}"), Some(&who.access_token))
            .await;
        assert_problem(resp, 404, "not_found").await;
        let resp = app.get("/api/v1/cases", Some(&who.access_token)).await;
        let list: Value = resp.json().await.unwrap();
        assert_eq!(list.as_array().unwrap().len(), 0, "{list}");
        let resp = app
            .get(
                &format!("/api/v1/attachments/{photo_id}"),
                Some(&who.access_token),
            )
            .await;
        assert_problem(resp, 404, "attachment_undeclared").await;
    }

    // Steps taken by the wrong person, or at the wrong time, are refused with their code.
    refused(&mut reporter, "case.accept", json!({"id": id}), "forbidden").await;
    refused(
        &mut reporter,
        "case.confirm",
        json!({"id": id, "rating": 5}),
        "case_state",
    )
    .await;
    refused(
        &mut v.phone(&neighbour),
        "case.accept",
        json!({"id": id}),
        "not_found",
    )
    .await;

    // The building leader accepts it as red and gives it to the heating department.
    let mut admin = admin_phone(&v).await;
    let dept = Uuid::now_v7();
    applied(
        &mut admin,
        "department.create",
        json!({"id": dept, "name": "供暖科", "liaison_id": liaison_r.id}),
    )
    .await;
    let mut leader = v.phone(&v.building_leader);
    let out = applied(&mut leader, "case.accept", json!({"id": id, "tier": "red"})).await;
    let c = &out["data"]["data"];
    let reported_at =
        chrono::DateTime::parse_from_rfc3339(c["created_at"].as_str().unwrap()).unwrap();
    let due = chrono::DateTime::parse_from_rfc3339(c["due_at"].as_str().unwrap()).unwrap();
    assert_eq!(due - reported_at, Duration::hours(2));
    refused(
        &mut leader,
        "case.assign",
        json!({"id": id, "kind": "department", "to": Uuid::now_v7()}),
        "owner_outside_community",
    )
    .await;
    applied(
        &mut leader,
        "case.assign",
        json!({"id": id, "kind": "department", "to": dept}),
    )
    .await;
    // The liaison sees it now, starts, replies and resolves it.
    let mut liaison = v.phone(&liaison_r);
    assert!(sees(&mut liaison, id).await.is_some());
    applied(&mut liaison, "case.start", json!({"id": id})).await;
    applied(
        &mut liaison,
        "case.reply",
        json!({"id": id, "text": "明天上午派人維修"}),
    )
    .await;
    applied(
        &mut liaison,
        "case.resolve",
        json!({"id": id, "text": "已更換暖氣片閥門"}),
    )
    .await;
    // 王阿姨 was told of each step in her inbox (newest first), never of the case's text.
    let inbox: Value = app
        .get("/api/v1/notifications", Some(&auntie.access_token))
        .await
        .json()
        .await
        .unwrap();
    let bodies: Vec<&str> = inbox
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "case_status")
        .map(|n| n["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies.len(),
        5,
        "accepted, assigned, started, replied, resolved: {inbox}"
    );
    assert!(bodies[0].contains("已辦結"), "{bodies:?}");
    assert!(bodies.iter().all(|b| !b.contains("閥門")), "{bodies:?}");
    // Not satisfied: reopened, given to the grid worker, resolved, confirmed with 5 stars.
    applied(
        &mut reporter,
        "case.reopen",
        json!({"id": id, "text": "還在滴水"}),
    )
    .await;
    applied(
        &mut leader,
        "case.assign",
        json!({"id": id, "kind": "resident", "to": v.grid_worker.id}),
    )
    .await;
    applied(
        &mut v.phone(&v.grid_worker),
        "case.resolve",
        json!({"id": id, "text": "已修好"}),
    )
    .await;
    let out = applied(
        &mut reporter,
        "case.confirm",
        json!({"id": id, "rating": 5, "comment": "謝謝"}),
    )
    .await;
    assert_eq!(out["data"]["data"]["rating"], 5);
    refused(
        &mut reporter,
        "case.reopen",
        json!({"id": id, "text": "又漏了"}),
        "case_closed",
    )
    .await;

    // The reporter's phone followed every step, the department's reply among them.
    let c = sees(&mut reporter, id).await.unwrap();
    assert_eq!(
        steps(&c),
        [
            "reported",
            "accepted",
            "assigned",
            "started",
            "reply",
            "resolved",
            "reopened",
            "assigned",
            "resolved",
            "confirmed"
        ]
    );
    let reply = c["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "reply")
        .unwrap();
    assert_eq!(reply["text"], "供暖科：明天上午派人維修");
    assert_eq!(c["reopen_count"], 1);
    assert_eq!(c["state"], "confirmed");
    // The register agrees with the feed.
    let resp = app
        .get(&format!("/api/v1/cases/{id}"), Some(&auntie.access_token))
        .await;
    let view: Value = resp.json().await.unwrap();
    assert_eq!(steps(&view["case"]), steps(&c));
    assert_eq!(
        (
            view["case"]["state"].clone(),
            view["case"]["rating"].clone()
        ),
        (c["state"].clone(), c["rating"].clone())
    );
    assert_eq!(view["overdue"], false);
    let resp = app
        .get("/api/v1/me/export", Some(&auntie.access_token))
        .await;
    let export: Value = resp.json().await.unwrap();
    assert_eq!(export["cases"]["reported"][0]["id"], json!(id));
}

#[tokio::test]
async fn an_overdue_case_escalates_and_a_duplicate_follows_its_survivor() {
    let v = Village::new().await;
    let app = &v.app;
    let a = app.resident("13912340011", "甲").await;
    let b = app.resident("13912340012", "乙").await;
    let (first, dup) = (Uuid::now_v7(), Uuid::now_v7());
    let mut pa = v.phone(&a);
    let mut pb = v.phone(&b);
    let mut r = report(first, v.b1, "樓道燈不亮");
    r["tier"] = json!("red");
    applied(&mut pa, "case.report", r).await;
    applied(&mut pb, "case.report", report(dup, v.b1, "2單元樓道燈壞了")).await;
    let mut leader = v.phone(&v.building_leader);
    refused(
        &mut leader,
        "case.merge",
        json!({"id": dup, "into": dup}),
        "not_found",
    )
    .await;
    applied(&mut leader, "case.merge", json!({"id": dup, "into": first})).await;
    let c = sees(&mut pb, dup).await.unwrap();
    assert_eq!(
        (
            c["state"].clone(),
            c["merged_into"].clone(),
            c["survivor_state"].clone()
        ),
        (json!("merged"), json!(first), json!("reported"))
    );
    // A merged case is not reopened, confirmed or moved again.
    refused(
        &mut pb,
        "case.reopen",
        json!({"id": dup, "text": "?"}),
        "case_merged",
    )
    .await;
    refused(
        &mut leader,
        "case.accept",
        json!({"id": dup}),
        "case_merged",
    )
    .await;
    applied(&mut leader, "case.accept", json!({"id": first})).await;
    // Its reporter follows the survivor's steps.
    let c = sees(&mut pb, dup).await.unwrap();
    assert_eq!(c["survivor_state"], "accepted");
    assert_eq!(steps(&c).last().unwrap(), "accepted");

    // Three hours on, the red case is overdue: the clock escalates it to the area leader.
    v.app.sync.clock.advance(Duration::hours(3));
    let deadline = tokio::time::Instant::now() + crate::helpers::DEADLINE;
    let escalated = loop {
        let resp = app
            .get(
                &format!("/api/v1/cases/{first}"),
                Some(&v.area_leader.access_token),
            )
            .await;
        let view: Value = resp.json().await.unwrap();
        if !view["case"]["escalated_at"].is_null() {
            break view;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never escalated: {view}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(escalated["overdue"], true);
    let last = escalated["case"]["timeline"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["step"], "escalated");
    assert!(last["text"].as_str().unwrap().contains("片長"), "{last}");
    let resp = app
        .get(
            "/api/v1/cases?overdue=true",
            Some(&v.area_leader.access_token),
        )
        .await;
    let list: Value = resp.json().await.unwrap();
    let ids: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["case"]["id"])
        .collect();
    assert_eq!(ids, [&json!(first)], "{list}");
    // The duplicate's reporter learns it too.
    let c = sees(&mut pb, dup).await.unwrap();
    assert_eq!(steps(&c).last().unwrap(), "escalated");
}

#[tokio::test]
async fn log_entries_open_cases_the_help_team_carries_requests_and_disputes_stay_confidential() {
    let v = Village::new().await;
    let app = &v.app;
    let mut worker = v.phone(&v.grid_worker);
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
        .to_string();
    let (entry, closed) = (Uuid::now_v7(), Uuid::now_v7());
    for (id, status) in [(entry, "follow_up"), (closed, "closed")] {
        applied(&mut worker, "log.write", json!({"id": id, "cell_id": v.cell, "day": today, "building_id": v.b1, "place": "8號樓樓梯口", "hat": "property", "found": "樓梯扶手鬆動", "status": status})).await;
    }
    // One step: the entry becomes a case, and each names the other.
    let case = Uuid::now_v7();
    let out = applied(
        &mut worker,
        "case.report",
        json!({"id": case, "category": "safety", "log_entry_id": entry}),
    )
    .await;
    let c = &out["data"]["data"];
    assert_eq!(
        (
            c["source"].clone(),
            c["log_entry_id"].clone(),
            c["building_id"].clone(),
            c["cell_id"].clone()
        ),
        (json!("grid_log"), json!(entry), json!(v.b1), json!(v.cell))
    );
    assert_eq!(c["description"], "樓梯扶手鬆動");
    worker.pull().await;
    assert_eq!(
        worker.get("log_entry", entry).unwrap()["case_id"],
        json!(case)
    );
    refused(&mut worker, "case.report", json!({"id": Uuid::now_v7(), "category": "safety", "description": "x", "log_entry_id": entry}), "case_opened").await;
    refused(&mut worker, "case.report", json!({"id": Uuid::now_v7(), "category": "safety", "description": "x", "log_entry_id": closed}), "validation_failed").await;
    refused(&mut worker, "log.write", json!({"id": entry, "cell_id": v.cell, "day": today, "hat": "property", "found": "改寫", "status": "closed"}), "case_opened").await;

    // The help team takes an elder's request to the mining company; the elder sees it and
    // the department's reply.
    let elder = app.resident("13912340021", "孫爺爺").await;
    let helper = app.resident("13912340022", "幫辦團老張").await;
    let liaison_r = app.resident("13912340023", "物業公司小王").await;
    appoint(&v, "help_team", &helper).await;
    let mut helper_phone = v.phone(&helper);
    let request = Uuid::now_v7();
    refused(&mut v.phone(&elder), "case.report", json!({"id": Uuid::now_v7(), "category": "company", "description": "x", "on_behalf_of": v.grid_worker.id}), "forbidden").await;
    let out = applied(&mut helper_phone, "case.report", json!({"id": request, "category": "company", "unit_id": v.b2, "description": "申請更換老化水管", "on_behalf_of": elder.id})).await;
    let c = &out["data"]["data"];
    assert_eq!(
        (
            c["source"].clone(),
            c["reporter_name"].clone(),
            c["intake_name"].clone()
        ),
        (json!("help_team"), json!("孫爺爺"), json!("幫辦團老張"))
    );
    let mut elder_phone = v.phone(&elder);
    assert!(sees(&mut elder_phone, request).await.is_some());
    let mut admin = admin_phone(&v).await;
    let dept = Uuid::now_v7();
    applied(
        &mut admin,
        "department.create",
        json!({"id": dept, "name": "物業公司", "liaison_id": liaison_r.id}),
    )
    .await;
    applied(
        &mut v.phone(&v.other_building_leader),
        "case.assign",
        json!({"id": request, "kind": "department", "to": dept}),
    )
    .await;
    applied(
        &mut v.phone(&liaison_r),
        "case.reply",
        json!({"id": request, "text": "已列入本月計劃"}),
    )
    .await;
    applied(
        &mut helper_phone,
        "case.reply",
        json!({"id": request, "text": "公司答覆：下週施工"}),
    )
    .await;
    refused(
        &mut v.phone(&v.building_leader),
        "case.reply",
        json!({"id": request, "text": "?"}),
        "not_found",
    )
    .await;
    let c = sees(&mut elder_phone, request).await.unwrap();
    let replies: Vec<&str> = c["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["step"] == "reply")
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        replies,
        ["物業公司：已列入本月計劃", "物業公司：公司答覆：下週施工"]
    );

    // A neighbour dispute in building 1: not for its holders or grid worker, only for the
    // president, the reporter and, once assigned, its mediator.
    let party = app.resident("13912340031", "樓上住戶").await;
    let dispute = Uuid::now_v7();
    applied(&mut v.phone(&party), "case.report", json!({"id": dispute, "category": "dispute", "unit_id": v.b1, "description": "樓上漏水，與樓下協商不成"})).await;
    for who in [
        &v.building_leader,
        &v.area_leader,
        &v.branch_president,
        &v.grid_worker,
        &v.mediator,
    ] {
        assert!(
            sees(&mut v.phone(who), dispute).await.is_none(),
            "{} sees the dispute",
            who.phone
        );
        let resp = app
            .get(&format!("/api/v1/cases/{dispute}"), Some(&who.access_token))
            .await;
        assert_problem(resp, 404, "not_found").await;
    }
    refused(
        &mut v.phone(&v.building_leader),
        "case.accept",
        json!({"id": dispute}),
        "not_found",
    )
    .await;
    let mut president = v.phone(&v.president);
    assert!(sees(&mut president, dispute).await.is_some());
    applied(
        &mut president,
        "case.assign",
        json!({"id": dispute, "kind": "resident", "to": v.mediator.id}),
    )
    .await;
    assert!(sees(&mut v.phone(&v.mediator), dispute).await.is_some());
    assert!(
        sees(&mut v.phone(&v.building_leader), dispute)
            .await
            .is_none()
    );
}
