//! A meeting's vote under any order of events: representatives' phones (two devices each)
//! vote, some answers are lost and sent again later, the chair records hands and closes
//! the vote anywhere among them. Against `rules::replay` of the events in the order the
//! server received them, every answer is the replay's, and the recorded result (each vote
//! by name, the counts, passed or not) equals the replay's.
//!
//! Cases: `LINLI_DELIBERATION_MODEL_CASES` (default 8). One village serves every case; each
//! case is a new meeting in it.

use std::collections::{BTreeMap, HashMap};

use linli::features::deliberation::rules::{self, Choice, Event, Rule};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::deliberation::Table;
use crate::phone::Phone;
use crate::territory::applied;

/// The voting members: the building leader and three representatives.
const MEMBERS: usize = 4;

#[derive(Debug, Clone)]
enum Op {
    /// A member's device votes; `lose`: the answer never arrives (the server has it).
    Vote {
        member: usize,
        device: usize,
        choice: usize,
        lose: bool,
    },
    /// A device sends its queue again.
    Resend { member: usize, device: usize },
    /// The chair records a member's raised hand.
    Hand { member: usize, choice: usize },
    /// The chair closes the vote.
    Close,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..MEMBERS, 0..2usize, 0..3usize, prop::bool::weighted(0.3))
            .prop_map(|(member, device, choice, lose)| Op::Vote { member, device, choice, lose }),
        2 => (0..MEMBERS, 0..2usize).prop_map(|(member, device)| Op::Resend { member, device }),
        2 => (0..MEMBERS, 0..3usize).prop_map(|(member, choice)| Op::Hand { member, choice }),
        1 => Just(Op::Close),
    ]
}

struct Device {
    phone: Phone,
    expected: HashMap<u64, Option<&'static str>>,
}

impl Device {
    fn check(&self, out: &Value) {
        for r in out["results"].as_array().unwrap() {
            let id = r["id"].as_u64().unwrap();
            match self.expected[&id] {
                None => assert_eq!(r["status"], "applied", "mutation {id}: {r}"),
                Some(code) => assert_eq!(r["code"], code, "mutation {id}: {r}"),
            }
        }
    }
}

fn member_ids(t: &Table) -> Vec<Uuid> {
    std::iter::once(t.v.building_leader.id)
        .chain(t.reps.iter().map(|r| r.id))
        .collect()
}

async fn run(t: &Table, ops: Vec<Op>) {
    let members = member_ids(t);
    let mut chair = t.phone(&t.v.building_leader);
    let meeting = t.convene(&[], json!([])).await;
    for m in &members {
        applied(
            &mut chair,
            "meeting.check_in",
            json!({"meeting_id": meeting, "resident_id": m}),
        )
        .await;
    }
    let motion = Uuid::now_v7();
    applied(
        &mut chair,
        "motion.propose",
        json!({"id": motion, "meeting_id": meeting, "title": "停車方案", "text": "劃線停車"}),
    )
    .await;
    let people = std::iter::once(&t.v.building_leader).chain(t.reps.iter());
    let mut devices: Vec<Vec<Device>> = people
        .map(|who| {
            let first = t.phone(who);
            let second = first.second_device();
            [first, second]
                .into_iter()
                .map(|phone| Device {
                    phone,
                    expected: HashMap::new(),
                })
                .collect()
        })
        .collect();
    let choice = |c: usize| Choice::ALL[c];
    let mut events: Vec<Event> = Vec::new();
    // The answer the replay gives the newest event.
    let answer = |events: &[Event]| -> Option<&'static str> {
        rules::replay(events).answers.last().copied().unwrap().err()
    };
    for op in ops {
        match op {
            Op::Vote {
                member,
                device,
                choice: c,
                lose,
            } => {
                let d = &mut devices[member][device];
                let id = d.phone.mutate(
                    "motion.vote",
                    json!({"motion_id": motion, "choice": choice(c).as_str()}),
                );
                // Everything queued on this device before arrives first, in order; those
                // were counted when they first arrived.
                events.push(Event::Vote(members[member], choice(c)));
                d.expected.insert(id, answer(&events));
                if lose {
                    assert_eq!(d.phone.push_queue_raw().await.status(), 200);
                } else {
                    let out = d.phone.push().await;
                    d.check(&out);
                }
            }
            Op::Resend { member, device } => {
                let d = &mut devices[member][device];
                if !d.phone.queue.is_empty() {
                    let out = d.phone.push().await;
                    d.check(&out);
                }
            }
            Op::Hand { member, choice: c } => {
                events.push(Event::Vote(members[member], choice(c)));
                let closed = answer(&events) == Some("motion_closed");
                let r = crate::territory::one(
                    &mut chair,
                    "motion.hands",
                    json!({"motion_id": motion,
                           "votes": [{"resident_id": members[member], "choice": choice(c).as_str()}]}),
                )
                .await;
                // A raised hand of a member who voted already is kept out, and said so; the
                // chair's mutation applies.
                if closed {
                    assert_eq!(r["code"], "motion_closed", "{r}");
                } else {
                    assert_eq!(r["status"], "applied", "{r}");
                }
            }
            Op::Close => {
                events.push(Event::Close);
                applied(&mut chair, "motion.close", json!({"motion_id": motion})).await;
            }
        }
    }
    for d in devices.iter_mut().flatten() {
        if !d.phone.queue.is_empty() {
            let out = d.phone.push().await;
            d.check(&out);
        }
    }
    events.push(Event::Close);
    applied(&mut chair, "motion.close", json!({"motion_id": motion})).await;

    let want = rules::replay(&events);
    let view = t
        .get_json(&t.residents[0], &format!("/api/v1/meetings/{meeting}"))
        .await;
    let got = &view["motions"][0];
    let recorded: BTreeMap<Uuid, String> = got["votes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["resident_id"].as_str().unwrap().parse().unwrap(),
                v["choice"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: BTreeMap<Uuid, String> = want
        .votes
        .iter()
        .map(|(m, c)| (*m, c.as_str().to_owned()))
        .collect();
    assert_eq!(recorded, expected, "{got}");
    let counts = rules::count(&want.votes, MEMBERS as u32);
    assert_eq!(got["agree"], counts.agree, "{got}");
    assert_eq!(got["against"], counts.against, "{got}");
    assert_eq!(got["abstain"], counts.abstain, "{got}");
    assert_eq!(got["absent"], counts.absent, "{got}");
    let passed = rules::passes(Rule::Majority, counts.agree, MEMBERS as u32);
    assert_eq!(got["passed"], passed, "{got}");
    assert_eq!(got["decision_id"].is_string(), passed, "{got}");
}

#[test]
fn every_order_of_phone_votes_hands_and_the_close_records_the_replays_result() {
    let cases = std::env::var("LINLI_DELIBERATION_MODEL_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(8);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // The chair pushes far more often than a person could: no rate limits here.
    let table = rt.block_on(async {
        let app = crate::helpers::spawn_app_with(|s| {
            s.sync_rates = linli::http::rate::SyncRates::OFF;
        })
        .await;
        Table::on(crate::territory::Village::on(app).await).await
    });
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 16,
        ..Config::default()
    });
    runner
        .run(&prop::collection::vec(op(), 2..24), |ops| {
            rt.block_on(run(&table, ops));
            Ok(())
        })
        .unwrap();
}
