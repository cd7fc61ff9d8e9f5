//! The sync engine: how phones that work offline for days converge with the server and with
//! each other. It knows clients, mutation ids, versions, cursors and pokes, and no entity:
//! an app declares its mutations, synced tables and visibility to it ([`registry`],
//! [`feed`]), the way Replicache apps register mutators and PowerSync apps declare buckets.
//!
//! - [`registry`]: what an app declares ([`SyncApp`]), the [`sync_app!`](crate::sync_app)
//!   declaration that assembles its unions, and a mutation's [`Outcome`](registry::Outcome).
//! - [`feed`]: synced tables (their rank, audience, schema version, encoding).
//! - [`push`]: idempotent, ordered application of a phone's queued mutations, each with its
//!   stored result.
//! - [`group_commit`]: the pushes waiting for a community's write lock, decided in one
//!   transaction and one commit.
//! - [`pull`]: the scoped change feed from a signed cursor, read in one snapshot.
//! - [`public_feed`]: the community's public rows at its head, encoded once for every
//!   phone's first sync.
//! - [`viewers`]: who is pulling, read once per community version rather than per page.
//! - [`at_head`]: "anything new?" answered from memory.
//! - [`horizon`]: how far back and ahead phones hold rows bound to a day.
//! - [`scope`]: how far a resident sees beyond their own rows.
//! - [`cursor`]: the signed, versioned cursor.
//! - [`write`]: the write pipeline every change goes through (commit-ordered versions).
//! - [`pokes`]: waking connected phones after a commit, across processes on PostgreSQL.
//! - [`compact`]: purging old tombstones.
//! - [`error`]: the engine's errors; `crate::web::error` says them as problem+json.
//! - [`wire`]: the protocol's types that belong to no capability.
//!
//! Below it: `crate::persistence`, `crate::entity` (clients, stored results, versions) and
//! the shared rules in `crate::domain` (clocks, merging, permissions). Nothing here imports
//! the HTTP layer or a capability.

pub mod at_head;
pub mod compact;
pub mod cursor;
pub mod error;
pub mod feed;
pub mod group_commit;
pub mod horizon;
pub mod pokes;
pub mod public_feed;
pub mod pull;
pub mod push;
pub mod registry;
pub mod scope;
pub mod viewers;
pub mod wire;
pub mod write;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::domain::hlc::ServerClock;
pub use error::SyncError;
use feed::Tables;
use group_commit::GroupCommit;
use pokes::Poker;
pub use registry::SyncApp;

/// The engine's state for one app: its tables, its writers and its caches.
pub struct SyncEngine<A: SyncApp> {
    /// Pulls' read snapshots. On PostgreSQL its sessions default to REPEATABLE READ, READ
    /// ONLY, so a snapshot costs one `BEGIN` (and can write nothing); on SQLite it is the
    /// writers' pool.
    pub reader: DatabaseConnection,
    /// The server's hybrid logical clock.
    pub clock: Arc<ServerClock>,
    pub cursor_key: Arc<cursor::CursorKey>,
    pub poker: Arc<Poker>,
    /// Phones known to be at the head of their feed ("anything new?" from memory).
    pub at_head: at_head::AtHead,
    /// Each community's public rows, encoded once for first syncs.
    pub public_feed: public_feed::PublicFeed,
    /// Pulling residents, read once per community version.
    pub viewers: viewers::Viewers,
    /// Pushes waiting to be written, decided together per community.
    pub group_commit: GroupCommit<A>,
    /// The app's synced tables.
    pub tables: Tables<A>,
    /// How far back and ahead phones hold rows bound to a day.
    pub horizon: horizon::Horizon,
}

impl<A: SyncApp> SyncEngine<A> {
    pub fn new(
        db: DatabaseConnection,
        reader: DatabaseConnection,
        clock: Arc<ServerClock>,
        cursor_key: Arc<cursor::CursorKey>,
        poker: Arc<Poker>,
        gate: Arc<write::WriteGate>,
    ) -> Self {
        Self {
            reader,
            group_commit: GroupCommit::new(db, gate, clock.clone(), poker.clone()),
            clock,
            cursor_key,
            poker,
            at_head: Default::default(),
            public_feed: Default::default(),
            viewers: Default::default(),
            tables: Tables::new(A::tables()),
            horizon: horizon::Horizon::default(),
        }
    }
}

/// Refuses clients too old to be served.
pub fn check_schema<A: SyncApp>(version: u32) -> Result<(), SyncError> {
    if version < A::MIN_SCHEMA_VERSION {
        return Err(SyncError::UpgradeRequired {
            minimum: A::MIN_SCHEMA_VERSION,
        });
    }
    Ok(())
}
