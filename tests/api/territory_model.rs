//! The roll under any order of events: residents claim households, holders confirm or refuse,
//! residents move out and claim again, in a random order. Against a plain model of the
//! rules, every answer is the one the model gives, a resident never has two households open
//! on one day, and each building's census (`GET /api/v1/buildings/{id}/roll`) equals a
//! replay of the model.
//!
//! Cases: `LINLI_TERRITORY_MODEL_CASES` (default 12).

use chrono::{Duration, NaiveDate};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::spawn_app;
use crate::phone::Phone;
use crate::territory::one;

const RESIDENTS: usize = 3;
/// Households 0 and 1 are in building 0; household 2 in building 1.
const HOUSEHOLDS: usize = 3;

#[derive(Debug, Clone)]
enum Op {
    Claim { resident: usize, household: usize },
    Decide { resident: usize, confirm: bool },
    MoveOut { resident: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..RESIDENTS, 0..HOUSEHOLDS).prop_map(|(resident, household)| Op::Claim { resident, household }),
        3 => (0..RESIDENTS, prop::bool::weighted(0.75)).prop_map(|(resident, confirm)| Op::Decide { resident, confirm }),
        2 => (0..RESIDENTS).prop_map(|resident| Op::MoveOut { resident }),
    ]
}

/// The model's residency.
#[derive(Debug, Clone)]
struct Row {
    id: Uuid,
    household: usize,
    status: &'static str,
    moved_in: NaiveDate,
    moved_out: Option<NaiveDate>,
}

fn building_of(household: usize) -> usize {
    usize::from(household == 2)
}

async fn run(ops: Vec<Op>) {
    let app = spawn_app().await;
    let admin_r = app.admin("13800000000", "管理員").await;
    let mut admin = Phone::new(&app, &admin_r);
    let compound = Uuid::now_v7();
    let buildings = [Uuid::now_v7(), Uuid::now_v7()];
    let households: Vec<Uuid> = (0..HOUSEHOLDS).map(|_| Uuid::now_v7()).collect();
    admin.mutate(
        "unit.create",
        json!({"id": compound, "kind": "compound", "name": "一區"}),
    );
    for (i, b) in buildings.iter().enumerate() {
        admin.mutate("unit.create", json!({"id": b, "kind": "building", "parent_id": compound, "name": format!("{}號樓", i + 1)}));
    }
    for (i, h) in households.iter().enumerate() {
        admin.mutate("household.create", json!({"id": h, "building_id": buildings[building_of(i)], "entrance": "1", "floor": 1, "room": format!("10{i}")}));
    }
    admin.push().await;
    let (mut phones, mut ids) = (Vec::new(), Vec::new());
    for r in 0..RESIDENTS {
        let who = app.resident(&format!("1381234567{r}"), "居民").await;
        phones.push(Phone::new(&app, &who));
        ids.push(who.id);
    }

    // Each event happens on its own day, long ago and ten days apart, so that a move-out
    // (five days after) and the next move-in never fall on one day by accident.
    let base = NaiveDate::from_ymd_opt(2010, 1, 1).unwrap();
    let mut model: Vec<Vec<Row>> = vec![Vec::new(); RESIDENTS];
    for (step, op) in ops.iter().enumerate() {
        let day = base + Duration::days(10 * step as i64);
        match *op {
            Op::Claim {
                resident,
                household,
            } => {
                let open = model[resident]
                    .iter()
                    .any(|r| r.status != "refused" && r.moved_out.is_none_or(|out| out >= day));
                let id = Uuid::now_v7();
                let got = one(
                    &mut phones[resident],
                    "residency.claim",
                    json!({"id": id, "household_id": households[household], "relation": "family",
                           "born": "1960", "moved_in": day}),
                )
                .await;
                if open {
                    assert_eq!(got["code"], "already_in_household", "{op:?}: {got}");
                } else {
                    assert_eq!(got["status"], "applied", "{op:?}: {got}");
                    model[resident].push(Row {
                        id,
                        household,
                        status: "pending",
                        moved_in: day,
                        moved_out: None,
                    });
                }
            }
            Op::Decide { resident, confirm } => {
                let Some(row) = model[resident].last_mut() else {
                    continue;
                };
                let got = one(
                    &mut admin,
                    "residency.decide",
                    json!({"id": row.id, "verdict": if confirm { "confirm" } else { "refuse" }}),
                )
                .await;
                if row.moved_out.is_some() {
                    assert_eq!(got["code"], "moved_out", "{op:?}: {got}");
                } else if row.status != "pending" {
                    assert_eq!(got["code"], "not_pending", "{op:?}: {got}");
                } else {
                    assert_eq!(got["status"], "applied", "{op:?}: {got}");
                    row.status = if confirm { "verified" } else { "refused" };
                }
            }
            Op::MoveOut { resident } => {
                let Some(row) = model[resident].last_mut() else {
                    continue;
                };
                let out = row.moved_in + Duration::days(5);
                let got = one(
                    &mut phones[resident],
                    "residency.move_out",
                    json!({"id": row.id, "on": out}),
                )
                .await;
                if row.moved_out.is_some() {
                    assert_eq!(got["code"], "moved_out", "{op:?}: {got}");
                } else {
                    assert_eq!(got["status"], "applied", "{op:?}: {got}");
                    row.moved_out = Some(out);
                }
            }
        }
    }

    // At most one household at a time, in the stored rows themselves.
    for (r, phone) in phones.iter_mut().enumerate() {
        phone.pull().await;
        let mut spans: Vec<(NaiveDate, Option<NaiveDate>)> = phone
            .replica
            .iter()
            .filter(|((entity, _), v)| {
                entity == "residency"
                    && v["status"] != "refused"
                    && v["resident_id"] == json!(ids[r])
            })
            .map(|(_, v)| {
                (
                    v["moved_in"].as_str().unwrap().parse().unwrap(),
                    v["moved_out"].as_str().map(|d| d.parse().unwrap()),
                )
            })
            .collect();
        spans.sort();
        for pair in spans.windows(2) {
            assert!(
                pair[0].1.is_some_and(|out| out < pair[1].0),
                "resident {r} has two households at once: {spans:?}"
            );
        }
        assert_eq!(
            spans.len(),
            model[r]
                .iter()
                .filter(|row| row.status != "refused")
                .count()
        );
    }

    // Each building's census today is the replay's.
    for (b, building) in buildings.iter().enumerate() {
        let roll: Value = app
            .get(
                &format!("/api/v1/buildings/{building}/roll"),
                Some(&admin_r.access_token),
            )
            .await
            .json()
            .await
            .unwrap();
        let living = |status: &str| {
            model
                .iter()
                .flatten()
                .filter(|row| {
                    building_of(row.household) == b
                        && row.status == status
                        && row.moved_out.is_none()
                })
                .count() as u64
        };
        assert_eq!(
            roll["residents"].as_u64(),
            Some(living("verified")),
            "building {b}: {roll}"
        );
        assert_eq!(
            roll["pending"].as_u64(),
            Some(living("pending")),
            "building {b}: {roll}"
        );
    }
}

#[test]
fn the_roll_keeps_one_household_at_a_time_and_its_census_replays_in_every_order() {
    let cases = std::env::var("LINLI_TERRITORY_MODEL_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(12);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 32,
        ..Config::default()
    });
    runner
        .run(&prop::collection::vec(op(), 4..30), |ops| {
            rt.block_on(run(ops));
            Ok(())
        })
        .unwrap();
}
