//! The cases' clock: an open case past its due time is flagged and escalated to the level
//! above (its area's or compound's holders, or the president's office), with the step on its
//! timeline, so the holder above sees it on their phone without anyone pushing. It looks
//! every few seconds, and at once when the server's clock is set ahead (the tests' way of
//! letting hours pass). Several servers may run it: each escalation takes the community's
//! write lock and reads the case again, so a case escalated by one is left alone by the
//! others.

use std::time::Duration;

use sea_orm::{
    ActiveModelTrait as _, ColumnTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter,
};
use tokio::task::JoinHandle;

use super::entity::case_file;
use super::handling::{carry, where_of};
use super::rules::{self, State};
use super::wire::TimelineStep;
use crate::http::AppState;
use crate::sync::write::{self, bump_version};

/// Runs the clock until aborted.
pub fn keep_time(state: AppState) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(5));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = every.tick() => {}
                () = state.sync.clock.moved() => {}
            }
            if let Err(e) = step(&state).await {
                tracing::warn!(error = %e, "the cases' clock could not escalate overdue cases; retrying");
            }
        }
    })
}

/// Escalates every open case past its due time; returns how many.
pub async fn step(state: &AppState) -> Result<usize, DbErr> {
    let now = state.sync.clock.wall();
    let open: Vec<&str> = State::ALL
        .iter()
        .filter(|s| s.open())
        .map(|s| s.as_str())
        .collect();
    let due: Vec<case_file::Model> = case_file::Entity::find()
        .filter(case_file::Column::State.is_in(open))
        .filter(case_file::Column::DueAt.lt(now))
        .filter(case_file::Column::EscalatedAt.is_null())
        .filter(case_file::Column::DeletedAt.is_null())
        .all(&state.core.db)
        .await?;
    let mut moved = 0;
    for c in due {
        let _turn = state.core.write_gate.turn().await;
        let txn = write::begin(&state.core.db).await?;
        write::lock(&txn, c.community_id).await?;
        let Some(c) = case_file::Entity::find_by_id(c.id).one(&txn).await? else {
            continue;
        };
        let Some(s) = State::parse(&c.state) else {
            continue;
        };
        if c.escalated_at.is_some() || !rules::overdue(s, c.due_at, now) {
            continue;
        }
        let version = bump_version(&txn, c.community_id).await?;
        let to = match rules::escalates_to(where_of(&c)) {
            Some(_) if c.area_id.is_some() && c.building_id.is_some() => "片長 (area leader)",
            Some(_) => "分會長 (branch president)",
            None => "會長 (president)",
        };
        let step = TimelineStep {
            at: now,
            step: "escalated".into(),
            by: String::new(),
            text: Some(format!("逾期未辦結，已上報{to}")),
            state: s,
        };
        let mut timeline: Vec<TimelineStep> = serde_json::from_str(&c.timeline).unwrap_or_default();
        timeline.push(step.clone());
        let mut m = c.clone().into_active_model();
        m.escalated_at = sea_orm::Set(Some(now));
        m.timeline = sea_orm::Set(serde_json::to_string(&timeline).unwrap_or_else(|_| "[]".into()));
        m.version = sea_orm::Set(version);
        let c = m.update(&txn).await?;
        carry(&txn, &c, &step, version).await?;
        txn.commit().await?;
        state.sync.poker.committed(c.community_id, version);
        moved += 1;
    }
    Ok(moved)
}
