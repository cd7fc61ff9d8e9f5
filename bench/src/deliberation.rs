//! The town's deliberation, for the morning load to read: the community's register and its
//! topics' threads, which every resident's phone holds and which residents without a
//! replica read over REST.
//!
//! Seeded once through the same mutations phones push (so the server's heads, caches and
//! pokes see every row): 60 community topics with 8 comments each, and the joint meeting
//! that adopts 20 decisions, each with two tasks, one of them reported done. Its voting
//! members are whoever holds an elected position in the town, and the admin, invited as a
//! member; the admin chairs, checks every member in and records their hands.

use anyhow::Context;
use serde_json::{Value, json};
use uuid::Uuid;

use super::seed::Town;
use super::{Api, mutation};
use linli::features::deliberation::motions::decision_id;

const TOPICS: usize = 60;
const COMMENTS: usize = 8;
const DECISIONS: usize = 20;

/// What the morning load reads: the topics whose threads it opens.
pub struct Register {
    pub topics: Vec<Uuid>,
}

/// Pushes `mutations` as the admin's phone, 400 at a time; every one must apply.
async fn push_all(api: &Api, town: &Town, mutations: Vec<Value>) -> anyhow::Result<Vec<Value>> {
    let client = Uuid::now_v7();
    let mut results = Vec::new();
    for (k, chunk) in mutations.chunks(400).enumerate() {
        let batch: Vec<Value> = chunk
            .iter()
            .enumerate()
            .map(|(i, m)| {
                mutation(
                    (k * 400 + i + 1) as u64,
                    m["name"].as_str().unwrap_or(""),
                    m["args"].clone(),
                )
            })
            .collect();
        let out = api.push(&town.admin_token, client, &batch).await?;
        for r in out["results"].as_array().context("push results")? {
            anyhow::ensure!(
                r["status"] == "applied",
                "a deliberation seed was refused: {r}"
            );
            results.push(r.clone());
        }
    }
    Ok(results)
}

fn m(name: &str, args: Value) -> Value {
    json!({"name": name, "args": args})
}

pub async fn seed(api: &Api, town: &Town) -> anyhow::Result<Register> {
    let token = &town.admin_token;
    let listed = api.get_json(token, "/api/v1/topics", &[]).await?;
    let mut topics: Vec<Uuid> = listed
        .as_array()
        .context("topics")?
        .iter()
        .filter_map(|t| t["id"].as_str()?.parse().ok())
        .collect();
    let decided = api.get_json(token, "/api/v1/decisions", &[]).await?;
    if topics.len() >= TOPICS && decided.as_array().is_some_and(|d| d.len() >= DECISIONS) {
        return Ok(Register { topics });
    }
    let me = api.get_json(token, "/api/v1/me", &[]).await?;
    let admin: Uuid = me["id"].as_str().context("my id")?.parse()?;
    let mut seeds = Vec::new();
    topics.clear();
    for t in 0..TOPICS {
        let topic = Uuid::now_v7();
        topics.push(topic);
        seeds.push(m(
            "topic.raise",
            json!({"id": topic, "unit_id": null,
            "title": format!("議題 {t}：樓道燈、停車、垃圾分類"), "category": "other",
            "description": "居民反映的情況，請大家一起商量。".repeat(4)}),
        ));
        for c in 0..COMMENTS {
            seeds.push(m(
                "comment.post",
                json!({"id": Uuid::now_v7(), "topic_id": topic,
                "body": format!("第{c}條意見：同意，建議下週議事會討論。")}),
            ));
        }
    }
    let meeting = Uuid::now_v7();
    let now = chrono::Utc::now();
    seeds.push(m(
        "meeting.convene",
        json!({"id": meeting, "unit_id": null, "title": "聯席會議",
        "starts_at": now, "ends_at": now + chrono::Duration::hours(3), "place": "社區禮堂",
        "agenda": &topics[..DECISIONS], "invite": [{"resident_id": admin, "part": "member"}]}),
    ));
    push_all(api, town, seeds).await?;
    let view = api
        .get_json(token, &format!("/api/v1/meetings/{meeting}"), &[])
        .await?;
    let members: Vec<String> = view["invitations"]
        .as_array()
        .context("invitations")?
        .iter()
        .filter(|i| i["part"] == "member")
        .filter_map(|i| i["resident_id"].as_str().map(str::to_owned))
        .collect();
    let mut seeds: Vec<Value> = members
        .iter()
        .map(|r| {
            m(
                "meeting.check_in",
                json!({"meeting_id": meeting, "resident_id": r}),
            )
        })
        .collect();
    let hands: Vec<Value> = members
        .iter()
        .map(|r| json!({"resident_id": r, "choice": "agree"}))
        .collect();
    for topic in &topics[..DECISIONS] {
        let motion = Uuid::now_v7();
        let decision = decision_id(motion);
        seeds.push(m(
            "motion.propose",
            json!({"id": motion, "meeting_id": meeting,
            "topic_id": topic, "title": "方案", "text": "一、……；二、……；三、……。".repeat(10)}),
        ));
        seeds.push(m(
            "motion.hands",
            json!({"motion_id": motion, "votes": hands}),
        ));
        seeds.push(m("motion.close", json!({"motion_id": motion})));
        for (k, title) in ["落實方案", "公示結果"].into_iter().enumerate() {
            let task = Uuid::now_v7();
            seeds.push(m(
                "task.assign",
                json!({"id": task, "decision_id": decision, "title": title,
                "owner": {"kind": "resident", "id": admin},
                "due_on": (now + chrono::Duration::days(14)).date_naive()}),
            ));
            if k == 0 {
                seeds.push(m(
                    "task.report",
                    json!({"task_id": task, "status": "in_progress",
                    "note": "已開始"}),
                ));
            }
        }
    }
    seeds.push(m("meeting.close", json!({"meeting_id": meeting})));
    push_all(api, town, seeds).await?;
    Ok(Register { topics })
}
