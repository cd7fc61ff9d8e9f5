//! The write pipeline. Every change to synced data, whether it comes from a push, a REST
//! endpoint or a CLI command, runs in a transaction opened by [`begin`] and takes its version
//! from [`bump_version`], which increments the community's version row. That row stays locked
//! until commit, so versions are handed out in commit order and a pull cursor can never pass
//! a change that commits later. On PostgreSQL the bump also queues the poke, which PostgreSQL
//! delivers only if the transaction commits.
//!
//! On SQLite every write, synced or not (a login's session row, say), needs the database's
//! one write lock, and a writer that finds it taken polls for it, sleeping up to 100 ms
//! between tries: whoever asks again at the right moment wins, not whoever waited longest.
//! Under a sign-up rush the push writer takes the lock again microseconds after each commit,
//! and a login could poll past its 5 s busy timeout. So this server's writers first take a
//! turn at the [`WriteGate`], a first-come-first-served queue in memory, and meet on the lock
//! itself only with other processes (the CLI). PostgreSQL queues lock waiters fairly by
//! itself: there the gate lets everyone through.

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Semaphore, SemaphorePermit};
use uuid::Uuid;

use crate::entity::sync_version;

/// Turns at writing, first come first served (SQLite only; see the module doc).
#[derive(Debug)]
pub struct WriteGate {
    turn: Option<Semaphore>,
    waiting: AtomicUsize,
}

impl WriteGate {
    pub fn for_backend(backend: DbBackend) -> Self {
        Self {
            turn: (backend == DbBackend::Sqlite).then(|| Semaphore::new(1)),
            waiting: AtomicUsize::new(0),
        }
    }

    /// Waits for this writer's turn; the turn lasts until the returned guard is dropped.
    /// Never take a turn while holding one: that waits forever.
    pub async fn turn(&self) -> Option<SemaphorePermit<'_>> {
        let turn = self.turn.as_ref()?;
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let permit = turn.acquire().await;
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        // The semaphore is never closed.
        permit.ok()
    }

    /// Writers waiting for their turn.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }
}

/// Opens a writing transaction. On SQLite it takes the write lock up front (`BEGIN
/// IMMEDIATE`), so two writers queue instead of deadlocking when they upgrade.
pub async fn begin(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Locks the community's version row until commit, without taking a version: a writer
/// calls this before reading what it will decide on, so on PostgreSQL (READ COMMITTED) every
/// read after it sees all earlier writers' commits and no later writer can slip in between.
/// SQLite needs nothing: `BEGIN IMMEDIATE` already holds the database's write lock.
pub async fn lock(txn: &impl ConnectionTrait, community: Uuid) -> Result<(), DbErr> {
    let backend = txn.get_database_backend();
    if backend != DbBackend::Postgres {
        return Ok(());
    }
    let ensure = Query::insert()
        .into_table(sync_version::Entity)
        .columns([
            sync_version::Column::CommunityId,
            sync_version::Column::Version,
            sync_version::Column::PurgedThrough,
        ])
        .values_panic([community.into(), 0i64.into(), 0i64.into()])
        .on_conflict(
            OnConflict::column(sync_version::Column::CommunityId)
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    txn.execute(&ensure).await?;
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        "SELECT version FROM sync_version WHERE community_id = $1 FOR UPDATE",
        [community.into()],
    ))
    .await?;
    Ok(())
}

/// Takes the community's next version (locking its row until commit).
pub async fn bump_version(txn: &impl ConnectionTrait, community: Uuid) -> Result<i64, DbErr> {
    let backend = txn.get_database_backend();
    let insert = Query::insert()
        .into_table(sync_version::Entity)
        .columns([
            sync_version::Column::CommunityId,
            sync_version::Column::Version,
            sync_version::Column::PurgedThrough,
        ])
        .values_panic([community.into(), 1i64.into(), 0i64.into()])
        .on_conflict(
            OnConflict::column(sync_version::Column::CommunityId)
                .value(
                    sync_version::Column::Version,
                    Expr::col((sync_version::Entity, sync_version::Column::Version)).add(1),
                )
                .to_owned(),
        )
        .returning_col(sync_version::Column::Version)
        .to_owned();
    let row = txn
        .query_one(&insert)
        .await?
        .ok_or_else(|| DbErr::Custom("bumping the sync version returned nothing".into()))?;
    let version: i64 = row.try_get("", "version")?;
    if backend == DbBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            "SELECT pg_notify($1, $2)",
            [
                super::pokes::CHANNEL.into(),
                format!("{community}:{version}").into(),
            ],
        ))
        .await?;
    }
    Ok(version)
}

/// The community's newest version and purge floor, as seen by `conn`'s snapshot.
pub async fn head(conn: &impl ConnectionTrait, community: Uuid) -> Result<(i64, i64), DbErr> {
    use sea_orm::EntityTrait;
    Ok(sync_version::Entity::find_by_id(community)
        .one(conn)
        .await?
        .map(|v| (v.version, v.purged_through))
        .unwrap_or((0, 0)))
}
