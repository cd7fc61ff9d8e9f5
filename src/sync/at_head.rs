//! "Anything new?" answered from memory.
//!
//! Most pulls come from phones that are already at the head of their community's feed and
//! ask every half minute. The full pull reads the caller's roles, the client row and the head
//! in a snapshot transaction, only to say "nothing". This remembers, per (resident, client),
//! what the last such pull established, stamped with the community version it was read at:
//! the caller's sync scope (from their roles) and their last processed mutation id.
//!
//! Why it is safe: every write that could change the answer (a new row, a role granted or
//! taken, a group joined) commits a new community version, and the [`Poker`](super::pokes)
//! learns every new version (in process on SQLite, through `LISTEN` on PostgreSQL). An entry
//! is used only while the poker's newest version equals its stamp and the phone's cursor is
//! at or past that version, and the answer never moves the cursor: if the poker lags behind a
//! commit in another process for a few milliseconds, the phone hears "nothing new" a few
//! milliseconds late, and skips nothing. A stale `last_mutation_id` can only be lower than the
//! truth, which says less, never something false.

use std::collections::HashMap;
use std::sync::Mutex;

use uuid::Uuid;

use super::cursor::{Cursor, Position};
use super::scope::SyncScope;

/// Entries kept before the cache starts over (a phone that asks again just takes the full
/// path once). 100,000 is five times the seed community's residents.
const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Clone)]
struct Entry {
    version: i64,
    scope: SyncScope,
    last_mutation_id: u64,
}

/// What full pulls established about phones at the head.
#[derive(Debug, Default)]
pub struct AtHead {
    entries: Mutex<HashMap<(Uuid, Uuid), Entry>>,
}

impl AtHead {
    /// Records that `client` of `resident` is at the head `version` under `scope`. Call only
    /// when the client row, if there is one, belongs to `resident` (ownership never changes).
    pub fn remember(
        &self,
        resident: Uuid,
        client: Uuid,
        version: i64,
        scope: SyncScope,
        last_mutation_id: u64,
    ) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            (resident, client),
            Entry {
                version,
                scope,
                last_mutation_id,
            },
        );
    }

    /// The last processed mutation id to answer "nothing new" with, if a full pull would
    /// return nothing: the phone's cursor is at the community's newest known version, no
    /// re-scan is pending, and nothing was committed since this phone's entry was made.
    pub fn nothing_new(
        &self,
        resident: Uuid,
        client: Uuid,
        cursor: &Cursor,
        newest_known: i64,
    ) -> Option<u64> {
        if newest_known <= 0
            || cursor.reconcile.is_some()
            || cursor.position < Position::end_of(newest_known)
        {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(&(resident, client))?;
        (entry.version == newest_known && entry.scope == cursor.scope)
            .then_some(entry.last_mutation_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor_at(version: i64, scope: SyncScope) -> Cursor {
        Cursor {
            format: super::super::cursor::FORMAT,
            community: Uuid::nil(),
            resident: Uuid::nil(),
            position: Position::end_of(version),
            skip_tombstones_through: 0,
            scope,
            reconcile: None,
            schema: 1,
            window: None,
        }
    }

    #[test]
    fn answers_only_while_nothing_was_committed_since() {
        let (resident, client) = (Uuid::now_v7(), Uuid::now_v7());
        let cache = AtHead::default();
        let scope = SyncScope::default();
        assert_eq!(
            cache.nothing_new(resident, client, &cursor_at(7, scope.clone()), 7),
            None
        );
        cache.remember(resident, client, 7, scope.clone(), 3);
        assert_eq!(
            cache.nothing_new(resident, client, &cursor_at(7, scope.clone()), 7),
            Some(3)
        );
        // A commit since: the full path must look.
        assert_eq!(
            cache.nothing_new(resident, client, &cursor_at(7, scope.clone()), 8),
            None
        );
        // A cursor behind the head, another client, or an unknown head: the full path.
        assert_eq!(
            cache.nothing_new(resident, client, &cursor_at(6, scope.clone()), 7),
            None
        );
        assert_eq!(
            cache.nothing_new(resident, Uuid::now_v7(), &cursor_at(7, scope.clone()), 7),
            None
        );
        assert_eq!(
            cache.nothing_new(resident, client, &cursor_at(7, scope), 0),
            None
        );
    }

    #[test]
    fn a_changed_scope_is_never_answered_from_memory() {
        let (resident, client) = (Uuid::now_v7(), Uuid::now_v7());
        let cache = AtHead::default();
        cache.remember(resident, client, 7, SyncScope::default(), 0);
        let admin = SyncScope {
            admin: true,
            ..SyncScope::default()
        };
        assert_eq!(
            cache.nothing_new(resident, client, &cursor_at(7, admin), 7),
            None
        );
    }
}
