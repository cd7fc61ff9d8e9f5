//! Elections over HTTP: a building elects its leader on phones and on paper; the roll
//! freezes and is published; ballots after the close, second ballots and bad ballots get
//! their codes; the count publishes a record that `linli election verify` checks from the
//! file alone; no table links a voter to their choice; and who sees what, through the sync
//! feed and every REST read.

use std::collections::BTreeMap;

use chrono::Duration;
use linli::features::elections::rules::{self, Ballot, Mark};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::Resident;
use crate::phone::Phone;
use crate::territory::{Village, applied, one, refused};

const BIN: &str = env!("CARGO_BIN_EXE_linli");

/// A building election in the small village: voters with phones in building 1, one voter
/// there without a smartphone (recorded by the building leader), two election officers,
/// and an election of 1號樓's leader called by the president.
pub struct Poll {
    pub v: Village,
    pub officers: [Resident; 2],
    /// Verified residents of building 1 with accounts.
    pub voters: Vec<Resident>,
    /// A resident of building 2 (not a voter here).
    pub neighbour: Resident,
    pub election: Uuid,
}

/// A resident with an account, living (verified) in `household`.
pub async fn householder(v: &Village, phone: &str, name: &str, household: Uuid) -> Resident {
    let r = v.app.resident(phone, name).await;
    let mut p = v.phone(&r);
    let id = Uuid::now_v7();
    applied(
        &mut p,
        "residency.claim",
        json!({"id": id, "household_id": household, "relation": "family", "born": "1960"}),
    )
    .await;
    let leader = if household == v.h2 {
        &v.other_building_leader
    } else {
        &v.building_leader
    };
    applied(
        &mut v.phone(leader),
        "residency.decide",
        json!({"id": id, "verdict": "confirm"}),
    )
    .await;
    r
}

impl Poll {
    /// The poll with `n` voters, nominations open for an hour, voting the hour after.
    pub async fn new(n: usize, seconders: u32) -> Self {
        Self::in_village(Village::new().await, n, seconders).await
    }

    /// The poll in a village of the caller's making.
    pub async fn in_village(v: Village, n: usize, seconders: u32) -> Self {
        let mut voters = Vec::new();
        for i in 0..n {
            let h = if i % 2 == 0 { v.h1 } else { v.h1b };
            voters.push(householder(&v, &format!("1360000{i:04}"), &format!("選民{i}"), h).await);
        }
        let neighbour = householder(&v, "13500000009", "二號樓鄰居", v.h2).await;
        // 孫奶奶 has no smartphone: the building leader records her.
        applied(
            &mut v.phone(&v.building_leader),
            "residency.record",
            json!({"id": Uuid::now_v7(), "household_id": v.h1, "relation": "owner",
                   "name": "孫奶奶", "born": "1941"}),
        )
        .await;
        let officers = [
            v.app.resident("13300000001", "監票員甲").await,
            v.app.resident("13300000002", "監票員乙").await,
        ];
        let mut president = v.phone(&v.president);
        for o in &officers {
            applied(
                &mut president,
                "position.assign",
                json!({"id": Uuid::now_v7(), "kind": "election_officer", "resident_id": o.id,
                       "starts_on": "2026-01-01"}),
            )
            .await;
        }
        let now = v.app.sync.clock.wall();
        let (opens, closes) = (now + Duration::hours(1), now + Duration::hours(2));
        let election = Uuid::now_v7();
        applied(
            &mut president,
            "election.create",
            json!({"id": election, "title": "1號樓樓長選舉", "position": "building_leader",
                   "unit_id": v.b1, "term_starts_on": "2027-01-01", "term_ends_on": "2029-12-31",
                   "nominations_close": opens, "voting_opens": opens, "voting_closes": closes,
                   "seconders": seconders}),
        )
        .await;
        Self {
            v,
            officers,
            voters,
            neighbour,
            election,
        }
    }

    pub fn phone(&self, who: &Resident) -> Phone {
        self.v.phone(who)
    }

    /// The committee nominates `who`, who accepts; returns the candidate id.
    pub async fn stand(&self, who: &Resident, statement: &str) -> Uuid {
        let id = Uuid::now_v7();
        applied(
            &mut self.phone(&self.v.building_leader),
            "candidate.nominate",
            json!({"id": id, "election_id": self.election, "resident_id": who.id, "by_committee": true}),
        )
        .await;
        applied(
            &mut self.phone(who),
            "candidate.respond",
            json!({"candidate_id": id, "accept": true, "statement": statement}),
        )
        .await;
        id
    }

    /// Moves the server's clock past nominations (the roll freezes) and polls until the
    /// election clock has frozen it.
    pub async fn open_voting(&self) {
        self.v.app.sync.clock.advance(Duration::minutes(61));
        self.wait_for("voting").await;
    }

    /// Moves the server's clock past the close and polls until the polls are closed.
    pub async fn close_voting(&self) {
        self.v.app.sync.clock.advance(Duration::minutes(61));
        self.wait_for("counting").await;
    }

    pub async fn wait_for(&self, state: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let e = self.get(&self.voters[0]).await;
            if e["election"]["state"] == state {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the election never reached {state}: {e}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    pub async fn get(&self, who: &Resident) -> Value {
        let r = self
            .v
            .app
            .get(
                &format!("/api/v1/elections/{}", self.election),
                Some(&who.access_token),
            )
            .await;
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    pub async fn read(&self, what: &str, who: &Resident) -> reqwest::Response {
        self.v
            .app
            .get(
                &format!("/api/v1/elections/{}/{what}", self.election),
                Some(&who.access_token),
            )
            .await
    }

    /// The voter's roll entry id, from the published roll.
    pub async fn entry_of(&self, name: &str) -> Uuid {
        let roll: Value = self
            .read("roll", &self.officers[0])
            .await
            .json()
            .await
            .unwrap();
        roll["names"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["name"] == name)
            .unwrap_or_else(|| panic!("{name} is not on the roll: {roll}"))["elector_id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    /// Casts `who`'s ballot for `candidates`; returns the result and the receipt the phone
    /// computed.
    pub async fn cast(&self, phone: &mut Phone, candidates: &[Uuid]) -> (Value, String) {
        let nonce = format!("n{}", Uuid::new_v4().simple());
        let ballot = Ballot {
            marks: candidates.iter().map(|c| (*c, Mark::For)).collect(),
            ..Default::default()
        };
        let receipt = rules::receipt(self.election, &ballot, &nonce);
        let marks: Vec<Value> = candidates
            .iter()
            .map(|c| json!({"candidate_id": c, "mark": "for"}))
            .collect();
        let r = one(
            phone,
            "ballot.cast",
            json!({"election_id": self.election, "marks": marks, "write_ins": [], "nonce": nonce}),
        )
        .await;
        (r, receipt)
    }
}

/// Runs `linli election verify` on a saved record.
fn verify(file: &std::path::Path) -> std::process::Output {
    std::process::Command::new(BIN)
        .args(["election", "verify"])
        .arg(file)
        .output()
        .unwrap()
}

fn ballot_args(election: Uuid, marks: &[(Uuid, &str)]) -> Value {
    let marks: Vec<Value> = marks
        .iter()
        .map(|(c, m)| json!({"candidate_id": c, "mark": m}))
        .collect();
    json!({"election_id": election, "marks": marks, "write_ins": [],
           "nonce": format!("n{}", Uuid::new_v4().simple())})
}

#[tokio::test]
async fn a_building_elects_its_leader_on_phones_and_on_paper_and_anyone_can_verify_the_count() {
    let p = Poll::new(5, 2).await;
    let (a, c) = (&p.voters[0], &p.voters[1]);
    // The committee nominates A; voter 2 nominates C, whom voters 3 and 4 second.
    let cand_a = p.stand(a, "為大家辦實事").await;
    let cand_c = Uuid::now_v7();
    applied(
        &mut p.phone(&p.voters[2]),
        "candidate.nominate",
        json!({"id": cand_c, "election_id": p.election, "resident_id": c.id}),
    )
    .await;
    for s in [&p.voters[3], &p.voters[4]] {
        let r = applied(
            &mut p.phone(s),
            "candidate.second",
            json!({"candidate_id": cand_c}),
        )
        .await;
        assert!(r["data"]["data"]["seconds"].as_u64().unwrap() >= 1);
    }
    applied(
        &mut p.phone(c),
        "candidate.respond",
        json!({"candidate_id": cand_c, "accept": true, "statement": "修好樓道燈"}),
    )
    .await;
    // Someone outside the building cannot nominate or second here.
    refused(
        &mut p.phone(&p.neighbour),
        "candidate.second",
        json!({"candidate_id": cand_c}),
        "not_on_roll",
    )
    .await;

    // Before nominations close the roll is not published.
    let roll: Value = p.read("roll", a).await.json().await.unwrap();
    assert_eq!(roll["frozen"], false);

    p.open_voting().await;
    // Every voter with an account is told voting opens, once, in the freeze's transaction.
    for voter in &p.voters {
        let inbox: Value =
            p.v.app
                .get("/api/v1/notifications", Some(&voter.access_token))
                .await
                .json()
                .await
                .unwrap();
        let opened: Vec<&Value> = inbox
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "election_opened")
            .collect();
        assert_eq!(opened.len(), 1, "{inbox}");
    }
    let e = p.get(a).await;
    assert_eq!(e["election"]["mode"], "contested");
    assert!(
        e["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["standing"] == true)
    );
    let roll: Value = p.read("roll", a).await.json().await.unwrap();
    let names: Vec<&str> = roll["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    // Five voters and 孫奶奶, who has no account; names only.
    assert_eq!(names.len(), 6, "{roll}");
    assert!(names.contains(&"孫奶奶"));
    assert!(roll["names"][0].get("voted").is_none());
    let hash = rules::roll_hash(roll["names"].as_array().unwrap().iter().map(|n| {
        (
            n["elector_id"].as_str().unwrap().parse().unwrap(),
            n["name"].as_str().unwrap(),
        )
    }));
    assert_eq!(roll["roll_hash"], hash);
    assert_eq!(e["election"]["roll_hash"], hash);

    // Phones: A and voters 2, 3 for A; C for C. Voter 4 votes on paper with the mobile box.
    let mut receipts = BTreeMap::new();
    for (who, pick) in [
        (a, cand_a),
        (&p.voters[2], cand_a),
        (&p.voters[3], cand_a),
        (c, cand_c),
    ] {
        let mut phone = p.phone(who);
        let (r, receipt) = p.cast(&mut phone, &[pick]).await;
        assert_eq!(r["status"], "applied", "{r}");
        // The result is the voter's own roll entry: that they voted, never what.
        assert_eq!(r["data"]["entity"], "elector");
        assert_eq!(r["data"]["data"]["voted"], "phone");
        assert!(!r.to_string().contains(&pick.to_string()));
        receipts.insert(receipt, pick);
    }
    let mut officer = p.phone(&p.officers[0]);
    for name in ["孫奶奶", "選民4"] {
        let entry = p.entry_of(name).await;
        let r = applied(
            &mut officer,
            "paper.mark",
            json!({"election_id": p.election, "elector_id": entry}),
        )
        .await;
        assert_eq!(r["data"]["data"]["voted"], "paper");
    }
    // Voter 4's phone ballot after the paper mark is refused and shown to the officers.
    let (r, _) = p.cast(&mut p.phone(&p.voters[4]), &[cand_c]).await;
    assert_eq!(r["code"], "already_voted", "{r}");
    assert_eq!(r["data"]["data"]["conflict"], "phone_after_paper");

    p.close_voting().await;
    let (r, _) = p.cast(&mut p.phone(&p.voters[1]), &[cand_a]).await;
    assert_eq!(r["code"], "voting_closed", "{r}");

    // Two officers enter the two paper sheets; an officer entering a sheet twice changes
    // nothing.
    let mut second = p.phone(&p.officers[1]);
    for (sheet, pick) in [("流動票箱-1", cand_c), ("流動票箱-2", cand_a)] {
        let args = json!({"id": Uuid::now_v7(), "election_id": p.election, "sheet": sheet,
                          "marks": [{"candidate_id": pick, "mark": "for"}], "write_ins": []});
        applied(&mut officer, "paper.enter", args.clone()).await;
        let mut again = args.clone();
        again["id"] = json!(Uuid::now_v7());
        refused(&mut officer, "paper.enter", again, "already_entered").await;
        // Counting before the second entry is refused.
        if sheet == "流動票箱-1" {
            refused(
                &mut officer,
                "election.count",
                json!({"id": p.election}),
                "entries_pending",
            )
            .await;
        }
        let mut second_args = args;
        second_args["id"] = json!(Uuid::now_v7());
        applied(&mut second, "paper.enter", second_args).await;
    }
    let r = applied(&mut officer, "election.count", json!({"id": p.election})).await;
    let result = &r["data"]["data"]["result"];
    assert_eq!(result["valid"], true, "{r}");
    assert_eq!(result["voted"], 6);
    assert_eq!(result["roll_size"], 6);
    assert_eq!(result["ballots_cast"], 6);
    let count_of = |cand: Uuid| {
        result["counts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["candidate_id"] == cand.to_string())
            .unwrap()
            .clone()
    };
    assert_eq!(count_of(cand_a)["votes_for"], 4);
    assert_eq!(count_of(cand_a)["elected"], true);
    assert_eq!(count_of(cand_c)["votes_for"], 2);
    refused(
        &mut officer,
        "election.count",
        json!({"id": p.election}),
        "already_counted",
    )
    .await;

    // A holds the position from the term's start; the old leader's term ends the day before.
    let positions: Value =
        p.v.app
            .get("/api/v1/positions", Some(&a.access_token))
            .await
            .json()
            .await
            .unwrap();
    let old = positions
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["kind"] == "building_leader" && h["unit_id"] == p.v.b1.to_string())
        .unwrap()
        .clone();
    assert_eq!(old["resident_id"], p.v.building_leader.id.to_string());
    let mut president = p.phone(&p.v.president);
    president.pull().await;
    let terms: Vec<&Value> = president
        .replica
        .iter()
        .filter(|((e, _), d)| {
            e == "position" && d["kind"] == "building_leader" && d["unit_id"] == p.v.b1.to_string()
        })
        .map(|(_, d)| d)
        .collect();
    assert!(terms.iter().any(|t| t["resident_id"] == a.id.to_string()
        && t["starts_on"] == "2027-01-01"
        && t["ends_on"] == "2029-12-31"));
    assert!(
        terms
            .iter()
            .any(|t| t["resident_id"] == p.v.building_leader.id.to_string()
                && t["ends_on"] == "2026-12-31")
    );

    // The record: every phone voter finds their receipt with their choice.
    let record: Value = p.read("record", a).await.json().await.unwrap();
    let ballots = record["ballots"].as_array().unwrap();
    assert_eq!(ballots.len(), 6);
    for (receipt, pick) in &receipts {
        let b = ballots
            .iter()
            .find(|b| b["receipt"] == receipt.as_str())
            .unwrap_or_else(|| panic!("receipt {receipt} is not published"));
        assert_eq!(b["marks"][0]["candidate_id"], pick.to_string());
    }
    assert_eq!(record["chain_head"], r["data"]["data"]["chain_head"]);

    // `linli election verify` recomputes the chain and the tally from the file alone…
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("record.json");
    std::fs::write(&file, record.to_string()).unwrap();
    let out = verify(&file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("4 phone receipts"));
    // …and finds a ballot changed after the count.
    let mut forged = record.clone();
    let i = ballots
        .iter()
        .position(|b| b["marks"][0]["candidate_id"] == cand_c.to_string())
        .unwrap();
    forged["ballots"][i]["marks"][0]["candidate_id"] = json!(cand_a);
    std::fs::write(&file, forged.to_string()).unwrap();
    let out = verify(&file);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("ballot"), "{said}");
    // …and an event changed in the middle of the chain.
    let mut forged = record.clone();
    forged["events"][1]["body"] = json!(
        forged["events"][1]["body"]
            .as_str()
            .unwrap()
            .replace("\"roll_size\":6", "\"roll_size\":60")
    );
    std::fs::write(&file, forged.to_string()).unwrap();
    let out = verify(&file);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("recomputed"));
}

#[tokio::test]
async fn a_ballot_counts_only_if_the_server_has_it_before_the_close_and_only_once() {
    let p = Poll::new(3, 0).await;
    let cands = [
        p.stand(&p.voters[0], "").await,
        p.stand(&p.voters[1], "").await,
    ];
    // Before voting opens.
    refused(
        &mut p.phone(&p.voters[2]),
        "ballot.cast",
        ballot_args(p.election, &[(cands[0], "for")]),
        "voting_not_open",
    )
    .await;
    p.open_voting().await;

    // A ballot queued offline with a lost answer, sent again: applied once, same result.
    let mut phone = p.phone(&p.voters[2]);
    phone.mutate("ballot.cast", ballot_args(p.election, &[(cands[1], "for")]));
    let lost = phone.push_queue_raw().await;
    assert_eq!(lost.status(), 200);
    let again = phone.push().await;
    assert_eq!(again["results"][0]["status"], "applied", "{again}");
    // The same voter on a second device: already voted, the first stands.
    let mut tablet = phone.second_device();
    let r = refused(
        &mut tablet,
        "ballot.cast",
        ballot_args(p.election, &[(cands[0], "for")]),
        "already_voted",
    )
    .await;
    assert_eq!(r["data"]["data"]["voted"], "phone");

    // Bad ballots: each has its code, and none counts.
    let mut v0 = p.phone(&p.voters[0]);
    refused(
        &mut v0,
        "ballot.cast",
        ballot_args(p.election, &[(cands[0], "for"), (cands[1], "for")]),
        "too_many_choices",
    )
    .await;
    refused(
        &mut v0,
        "ballot.cast",
        ballot_args(p.election, &[(Uuid::now_v7(), "for")]),
        "not_standing",
    )
    .await;
    refused(
        &mut v0,
        "ballot.cast",
        ballot_args(p.election, &[(cands[0], "against")]),
        "validation_failed",
    )
    .await;
    refused(
        &mut p.phone(&p.neighbour),
        "ballot.cast",
        ballot_args(p.election, &[(cands[0], "for")]),
        "not_on_roll",
    )
    .await;
    let mut stranger_poll = ballot_args(Uuid::now_v7(), &[(cands[0], "for")]);
    stranger_poll["election_id"] = json!(Uuid::now_v7());
    refused(&mut v0, "ballot.cast", stranger_poll, "not_found").await;

    // A ballot made before the close but received after it: the phone's clock says it
    // was in time, the server's does not.
    let mut late = p.phone(&p.voters[1]);
    late.mutate("ballot.cast", ballot_args(p.election, &[(cands[1], "for")]));
    p.close_voting().await;
    let out = late.push().await;
    assert_eq!(out["results"][0]["code"], "voting_closed", "{out}");

    let mut officer = p.phone(&p.officers[0]);
    let r = applied(&mut officer, "election.count", json!({"id": p.election})).await;
    let result = &r["data"]["data"]["result"];
    assert_eq!(result["ballots_cast"], 1, "{r}");
    assert_eq!(result["voted"], 1);
    // One of four voters voted: not more than half, so nobody is elected.
    assert_eq!(result["valid"], false);
    assert!(
        result["counts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["elected"] == false)
    );
}

#[tokio::test]
async fn entrustments_are_limited_and_a_proxy_votes_once_for_each() {
    let p = Poll::new(6, 0).await;
    let cand = p.stand(&p.voters[0], "").await;
    let mut officer = p.phone(&p.officers[0]);
    // Before the roll is frozen there is no one to entrust.
    let early = refused(
        &mut officer,
        "entrustment.record",
        json!({"id": Uuid::now_v7(), "election_id": p.election, "from_elector_id": Uuid::now_v7(),
               "to_elector_id": Uuid::now_v7(), "document": "委託書 1"}),
        "voting_not_open",
    )
    .await;
    assert!(early["message"].as_str().unwrap().contains("roll"));
    p.open_voting().await;
    let proxy = p.entry_of("選民1").await;
    let mut trusts = Vec::new();
    for (i, name) in ["選民2", "選民3", "選民4"].iter().enumerate() {
        let from = p.entry_of(name).await;
        let id = Uuid::now_v7();
        applied(
            &mut officer,
            "entrustment.record",
            json!({"id": id, "election_id": p.election, "from_elector_id": from,
                   "to_elector_id": proxy, "document": format!("委託書 {i}")}),
        )
        .await;
        trusts.push(from);
    }
    // A fourth is over the limit of three.
    let from = p.entry_of("選民5").await;
    refused(
        &mut officer,
        "entrustment.record",
        json!({"id": Uuid::now_v7(), "election_id": p.election, "from_elector_id": from,
               "to_elector_id": proxy, "document": "委託書 4"}),
        "entrustments_full",
    )
    .await;
    // A resident who is not an officer cannot record one.
    refused(
        &mut p.phone(&p.voters[5]),
        "entrustment.record",
        json!({"id": Uuid::now_v7(), "election_id": p.election, "from_elector_id": from,
               "to_elector_id": proxy, "document": "委託書 5"}),
        "forbidden",
    )
    .await;

    // The proxy sees the three entrustments on their phone, and votes for each once.
    let mut proxy_phone = p.phone(&p.voters[1]);
    proxy_phone.pull().await;
    assert_eq!(proxy_phone.count("entrustment"), 3);
    for from in &trusts {
        let mut args = ballot_args(p.election, &[(cand, "for")]);
        args["on_behalf_of"] = json!(from);
        let r = applied(&mut proxy_phone, "ballot.cast", args.clone()).await;
        assert_eq!(r["data"]["entity"], "entrustment");
        assert_eq!(r["data"]["data"]["used"], true);
        args["nonce"] = json!(format!("n{}", Uuid::new_v4().simple()));
        refused(&mut proxy_phone, "ballot.cast", args, "already_voted").await;
    }
    // Not entrusted by 選民5.
    let mut args = ballot_args(p.election, &[(cand, "for")]);
    args["on_behalf_of"] = json!(from);
    refused(&mut proxy_phone, "ballot.cast", args, "not_entrusted").await;
    // The proxy's own vote is their own.
    applied(
        &mut proxy_phone,
        "ballot.cast",
        ballot_args(p.election, &[(cand, "for")]),
    )
    .await;
    // An entruster who voted themselves first would have been refused; here 選民2's own
    // phone finds the vote cast.
    refused(
        &mut p.phone(&p.voters[2]),
        "ballot.cast",
        ballot_args(p.election, &[(cand, "against")]),
        "already_voted",
    )
    .await;
    p.close_voting().await;
    let r = applied(&mut officer, "election.count", json!({"id": p.election})).await;
    let result = &r["data"]["data"]["result"];
    assert_eq!(result["voted"], 4, "{r}");
    assert_eq!(result["ballots_cast"], 4);
    // Uncontested (one candidate for one seat): 4 of 7 on the roll voted, all 4 for.
    assert_eq!(result["valid"], true);
    assert_eq!(result["counts"][0]["elected"], true);
}

#[tokio::test]
async fn nobody_standing_fails_the_election_and_a_move_out_after_the_freeze_keeps_the_vote() {
    let p = Poll::new(3, 0).await;
    // One nominee declines: nobody stands.
    let id = Uuid::now_v7();
    applied(
        &mut p.phone(&p.v.building_leader),
        "candidate.nominate",
        json!({"id": id, "election_id": p.election, "resident_id": p.voters[0].id, "by_committee": true}),
    )
    .await;
    applied(
        &mut p.phone(&p.voters[0]),
        "candidate.respond",
        json!({"candidate_id": id, "accept": false}),
    )
    .await;
    // A non-voter cannot be nominated.
    refused(
        &mut p.phone(&p.v.building_leader),
        "candidate.nominate",
        json!({"id": Uuid::now_v7(), "election_id": p.election, "resident_id": p.neighbour.id, "by_committee": true}),
        "not_eligible",
    )
    .await;
    // Only holders over the unit nominate in the committee's name.
    refused(
        &mut p.phone(&p.v.other_building_leader),
        "candidate.nominate",
        json!({"id": Uuid::now_v7(), "election_id": p.election, "resident_id": p.voters[1].id, "by_committee": true}),
        "forbidden",
    )
    .await;
    p.v.app.sync.clock.advance(Duration::minutes(61));
    p.wait_for("failed").await;
    refused(
        &mut p.phone(&p.voters[1]),
        "ballot.cast",
        ballot_args(p.election, &[(id, "for")]),
        "voting_closed",
    )
    .await;
    refused(
        &mut p.phone(&p.voters[1]),
        "candidate.nominate",
        json!({"id": Uuid::now_v7(), "election_id": p.election, "resident_id": p.voters[1].id}),
        "nominations_closed",
    )
    .await;

    // Another election in the same building: a voter who moves out after the freeze stays
    // on the roll and votes.
    let p2 = Poll {
        election: Uuid::now_v7(),
        ..p
    };
    let now = p2.v.app.sync.clock.wall();
    applied(
        &mut p2.phone(&p2.v.president),
        "election.create",
        json!({"id": p2.election, "title": "1號樓代表補選", "position": "representative",
               "unit_id": p2.v.b1, "seats": 1, "term_starts_on": "2027-01-01",
               "nominations_close": now + Duration::hours(1), "voting_opens": now + Duration::hours(1),
               "voting_closes": now + Duration::hours(2), "seconders": 0}),
    )
    .await;
    let cand = p2.stand(&p2.voters[0], "").await;
    p2.open_voting().await;
    let mut mover = p2.phone(&p2.voters[2]);
    let home = p2.v.roll_json(p2.v.b1).await["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["resident_id"] == p2.voters[2].id.to_string())
        .unwrap()["residency_id"]
        .clone();
    applied(&mut mover, "residency.move_out", json!({"id": home})).await;
    let (r, _) = p2.cast(&mut mover, &[cand]).await;
    assert_eq!(r["status"], "applied", "{r}");
}

/// Every table's every row, as text.
async fn dump(app: &crate::helpers::TestApp) -> BTreeMap<String, Vec<String>> {
    use sea_orm::{ConnectionTrait, Statement};
    let db = &app.db;
    let backend = db.get_database_backend();
    let tables_sql = if app.database_url.starts_with("postgres") {
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table'"
    };
    let tables: Vec<String> = db
        .query_all_raw(Statement::from_string(backend, tables_sql))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String>("", "name").unwrap())
        .collect();
    let mut out = BTreeMap::new();
    for t in tables {
        let sql = if app.database_url.starts_with("postgres") {
            format!("SELECT row_to_json(x)::text AS j FROM \"{t}\" x")
        } else {
            // Every column, joined as text.
            let cols: Vec<String> = db
                .query_all_raw(Statement::from_string(
                    backend,
                    format!("SELECT name FROM pragma_table_info('{t}')"),
                ))
                .await
                .unwrap()
                .iter()
                .map(|r| r.try_get::<String>("", "name").unwrap())
                .collect();
            let joined = cols
                .iter()
                .map(|c| {
                    format!(
                        "COALESCE(CASE WHEN typeof(\"{c}\") = 'blob' THEN hex(\"{c}\") ELSE CAST(\"{c}\" AS TEXT) END, '')"
                    )
                })
                .collect::<Vec<_>>()
                .join(" || '|' || ");
            format!("SELECT {joined} AS j FROM \"{t}\"")
        };
        let rows: Vec<String> = db
            .query_all_raw(Statement::from_string(backend, sql))
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String>("", "j").unwrap_or_default())
            .collect();
        out.insert(t, rows);
    }
    out
}

#[tokio::test]
async fn after_an_election_no_table_links_a_voter_to_their_choice() {
    let p = Poll::new(4, 0).await;
    let cands = [
        p.stand(&p.voters[0], "").await,
        p.stand(&p.voters[1], "").await,
    ];
    p.open_voting().await;
    let mut receipts = Vec::new();
    for (i, v) in p.voters.iter().enumerate() {
        let (r, receipt) = p.cast(&mut p.phone(v), &[cands[i % 2]]).await;
        assert_eq!(r["status"], "applied", "{r}");
        receipts.push(receipt);
    }
    p.close_voting().await;
    applied(
        &mut p.phone(&p.officers[0]),
        "election.count",
        json!({"id": p.election}),
    )
    .await;

    let tables = dump(&p.v.app).await;
    // What identifies a ballot: its id, receipt, nonce and choices.
    let ballots = &tables["ballot"];
    assert_eq!(ballots.len(), 4);
    let record: Value = p.read("record", &p.voters[0]).await.json().await.unwrap();
    let mut secrets: Vec<String> = receipts.clone();
    for b in record["ballots"].as_array().unwrap() {
        secrets.push(b["nonce"].as_str().unwrap().to_owned());
    }
    // The ballot table holds no voter and no time: its columns are exactly these.
    use sea_orm::{ConnectionTrait, Statement};
    let backend = p.v.app.db.get_database_backend();
    let cols_sql = if p.v.app.database_url.starts_with("postgres") {
        "SELECT column_name AS name FROM information_schema.columns WHERE table_name = 'ballot'"
    } else {
        "SELECT name FROM pragma_table_info('ballot')"
    };
    let mut cols: Vec<String> =
        p.v.app
            .db
            .query_all_raw(Statement::from_string(backend, cols_sql))
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String>("", "name").unwrap())
            .collect();
    cols.sort();
    assert_eq!(
        cols,
        [
            "choices",
            "election_id",
            "id",
            "nonce",
            "receipt",
            "sheet",
            "source"
        ]
    );
    let ids: Vec<Uuid> =
        p.v.app
            .db
            .query_all_raw(Statement::from_string(backend, "SELECT id FROM ballot"))
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<Uuid>("", "id").unwrap())
            .collect();
    let mut ballot_ids = Vec::new();
    for id in &ids {
        // Random ids: nothing in them orders ballots by arrival.
        assert_eq!(id.get_version_num(), 4, "{id}");
        ballot_ids.push(id.to_string());
        ballot_ids.push(id.simple().to_string().to_uppercase());
    }
    if !p.v.app.database_url.starts_with("postgres") {
        // Nor does a hidden rowid.
        let rowid =
            p.v.app
                .db
                .query_all_raw(Statement::from_string(backend, "SELECT rowid FROM ballot"))
                .await;
        assert!(rowid.is_err(), "the ballot table has a rowid");
    }
    for (table, rows) in &tables {
        if table == "ballot" {
            continue;
        }
        for row in rows {
            for s in secrets.iter().chain(&ballot_ids) {
                assert!(
                    !row.contains(s.as_str()),
                    "{table} holds a ballot's receipt, nonce or id: {row}"
                );
            }
        }
    }
    // The stored results of the casts, per client, hold no choice.
    for row in &tables["sync_mutation"] {
        if row.contains("ballot.cast") {
            for c in &cands {
                assert!(!row.contains(&c.to_string()), "{row}");
            }
        }
    }
    // Nothing about a ballot is audited.
    assert!(tables["audit_log"].iter().all(|r| !r.contains("ballot")));
}

#[tokio::test]
async fn each_resident_sees_their_own_roll_entry_and_officers_the_whole_roll() {
    let p = Poll::new(2, 0).await;
    let cand = p.stand(&p.voters[0], "").await;
    p.open_voting().await;
    let mut officer = p.phone(&p.officers[0]);
    let entry = p.entry_of("孫奶奶").await;
    applied(
        &mut officer,
        "paper.mark",
        json!({"election_id": p.election, "elector_id": entry}),
    )
    .await;
    p.cast(&mut p.phone(&p.voters[1]), &[cand]).await;

    // Through the sync feed.
    let mut voter = p.phone(&p.voters[1]);
    voter.pull().await;
    assert_eq!(voter.count("elector"), 1, "{:?}", voter.replica.keys());
    assert_eq!(voter.count("election"), 1);
    assert_eq!(voter.count("candidate"), 1);
    officer.pull().await;
    assert_eq!(officer.count("elector"), 3);
    let mut neighbour = p.phone(&p.neighbour);
    neighbour.pull().await;
    assert_eq!(neighbour.count("elector"), 0);
    // Elections are the community's notice board.
    assert_eq!(neighbour.count("election"), 1);
    // A building leader sees their residents' roll, not who voted.
    let mut leader = p.phone(&p.v.building_leader);
    leader.pull().await;
    assert_eq!(leader.count("elector"), 0);

    // Through the REST reads: the published roll is for the unit's residents and officers.
    assert_eq!(p.read("roll", &p.voters[0]).await.status(), 200);
    assert_eq!(p.read("roll", &p.officers[1]).await.status(), 200);
    let r = p.read("roll", &p.neighbour).await;
    assert_eq!(r.status(), 403);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "forbidden");
    assert_eq!(p.read("record", &p.neighbour).await.status(), 200);
    // Another community sees nothing of it.
    let elsewhere = crate::authz_matrix::foreign_community(&p.v.app).await;
    let stranger = crate::authz_matrix::register_admin(&p.v.app, elsewhere, "13911112222").await;
    for what in ["roll", "record"] {
        assert_eq!(p.read(what, &stranger).await.status(), 404);
    }
    let r =
        p.v.app
            .get(
                &format!("/api/v1/elections/{}", p.election),
                Some(&stranger.access_token),
            )
            .await;
    assert_eq!(r.status(), 404);
    let listed: Value =
        p.v.app
            .get("/api/v1/elections", Some(&stranger.access_token))
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(listed, json!([]));
    // Only officers mark paper voters or count.
    refused(
        &mut p.phone(&p.v.building_leader),
        "paper.mark",
        json!({"election_id": p.election, "elector_id": entry}),
        "forbidden",
    )
    .await;
    refused(
        &mut p.phone(&p.voters[0]),
        "election.count",
        json!({"id": p.election}),
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn a_voters_export_says_that_they_voted_never_what_and_deleting_the_account_keeps_the_count()
{
    let p = Poll::new(2, 0).await;
    let cand = p.stand(&p.voters[0], "").await;
    p.open_voting().await;
    let (r, _) = p.cast(&mut p.phone(&p.voters[1]), &[cand]).await;
    assert_eq!(r["status"], "applied", "{r}");
    let export: Value =
        p.v.app
            .get("/api/v1/me/export", Some(&p.voters[1].access_token))
            .await
            .json()
            .await
            .unwrap();
    let entries = export["elections"]["roll_entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{export}");
    assert_eq!(entries[0]["voted"], "phone");
    assert!(!export.to_string().contains(&cand.to_string()), "{export}");
    let candidacies = export["elections"]["candidacies"].as_array().unwrap();
    assert!(candidacies.is_empty());

    // The voter deletes their account: the roll keeps that someone voted, the count stands.
    let gone =
        p.v.app
            .client
            .post(p.v.app.url("/api/v1/me/delete"))
            .bearer_auth(&p.voters[1].access_token)
            .json(&json!({"password": crate::helpers::PASSWORD}))
            .send()
            .await
            .unwrap();
    assert!(gone.status().is_success(), "{}", gone.status());
    let mut officer = p.phone(&p.officers[0]);
    officer.pull().await;
    let rows: Vec<&Value> = officer
        .replica
        .iter()
        .filter(|((e, _), _)| e == "elector")
        .map(|(_, d)| d)
        .collect();
    assert!(
        rows.iter()
            .all(|x| x["resident_id"] != p.voters[1].id.to_string())
    );
    assert_eq!(rows.iter().filter(|x| x["voted"] == "phone").count(), 1);
    p.close_voting().await;
    let r = applied(&mut officer, "election.count", json!({"id": p.election})).await;
    assert_eq!(r["data"]["data"]["result"]["ballots_cast"], 1);
}

#[tokio::test]
async fn a_tie_goes_to_a_second_round_among_the_tied_on_the_same_roll() {
    let p = Poll::new(4, 0).await;
    let cands = [
        p.stand(&p.voters[0], "").await,
        p.stand(&p.voters[1], "").await,
    ];
    p.open_voting().await;
    for (i, v) in p.voters.iter().enumerate() {
        let (r, _) = p.cast(&mut p.phone(v), &[cands[i % 2]]).await;
        assert_eq!(r["status"], "applied", "{r}");
    }
    p.close_voting().await;
    let mut officer = p.phone(&p.officers[0]);
    let r = applied(&mut officer, "election.count", json!({"id": p.election})).await;
    let result = &r["data"]["data"]["result"];
    // 2 and 2 of 4 ballots: nobody has more than half; both go to a second round.
    assert_eq!(result["valid"], true, "{r}");
    assert_eq!(result["unfilled"], 1);
    assert!(
        result["counts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["runoff"] == true && c["elected"] == false)
    );

    // The second round: its candidates are the tied, its roll the first round's.
    let first = p.election;
    let now = p.v.app.sync.clock.wall();
    let second = Uuid::now_v7();
    let mut president = p.phone(&p.v.president);
    applied(
        &mut president,
        "election.create",
        json!({"id": second, "title": "1號樓樓長選舉（第二輪）", "position": "building_leader",
               "unit_id": p.v.b1, "term_starts_on": "2027-01-01",
               "nominations_close": now, "voting_opens": now + Duration::minutes(1),
               "voting_closes": now + Duration::hours(1), "runoff_of": first}),
    )
    .await;
    // A second round of an election with no runoff is refused.
    refused(
        &mut president,
        "election.create",
        json!({"id": Uuid::now_v7(), "title": "再來一輪", "position": "building_leader",
               "unit_id": p.v.b1, "term_starts_on": "2027-01-01",
               "nominations_close": now, "voting_opens": now + Duration::minutes(1),
               "voting_closes": now + Duration::hours(1), "runoff_of": second}),
        "no_runoff",
    )
    .await;
    let p2 = Poll {
        election: second,
        ..p
    };
    p2.v.app.sync.clock.advance(Duration::minutes(2));
    p2.wait_for("voting").await;
    let e = p2.get(&p2.voters[0]).await;
    assert_eq!(e["election"]["rules"]["round"], 2);
    assert_eq!(e["election"]["rules"]["majority_pct"], 33);
    assert_eq!(e["election"]["roll_size"], 5, "{e}");
    let standing: Vec<&Value> = e["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["standing"] == true)
        .collect();
    assert_eq!(standing.len(), 2, "{e}");
    let a = standing
        .iter()
        .find(|c| c["resident_id"] == p2.voters[0].id.to_string())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .parse::<Uuid>()
        .unwrap();
    for v in &p2.voters[..3] {
        let (r, _) = p2.cast(&mut p2.phone(v), &[a]).await;
        assert_eq!(r["status"], "applied", "{r}");
    }
    p2.close_voting().await;
    let r = applied(&mut officer, "election.count", json!({"id": second})).await;
    let winner = r["data"]["data"]["result"]["counts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["elected"] == true)
        .cloned()
        .unwrap();
    assert_eq!(winner["candidate_id"], a.to_string());
}

#[tokio::test]
async fn on_a_household_roll_each_household_votes_once_through_its_owner() {
    let p = Poll::new(3, 0).await;
    let now = p.v.app.sync.clock.wall();
    let e = Uuid::now_v7();
    applied(
        &mut p.phone(&p.v.president),
        "election.create",
        json!({"id": e, "title": "1號樓戶代表選舉", "position": "representative",
               "unit_id": p.v.b1, "term_starts_on": "2027-01-01", "basis": "household",
               "nominations_close": now + Duration::hours(1), "voting_opens": now + Duration::hours(1),
               "voting_closes": now + Duration::hours(2), "seconders": 0}),
    )
    .await;
    let p = Poll { election: e, ..p };
    let cand = p.stand(&p.voters[1], "").await;
    p.open_voting().await;
    let roll: Value = p.read("roll", &p.officers[0]).await.json().await.unwrap();
    let names: Vec<&str> = roll["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    // Two households: 302, in 孫奶奶's name (its owner, who has no phone), and 501, in
    // 選民1's (its only voter).
    assert_eq!(names.len(), 2, "{roll}");
    assert!(
        names.contains(&"孫奶奶") && names.contains(&"選民1"),
        "{roll}"
    );
    let (r, _) = p.cast(&mut p.phone(&p.voters[0]), &[cand]).await;
    assert_eq!(r["code"], "not_on_roll", "{r}");
    let (r, _) = p.cast(&mut p.phone(&p.voters[1]), &[cand]).await;
    assert_eq!(r["status"], "applied", "{r}");
    let grandma = p.entry_of("孫奶奶").await;
    applied(
        &mut p.phone(&p.officers[0]),
        "paper.mark",
        json!({"election_id": e, "elector_id": grandma}),
    )
    .await;
}
