//! `linli election verify FILE`: checks an election's published record (the JSON of
//! `GET /api/v1/elections/{id}/record`) from that file alone, with no database and no
//! trust in the server:
//! - the chain: each event's hash is recomputed from the one before, the last is the head;
//! - the ballots: each phone ballot's receipt is recomputed from its choices and nonce, and
//!   the ballots are exactly, in order, those whose hashes the record took in at the count;
//! - the tally: recomputed with the rules the record was called with, the candidates that
//!   stood when the roll froze and the roll's size, it must equal the published one.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::http::ElectionRecord;
use super::rules::{self, Settings, Tally};

/// What a record that checks out says.
#[derive(Debug)]
pub struct Verified {
    pub events: usize,
    pub ballots: usize,
    pub phone_receipts: usize,
    pub tally: Option<Tally>,
}

/// Checks `record`; every problem found, if any.
pub fn verify(record: &ElectionRecord) -> Result<Verified, Vec<String>> {
    let mut problems = Vec::new();
    // The chain.
    let mut prev = rules::GENESIS.to_owned();
    for (i, ev) in record.events.iter().enumerate() {
        if usize::try_from(ev.seq).ok() != Some(i + 1) {
            problems.push(format!("event {} is numbered {}", i + 1, ev.seq));
        }
        let hash = rules::link(&prev, &ev.kind, &ev.body);
        if hash != ev.hash {
            problems.push(format!(
                "event {} ({}): its hash is {}, recomputed {}",
                ev.seq, ev.kind, ev.hash, hash
            ));
        }
        prev = ev.hash.clone();
    }
    if prev != record.chain_head {
        problems.push(format!(
            "the chain ends at {prev}, but the published head is {}",
            record.chain_head
        ));
    }
    let body = |kind: &str| {
        record
            .events
            .iter()
            .find(|e| e.kind == kind)
            .and_then(|e| serde_json::from_str::<serde_json::Value>(&e.body).ok())
    };

    // The ballots: receipts, and the hashes the record took in.
    let published: Vec<rules::Published> =
        record.ballots.iter().map(|b| b.to_published()).collect();
    let mut phone_receipts = 0;
    for (i, p) in published.iter().enumerate() {
        if p.source == "phone" {
            match (&p.receipt, &p.nonce) {
                (Some(r), Some(n)) if *r == rules::receipt(record.election_id, &p.ballot, n) => {
                    phone_receipts += 1;
                }
                _ => problems.push(format!(
                    "ballot {} ({}): its receipt does not match its choices and nonce",
                    i + 1,
                    p.receipt.as_deref().unwrap_or("no receipt")
                )),
            }
        }
    }
    let hashed: Vec<String> = record
        .events
        .iter()
        .filter(|e| e.kind == "ballot")
        .filter_map(|e| serde_json::from_str::<serde_json::Value>(&e.body).ok())
        .filter_map(|v| v["hash"].as_str().map(str::to_owned))
        .collect();
    let listed: Vec<String> = published.iter().map(rules::Published::hash).collect();
    if hashed != listed {
        problems.push(format!(
            "the record took in {} ballot hashes, and the published ballots are {} ballots that {}",
            hashed.len(),
            listed.len(),
            if hashed.len() == listed.len() {
                "differ from them"
            } else {
                "cannot all be them"
            }
        ));
    }

    // The tally.
    let mut tally = None;
    if let Some(t) = body("tally") {
        let published_tally: Option<Tally> = serde_json::from_value(t).ok();
        let settings: Option<Settings> =
            body("called").and_then(|c| serde_json::from_value(c["rules"].clone()).ok());
        let frozen = body("roll_frozen");
        let standing: Vec<Uuid> = frozen
            .as_ref()
            .and_then(|f| f["standing"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|s| s["candidate_id"].as_str()?.parse().ok())
            .collect();
        let roll_size = frozen
            .as_ref()
            .and_then(|f| f["roll_size"].as_u64())
            .and_then(|n| u32::try_from(n).ok());
        match (published_tally, settings, roll_size) {
            (Some(t), Some(settings), Some(roll_size)) => {
                let ballots: Vec<rules::Ballot> =
                    published.iter().map(|p| p.ballot.clone()).collect();
                let again = rules::tally(&settings, &standing, roll_size, t.voted, &ballots);
                if again != t {
                    problems.push(format!(
                        "the tally recomputed from the ballots differs from the published one: {}",
                        differences(&again, &t)
                    ));
                }
                if t.ballots_cast > t.voted {
                    problems.push(format!(
                        "{} ballots were counted but only {} voters voted",
                        t.ballots_cast, t.voted
                    ));
                }
                tally = Some(t);
            }
            _ => problems.push("the record's tally, rules or roll cannot be read".into()),
        }
    }
    if problems.is_empty() {
        Ok(Verified {
            events: record.events.len(),
            ballots: published.len(),
            phone_receipts,
            tally,
        })
    } else {
        Err(problems)
    }
}

fn differences(a: &Tally, b: &Tally) -> String {
    let counts = |t: &Tally| -> BTreeMap<String, (u32, u32)> {
        t.counts
            .iter()
            .map(|c| (format!("{:?}", c.choice), (c.votes_for, c.votes_against)))
            .collect()
    };
    if a.ballots_cast != b.ballots_cast {
        format!(
            "{} ballots recounted, {} published",
            a.ballots_cast, b.ballots_cast
        )
    } else if counts(a) != counts(b) {
        "the counts per name differ".into()
    } else {
        "the winners or the second round differ".into()
    }
}
