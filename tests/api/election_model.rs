//! Elections under any order of events: phone ballots (some of whose answers are lost and
//! which are then sent again), second devices, paper marks by the officers, entrustments and
//! proxies' ballots, in a random order, with the close falling anywhere among them. Against a
//! plain model of the rules applied in the order the server received them, every answer is
//! the model's, each voter is counted at most once, and the published count equals the
//! model's ballots, tallied.
//!
//! Cases: `LINLI_ELECTION_MODEL_CASES` (default 8). One village serves every case; each case
//! is a new election in it.

use std::collections::HashMap;

use chrono::Duration;
use linli::features::elections::rules::{self, Ballot, Mark, Settings};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::elections::Poll;
use crate::phone::Phone;

/// Voters with phones; the roll adds 孫奶奶 (index `VOTERS`), who votes only on paper.
const VOTERS: usize = 5;
const GRANDMA: usize = VOTERS;

#[derive(Debug, Clone)]
enum Op {
    /// A voter's device casts for candidate `pick`; `lose`: the answer never arrives.
    Cast {
        voter: usize,
        device: usize,
        pick: usize,
        lose: bool,
    },
    /// A device sends its queue again.
    Resend {
        voter: usize,
        device: usize,
    },
    /// An officer marks a voter as voting on paper (a ballot for `pick` goes in the box).
    Mark {
        voter: usize,
        pick: usize,
    },
    Entrust {
        from: usize,
        to: usize,
    },
    /// A proxy casts for the voter who entrusted them.
    ProxyCast {
        proxy: usize,
        from: usize,
        pick: usize,
    },
    /// The server's clock passes the close.
    Close,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..VOTERS, 0..2usize, 0..2usize, prop::bool::weighted(0.3))
            .prop_map(|(voter, device, pick, lose)| Op::Cast { voter, device, pick, lose }),
        2 => (0..VOTERS, 0..2usize).prop_map(|(voter, device)| Op::Resend { voter, device }),
        3 => (0..=GRANDMA, 0..2usize).prop_map(|(voter, pick)| Op::Mark { voter, pick }),
        3 => (0..=GRANDMA, 0..VOTERS).prop_map(|(from, to)| Op::Entrust { from, to }),
        3 => (0..VOTERS, 0..=GRANDMA, 0..2usize)
            .prop_map(|(proxy, from, pick)| Op::ProxyCast { proxy, from, pick }),
        1 => Just(Op::Close),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum How {
    Phone,
    Paper,
    ProxyPhone,
}

/// The rules, replayed in arrival order.
#[derive(Default)]
struct Model {
    closed: bool,
    voted: [Option<How>; VOTERS + 1],
    proxy_of: [Option<usize>; VOTERS + 1],
    ballots: Vec<usize>,
    paper: Vec<usize>,
}

impl Model {
    fn held(&self, to: usize) -> usize {
        self.proxy_of.iter().filter(|p| **p == Some(to)).count()
    }

    /// The code a phone ballot gets (None: applied).
    fn cast(&mut self, voter: usize, pick: usize) -> Option<&'static str> {
        if self.closed {
            return Some("voting_closed");
        }
        if self.voted[voter].is_some() {
            return Some("already_voted");
        }
        self.voted[voter] = Some(How::Phone);
        self.ballots.push(pick);
        None
    }

    fn proxy_cast(&mut self, proxy: usize, from: usize, pick: usize) -> Option<&'static str> {
        if self.closed {
            return Some("voting_closed");
        }
        if self.proxy_of[from] != Some(proxy) {
            return Some("not_entrusted");
        }
        if self.voted[from].is_some() {
            return Some("already_voted");
        }
        self.voted[from] = Some(How::ProxyPhone);
        self.ballots.push(pick);
        None
    }

    fn mark(&mut self, voter: usize, pick: usize) -> Option<&'static str> {
        match self.voted[voter] {
            Some(How::Paper) => None,
            Some(_) => Some("already_voted"),
            None => {
                self.voted[voter] = Some(How::Paper);
                self.paper.push(pick);
                None
            }
        }
    }

    fn entrust(&mut self, from: usize, to: usize) -> Option<&'static str> {
        if self.closed {
            return Some("voting_closed");
        }
        if from == to {
            return Some("validation_failed");
        }
        if self.voted[from].is_some() {
            return Some("already_voted");
        }
        if self.proxy_of[from].is_some() {
            return Some("already_entrusted");
        }
        if self.proxy_of[to].is_some() || self.held(from) > 0 {
            return Some("validation_failed");
        }
        if self.held(to) >= 3 {
            return Some("entrustments_full");
        }
        self.proxy_of[from] = Some(to);
        None
    }
}

/// A device and the answer the model expects for each of its mutations.
struct Device {
    phone: Phone,
    expected: HashMap<u64, Option<&'static str>>,
}

impl Device {
    fn check(&self, out: &Value) {
        for r in out["results"].as_array().unwrap() {
            let id = r["id"].as_u64().unwrap();
            let want = self.expected[&id];
            match want {
                None => assert_eq!(r["status"], "applied", "mutation {id}: {r}"),
                Some(code) => assert_eq!(r["code"], code, "mutation {id}: {r}"),
            }
        }
    }
}

async fn run(p: &mut Poll, ops: Vec<Op>) {
    // A new election in the same building: voters 0 and 1 stand, seconded by the committee.
    let now = p.v.app.sync.clock.wall();
    p.election = Uuid::now_v7();
    crate::territory::applied(
        &mut p.phone(&p.v.president),
        "election.create",
        json!({"id": p.election, "title": "1號樓樓長選舉", "position": "building_leader",
               "unit_id": p.v.b1, "term_starts_on": "2027-01-01",
               "nominations_close": now + Duration::hours(1), "voting_opens": now + Duration::hours(1),
               "voting_closes": now + Duration::hours(2)}),
    )
    .await;
    let cands = [
        p.stand(&p.voters[0], "").await,
        p.stand(&p.voters[1], "").await,
    ];
    p.open_voting().await;
    let mut names: Vec<String> = (0..VOTERS).map(|i| format!("選民{i}")).collect();
    names.push("孫奶奶".into());
    let mut entries = Vec::new();
    for n in &names {
        entries.push(p.entry_of(n).await);
    }
    let mut devices: Vec<Vec<Device>> = p
        .voters
        .iter()
        .map(|v| {
            let first = p.phone(v);
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
    let mut officer = Device {
        phone: p.phone(&p.officers[0]),
        expected: HashMap::new(),
    };
    let mut model = Model::default();
    let ballot = |pick: usize, election: Uuid| {
        json!({"election_id": election, "marks": [{"candidate_id": cands[pick], "mark": "for"}],
               "write_ins": [], "nonce": format!("n{}", Uuid::new_v4().simple())})
    };

    for op in ops {
        match op {
            Op::Cast {
                voter,
                device,
                pick,
                lose,
            } => {
                let d = &mut devices[voter][device];
                let id = d.phone.mutate("ballot.cast", ballot(pick, p.election));
                d.expected.insert(id, model.cast(voter, pick));
                if lose {
                    assert_eq!(d.phone.push_queue_raw().await.status(), 200);
                } else {
                    let out = d.phone.push().await;
                    d.check(&out);
                }
            }
            Op::Resend { voter, device } => {
                let d = &mut devices[voter][device];
                if !d.phone.queue.is_empty() {
                    let out = d.phone.push().await;
                    d.check(&out);
                }
            }
            Op::Mark { voter, pick } => {
                let id = officer.phone.mutate(
                    "paper.mark",
                    json!({"election_id": p.election, "elector_id": entries[voter]}),
                );
                officer.expected.insert(id, model.mark(voter, pick));
                let out = officer.phone.push().await;
                officer.check(&out);
            }
            Op::Entrust { from, to } => {
                let id = officer.phone.mutate(
                    "entrustment.record",
                    json!({"id": Uuid::now_v7(), "election_id": p.election,
                           "from_elector_id": entries[from], "to_elector_id": entries[to],
                           "document": "委託書"}),
                );
                officer.expected.insert(id, model.entrust(from, to));
                let out = officer.phone.push().await;
                officer.check(&out);
            }
            Op::ProxyCast { proxy, from, pick } => {
                let d = &mut devices[proxy][0];
                let mut args = ballot(pick, p.election);
                args["on_behalf_of"] = json!(entries[from]);
                let id = d.phone.mutate("ballot.cast", args);
                d.expected.insert(id, model.proxy_cast(proxy, from, pick));
                let out = d.phone.push().await;
                d.check(&out);
            }
            Op::Close => {
                if !model.closed {
                    model.closed = true;
                    p.close_voting().await;
                }
            }
        }
    }
    // Every lost answer is fetched again: each gets the answer its mutation had.
    for d in devices.iter_mut().flatten() {
        if !d.phone.queue.is_empty() {
            let out = d.phone.push().await;
            d.check(&out);
        }
    }
    if !model.closed {
        model.closed = true;
        p.close_voting().await;
    }
    // Two officers enter each paper ballot.
    let mut second = p.phone(&p.officers[1]);
    for (i, pick) in model.paper.iter().enumerate() {
        for o in [&mut officer.phone, &mut second] {
            let r = crate::territory::one(
                o,
                "paper.enter",
                json!({"id": Uuid::now_v7(), "election_id": p.election, "sheet": format!("{i}"),
                       "marks": [{"candidate_id": cands[*pick], "mark": "for"}], "write_ins": []}),
            )
            .await;
            assert_eq!(r["status"], "applied", "{r}");
        }
    }
    let r = crate::territory::applied(
        &mut officer.phone,
        "election.count",
        json!({"id": p.election}),
    )
    .await;
    let result = &r["data"]["data"]["result"];

    // The model's ballots, tallied by the rules.
    let all: Vec<Ballot> = model
        .ballots
        .iter()
        .chain(&model.paper)
        .map(|pick| Ballot {
            marks: [(cands[*pick], Mark::For)].into(),
            ..Default::default()
        })
        .collect();
    let voted = model.voted.iter().filter(|v| v.is_some()).count();
    let want = rules::tally(
        &Settings::defaults(1, 1),
        &cands,
        u32::try_from(VOTERS + 1).unwrap(),
        u32::try_from(voted).unwrap(),
        &all,
    );
    assert_eq!(result["voted"], voted, "{result}");
    assert_eq!(result["ballots_cast"], all.len(), "{result}");
    assert_eq!(result["valid"], want.valid, "{result}");
    for (i, c) in cands.iter().enumerate() {
        let got = result["counts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["candidate_id"] == c.to_string())
            .unwrap();
        let n = model
            .ballots
            .iter()
            .chain(&model.paper)
            .filter(|p| **p == i)
            .count();
        assert_eq!(got["votes_for"], n, "{result}");
        let elected = want.elected.contains(&rules::Choice::Candidate(*c));
        assert_eq!(got["elected"], elected, "{result}");
    }
    // Each voter counted at most once: the officers' roll says exactly who voted, and how.
    officer.phone.pull().await;
    for (i, entry) in entries.iter().enumerate() {
        let row = officer.phone.get("elector", *entry).unwrap();
        let how = match model.voted[i] {
            None => Value::Null,
            Some(How::Phone) => json!("phone"),
            Some(How::Paper) => json!("paper"),
            Some(How::ProxyPhone) => json!("proxy_phone"),
        };
        assert_eq!(
            row.get("voted").cloned().unwrap_or(Value::Null),
            how,
            "{}: {row}",
            names[i]
        );
    }
}

#[test]
fn every_order_of_ballots_marks_and_entrustments_across_the_close_counts_each_voter_once() {
    let cases = std::env::var("LINLI_ELECTION_MODEL_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(8);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // Officers push far more often than a person could: no rate limits here.
    let poll = std::sync::Mutex::new(rt.block_on(async {
        let app = crate::helpers::spawn_app_with(|s| {
            s.sync_rates = linli::http::rate::SyncRates::OFF;
        })
        .await;
        Poll::in_village(crate::territory::Village::on(app).await, VOTERS, 0).await
    }));
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 16,
        ..Config::default()
    });
    runner
        .run(&prop::collection::vec(op(), 4..28), |ops| {
            let mut p = poll.lock().unwrap();
            rt.block_on(run(&mut p, ops));
            Ok(())
        })
        .unwrap();
}
