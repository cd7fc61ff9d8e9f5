//! The sign-up model test: phones of several volunteers (one with two devices) request and
//! cancel seats in two occurrences, offline and in batches, with lost responses re-sent,
//! while the committee raises the capacity or cancels an occurrence. The server's every
//! decision must equal what the rules (`domain::signup`) decide when replayed in the order the
//! server received the mutations: so capacity is never exceeded, the waitlist stays first in,
//! first out, and every request ends confirmed, waitlisted, cancelled by its owner, rejected
//! with a code, or `occurrence_cancelled`. Every phone converges on a fresh pull.
//!
//! Cases: `LINLI_SIGNUP_MODEL_CASES` (default 40).

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, Utc};
use linli::features::schedule::rules::recurrence::occurrence_id;
use linli::features::schedule::rules::signup::{self as rules, Decision, Occupancy, Status};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::spawn_app;
use crate::phone::Phone;

const VOLUNTEER_PHONES: usize = 4;
const WAITLIST_LIMIT: u32 = 2;

#[derive(Debug, Clone)]
enum Op {
    Request {
        phone: usize,
        occ: usize,
        party: u32,
    },
    Cancel {
        phone: usize,
        occ: usize,
    },
    RaiseCapacity,
    CancelOccurrence {
        occ: usize,
    },
    Push {
        phone: usize,
        lose_response: bool,
    },
    AdminPush,
    Pull {
        phone: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..VOLUNTEER_PHONES, 0..2usize, 1u32..=2).prop_map(|(phone, occ, party)| Op::Request { phone, occ, party }),
        3 => (0..VOLUNTEER_PHONES, 0..2usize).prop_map(|(phone, occ)| Op::Cancel { phone, occ }),
        1 => Just(Op::RaiseCapacity),
        1 => prop::bool::weighted(0.3).prop_map(|_| Op::CancelOccurrence { occ: 1 }),
        5 => (0..VOLUNTEER_PHONES, prop::bool::weighted(0.25)).prop_map(|(phone, lose_response)| Op::Push { phone, lose_response }),
        2 => Just(Op::AdminPush),
        2 => (0..VOLUNTEER_PHONES).prop_map(|phone| Op::Pull { phone }),
    ]
}

/// The rules' view of one occurrence.
#[derive(Debug, Default, Clone)]
struct Seats {
    cancelled: bool,
    /// resident → (status, party), and the order requests arrived in.
    signups: BTreeMap<Uuid, (Status, u32)>,
    order: Vec<Uuid>,
}

impl Seats {
    fn occupancy(&self, capacity: u32) -> Occupancy {
        let active = |s: Status| self.signups.values().filter(move |(st, _)| *st == s);
        Occupancy {
            capacity: Some(capacity),
            confirmed_seats: active(Status::Confirmed).map(|(_, p)| p).sum(),
            waitlisted: u32::try_from(active(Status::Waitlisted).count()).unwrap(),
            waitlist_limit: WAITLIST_LIMIT,
        }
    }

    fn promote(&mut self, capacity: u32) {
        let waiting: Vec<Uuid> = self
            .order
            .iter()
            .copied()
            .filter(|r| self.signups[r].0 == Status::Waitlisted)
            .collect();
        let parties: Vec<u32> = waiting.iter().map(|r| self.signups[r].1).collect();
        let seats = self.occupancy(capacity).confirmed_seats;
        for r in waiting
            .iter()
            .take(rules::promotions(Some(capacity), seats, &parties))
        {
            self.signups.get_mut(r).unwrap().0 = Status::Confirmed;
        }
    }
}

async fn run(ops: Vec<Op>, capacity: u32) {
    let app = spawn_app().await;
    let admin_r = app.admin("13800000000", "會長").await;
    let mut admin = Phone::new(&app, &admin_r);
    let (group, series) = (Uuid::now_v7(), Uuid::now_v7());
    let day = (Utc::now() + Duration::days(3))
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let local = day.and_hms_opt(9, 30, 0).unwrap();
    let first = local
        .and_local_timezone(chrono_tz::Asia::Shanghai)
        .unwrap()
        .with_timezone(&Utc);
    admin.mutate(
        "group.create",
        json!({"id": group, "name": "互助組", "kind": "elder_mutual_aid"}),
    );
    admin.mutate(
        "series.create",
        json!({"id": series, "group_id": group, "title": "探訪", "rrule": "FREQ=WEEKLY",
        "start_local": local.format("%Y-%m-%dT%H:%M").to_string(), "duration_minutes": 60,
        "capacity": capacity, "waitlist_limit": WAITLIST_LIMIT}),
    );
    admin.push().await;
    let occs: Vec<(Uuid, chrono::DateTime<Utc>)> = (0..2)
        .map(|w| {
            (
                occurrence_id(series, first + Duration::weeks(w)),
                first + Duration::weeks(w),
            )
        })
        .collect();

    let mut residents = Vec::new();
    for n in 0..3 {
        residents.push(
            app.resident(&format!("1390000000{n}"), &format!("志願者{n}"))
                .await,
        );
    }
    // Phone 3 is volunteer 0's second device.
    let mut phones: Vec<Phone> = residents.iter().map(|r| Phone::new(&app, r)).collect();
    phones.push(phones[0].second_device());
    let owner = |phone: usize| residents[if phone == 3 { 0 } else { phone }].id;

    // What the server received, in order: (client, mutation id, what, occurrence, resident, party).
    let mut received: Vec<(Uuid, u64, &'static str, usize, Uuid, u32)> = Vec::new();
    let mut server_last: HashMap<Uuid, u64> = HashMap::new();
    let mut sent: HashMap<(Uuid, u64), (&'static str, usize, Uuid, u32)> = HashMap::new();
    let mut results: HashMap<(Uuid, u64), Value> = HashMap::new();
    let mut capacity_now = capacity;

    let record_push =
        |phone: &Phone,
         received: &mut Vec<_>,
         server_last: &mut HashMap<Uuid, u64>,
         sent: &HashMap<(Uuid, u64), (&'static str, usize, Uuid, u32)>| {
            let last = server_last.entry(phone.client_id).or_insert(0);
            for m in &phone.queue {
                let id = m["id"].as_u64().unwrap();
                if id > *last {
                    let (what, occ, who, party) = sent[&(phone.client_id, id)];
                    received.push((phone.client_id, id, what, occ, who, party));
                    *last = id;
                }
            }
        };

    for op in ops {
        match op {
            Op::Request { phone, occ, party } => {
                let (oid, t) = occs[occ];
                let id = phones[phone].mutate("signup.request", json!({"occurrence_id": oid, "series_id": series, "original_start": t, "party_size": party}));
                sent.insert(
                    (phones[phone].client_id, id),
                    ("request", occ, owner(phone), party),
                );
            }
            Op::Cancel { phone, occ } => {
                let id =
                    phones[phone].mutate("signup.cancel", json!({"occurrence_id": occs[occ].0}));
                sent.insert(
                    (phones[phone].client_id, id),
                    ("cancel", occ, owner(phone), 0),
                );
            }
            Op::RaiseCapacity => {
                capacity_now += 1;
                let id = admin.mutate(
                    "series.update",
                    json!({"id": series, "capacity": capacity_now}),
                );
                sent.insert(
                    (admin.client_id, id),
                    ("capacity", 0, admin_r.id, capacity_now),
                );
            }
            Op::CancelOccurrence { occ } => {
                let id = admin.mutate(
                    "occurrence.override",
                    json!({"series_id": series, "original_start": occs[occ].1, "cancelled": true}),
                );
                sent.insert(
                    (admin.client_id, id),
                    ("cancel_occurrence", occ, admin_r.id, 0),
                );
            }
            Op::Push {
                phone,
                lose_response,
            } => {
                record_push(&phones[phone], &mut received, &mut server_last, &sent);
                if lose_response {
                    let p = &phones[phone];
                    let body = json!({"client_id": p.client_id, "schema_version": 1, "mutations": p.queue});
                    assert_eq!(p.push_raw(&body).await.status(), 200);
                } else {
                    let client = phones[phone].client_id;
                    for r in phones[phone].push().await["results"].as_array().unwrap() {
                        results.insert((client, r["id"].as_u64().unwrap()), r.clone());
                    }
                }
            }
            Op::AdminPush => {
                record_push(&admin, &mut received, &mut server_last, &sent);
                admin.push().await;
            }
            Op::Pull { phone } => {
                phones[phone].pull_page(Some(3)).await;
            }
        }
    }
    record_push(&admin, &mut received, &mut server_last, &sent);
    admin.push().await;
    for p in phones.iter_mut() {
        record_push(p, &mut received, &mut server_last, &sent);
        let client = p.client_id;
        for r in p.push().await["results"].as_array().unwrap() {
            results.insert((client, r["id"].as_u64().unwrap()), r.clone());
        }
    }

    // Replay what the server received through the rules.
    let mut seats = [Seats::default(), Seats::default()];
    let mut capacity_model = capacity;
    for (client, id, what, occ, who, party) in &received {
        let s = &mut seats[*occ];
        let expected: String = match *what {
            "capacity" => {
                capacity_model = *party;
                for s in seats.iter_mut() {
                    if !s.cancelled {
                        s.promote(capacity_model);
                    }
                }
                continue;
            }
            "cancel_occurrence" => {
                s.cancelled = true;
                for v in s.signups.values_mut().filter(|(st, _)| st.is_active()) {
                    v.0 = Status::OccurrenceCancelled;
                }
                continue;
            }
            "request" if s.cancelled => "rejected:occurrence_cancelled".into(),
            "request" => match s.signups.get(who) {
                Some((st, _)) if st.is_active() => st.as_str().into(),
                _ => match rules::decide(s.occupancy(capacity_model), *party) {
                    Decision::Confirmed | Decision::Waitlisted(_) => {
                        let st = if matches!(
                            rules::decide(s.occupancy(capacity_model), *party),
                            Decision::Confirmed
                        ) {
                            Status::Confirmed
                        } else {
                            Status::Waitlisted
                        };
                        s.signups.insert(*who, (st, *party));
                        s.order.retain(|r| r != who);
                        s.order.push(*who);
                        st.as_str().into()
                    }
                    Decision::Refused(_) => "rejected:waitlist_full".into(),
                },
            },
            _ => match s.signups.get(who).copied() {
                Some((st, party)) if st.is_active() => {
                    s.signups.insert(*who, (Status::Cancelled, party));
                    s.promote(capacity_model);
                    "cancelled".into()
                }
                Some((st, _)) => st.as_str().into(),
                None => "rejected:not_found".into(),
            },
        };
        let r = &results[&(*client, *id)];
        let got = match r["status"].as_str().unwrap() {
            "rejected" => format!("rejected:{}", r["code"].as_str().unwrap()),
            _ => r["data"]["data"]["status"].as_str().unwrap().to_owned(),
        };
        assert_eq!(
            got, expected,
            "{what} #{id} of {who} for occurrence {occ}: {r}"
        );
    }

    // The final state everyone converges on equals the replay.
    admin.pull().await;
    for (i, (oid, _)) in occs.iter().enumerate() {
        for (who, (st, party)) in &seats[i].signups {
            let row = admin
                .replica
                .values()
                .find(|v| {
                    v["occurrence_id"] == oid.to_string() && v["resident_id"] == who.to_string()
                })
                .unwrap_or_else(|| panic!("no sign-up of {who} for occurrence {i}"));
            assert_eq!(row["status"], st.as_str());
            assert_eq!(row["party_size"], *party);
        }
        let o = seats[i].occupancy(capacity_model);
        if let Some(t) = admin.get("occurrence_tally", *oid) {
            assert_eq!(
                (t["confirmed"].as_u64(), t["waitlisted"].as_u64()),
                (Some(o.confirmed_seats.into()), Some(o.waitlisted.into()))
            );
            assert!(!seats[i].cancelled || o.confirmed_seats == 0);
        }
        assert!(
            o.confirmed_seats <= capacity_model,
            "oversold occurrence {i}"
        );
        // Waitlist positions are 1..n in arrival order.
        let mut waiting: Vec<(u64, Uuid)> = admin
            .replica
            .values()
            .filter(|v| v["occurrence_id"] == oid.to_string() && v["status"] == "waitlisted")
            .map(|v| {
                (
                    v["waitlist_position"].as_u64().unwrap(),
                    v["resident_id"].as_str().unwrap().parse().unwrap(),
                )
            })
            .collect();
        waiting.sort();
        let expected: Vec<Uuid> = seats[i]
            .order
            .iter()
            .copied()
            .filter(|r| seats[i].signups[r].0 == Status::Waitlisted)
            .collect();
        assert_eq!(
            waiting.iter().map(|(_, r)| *r).collect::<Vec<_>>(),
            expected
        );
        assert!(
            waiting
                .iter()
                .enumerate()
                .all(|(k, (p, _))| *p == k as u64 + 1)
        );
    }
    for p in phones.iter_mut() {
        p.pull().await;
        let mut fresh = p.second_device();
        fresh.cursor = None;
        fresh.replica.clear();
        fresh.pull().await;
        assert_eq!(
            p.replica, fresh.replica,
            "a phone differs from a fresh pull"
        );
    }
}

#[test]
fn seats_follow_the_rules_in_every_interleaving() {
    let cases = std::env::var("LINLI_SIGNUP_MODEL_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(40);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 64,
        ..Config::default()
    });
    runner
        .run(
            &(prop::collection::vec(op(), 5..50), 1u32..4),
            |(ops, capacity)| {
                rt.block_on(run(ops, capacity));
                Ok(())
            },
        )
        .unwrap();
}
