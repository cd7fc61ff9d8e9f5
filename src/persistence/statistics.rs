//! The query planner's statistics on SQLite, kept fresh as the database grows.
//!
//! Without statistics SQLite guesses, and for a pull's "rows over these groups" read
//! (`group_id IN (…) ORDER BY version`) it guessed the community's feed index, which gives
//! the order for free but walks every sign-up of the community: 30 ms of a first sync at
//! 100,000 sign-ups, for no row. With `ANALYZE`'s figures it takes the group index and sorts
//! the few rows it finds (0.15 ms). A sampled `ANALYZE` (`PRAGMA optimize`'s
//! `analysis_limit`) estimated 401 sign-ups per community and kept the bad plan, so the
//! statistics here are full ones: about 65 ms at the bench's 100,000 sign-ups.
//!
//! They are gathered when the server starts, and again whenever the community versions
//! (one per commit) have grown by a fifth since the last time, looked at once a minute: a
//! database filling up (an import, a first term's sign-ups) is re-analysed as it grows, and a
//! settled one is left alone. PostgreSQL keeps its own (autovacuum's `ANALYZE`).

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};

/// Gathers full planner statistics (SQLite; nothing on PostgreSQL).
pub async fn analyze(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(());
    }
    db.execute_unprepared("PRAGMA analysis_limit = 0; ANALYZE;")
        .await?;
    Ok(())
}

/// The sum of every community's version: it grows by one with each commit.
async fn commits(db: &DatabaseConnection) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT CAST(COALESCE(SUM(version), 0) AS BIGINT) AS n FROM sync_version",
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0))
}

/// Whether `now` commits have grown enough past `then` to analyse again.
fn grown(then: i64, now: i64) -> bool {
    now - then >= 1_000 && now - then >= then / 5
}

/// Analyses now, then whenever the database has grown by a fifth (SQLite only).
pub fn keep_fresh(db: DatabaseConnection) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if db.get_database_backend() != DbBackend::Sqlite {
            return;
        }
        let mut last = None;
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            let now = match commits(&db).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the commit count");
                    continue;
                }
            };
            if last.is_some_and(|then| !grown(then, now)) {
                continue;
            }
            let started = std::time::Instant::now();
            match analyze(&db).await {
                Ok(()) => {
                    tracing::info!(
                        commits = now,
                        took_ms = started.elapsed().as_millis() as u64,
                        "planner statistics gathered"
                    );
                    last = Some(now);
                }
                Err(e) => tracing::warn!(error = %e, "ANALYZE failed"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analysed_again_only_after_a_fifth_more_commits() {
        assert!(!grown(0, 999));
        assert!(grown(0, 1_000));
        assert!(!grown(100_000, 119_999));
        assert!(grown(100_000, 120_000));
    }
}
