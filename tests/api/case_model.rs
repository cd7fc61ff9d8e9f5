//! A case's closed loop under any steps by any actors: its reporter, a handler (the
//! building's leader), the resident it may be assigned to, and a holder elsewhere, each
//! trying any step (accept, refuse, assign, start, resolve, confirm, reopen, merge) in any
//! order. Against `rules::next` replayed over the same steps, every answer is the replay's
//! (applied, or its code), and the case ends in the replay's state, with one timeline step
//! per applied step.
//!
//! Cases: `LINLI_CASE_MODEL_CASES` (default 8). One village serves every case; each case is
//! a new case in it.

use linli::features::cases::rules::{self, Refusal, State, Step, Who};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::Resident;
use crate::phone::Phone;
use crate::territory::{Village, applied};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    Reporter,
    Handler,
    Assignee,
    /// Building 2's leader: a holder who does not see building 1's cases.
    Elsewhere,
}

fn op() -> impl Strategy<Value = (Actor, Step)> {
    (
        prop::sample::select(vec![
            Actor::Reporter,
            Actor::Handler,
            Actor::Handler,
            Actor::Assignee,
            Actor::Elsewhere,
        ]),
        prop::sample::select(Step::ALL.to_vec()),
    )
}

fn code(r: Refusal) -> &'static str {
    match r {
        Refusal::Merged => "case_merged",
        Refusal::Closed => "case_closed",
        Refusal::NotYours => "forbidden",
        Refusal::NotNow => "case_state",
    }
}

struct World {
    v: Village,
    reporter: Resident,
    assignee: Resident,
}

async fn run(w: &World, ops: Vec<(Actor, Step)>) {
    let v = &w.v;
    let mut phones = [
        Phone::new(&v.app, &w.reporter),
        v.phone(&v.building_leader),
        Phone::new(&v.app, &w.assignee),
        v.phone(&v.other_building_leader),
    ];
    let (id, other) = (Uuid::now_v7(), Uuid::now_v7());
    for c in [other, id] {
        applied(
            &mut phones[0],
            "case.report",
            json!({"id": c, "category": "repair", "unit_id": v.b1, "description": "樓道燈不亮"}),
        )
        .await;
    }
    let mut state = State::Reported;
    let mut assigned = false;
    let mut applied_steps = 0;
    for (actor, step) in ops {
        let who = Who {
            reporter: actor == Actor::Reporter,
            handler: actor == Actor::Handler,
            assignee: actor == Actor::Assignee && assigned,
        };
        let args = match step {
            Step::Assign => json!({"id": id, "kind": "resident", "to": w.assignee.id}),
            Step::Confirm => json!({"id": id, "rating": 4}),
            Step::Merge => json!({"id": id, "into": other}),
            Step::Refuse | Step::Resolve | Step::Reopen => json!({"id": id, "text": "說明"}),
            Step::Accept | Step::Start => json!({"id": id}),
        };
        let phone = &mut phones[actor as usize];
        phone.mutate(&format!("case.{}", step.as_str()), args);
        let out = phone.push().await;
        let r = &out["results"][0];
        // Whoever does not see the case learns nothing of it: building 2's leader, and the
        // would-be assignee before it is theirs.
        let sees = match actor {
            Actor::Elsewhere => false,
            Actor::Assignee => assigned,
            _ => true,
        };
        if !sees {
            assert_eq!(r["code"], "not_found", "{actor:?} {step:?}: {r}");
            continue;
        }
        match rules::next(state, step, who) {
            Ok(next) => {
                assert_eq!(
                    r["status"], "applied",
                    "{actor:?} {step:?} from {state:?}: {r}"
                );
                state = next;
                applied_steps += 1;
                if step == Step::Assign {
                    assigned = true;
                }
            }
            Err(refusal) => {
                assert_eq!(
                    r["code"],
                    code(refusal),
                    "{actor:?} {step:?} from {state:?}: {r}"
                );
            }
        }
    }
    phones[0].pull().await;
    let c: &Value = phones[0].get("case", id).unwrap();
    assert_eq!(c["state"], state.as_str(), "{c}");
    let timeline = c["timeline"].as_array().unwrap();
    // The report, each applied step, and for a merge the survivor's story it now follows.
    let copied = if state == State::Merged { 1 } else { 0 };
    assert_eq!(timeline.len(), 1 + applied_steps + copied, "{c}");
    let states: Vec<&str> = timeline
        .iter()
        .filter(|s| s["step"] != "reported")
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    if state != State::Merged {
        assert_eq!(states.last().copied().unwrap_or("reported"), state.as_str());
    }
}

#[test]
fn any_steps_by_any_actors_end_where_the_rules_do() {
    let cases = std::env::var("LINLI_CASE_MODEL_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(8);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let world = rt.block_on(async {
        let app = crate::helpers::spawn_app_with(|s| {
            s.sync_rates = linli::http::rate::SyncRates::OFF;
        })
        .await;
        let v = Village::on(app).await;
        let reporter = v.app.resident("13912345001", "報告人").await;
        let assignee = v.app.resident("13912345002", "承辦人").await;
        World {
            v,
            reporter,
            assignee,
        }
    });
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 16,
        ..Config::default()
    });
    runner
        .run(&prop::collection::vec(op(), 1..24), |ops| {
            rt.block_on(run(&world, ops));
            Ok(())
        })
        .unwrap();
}
