//! The territory over HTTP: units, cells and households; residents claiming their household
//! and holders confirming it; residents without a smartphone; moving out; positions and
//! their terms; who sees whose residency, through the sync feed and the REST reads.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Resident, TestApp, spawn_app};
use crate::phone::{Phone, assert_all_applied};

/// Pushes one mutation and returns its result.
pub async fn one(phone: &mut Phone, name: &str, args: Value) -> Value {
    phone.mutate(name, args);
    let out = phone.push().await;
    out["results"][0].clone()
}

pub async fn applied(phone: &mut Phone, name: &str, args: Value) -> Value {
    let r = one(phone, name, args.clone()).await;
    assert_eq!(r["status"], "applied", "{name} {args}: {r}");
    r
}

pub async fn refused(phone: &mut Phone, name: &str, args: Value, code: &str) -> Value {
    let r = one(phone, name, args.clone()).await;
    assert_eq!(r["status"], "rejected", "{name} {args}: {r}");
    assert_eq!(r["code"], code, "{name} {args}: {r}");
    r
}

/// A small Sun Village: compound 一區 with area 東片 (building 1號樓, in grid cell 第一網格)
/// and building 2號樓 directly in the compound; a flat in each; a holder of each position.
pub struct Village {
    pub app: TestApp,
    pub compound: Uuid,
    pub area: Uuid,
    pub b1: Uuid,
    pub b2: Uuid,
    /// 第一網格, holding building 1.
    pub cell: Uuid,
    /// Flats of building 1 (two) and building 2 (one).
    pub h1: Uuid,
    pub h1b: Uuid,
    pub h2: Uuid,
    pub building_leader: Resident,
    pub other_building_leader: Resident,
    pub area_leader: Resident,
    pub branch_president: Resident,
    pub grid_worker: Resident,
    pub president: Resident,
    pub mediator: Resident,
}

impl Village {
    pub async fn new() -> Self {
        Self::on(spawn_app().await).await
    }

    /// The village on an app of the caller's making.
    pub async fn on(app: TestApp) -> Self {
        let admin_r = app.admin("13800000000", "管理員").await;
        let mut admin = Phone::new(&app, &admin_r);
        let ids: Vec<Uuid> = (0..8).map(|_| Uuid::now_v7()).collect();
        let (compound, area, b1, b2, cell, h1, h1b, h2) = (
            ids[0], ids[1], ids[2], ids[3], ids[4], ids[5], ids[6], ids[7],
        );
        for (name, args) in [
            (
                "unit.create",
                json!({"id": compound, "kind": "compound", "name": "一區"}),
            ),
            (
                "unit.create",
                json!({"id": area, "kind": "area", "parent_id": compound, "name": "東片"}),
            ),
            (
                "unit.create",
                json!({"id": b1, "kind": "building", "parent_id": area, "name": "1號樓"}),
            ),
            (
                "unit.create",
                json!({"id": b2, "kind": "building", "parent_id": compound, "name": "2號樓"}),
            ),
            ("cell.create", json!({"id": cell, "name": "第一網格"})),
            ("cell.assign", json!({"building_id": b1, "cell_id": cell})),
            (
                "household.create",
                json!({"id": h1, "building_id": b1, "entrance": "1", "floor": 3, "room": "302"}),
            ),
            (
                "household.create",
                json!({"id": h1b, "building_id": b1, "entrance": "1", "floor": 5, "room": "501"}),
            ),
            (
                "household.create",
                json!({"id": h2, "building_id": b2, "entrance": "", "floor": 1, "room": "101"}),
            ),
        ] {
            admin.mutate(name, args);
        }
        let out = admin.push().await;
        assert_all_applied(&out);
        let building_leader = app.resident("13700000001", "一號樓長").await;
        let other_building_leader = app.resident("13700000002", "二號樓長").await;
        let area_leader = app.resident("13700000003", "東片長").await;
        let branch_president = app.resident("13700000004", "一區分會長").await;
        let grid_worker = app.resident("13700000005", "網格員").await;
        let president = app.resident("13700000006", "孫會長").await;
        let mediator = app.resident("13700000007", "調解員").await;
        for (kind, unit, who) in [
            ("building_leader", Some(b1), &building_leader),
            ("building_leader", Some(b2), &other_building_leader),
            ("area_leader", Some(area), &area_leader),
            ("branch_president", Some(compound), &branch_president),
            ("grid_worker", Some(cell), &grid_worker),
            ("president", None, &president),
            ("mediator", None, &mediator),
        ] {
            admin.mutate(
                "position.assign",
                json!({"id": Uuid::now_v7(), "kind": kind, "unit_id": unit, "resident_id": who.id,
                       "starts_on": "2026-01-01", "decision": "2026年換屆選舉"}),
            );
        }
        let out = admin.push().await;
        assert_all_applied(&out);
        Self {
            app,
            compound,
            area,
            b1,
            b2,
            cell,
            h1,
            h1b,
            h2,
            building_leader,
            other_building_leader,
            area_leader,
            branch_president,
            grid_worker,
            president,
            mediator,
        }
    }

    /// The village's admin (the app's seeded `13800000000`), signed in afresh.
    pub async fn admin(&self) -> Resident {
        crate::helpers::session(
            self.app
                .login("13800000000", crate::helpers::PASSWORD)
                .await,
            "13800000000",
        )
        .await
    }

    pub fn phone(&self, who: &Resident) -> Phone {
        Phone::new(&self.app, who)
    }

    pub async fn roll(&self, building: Uuid, who: &Resident) -> reqwest::Response {
        self.app
            .get(
                &format!("/api/v1/buildings/{building}/roll"),
                Some(&who.access_token),
            )
            .await
    }

    pub async fn roll_json(&self, building: Uuid) -> Value {
        let resp = self
            .roll(building, &self.building_leader_of(building))
            .await;
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }

    fn building_leader_of(&self, building: Uuid) -> Resident {
        if building == self.b1 {
            self.building_leader.clone()
        } else {
            self.other_building_leader.clone()
        }
    }
}

fn claim(id: Uuid, household: Uuid) -> Value {
    json!({"id": id, "household_id": household, "relation": "owner", "born": "1958-06-01"})
}

#[tokio::test]
async fn a_resident_claims_a_household_and_its_building_leader_confirms_it() {
    let v = Village::new().await;
    let resident = v.app.resident("13812345678", "王阿姨").await;
    let mut phone = v.phone(&resident);
    let id = Uuid::now_v7();
    let r = applied(&mut phone, "residency.claim", claim(id, v.h1)).await;
    assert_eq!(r["data"]["data"]["status"], "pending");
    assert_eq!(r["data"]["data"]["name"], "王阿姨");

    // A pending claim is not counted.
    let roll = v.roll_json(v.b1).await;
    assert_eq!(
        (roll["residents"].as_u64(), roll["pending"].as_u64()),
        (Some(0), Some(1))
    );

    // Another building's leader, and a mediator, may not decide it.
    let decide = json!({"id": id, "verdict": "confirm"});
    refused(
        &mut v.phone(&v.other_building_leader),
        "residency.decide",
        decide.clone(),
        "forbidden",
    )
    .await;
    refused(
        &mut v.phone(&v.mediator),
        "residency.decide",
        decide.clone(),
        "forbidden",
    )
    .await;
    let r = applied(
        &mut v.phone(&v.building_leader),
        "residency.decide",
        decide.clone(),
    )
    .await;
    assert_eq!(r["data"]["data"]["status"], "verified");
    // Decided once only.
    refused(
        &mut v.phone(&v.area_leader),
        "residency.decide",
        decide,
        "not_pending",
    )
    .await;

    let roll = v.roll_json(v.b1).await;
    assert_eq!(
        (roll["residents"].as_u64(), roll["adults"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(roll["entries"][0]["name"], "王阿姨");
    assert_eq!(roll["entries"][0]["room"], "302");

    // The resident now lives there: /me says so, and their phone has their residency.
    let me: Value = v
        .app
        .get("/api/v1/me", Some(&resident.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        me["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["role"] == "householder" && r["scope_id"] == json!(v.h1)),
        "{me}"
    );
    phone.pull().await;
    assert_eq!(phone.get("residency", id).unwrap()["status"], "verified");
}

#[tokio::test]
async fn a_resident_belongs_to_at_most_one_household_at_a_time_and_moving_out_keeps_history() {
    let v = Village::new().await;
    let resident = v.app.resident("13812345678", "王阿姨").await;
    let mut phone = v.phone(&resident);
    let first = Uuid::now_v7();
    let mut since_2020 = claim(first, v.h1);
    since_2020["moved_in"] = json!("2020-05-01");
    applied(&mut phone, "residency.claim", since_2020).await;
    refused(
        &mut phone,
        "residency.claim",
        claim(Uuid::now_v7(), v.h2),
        "already_in_household",
    )
    .await;
    // The holder cannot make a second one either.
    applied(
        &mut v.phone(&v.building_leader),
        "residency.decide",
        json!({"id": first, "verdict": "confirm"}),
    )
    .await;
    refused(
        &mut phone,
        "residency.claim",
        claim(Uuid::now_v7(), v.h1b),
        "already_in_household",
    )
    .await;

    // Moving out ends it on a day (the last day there); a move-in on that same day would
    // overlap it, the day after does not.
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let r = applied(
        &mut phone,
        "residency.move_out",
        json!({"id": first, "on": today - chrono::Duration::days(1)}),
    )
    .await;
    assert!(r["data"]["data"]["moved_out"].is_string());
    refused(
        &mut phone,
        "residency.move_out",
        json!({"id": first}),
        "moved_out",
    )
    .await;
    let mut same_day = claim(Uuid::now_v7(), v.h2);
    same_day["moved_in"] = json!(today - chrono::Duration::days(1));
    refused(
        &mut phone,
        "residency.claim",
        same_day,
        "already_in_household",
    )
    .await;
    applied(&mut phone, "residency.claim", claim(Uuid::now_v7(), v.h2)).await;

    // The history stays: the export lists the residency, ended.
    let export: Value = v
        .app
        .get("/api/v1/me/export", Some(&resident.access_token))
        .await
        .json()
        .await
        .unwrap();
    let held = export["territory"]["residencies"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(held.len(), 2, "{export}");
    assert!(
        held.iter()
            .any(|r| r["household_id"] == json!(v.h1) && r["moved_out"].is_string())
    );
}

#[tokio::test]
async fn residents_without_a_smartphone_are_recorded_by_the_holders_keeping_the_roll() {
    let v = Village::new().await;
    let record = |household: Uuid, name: &str| json!({"id": Uuid::now_v7(), "household_id": household, "relation": "owner", "name": name, "born": "1941"});
    let r = applied(
        &mut v.phone(&v.building_leader),
        "residency.record",
        record(v.h1, "孫奶奶"),
    )
    .await;
    assert_eq!(r["data"]["data"]["status"], "verified");
    assert!(r["data"]["data"]["resident_id"].is_null());
    // The grid worker keeps the roll of the cell's buildings (1號樓), not of 2號樓.
    applied(
        &mut v.phone(&v.grid_worker),
        "residency.record",
        record(v.h1b, "李爺爺"),
    )
    .await;
    refused(
        &mut v.phone(&v.grid_worker),
        "residency.record",
        record(v.h2, "趙叔"),
        "forbidden",
    )
    .await;
    // The branch president keeps the whole compound's; a plain resident or a mediator none.
    applied(
        &mut v.phone(&v.branch_president),
        "residency.record",
        record(v.h2, "趙叔"),
    )
    .await;
    let plain = v.app.resident("13812345678", "王阿姨").await;
    refused(
        &mut v.phone(&plain),
        "residency.record",
        record(v.h1, "某人"),
        "forbidden",
    )
    .await;
    refused(
        &mut v.phone(&v.mediator),
        "residency.record",
        record(v.h1, "某人"),
        "forbidden",
    )
    .await;

    let roll = v.roll_json(v.b1).await;
    assert_eq!(roll["residents"], 2);
    // Born 1941: of age.
    assert_eq!(roll["adults"], 2);
    let names: Vec<&str> = roll["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["孫奶奶", "李爺爺"]);
}

#[tokio::test]
async fn bad_territory_is_refused_with_a_stable_code_and_nothing_written() {
    let v = Village::new().await;
    let mut admin = Phone::new(&v.app, &v.app.admin("13800000009", "副管理員").await);
    // Made before a second community exists (the helper registers in the first listed).
    let mut fresh = Phone::new(&v.app, &v.app.admin("13800000010", "查核").await);
    let id = Uuid::now_v7;
    // Orphans and wrong levels (a cycle cannot be built: the kinds only go down).
    refused(
        &mut admin,
        "unit.create",
        json!({"id": id(), "kind": "building", "name": "孤樓"}),
        "validation_failed",
    )
    .await;
    refused(
        &mut admin,
        "unit.create",
        json!({"id": id(), "kind": "area", "parent_id": v.b1, "name": "樓中片"}),
        "validation_failed",
    )
    .await;
    refused(
        &mut admin,
        "unit.create",
        json!({"id": id(), "kind": "building", "parent_id": Uuid::now_v7(), "name": "9號樓"}),
        "not_found",
    )
    .await;
    refused(
        &mut admin,
        "unit.create",
        json!({"id": id(), "kind": "building", "parent_id": v.area, "name": "1號樓"}),
        "name_taken",
    )
    .await;
    // A unit with anything under it stays.
    refused(
        &mut admin,
        "unit.delete",
        json!({"id": v.compound}),
        "unit_not_empty",
    )
    .await;
    refused(
        &mut admin,
        "unit.delete",
        json!({"id": v.b2}),
        "unit_not_empty",
    )
    .await;
    // A building in two cells.
    let other_cell = id();
    applied(
        &mut admin,
        "cell.create",
        json!({"id": other_cell, "name": "第二網格"}),
    )
    .await;
    refused(
        &mut admin,
        "cell.assign",
        json!({"building_id": v.b1, "cell_id": other_cell}),
        "building_in_another_cell",
    )
    .await;
    // Two households on one flat.
    refused(
        &mut admin,
        "household.create",
        json!({"id": id(), "building_id": v.b1, "entrance": "1", "floor": 3, "room": "302"}),
        "name_taken",
    )
    .await;
    // Single-holder positions: overlapping terms; a position over the wrong kind of unit.
    let someone = v.app.resident("13812345678", "王阿姨").await;
    let assign = |kind: &str, unit: Option<Uuid>, starts: &str| json!({"id": Uuid::now_v7(), "kind": kind, "unit_id": unit, "resident_id": someone.id, "starts_on": starts});
    refused(
        &mut admin,
        "position.assign",
        assign("building_leader", Some(v.b1), "2026-06-01"),
        "term_overlaps",
    )
    .await;
    refused(
        &mut admin,
        "position.assign",
        assign("president", None, "2026-12-01"),
        "term_overlaps",
    )
    .await;
    refused(
        &mut admin,
        "position.assign",
        assign("building_leader", Some(v.area), "2026-06-01"),
        "wrong_unit",
    )
    .await;
    refused(
        &mut admin,
        "position.assign",
        assign("grid_worker", Some(v.b1), "2026-06-01"),
        "wrong_unit",
    )
    .await;
    refused(
        &mut admin,
        "position.assign",
        assign("president", Some(v.compound), "2026-06-01"),
        "wrong_unit",
    )
    .await;
    // Several representatives over one building are fine.
    applied(
        &mut admin,
        "position.assign",
        assign("representative", Some(v.b1), "2026-06-01"),
    )
    .await;
    // A holder acting outside their unit, and a resident appointing.
    refused(
        &mut v.phone(&v.other_building_leader),
        "household.create",
        json!({"id": id(), "building_id": v.b1, "entrance": "2", "floor": 1, "room": "101"}),
        "forbidden",
    )
    .await;
    refused(
        &mut v.phone(&v.building_leader),
        "position.assign",
        assign("help_team", None, "2026-06-01"),
        "forbidden",
    )
    .await;

    // A claim on another community's household is as if it did not exist.
    let foreign = crate::authz_matrix::foreign_community(&v.app).await;
    let stranger_admin = crate::authz_matrix::register_admin(&v.app, foreign, "13900000001").await;
    let mut stranger = Phone::new(&v.app, &stranger_admin);
    let (c, b, h) = (id(), id(), id());
    applied(
        &mut stranger,
        "unit.create",
        json!({"id": c, "kind": "compound", "name": "新村"}),
    )
    .await;
    applied(
        &mut stranger,
        "unit.create",
        json!({"id": b, "kind": "building", "parent_id": c, "name": "1號樓"}),
    )
    .await;
    applied(
        &mut stranger,
        "household.create",
        json!({"id": h, "building_id": b, "entrance": "", "floor": 1, "room": "101"}),
    )
    .await;
    refused(
        &mut v.phone(&someone),
        "residency.claim",
        claim(id(), h),
        "not_found",
    )
    .await;
    refused(
        &mut admin,
        "residency.record",
        json!({"id": id(), "household_id": h, "relation": "owner", "name": "某人", "born": "1950"}),
        "not_found",
    )
    .await;

    // Nothing of it was written: the territory is as the village made it.
    fresh.pull().await;
    assert_eq!(fresh.count("unit"), 4);
    assert_eq!(fresh.count("household"), 3);
    assert_eq!(fresh.count("cell"), 2);
    assert_eq!(fresh.count("position"), 8);
}

#[tokio::test]
async fn who_sees_a_residency_follows_the_territory_in_the_feed_and_the_roll() {
    let v = Village::new().await;
    let resident = v.app.resident("13812345678", "王阿姨").await;
    let mate = v.app.resident("13812345679", "王叔叔").await;
    let claimer = v.app.resident("13812345670", "陌生人").await;
    let neighbour = v.app.resident("13812345671", "二號樓住戶").await;
    let id = Uuid::now_v7();
    applied(&mut v.phone(&resident), "residency.claim", claim(id, v.h1)).await;
    applied(
        &mut v.phone(&v.building_leader),
        "residency.decide",
        json!({"id": id, "verdict": "confirm"}),
    )
    .await;
    let mate_claim = Uuid::now_v7();
    applied(
        &mut v.phone(&mate),
        "residency.claim",
        claim(mate_claim, v.h1),
    )
    .await;
    applied(
        &mut v.phone(&v.building_leader),
        "residency.decide",
        json!({"id": mate_claim, "verdict": "confirm"}),
    )
    .await;
    // A claim on the same flat that nobody confirmed yet: it must not reveal who lives there.
    applied(
        &mut v.phone(&claimer),
        "residency.claim",
        claim(Uuid::now_v7(), v.h1),
    )
    .await;
    let theirs = Uuid::now_v7();
    applied(
        &mut v.phone(&neighbour),
        "residency.claim",
        claim(theirs, v.h2),
    )
    .await;

    let admin_r = v.app.admin("13800000009", "副管理員").await;
    let sees: [(&Resident, &str, bool); 11] = [
        (&resident, "the resident", true),
        (&mate, "a confirmed household mate", true),
        (&v.building_leader, "the building leader", true),
        (&v.area_leader, "the area leader", true),
        (&v.branch_president, "the branch president", true),
        (&v.grid_worker, "the cell's grid worker", true),
        (&v.president, "the president", true),
        (&admin_r, "an admin", true),
        (&v.other_building_leader, "another building's leader", false),
        (&claimer, "an unconfirmed claimer of the same flat", false),
        (&neighbour, "a resident of another building", false),
    ];
    for (who, what, expected) in sees {
        let mut phone = v.phone(who);
        phone.pull().await;
        assert_eq!(
            phone.get("residency", id).is_some(),
            expected,
            "the feed of {what}"
        );
        let roll = v.roll(v.b1, who).await.status().as_u16();
        // The roll is for the holders keeping it (not for residents, even of the building).
        let keeps = expected && ![&resident.id, &mate.id].contains(&&who.id);
        assert_eq!(roll, if keeps { 200 } else { 403 }, "the roll for {what}");
    }
    // 2號樓's leader sees 2號樓's claim; the building leader of 1號樓 does not.
    let mut other = v.phone(&v.other_building_leader);
    other.pull().await;
    assert!(other.get("residency", theirs).is_some());
    let mut b1 = v.phone(&v.building_leader);
    b1.pull().await;
    assert!(b1.get("residency", theirs).is_none());
}

#[tokio::test]
async fn a_new_holders_phone_receives_the_units_roll_and_loses_it_when_the_term_ends() {
    let v = Village::new().await;
    let neighbour = v.app.resident("13812345671", "二號樓住戶").await;
    let theirs = Uuid::now_v7();
    applied(
        &mut v.phone(&neighbour),
        "residency.claim",
        claim(theirs, v.h2),
    )
    .await;

    // A representative of 2號樓 keeps no roll; a new grid worker over a new cell with 2號樓
    // does, from their next pull with the cursor they have.
    let worker = v.app.resident("13812345672", "新網格員").await;
    let mut phone = v.phone(&worker);
    phone.pull().await;
    assert!(phone.get("residency", theirs).is_none());
    let cell = Uuid::now_v7();
    let holding = Uuid::now_v7();
    let mut admin = Phone::new(&v.app, &v.app.admin("13800000009", "副管理員").await);
    applied(
        &mut admin,
        "cell.create",
        json!({"id": cell, "name": "第二網格"}),
    )
    .await;
    applied(
        &mut admin,
        "cell.assign",
        json!({"building_id": v.b2, "cell_id": cell}),
    )
    .await;
    applied(
        &mut admin,
        "position.assign",
        json!({"id": holding, "kind": "grid_worker", "unit_id": cell,
        "resident_id": worker.id, "starts_on": "2026-01-01"}),
    )
    .await;
    phone.pull().await;
    assert!(
        phone.get("residency", theirs).is_some(),
        "backfilled when the term began"
    );

    // The term ends (yesterday): the next pull takes the roll away.
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(2)).date_naive();
    applied(
        &mut admin,
        "position.end",
        json!({"id": holding, "ends_on": yesterday}),
    )
    .await;
    phone.pull().await;
    assert!(
        phone.get("residency", theirs).is_none(),
        "deleted when the term ended"
    );
}

#[tokio::test]
async fn residents_see_their_leaders_and_a_number_only_where_the_holder_chose_to_show_it() {
    let v = Village::new().await;
    let resident = v.app.resident("13812345678", "王阿姨").await;
    let id = Uuid::now_v7();
    applied(&mut v.phone(&resident), "residency.claim", claim(id, v.h1)).await;
    let leaders = |who: Resident| {
        let app = &v.app;
        async move {
            let resp = app.get("/api/v1/me/leaders", Some(&who.access_token)).await;
            assert_eq!(resp.status(), 200);
            resp.json::<Value>().await.unwrap()
        }
    };
    // Unconfirmed: only the community's president.
    let kinds = |l: &Value| -> Vec<String> {
        let mut k: Vec<String> = l
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["kind"].as_str().unwrap().to_owned())
            .collect();
        k.sort();
        k
    };
    assert_eq!(kinds(&leaders(resident.clone()).await), ["president"]);
    applied(
        &mut v.phone(&v.building_leader),
        "residency.decide",
        json!({"id": id, "verdict": "confirm"}),
    )
    .await;
    let mine = leaders(resident.clone()).await;
    assert_eq!(
        kinds(&mine),
        [
            "area_leader",
            "branch_president",
            "building_leader",
            "grid_worker",
            "president"
        ]
    );
    assert!(
        mine.as_array()
            .unwrap()
            .iter()
            .all(|h| h.get("phone").is_none()),
        "{mine}"
    );

    // The building leader chooses to show their number: only they may choose.
    let holding = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["kind"] == "building_leader")
        .unwrap()["position_id"]
        .clone();
    refused(
        &mut v.phone(&v.area_leader),
        "position.show_phone",
        json!({"id": holding, "show_phone": true}),
        "forbidden",
    )
    .await;
    applied(
        &mut v.phone(&v.building_leader),
        "position.show_phone",
        json!({"id": holding, "show_phone": true}),
    )
    .await;
    let mine = leaders(resident.clone()).await;
    let shown: Vec<&Value> = mine
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h.get("phone").is_some())
        .collect();
    assert_eq!(shown.len(), 1);
    assert!(shown[0]["phone"].as_str().unwrap().ends_with("13700000001"));
    // A resident of another building does not see 1號樓's leader at all.
    let neighbour = v.app.resident("13812345671", "二號樓住戶").await;
    let theirs = Uuid::now_v7();
    applied(
        &mut v.phone(&neighbour),
        "residency.claim",
        claim(theirs, v.h2),
    )
    .await;
    applied(
        &mut v.phone(&v.other_building_leader),
        "residency.decide",
        json!({"id": theirs, "verdict": "confirm"}),
    )
    .await;
    let theirs = leaders(neighbour).await;
    assert!(
        theirs
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["resident_id"] != json!(v.building_leader.id))
    );
    // The public list has every holder, without numbers.
    let all: Value = v
        .app
        .get("/api/v1/positions", Some(&resident.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all.as_array().unwrap().len(), 7);
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .all(|h| h.get("phone").is_none())
    );
}

/// The committee's roster, as an Excel workbook: imported through the CLI, checked first
/// (a wrong row is named by its number and nothing is written), idempotent when run again,
/// and the census written back as a workbook the mine can print.
#[tokio::test]
async fn the_roster_imports_from_excel_once_and_the_census_goes_back_to_excel() {
    use calamine::Reader;
    use tokio::process::Command;
    const BIN: &str = env!("CARGO_BIN_EXE_linli");
    let app = spawn_app().await;
    let admin = app.admin("13800000000", "管理員").await;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: Vec<String>| {
        let url = app.database_url.clone();
        async move {
            Command::new(BIN)
                .args(&args)
                .env("DATABASE_URL", url)
                .output()
                .await
                .unwrap()
        }
    };

    // The sample roster (tests/data/roster.csv), written as the .xlsx a committee keeps.
    let csv = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/roster.csv"
    ))
    .unwrap();
    let table: Vec<Vec<String>> = csv
        .lines()
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    let xlsx = dir.path().join("roster.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in table.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            // Floors as numbers, as Excel stores them.
            match cell.parse::<f64>() {
                Ok(n) if c == 5 && r > 0 => sheet.write_number(r as u32, c as u16, n).unwrap(),
                _ => sheet.write_string(r as u32, c as u16, cell).unwrap(),
            };
        }
    }
    book.save(&xlsx).unwrap();

    // A roster with two wrong rows: both named, nothing written, even without --dry-run.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!(
            "{csv}東苑,東一片,9號樓,,1,三樓,101,某人,1950,戶主\n東苑,,3號樓,,1,1,102,某人,,戶主\n"
        ),
    )
    .unwrap();
    let out = run(vec![
        "import".into(),
        "territory".into(),
        bad.display().to_string(),
    ])
    .await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("row 14: floor") && err.contains("row 15: born"),
        "{err}"
    );
    assert!(err.contains("nothing was written"), "{err}");

    // A dry run says what would be added and writes nothing.
    let out = run(vec![
        "import".into(),
        "territory".into(),
        xlsx.display().to_string(),
        "--dry-run".into(),
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("new: 8 units, 3 grid cells, 9 households, 10 residents"),
        "{said}"
    );
    let mut phone = Phone::new(&app, &admin);
    phone.pull().await;
    assert_eq!(phone.count("unit"), 0);

    // The import, then the same again: the second adds nothing.
    let out = run(vec![
        "import".into(),
        "territory".into(),
        xlsx.display().to_string(),
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(vec![
        "import".into(),
        "territory".into(),
        xlsx.display().to_string(),
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("new: 0 units, 0 grid cells, 0 households, 0 residents")
    );
    phone.pull().await;
    assert_eq!(
        (
            phone.count("unit"),
            phone.count("cell"),
            phone.count("household"),
            phone.count("residency")
        ),
        (8, 3, 9, 10)
    );
    // Residents without accounts, verified, in the right flat.
    let grandma = phone
        .replica
        .iter()
        .find(|((e, _), v)| e == "residency" && v["name"] == "孫德勝")
        .map(|(_, v)| v.clone())
        .unwrap();
    assert_eq!(grandma["status"], "verified");
    assert!(grandma["resident_id"].is_null());
    assert_eq!(grandma["born"], "1944-08-15");

    // The census, as a workbook: a summary, then a sheet per building.
    let census = dir.path().join("census.xlsx");
    let out = run(vec![
        "census".into(),
        "--out".into(),
        census.display().to_string(),
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut book = calamine::open_workbook_auto(&census).unwrap();
    let names = book.sheet_names();
    assert_eq!(names.len(), 1 + 5, "{names:?}");
    let summary = book.worksheet_range(&names[0]).unwrap();
    let total = summary.rows().next_back().unwrap().to_vec();
    assert_eq!(total[0].to_string(), "合計");
    assert_eq!(total[2].to_string(), "10", "{total:?}");
    // 張小紅, born 2010, is not an adult.
    assert_eq!(total[3].to_string(), "9", "{total:?}");
}

/// A resident the building leader recorded without a smartphone registers later: their
/// claim names the recorded row, and its confirmation gives that row (with its history)
/// their account, rather than making a second row for one person.
#[tokio::test]
async fn a_resident_recorded_without_an_account_later_claims_their_own_row() {
    let v = Village::new().await;
    let recorded = Uuid::now_v7();
    applied(
        &mut v.phone(&v.building_leader),
        "residency.record",
        json!({"id": recorded, "household_id": v.h1, "relation": "owner", "name": "孫奶奶", "born": "1941"}),
    )
    .await;
    let grandma = v.app.resident("13812345678", "孫奶奶").await;
    let mut phone = v.phone(&grandma);
    // Only a recorded row of that household, without an account, can be taken over.
    let mut elsewhere = claim(Uuid::now_v7(), v.h2);
    elsewhere["takes_over"] = json!(recorded);
    refused(
        &mut phone,
        "residency.claim",
        elsewhere,
        "validation_failed",
    )
    .await;
    let mut mine = claim(Uuid::now_v7(), v.h1);
    mine["takes_over"] = json!(recorded);
    let claim_id: Uuid = applied(&mut phone, "residency.claim", mine).await["data"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();

    let r = applied(
        &mut v.phone(&v.building_leader),
        "residency.decide",
        json!({"id": claim_id, "verdict": "confirm"}),
    )
    .await;
    assert_eq!(r["data"]["id"], json!(recorded), "{r}");
    assert_eq!(r["data"]["data"]["resident_id"], json!(grandma.id));
    // One person, one row: the census counts her once.
    let roll = v.roll_json(v.b1).await;
    assert_eq!(roll["residents"], 1, "{roll}");
    assert_eq!(roll["entries"][0]["resident_id"], json!(grandma.id));
    // Her phone has the recorded row as hers, and the claim is gone.
    phone.pull().await;
    assert_eq!(
        phone.get("residency", recorded).unwrap()["resident_id"],
        json!(grandma.id)
    );
    assert!(phone.get("residency", claim_id).is_none());
    let me: Value = v
        .app
        .get("/api/v1/me", Some(&grandma.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        me["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["role"] == "householder"),
        "{me}"
    );
}

/// Moving out changes what a phone sees: the household's other residents' rows leave the
/// phone of the one who moved out at its next pull (their own row stays, as history).
#[tokio::test]
async fn moving_out_takes_the_households_rows_off_the_phone() {
    let v = Village::new().await;
    let leaving = v.app.resident("13812345678", "王阿姨").await;
    let staying = v.app.resident("13812345679", "王叔叔").await;
    let (mine, theirs) = (Uuid::now_v7(), Uuid::now_v7());
    for (who, id) in [(&leaving, mine), (&staying, theirs)] {
        let mut c = claim(id, v.h1);
        c["moved_in"] = json!("2020-05-01");
        applied(&mut v.phone(who), "residency.claim", c).await;
        applied(
            &mut v.phone(&v.building_leader),
            "residency.decide",
            json!({"id": id, "verdict": "confirm"}),
        )
        .await;
    }
    let mut phone = v.phone(&leaving);
    phone.pull().await;
    assert!(
        phone.get("residency", theirs).is_some(),
        "a confirmed household sees its residents"
    );

    let yesterday = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
        - chrono::Duration::days(1);
    applied(
        &mut phone,
        "residency.move_out",
        json!({"id": mine, "on": yesterday}),
    )
    .await;
    phone.pull().await;
    assert!(
        phone.get("residency", theirs).is_none(),
        "still sees the household after leaving"
    );
    assert!(phone.get("residency", mine).unwrap()["moved_out"].is_string());
    // The one who stays still sees the whole household's history.
    let mut other = v.phone(&staying);
    other.pull().await;
    assert!(other.get("residency", mine).is_some());
}
