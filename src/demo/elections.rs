//! The demo's elections: one finished, one open.
//!
//! Finished: the representative of one building, elected this very run. Two residents with
//! phones live there (their claims confirmed) and stand, and vote on their phones, and most of the building's elderly, who have no smartphone, vote on paper with
//! the mobile ballot box: an officer marks them on the roll, and after the close two
//! officers enter every paper ballot. The count publishes the result and the record.
//! The demo moves its own process's clock past each window, as the tests do; nothing is
//! backdated.
//!
//! Open: the next building's leader, nominations open for three days, voting the week after;
//! one candidate nominated by the committee, who has accepted.

use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use uuid::Uuid;

use super::{DemoPhone, applied, create};
use crate::entity::community;
use crate::features::elections::roll;
use crate::features::territory::entity::{household, position, unit};
use crate::http::AppState;

pub async fn build(
    state: &AppState,
    village: &community::Model,
    president: Uuid,
    hash: &str,
) -> anyhow::Result<String> {
    let db = &state.db;
    let buildings = unit::Entity::find()
        .filter(unit::Column::CommunityId.eq(village.id))
        .filter(unit::Column::Kind.eq("building"))
        .filter(unit::Column::DeletedAt.is_null())
        .order_by_asc(unit::Column::Id)
        .all(db)
        .await?;
    let [first, second, ..] = buildings.as_slice() else {
        anyhow::bail!("the demo's elections need two buildings");
    };
    let mut flats = Vec::new();
    for b in [first, second] {
        let flat = household::Entity::find()
            .filter(household::Column::BuildingId.eq(b.id))
            .order_by_asc(household::Column::Id)
            .one(db)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the demo's building {} has no flats", b.name))?;
        flats.push(flat.id);
    }
    let officer = position::Entity::find()
        .filter(position::Column::CommunityId.eq(village.id))
        .filter(position::Column::Kind.eq("election_officer"))
        .one(db)
        .await?
        .map(|p| p.resident_id)
        .ok_or_else(|| anyhow::anyhow!("the demo has no election officer"))?;
    let mut chair = DemoPhone::new(president);
    let mut clerk = DemoPhone::new(officer);

    // Residents with phones: two in the first building, one in the second.
    let mut voters = Vec::new();
    for (i, name) in ["孫建軍", "王淑芬", "李國華"].into_iter().enumerate() {
        let who = create(db, village, &format!("1370000000{i}"), name, hash).await?;
        let claim = Uuid::now_v7();
        let out = DemoPhone::new(who)
            .push(state, "residency.claim", json!({"id": claim, "household_id": flats[usize::from(i == 2)], "relation": "owner", "born": format!("{}", 1958 + i)}))
            .await?;
        applied(&out, "claim")?;
        let out = chair
            .push(
                state,
                "residency.decide",
                json!({"id": claim, "verdict": "confirm"}),
            )
            .await?;
        applied(&out, "confirmation")?;
        voters.push(who);
    }

    let now = state.sync.clock.wall();
    let election = Uuid::now_v7();
    let title = format!("{}居民代表選舉", first.name);
    let out = chair
        .push(state, "election.create", json!({"id": election, "title": title, "position": "representative",
            "unit_id": first.id, "term_starts_on": "2027-01-01", "term_ends_on": "2029-12-31",
            "nominations_close": now + Duration::seconds(10), "voting_opens": now + Duration::seconds(10),
            "voting_closes": now + Duration::seconds(20), "seconders": 0}))
        .await?;
    applied(&out, "election")?;
    let mut candidates = Vec::new();
    for (who, statement) in [
        (voters[0], "多為老人辦實事"),
        (voters[1], "修好樓道燈，管好停車"),
    ] {
        let id = Uuid::now_v7();
        let out = chair
            .push(state, "candidate.nominate", json!({"id": id, "election_id": election, "resident_id": who, "by_committee": true}))
            .await?;
        applied(&out, "nomination")?;
        let out = DemoPhone::new(who)
            .push(
                state,
                "candidate.respond",
                json!({"candidate_id": id, "accept": true, "statement": statement}),
            )
            .await?;
        applied(&out, "acceptance")?;
        candidates.push(id);
    }
    state.sync.clock.advance(Duration::seconds(11));
    for (i, who) in voters.iter().take(2).enumerate() {
        let pick = candidates[usize::from(i == 1)];
        let out = DemoPhone::new(*who)
            .push(
                state,
                "ballot.cast",
                json!({"election_id": election,
                "marks": [{"candidate_id": pick, "mark": "for"}], "write_ins": [],
                "nonce": format!("demo{}", Uuid::new_v4().simple())}),
            )
            .await?;
        applied(&out, "ballot")?;
    }
    // Two in three of the others vote on paper with the mobile ballot box.
    let roll = roll::entries(db, election).await?;
    let paper: Vec<Uuid> = roll
        .iter()
        .filter(|x| x.voted.is_none())
        .enumerate()
        .filter(|(i, _)| i % 3 != 2)
        .map(|(_, x)| x.id)
        .collect();
    for id in &paper {
        let out = clerk
            .push(
                state,
                "paper.mark",
                json!({"election_id": election, "elector_id": id}),
            )
            .await?;
        applied(&out, "paper mark")?;
    }
    state.sync.clock.advance(Duration::seconds(10));
    for (i, _) in paper.iter().enumerate() {
        let pick = candidates[usize::from(i % 5 == 4)];
        for phone in [&mut clerk, &mut chair] {
            let out = phone
                .push(
                    state,
                    "paper.enter",
                    json!({"id": Uuid::now_v7(), "election_id": election,
                    "sheet": format!("流動票箱-{:03}", i + 1),
                    "marks": [{"candidate_id": pick, "mark": "for"}], "write_ins": []}),
                )
                .await?;
            applied(&out, "paper entry")?;
        }
    }
    let out = clerk
        .push(state, "election.count", json!({"id": election}))
        .await?;
    applied(&out, "count")?;
    let result = &out["data"]["data"]["result"];

    // The open one.
    let open = Uuid::now_v7();
    let out = chair
        .push(
            state,
            "election.create",
            json!({"id": open, "title": format!("{}樓長換屆選舉", second.name),
            "position": "building_leader", "unit_id": second.id, "term_starts_on": "2027-03-01",
            "nominations_close": now + Duration::days(3), "voting_opens": now + Duration::days(7),
            "voting_closes": now + Duration::days(7) + Duration::hours(10)}),
        )
        .await?;
    applied(&out, "open election")?;
    let nominee = Uuid::now_v7();
    let out = chair
        .push(state, "candidate.nominate", json!({"id": nominee, "election_id": open, "resident_id": voters[2], "by_committee": true}))
        .await?;
    applied(&out, "open nomination")?;
    let out = DemoPhone::new(voters[2])
        .push(
            state,
            "candidate.respond",
            json!({"candidate_id": nominee, "accept": true, "statement": "願為鄰里跑腿"}),
        )
        .await?;
    applied(&out, "open acceptance")?;
    Ok(format!(
        "{title}: {} of {} voted ({} on paper), {} ballots, {}; {} open for nominations (one nominee)",
        result["voted"],
        result["roll_size"],
        paper.len(),
        result["ballots_cast"],
        if result["valid"] == true {
            "valid"
        } else {
            "not valid"
        },
        format_args!("{}樓長換屆選舉", second.name),
    ))
}
