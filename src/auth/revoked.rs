//! Logged-out sessions, so their access tokens stop working at once rather than when they
//! expire (at most 15 minutes later).
//!
//! An access token names its session (`sid`, the refresh-token family it was issued from).
//! Logging out, or replaying a used refresh token, revokes the family in the database; each
//! server process keeps the families revoked within the last access-token lifetime in memory,
//! and a request's token is refused if its session is among them. The cost per request is one
//! hash-set lookup. A process learns of its own revocations at once, and of other processes'
//! (several instances on one PostgreSQL) by reading the recent revocations every
//! [`REFRESH_EVERY`]: one indexed query, whatever the load, so a token logged out elsewhere
//! works for at most that long.
//!
//! A sync event stream outlives the check made when it opened, so it waits on
//! [`RevokedSessions::ended`] as well: each revocation a process learns of wakes the streams
//! it serves, and those of the revoked session close.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::tokens::ACCESS_TOKEN_TTL;
use crate::entity::refresh_token;

/// How often a process reads the revocations other processes made.
pub const REFRESH_EVERY: Duration = Duration::from_secs(2);

/// Sessions revoked within the last access-token lifetime, with when.
#[derive(Debug)]
pub struct RevokedSessions {
    revoked: RwLock<HashMap<Uuid, DateTime<Utc>>>,
    /// Bumped whenever a session is added, to wake those waiting in [`Self::ended`].
    added: tokio::sync::watch::Sender<u64>,
}

impl Default for RevokedSessions {
    fn default() -> Self {
        Self {
            revoked: RwLock::default(),
            added: tokio::sync::watch::Sender::new(0),
        }
    }
}

impl RevokedSessions {
    /// Whether access tokens of session `sid` must be refused.
    pub fn is_revoked(&self, sid: Uuid) -> bool {
        self.revoked
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(&sid)
    }

    /// Records that session `sid` was revoked at `at` (by this process).
    pub fn revoke(&self, sid: Uuid, at: DateTime<Utc>) {
        self.revoked
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(sid, at);
        self.added.send_modify(|n| *n += 1);
    }

    /// Resolves once session `sid` is revoked (here, or by another process, as soon as this
    /// one reads it).
    pub async fn ended(&self, sid: Uuid) {
        let mut added = self.added.subscribe();
        while !self.is_revoked(sid) {
            if added.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// Reads the sessions revoked within the last access-token lifetime (by any process) and
    /// forgets older ones, whose access tokens have expired anyway.
    pub async fn refresh(&self, db: &DatabaseConnection, now: DateTime<Utc>) -> Result<(), DbErr> {
        let since = now - ACCESS_TOKEN_TTL - chrono::Duration::minutes(1);
        let recent: Vec<(Uuid, Option<DateTime<Utc>>)> = refresh_token::Entity::find()
            .select_only()
            .column(refresh_token::Column::FamilyId)
            .column(refresh_token::Column::RevokedAt)
            .filter(refresh_token::Column::RevokedAt.gt(since))
            .into_tuple()
            .all(db)
            .await?;
        let mut revoked = self.revoked.write().unwrap_or_else(|e| e.into_inner());
        revoked.retain(|_, at| *at > since);
        let before = revoked.len();
        for (family, at) in recent {
            revoked.entry(family).or_insert(at.unwrap_or(now));
        }
        let grew = revoked.len() > before;
        drop(revoked);
        if grew {
            self.added.send_modify(|n| *n += 1);
        }
        Ok(())
    }

    /// Keeps refreshing until the task is aborted.
    pub fn keep_fresh(
        self: std::sync::Arc<Self>,
        db: DatabaseConnection,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut every = tokio::time::interval(REFRESH_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                if let Err(e) = self.refresh(&db, Utc::now()).await {
                    tracing::warn!(error = %e, "reading revoked sessions failed; will retry");
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revoked_session_is_refused_and_others_are_not() {
        let revoked = RevokedSessions::default();
        let (gone, alive) = (Uuid::now_v7(), Uuid::now_v7());
        revoked.revoke(gone, Utc::now());
        assert!(revoked.is_revoked(gone));
        assert!(!revoked.is_revoked(alive));
    }

    #[tokio::test]
    async fn waiting_for_a_session_to_end_resolves_at_its_revocation_only() {
        let revoked = std::sync::Arc::new(RevokedSessions::default());
        let (mine, other) = (Uuid::now_v7(), Uuid::now_v7());
        let waiting = tokio::spawn({
            let revoked = revoked.clone();
            async move { revoked.ended(mine).await }
        });
        tokio::task::yield_now().await;
        revoked.revoke(other, Utc::now());
        tokio::task::yield_now().await;
        assert!(
            !waiting.is_finished(),
            "another session's logout ended this one"
        );
        revoked.revoke(mine, Utc::now());
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the wait ends when the session is revoked")
            .unwrap();
    }
}
