//! The sync engine: how phones that work offline for days converge with the server and with
//! each other.
//!
//! - [`wire`]: the protocol's request and response types (the OpenAPI contract).
//! - [`push`]: `POST /api/v1/sync/push`: idempotent, ordered application of a phone's queued
//!   mutations, each with its stored result.
//! - [`group_commit`]: the pushes waiting for a community's write lock, decided in one
//!   transaction and one commit.
//! - [`mutations`]: what each mutation kind does, and its conflict rules.
//! - [`seats`]: occurrences, overrides, sign-ups (reservations with a waitlist), attendance.
//! - [`pull`]: `POST /api/v1/sync/pull`: the scoped change feed from a signed cursor, read in
//!   one snapshot.
//! - [`public_feed`]: the community's public rows at its head, encoded once for every
//!   phone's first sync.
//! - [`viewers`]: who is pulling, read once per community version rather than per page.
//! - [`cursor`]: the signed, versioned cursor.
//! - [`write`]: the write pipeline every change goes through (commit-ordered versions).
//! - [`pokes`]: waking connected phones after a commit, across processes on PostgreSQL.
//! - [`compact`]: purging old tombstones.
//!
//! The rules themselves (clocks, merging, visibility, permissions) are plain functions in
//! [`crate::domain`].

pub mod at_head;
pub mod changes;
pub mod compact;
pub mod cursor;
pub mod group_commit;
pub mod mutations;
pub mod pokes;
pub mod public_feed;
pub mod pull;
pub mod push;
pub mod seats;
pub mod viewers;
pub mod wire;
pub mod write;

/// The sync schema this server speaks. Clients send theirs with every call.
pub const SCHEMA_VERSION: u32 = 1;
/// The oldest client schema still served; older clients get `426 client_upgrade_required`.
pub const MIN_SCHEMA_VERSION: u32 = 1;

/// Refuses clients too old to be served.
pub fn check_schema(version: u32) -> Result<(), crate::http::error::ApiError> {
    if version < MIN_SCHEMA_VERSION {
        return Err(crate::http::error::ApiError::UpgradeRequired {
            minimum: MIN_SCHEMA_VERSION,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_apps_older_than_the_oldest_served_schema_must_upgrade() {
        assert!(matches!(
            check_schema(MIN_SCHEMA_VERSION - 1),
            Err(crate::http::error::ApiError::UpgradeRequired { minimum }) if minimum == MIN_SCHEMA_VERSION
        ));
        assert!(check_schema(MIN_SCHEMA_VERSION).is_ok());
        assert!(check_schema(SCHEMA_VERSION + 1).is_ok());
    }
}
