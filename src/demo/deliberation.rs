//! The demo's deliberation: the parking problem as it happened, in the first building.
//!
//! A resident raises the topic and a neighbour supports it; the building leader puts it on
//! the agenda and convenes the building's meeting with its representatives; all of them
//! check in (the leader checks in the one without a phone), the plan is put and adopted
//! unanimously by a show of hands, and enters the register. Two tasks carry it out (mark
//! the bays, print the rules); both are reported done, the leader reports back, and the
//! residents rate it. The minutes are written and approved. Everything goes through the
//! same mutations a phone pushes.

use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{DemoPhone, applied, create};
use crate::entity::community;
use crate::features::territory::entity::{position, residency, unit};
use crate::features::territory::local_today;
use crate::http::AppState;

pub async fn build(
    state: &AppState,
    village: &community::Model,
    president: Uuid,
    hash: &str,
) -> anyhow::Result<String> {
    let db = &state.db;
    let first = unit::Entity::find()
        .filter(unit::Column::CommunityId.eq(village.id))
        .filter(unit::Column::Kind.eq("building"))
        .filter(unit::Column::DeletedAt.is_null())
        .order_by_asc(unit::Column::Id)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo's deliberation needs a building"))?;
    let leader = position::Entity::find()
        .filter(position::Column::UnitId.eq(first.id))
        .filter(position::Column::Kind.eq("building_leader"))
        .filter(position::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .map_or(president, |p| p.resident_id);
    // Residents with phones living there (the elections' voters).
    let residents: Vec<Uuid> = residency::Entity::find()
        .filter(residency::Column::BuildingId.eq(first.id))
        .filter(residency::Column::Status.eq("verified"))
        .filter(residency::Column::ResidentId.is_not_null())
        .filter(residency::Column::DeletedAt.is_null())
        .order_by_asc(residency::Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|r| r.resident_id)
        .collect();
    let [raiser, supporter, ..] = residents.as_slice() else {
        anyhow::bail!("the demo's deliberation needs two residents with phones in one building");
    };
    let mut chair = DemoPhone::new(leader);
    let mut admin = DemoPhone::new(president);

    // Three residents' representatives of the building sit at the table.
    let mut reps = Vec::new();
    for (i, name) in ["趙桂蘭", "錢德明", "周玉珍"].into_iter().enumerate() {
        let who = create(db, village, &format!("1371000000{i}"), name, hash).await?;
        let out = admin
            .push(
                state,
                "position.assign",
                json!({"id": Uuid::now_v7(), "kind": "representative", "unit_id": first.id,
                       "resident_id": who, "starts_on": "2026-01-01", "ends_on": "2028-12-31",
                       "decision": "2026年1月居民代表大會選舉"}),
            )
            .await?;
        applied(&out, "representative")?;
        reps.push(who);
    }

    let topic = Uuid::now_v7();
    let out = DemoPhone::new(*raiser)
        .push(
            state,
            "topic.raise",
            json!({"id": topic, "unit_id": first.id, "title": "地面停車亂，消防通道常被堵",
                   "description": "晚上車停得滿地都是，救護車進不來。能不能劃車位、立規矩？",
                   "category": "parking"}),
        )
        .await?;
    applied(&out, "topic")?;
    for who in [*raiser, *supporter] {
        let out = DemoPhone::new(who)
            .push(state, "topic.support", json!({"topic_id": topic}))
            .await?;
        applied(&out, "support")?;
    }
    let out = DemoPhone::new(*supporter)
        .push(
            state,
            "comment.post",
            json!({"id": Uuid::now_v7(), "topic_id": topic,
            "body": "同意！上週老李家叫救護車，車在外面等了十分鐘。"}),
        )
        .await?;
    applied(&out, "comment")?;
    let out = chair
        .push(state, "topic.refer", json!({"topic_id": topic}))
        .await?;
    applied(&out, "agenda")?;

    // The meeting, held now.
    let meeting = Uuid::now_v7();
    let starts = state.sync.clock.wall();
    let out = chair
        .push(
            state,
            "meeting.convene",
            json!({"id": meeting, "unit_id": first.id, "title": format!("{}議事會：停車問題", first.name),
                   "starts_at": starts, "ends_at": starts + Duration::hours(2), "place": "社區活動室",
                   "agenda": [topic], "invite": [{"resident_id": raiser, "part": "resident"}]}),
        )
        .await?;
    applied(&out, "meeting")?;
    let members: Vec<Uuid> = std::iter::once(leader)
        .chain(reps.iter().copied())
        .collect();
    for (i, who) in members.iter().enumerate() {
        // The last representative has no smartphone: the chair checks her in.
        let out = if i + 1 == members.len() {
            chair
                .push(
                    state,
                    "meeting.check_in",
                    json!({"meeting_id": meeting, "resident_id": who}),
                )
                .await?
        } else {
            DemoPhone::new(*who)
                .push(state, "meeting.check_in", json!({"meeting_id": meeting}))
                .await?
        };
        applied(&out, "check-in")?;
    }
    let motion = Uuid::now_v7();
    let today = local_today(starts);
    let out = chair
        .push(
            state,
            "motion.propose",
            json!({"id": motion, "meeting_id": meeting, "topic_id": topic, "title": "停車方案",
                   "text": "一、劃定地面停車位，按戶登記，一戶一位；二、消防通道全天禁停，違者由樓長勸離；三、外來車輛停放不超過兩小時。",
                   "review_on": today + Duration::days(90)}),
        )
        .await?;
    applied(&out, "motion")?;
    let hands: Vec<Value> = members
        .iter()
        .map(|m| json!({"resident_id": m, "choice": "agree"}))
        .collect();
    let out = chair
        .push(
            state,
            "motion.hands",
            json!({"motion_id": motion, "votes": hands}),
        )
        .await?;
    applied(&out, "show of hands")?;
    let out = chair
        .push(state, "motion.close", json!({"motion_id": motion}))
        .await?;
    applied(&out, "close")?;
    let counted = out["data"]["data"].clone();
    let decision = counted["decision_id"].clone();
    anyhow::ensure!(decision.is_string(), "the demo's plan did not pass: {out}");
    let out = chair
        .push(state, "minutes.write", json!({"meeting_id": meeting,
            "text": format!("應到{n}人，實到{n}人。停車方案經討論，舉手表決全票通過。", n = members.len())}))
        .await?;
    applied(&out, "minutes")?;
    let out = chair
        .push(
            state,
            "minutes.approve",
            json!({"meeting_id": meeting, "revision": 1}),
        )
        .await?;
    applied(&out, "approval")?;
    let out = chair
        .push(state, "meeting.close", json!({"meeting_id": meeting}))
        .await?;
    applied(&out, "meeting close")?;

    // Carried out and supervised.
    for (title, owner, note) in [
        ("劃停車位", reps[0], "八十個車位已劃好，按戶登記完畢"),
        ("印發停車規則", leader, "規則已貼到每個單元門口"),
    ] {
        let task = Uuid::now_v7();
        let out = chair
            .push(
                state,
                "task.assign",
                json!({"id": task, "decision_id": decision, "title": title,
                "owner": {"kind": "resident", "id": owner}, "due_on": today + Duration::days(14)}),
            )
            .await?;
        applied(&out, "task")?;
        let out = DemoPhone::new(owner)
            .push(
                state,
                "task.report",
                json!({"task_id": task, "status": "done", "note": note}),
            )
            .await?;
        applied(&out, "task report")?;
    }
    let out = chair
        .push(
            state,
            "decision.report",
            json!({"decision_id": decision,
            "text": "車位劃好，規則貼出，夜間消防通道暢通", "done": true}),
        )
        .await?;
    applied(&out, "report back")?;
    for (who, rating, comment) in [
        (*raiser, "satisfied", "晚上好停多了"),
        (*supporter, "satisfied", "救護車能進來了"),
    ] {
        let out = DemoPhone::new(who)
            .push(
                state,
                "decision.rate",
                json!({"decision_id": decision, "rating": rating, "comment": comment}),
            )
            .await?;
        applied(&out, "rating")?;
    }
    Ok(format!(
        "{}: a topic with 2 supports; the parking plan adopted {}–{} ({} abstaining, {} absent); 2 tasks done; rated by 2 residents",
        first.name, counted["agree"], counted["against"], counted["abstain"], counted["absent"]
    ))
}
