//! The community's public rows at its head, encoded once for every phone's first sync.
//!
//! Most of what a new phone pulls is public: groups, series, overrides and seat tallies are
//! the same for every resident of the community (a year of sessions is ten thousand
//! tallies). Reading and encoding all of them again for each phone was nearly all of a
//! first sync's cost, so each community keeps one [`Snapshot`]: its live public rows in
//! feed order, each already encoded as its change, as of one version.
//!
//! A pull uses the snapshot only when it is exactly at the version the pull reads (its
//! `head`) and the cursor leaves out every tombstone through that head, as a first sync
//! still on the head it started at does. Then the public part of the page is, row for row,
//! what the tables would give: the live rows after the cursor, and no tombstones. Every
//! other pull reads the tables ([`super::pull`]).
//!
//! A stale snapshot is brought to the head inside the pull's own read snapshot, from the
//! rows written since its version (the feed index), and then shared; rows deleted since are
//! dropped from it. Should compaction have purged a tombstone written after the snapshot's
//! version, the deletion can no longer be seen there, so the snapshot is read afresh
//! instead. Personal rows (memberships, sign-ups, attendance) are never cached: they
//! depend on who is asking.
//!
//! The snapshot holds every live public row, whatever its moment: each row keeps the moment
//! it belongs to, and a pull takes only those inside its phone's horizon
//! ([`super::horizon`]), so phones with different windows share one snapshot.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use poem_openapi::types::ToJSON;
use sea_orm::{DatabaseTransaction, DbErr};
use uuid::Uuid;

use super::cursor::Position;
use super::feed::{Audience, Tables};
use super::horizon::Window;
use super::registry::SyncApp;

/// One change, encoded as the JSON the pull response carries.
pub type Encoded = Arc<str>;

/// Encodes a change exactly as the OpenAPI contract describes it.
pub fn encode<C: ToJSON>(change: &C) -> Encoded {
    change
        .to_json()
        .map_or_else(|| Arc::from("null"), |json| Arc::from(json.to_string()))
}

/// The public rows of one community as of one version, in feed order.
#[derive(Clone, Default)]
pub struct Snapshot {
    version: i64,
    /// Each row's change, and the moment it belongs to (for a table bound to the horizon).
    rows: BTreeMap<Position, (Encoded, Option<DateTime<Utc>>)>,
    /// Where each row sits, to move it when it changes.
    at: HashMap<(u8, Uuid), Position>,
}

impl Snapshot {
    /// Up to `n` rows strictly after `pos`, in feed order, of the tables whose rank `wanted`
    /// (the tables the app can read), and inside `window` if they belong to a moment.
    pub fn after<'a>(
        &'a self,
        pos: Position,
        n: usize,
        wanted: impl Fn(u8) -> bool + 'a,
        window: Window,
    ) -> impl Iterator<Item = (Position, Encoded)> + 'a {
        self.rows
            .range((Bound::Excluded(pos), Bound::Unbounded))
            .filter(move |(p, (_, moment))| {
                wanted(p.rank) && moment.is_none_or(|t| window.contains(t))
            })
            .take(n)
            .map(|(p, (e, _))| (*p, e.clone()))
    }

    /// A row as it is now: at `pos`, or gone when `change` is `None` (deleted).
    fn apply(&mut self, pos: Position, change: Option<(Encoded, Option<DateTime<Utc>>)>) {
        if let Some(old) = self.at.remove(&(pos.rank, pos.id)) {
            self.rows.remove(&old);
        }
        if let Some(row) = change {
            self.at.insert((pos.rank, pos.id), pos);
            self.rows.insert(pos, row);
        }
    }
}

/// Every community's snapshot, shared by all pulls of this process.
#[derive(Default)]
pub struct PublicFeed {
    snapshots: Mutex<HashMap<Uuid, Arc<Snapshot>>>,
}

impl PublicFeed {
    /// The community's public rows exactly at `head`, read through `conn` (the pull's read
    /// snapshot, in which the head is `head` and tombstones through `purged_through` are
    /// gone). `None` when this process already holds a newer snapshot than the pull's own
    /// view: the pull then reads the tables.
    pub async fn at<A: SyncApp>(
        &self,
        conn: &DatabaseTransaction,
        tables: &Tables<A>,
        community: Uuid,
        head: i64,
        purged_through: i64,
    ) -> Result<Option<Arc<Snapshot>>, DbErr> {
        let held = self.lock().get(&community).cloned();
        let next = match held {
            Some(s) if s.version == head => return Ok(Some(s)),
            Some(s) if s.version > head => return Ok(None),
            Some(s) if purged_through <= s.version => {
                let mut next = Snapshot::clone(&s);
                for (pos, change) in rows_since(conn, tables, community, Some(s.version)).await? {
                    next.apply(pos, change);
                }
                next
            }
            _ => {
                let mut next = Snapshot::default();
                for (pos, change) in rows_since(conn, tables, community, None).await? {
                    next.apply(pos, change);
                }
                next
            }
        };
        let next = Arc::new(Snapshot {
            version: head,
            ..next
        });
        let mut held = self.lock();
        let slot = held.entry(community).or_default();
        if slot.version <= head {
            *slot = next.clone();
        }
        Ok(Some(next))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Arc<Snapshot>>> {
        // A panic while holding the lock leaves the map whole (every write is one insert).
        self.snapshots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A public row as the snapshot keeps it: its change and its moment, or `None` if deleted.
type Row = (Position, Option<(Encoded, Option<DateTime<Utc>>)>);

/// The public rows written after `since` (deleted ones as `None`), or, without `since`,
/// every live public row.
async fn rows_since<A: SyncApp>(
    conn: &DatabaseTransaction,
    tables: &Tables<A>,
    community: Uuid,
    since: Option<i64>,
) -> Result<Vec<Row>, DbErr> {
    let mut out = Vec::new();
    for table in tables.all().filter(|t| t.audience() == Audience::Public) {
        let rows = table.since(conn, community, since).await?;
        let positions: Vec<(Position, bool, Option<DateTime<Utc>>)> = rows
            .iter()
            .map(|r| (r.position, table.is_tombstone(r), r.moment))
            .collect();
        let changes = table.encode_alone(rows);
        out.extend(
            positions
                .into_iter()
                .zip(changes)
                .map(|((pos, gone, moment), change)| {
                    (pos, (!gone).then(|| (encode(&change), moment)))
                }),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROUP_RANK: u8 = 0;
    const SERIES_RANK: u8 = 2;
    const TALLY_RANK: u8 = 4;
    const ALL: Window = Window {
        from: i64::MIN / 2,
        to: i64::MAX / 2,
    };

    fn pos(version: i64, rank: u8, id: u128) -> Position {
        Position {
            version,
            rank,
            id: Uuid::from_u128(id),
        }
    }

    #[test]
    fn a_changed_row_moves_to_its_new_version_and_a_deleted_one_leaves() {
        let mut s = Snapshot::default();
        s.apply(pos(1, GROUP_RANK, 1), Some(("a".into(), None)));
        s.apply(pos(2, TALLY_RANK, 2), Some(("b".into(), None)));
        s.apply(pos(3, GROUP_RANK, 1), Some(("a2".into(), None)));
        s.apply(pos(4, TALLY_RANK, 2), None);
        let rows: Vec<_> = s.after(Position::default(), 10, |_| true, ALL).collect();
        assert_eq!(rows, vec![(pos(3, GROUP_RANK, 1), Arc::from("a2"))]);
    }

    #[test]
    fn rows_after_a_position_come_in_feed_order() {
        let mut s = Snapshot::default();
        for (v, rank, id) in [(5, TALLY_RANK, 9), (5, GROUP_RANK, 7), (2, SERIES_RANK, 8)] {
            s.apply(
                pos(v, rank, id),
                Some((format!("{v}/{rank}/{id}").into(), None)),
            );
        }
        let after: Vec<_> = s
            .after(pos(2, SERIES_RANK, 8), 10, |_| true, ALL)
            .map(|(p, _)| p)
            .collect();
        assert_eq!(after, vec![pos(5, GROUP_RANK, 7), pos(5, TALLY_RANK, 9)]);
        assert_eq!(s.after(Position::default(), 1, |_| true, ALL).count(), 1);
        // Rows of tables the app cannot read are left out.
        let only_groups: Vec<_> = s
            .after(Position::default(), 10, |rank| rank == GROUP_RANK, ALL)
            .map(|(p, _)| p)
            .collect();
        assert_eq!(only_groups, vec![pos(5, GROUP_RANK, 7)]);
    }

    #[test]
    fn rows_bound_to_a_moment_are_taken_only_inside_the_window() {
        let day = |d: i64| DateTime::UNIX_EPOCH + chrono::Duration::days(d);
        let mut s = Snapshot::default();
        s.apply(pos(1, GROUP_RANK, 1), Some(("group".into(), None)));
        s.apply(pos(2, TALLY_RANK, 2), Some(("past".into(), Some(day(9)))));
        s.apply(
            pos(3, TALLY_RANK, 3),
            Some(("inside".into(), Some(day(10)))),
        );
        s.apply(pos(4, TALLY_RANK, 4), Some(("ahead".into(), Some(day(20)))));
        let window = Window { from: 10, to: 20 };
        let rows: Vec<_> = s
            .after(Position::default(), 10, |_| true, window)
            .map(|(_, e)| e.to_string())
            .collect();
        assert_eq!(rows, ["group", "inside"]);
    }
}
