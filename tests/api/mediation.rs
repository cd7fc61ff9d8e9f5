//! Mediation of a neighbour dispute over real HTTP: opened by the president with its parties
//! and mediator, sessions, an agreement each party confirms (one in the app, one on paper),
//! closed as agreed, followed up; every refusal's code; and confidentiality: the parties,
//! the mediator and the president read it through the sync feed and the REST reads, and
//! nobody else does, the community's admin, the building's holders and another mediator
//! included.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Resident, assert_problem};
use crate::phone::Phone;
use crate::territory::{Village, applied, refused};

async fn copies(phone: &mut Phone) -> Vec<Value> {
    phone.pull().await;
    phone.replica_of("mediation").into_iter().cloned().collect()
}

#[tokio::test]
async fn a_dispute_is_mediated_to_an_agreement_and_only_its_people_read_it() {
    let v = Village::new().await;
    let app = &v.app;
    let admin = v.admin().await;
    let upstairs = app.resident("13912350001", "樓上孫家").await;
    let downstairs = app.resident("13912350002", "樓下李家").await;
    let other_mediator = app.resident("13912350003", "調解員二").await;
    let neighbour = app.resident("13912350004", "鄰居").await;
    let mut admin_phone = v.phone(&admin);
    applied(&mut admin_phone, "position.assign", json!({"id": Uuid::now_v7(), "kind": "mediator", "unit_id": null, "resident_id": other_mediator.id, "starts_on": "2026-01-01"})).await;

    let case = Uuid::now_v7();
    let mut up = v.phone(&upstairs);
    applied(&mut up, "case.report", json!({"id": case, "category": "dispute", "unit_id": v.b1, "description": "樓上衛生間漏水到樓下，協商不成"})).await;
    let repair = Uuid::now_v7();
    applied(
        &mut up,
        "case.report",
        json!({"id": repair, "category": "repair", "unit_id": v.b1, "description": "樓道燈不亮"}),
    )
    .await;

    let parties =
        json!([{"resident_id": upstairs.id}, {"resident_id": downstairs.id}, {"name": "租客小劉"}]);
    let mut president = v.phone(&v.president);
    refused(
        &mut president,
        "mediation.open",
        json!({"case_id": repair, "parties": parties, "mediators": [v.mediator.id]}),
        "not_a_dispute",
    )
    .await;
    refused(
        &mut president,
        "mediation.open",
        json!({"case_id": case, "parties": parties, "mediators": [neighbour.id]}),
        "not_a_mediator",
    )
    .await;
    refused(
        &mut v.phone(&v.building_leader),
        "mediation.open",
        json!({"case_id": case, "parties": parties, "mediators": [v.mediator.id]}),
        "not_found",
    )
    .await;
    applied(
        &mut president,
        "mediation.open",
        json!({"case_id": case, "parties": parties, "mediators": [v.mediator.id]}),
    )
    .await;
    refused(
        &mut president,
        "mediation.open",
        json!({"case_id": case, "parties": parties, "mediators": [v.mediator.id]}),
        "case_state",
    )
    .await;

    // Its people each hold a copy; nobody else, the admin included.
    let readers: [&Resident; 4] = [&upstairs, &downstairs, &v.mediator, &v.president];
    for who in readers {
        let c = copies(&mut v.phone(who)).await;
        assert_eq!(c.len(), 1, "{} reads it", who.phone);
        assert_eq!(c[0]["mediation"]["parties"][2]["name"], "租客小劉");
        let resp = app
            .get(
                &format!("/api/v1/mediations/{case}"),
                Some(&who.access_token),
            )
            .await;
        assert_eq!(resp.status(), 200);
    }
    let outsiders: [&Resident; 7] = [
        &admin,
        &v.building_leader,
        &v.area_leader,
        &v.branch_president,
        &v.grid_worker,
        &other_mediator,
        &neighbour,
    ];
    for who in outsiders {
        assert!(
            copies(&mut v.phone(who)).await.is_empty(),
            "{} reads it",
            who.phone
        );
        let resp = app
            .get(
                &format!("/api/v1/mediations/{case}"),
                Some(&who.access_token),
            )
            .await;
        assert_problem(resp, 404, "not_found").await;
        let resp = app.get("/api/v1/mediations", Some(&who.access_token)).await;
        let list: Value = resp.json().await.unwrap();
        assert_eq!(list, json!([]), "{}", who.phone);
        refused(
            &mut v.phone(who),
            "mediation.session",
            json!({"case_id": case, "at": "2026-12-05T02:00:00Z", "place": "調解室"}),
            "not_found",
        )
        .await;
    }
    // Nor does the admin see the dispute's case, through the feed or the register; the
    // repair case reported with it they do.
    let mut admin_sees = v.phone(&admin);
    admin_sees.pull().await;
    assert!(admin_sees.get("case", case).is_none());
    assert!(admin_sees.get("case", repair).is_some());
    let resp = app
        .get(&format!("/api/v1/cases/{case}"), Some(&admin.access_token))
        .await;
    assert_problem(resp, 404, "not_found").await;
    let resp = app.get("/api/v1/cases", Some(&admin.access_token)).await;
    let list: Value = resp.json().await.unwrap();
    let ids: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["case"]["id"])
        .collect();
    assert_eq!(ids, [&json!(repair)], "{list}");
    // A dispute is neither merged nor merged into (its story would reach the other case).
    refused(
        &mut president,
        "case.merge",
        json!({"id": repair, "into": case}),
        "case_state",
    )
    .await;
    refused(
        &mut president,
        "case.merge",
        json!({"id": case, "into": repair}),
        "case_state",
    )
    .await;
    // The dispute's case went to the mediator, who sees it now; its holders still do not.
    let mut mediator = v.phone(&v.mediator);
    mediator.pull().await;
    assert_eq!(mediator.get("case", case).unwrap()["state"], "assigned");
    let mut leader = v.phone(&v.building_leader);
    leader.pull().await;
    assert!(leader.get("case", case).is_none());

    // Sessions and the agreement are the mediators'; confirming is each party's.
    let mut down = v.phone(&downstairs);
    refused(
        &mut down,
        "mediation.session",
        json!({"case_id": case, "at": "2026-12-05T02:00:00Z", "place": "調解室"}),
        "forbidden",
    )
    .await;
    refused(
        &mut down,
        "mediation.confirm",
        json!({"case_id": case}),
        "no_agreement",
    )
    .await;
    applied(&mut mediator, "mediation.session", json!({"case_id": case, "at": "2026-12-05T02:00:00Z", "place": "社區調解室", "notes": "雙方陳述"})).await;
    applied(&mut mediator, "mediation.agree", json!({"case_id": case, "text": "樓上負責維修防水層，12月20日前完工；樓下損失由樓上賠償800元。"})).await;
    applied(&mut down, "mediation.confirm", json!({"case_id": case})).await;
    refused(
        &mut down,
        "mediation.confirm",
        json!({"case_id": case, "party": 2}),
        "forbidden",
    )
    .await;
    let r = refused(
        &mut mediator,
        "mediation.close",
        json!({"case_id": case, "outcome": "agreed"}),
        "not_confirmed",
    )
    .await;
    assert!(r["message"].as_str().unwrap().contains("租客小劉"), "{r}");
    // The tenant signs on paper; the mediator records it. Upstairs confirms in the app.
    applied(
        &mut mediator,
        "mediation.confirm",
        json!({"case_id": case, "party": 2}),
    )
    .await;
    applied(&mut up, "mediation.confirm", json!({"case_id": case})).await;
    applied(
        &mut mediator,
        "mediation.close",
        json!({"case_id": case, "outcome": "agreed"}),
    )
    .await;
    refused(
        &mut mediator,
        "mediation.session",
        json!({"case_id": case, "at": "2026-12-06T02:00:00Z", "place": "x"}),
        "mediation_closed",
    )
    .await;
    applied(
        &mut mediator,
        "mediation.follow_up",
        json!({"case_id": case, "text": "回訪：防水已修好，賠償已付"}),
    )
    .await;

    let c = copies(&mut up).await;
    let m = &c[0]["mediation"];
    assert_eq!(m["outcome"], "agreed");
    let how: Vec<&str> = m["parties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["confirmed_by"].as_str().unwrap())
        .collect();
    assert_eq!(how, ["app", "app", "paper"]);
    assert_eq!(m["follow_ups"].as_array().unwrap().len(), 1);
    // The case is resolved with the outcome alone; the reporter confirms it as any case.
    up.pull().await;
    let row = up.get("case", case).unwrap();
    assert_eq!(row["state"], "resolved");
    let last = row["timeline"].as_array().unwrap().last().unwrap();
    assert_eq!(last["text"], "調解成功，雙方達成協議");
    applied(&mut up, "case.confirm", json!({"id": case, "rating": 5})).await;

    // The committee's figures count it, by outcome and category, and say nothing else of it.
    let year = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y")
        .to_string();
    let resp = app
        .get(
            &format!("/api/v1/casework/figures?year={year}"),
            Some(&v.president.access_token),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let f: Value = resp.json().await.unwrap();
    assert_eq!(f["disputes_mediated"], 1, "{f}");
    assert_eq!(
        f["mediations_by_outcome"],
        json!([{"name": "agreed", "count": 1}])
    );
    assert_eq!(f["resolved"], 1, "{f}");
    assert_eq!(
        f["resolved_by_category"],
        json!([{"name": "dispute", "count": 1}])
    );
    assert_eq!(
        (f["ratings"].clone(), f["mean_rating"].clone()),
        (json!(1), json!(5.0))
    );
    assert!(!f.to_string().contains("漏水"), "{f}");
    let resp = app
        .get(
            &format!("/api/v1/casework/figures.xlsx?year={year}"),
            Some(&admin.access_token),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let bytes = resp.bytes().await.unwrap();
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let names = book.sheet_names();
    assert_eq!(names[0], "概況 Summary");
    let mediations = book.worksheet_range("調解 Mediations").unwrap();
    assert_eq!(mediations.get_value((1, 0)).unwrap().to_string(), "agreed");
    for name in names {
        let range = book.worksheet_range(&name).unwrap();
        for cell in range.used_cells() {
            assert!(!cell.2.to_string().contains("漏水"), "{name}: {}", cell.2);
        }
    }
    for who in [&v.building_leader, &v.mediator, &upstairs] {
        let resp = app
            .get("/api/v1/casework/figures", Some(&who.access_token))
            .await;
        assert_problem(resp, 403, "forbidden").await;
    }
    let resp = app
        .get(
            "/api/v1/casework/figures?month=13",
            Some(&v.president.access_token),
        )
        .await;
    assert_problem(resp, 400, "malformed_request").await;
}
