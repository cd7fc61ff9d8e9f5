//! The election clock: moves elections on when their windows pass (the roll freezes when
//! nominations close; the polls close when voting does), so phones see the new state without
//! anyone pushing. It looks once a second; every mutation on an election also brings it up
//! to the server's time inside its own transaction first ([`super::bring_up_to`]), so a
//! ballot that arrives a millisecond after the close is refused whether or not the clock has
//! run. A clock set ahead (the tests' way of crossing a window) wakes it at once. Several
//! server processes may run it at once: each step takes the community's write
//! lock and reads the election again, so a step done by one is a no-op for the others.

use std::time::Duration;

use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter};
use tokio::task::JoinHandle;

use super::bring_up_to;
use super::entity::election;
use super::rules::State;
use crate::http::AppState;
use crate::sync::write;

/// Runs the clock until aborted.
pub fn keep_time(state: AppState) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(1));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = every.tick() => {}
                () = state.sync.clock.moved() => {}
            }
            if let Err(e) = step(&state).await {
                tracing::warn!(error = %e, "the election clock could not move elections on; retrying");
            }
        }
    })
}

/// Moves every election whose window has passed; returns how many moved.
pub async fn step(state: &AppState) -> Result<usize, DbErr> {
    let now = state.sync.clock.wall();
    let due: Vec<election::Model> = election::Entity::find()
        .filter(election::Column::DeletedAt.is_null())
        .filter(election::Column::State.is_in([State::Nominating.as_str(), State::Voting.as_str()]))
        .all(&state.core.db)
        .await?
        .into_iter()
        .filter(|e| match State::parse(&e.state) {
            Some(State::Nominating) => now >= e.nominations_close,
            Some(State::Voting) => now >= e.voting_closes,
            _ => false,
        })
        .collect();
    let mut moved = 0;
    for e in due {
        let _turn = state.core.write_gate.turn().await;
        let txn = write::begin(&state.core.db).await?;
        write::lock(&txn, e.community_id).await?;
        let Some(mut e) = election::Entity::find_by_id(e.id).one(&txn).await? else {
            continue;
        };
        let version = bring_up_to(&txn, &mut e, now).await?;
        txn.commit().await?;
        if let Some(v) = version {
            state.sync.poker.committed(e.community_id, v);
            moved += 1;
        }
    }
    Ok(moved)
}
