//! Pull: the changes a phone has not seen, from its cursor, within what it may see.
//!
//! Everything is read in one snapshot (REPEATABLE READ on PostgreSQL; a read transaction on
//! SQLite): the changes, the community's head version and the client's `last_mutation_id`.
//! So a phone never sees half of a mutation, nor its own mutation acknowledged but absent.
//!
//! The feed is the union of the synced tables ordered by (version, rank, id). Each table is
//! read from the cursor's position with the visibility filter in SQL, `limit + 1` rows at a
//! time, and the runs are merged. A first sync still at its head takes the public tables'
//! rows ready-encoded from [`super::public_feed`] instead, and reads only the personal ones.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement, TransactionTrait,
};
use uuid::Uuid;

use super::changes::{
    self, ATTENDANCE_RANK, GROUP_RANK, MEMBERSHIP_RANK, OVERRIDE_RANK, SERIES_RANK, SIGNUP_RANK,
    TALLY_RANK,
};
use super::check_schema;
use super::cursor::{Cursor, CursorError, FORMAT, Position, Reconcile};
use super::public_feed::{Encoded, Snapshot, encode};
use super::viewers::{KEEP_PERSONAL_MAX, Personal, Viewer};
use super::wire::{Change, PullRequest};
use crate::auth::tokens::Claims;
use crate::domain::signup::Status;
use crate::domain::visibility::SyncScope;
use crate::entity::{
    attendance, membership, occurrence_override, occurrence_tally, resident, series, signup,
    volunteer_group,
};
use crate::http::AppState;
use crate::http::error::ApiError;

/// One pull's answer, with its changes already encoded as JSON: public rows come encoded from
/// the community's [`super::public_feed`], so a first sync builds no JSON tree for them. The
/// body is the contract's `PullResponse` ([`PullPage::to_json`]).
#[derive(Debug, Clone)]
pub struct PullPage {
    pub changes: Vec<Encoded>,
    pub cursor: String,
    pub has_more: bool,
    pub last_mutation_id: u64,
    pub server_time: String,
}

impl PullPage {
    /// The body, field for field as poem-openapi would write the `PullResponse`.
    pub fn to_json(&self) -> Vec<u8> {
        let size: usize = self.changes.iter().map(|c| c.len() + 1).sum();
        let mut out = Vec::with_capacity(size + self.cursor.len() + 128);
        out.extend_from_slice(b"{\"changes\":[");
        for (i, change) in self.changes.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(change.as_bytes());
        }
        out.extend_from_slice(b"],\"cursor\":");
        write_string(&mut out, &self.cursor);
        out.extend_from_slice(b",\"has_more\":");
        out.extend_from_slice(if self.has_more { b"true" } else { b"false" });
        out.extend_from_slice(b",\"last_mutation_id\":");
        out.extend_from_slice(self.last_mutation_id.to_string().as_bytes());
        out.extend_from_slice(b",\"server_time\":");
        write_string(&mut out, &self.server_time);
        out.push(b'}');
        out
    }
}

fn write_string(out: &mut Vec<u8>, s: &str) {
    // Writing a string into a Vec cannot fail.
    serde_json::to_writer(out, s).expect("a string encodes");
}

pub const DEFAULT_LIMIT: u32 = 500;
pub const MAX_LIMIT: u32 = 5000;

/// One page of the caller's feed. Everything, the caller's roles included, is read in one
/// snapshot ([`snapshot`]): roles and rows always agree.
pub async fn pull(
    state: &AppState,
    claims: &Claims,
    req: PullRequest,
) -> Result<PullPage, ApiError> {
    let txn = snapshot(&state.reader).await?;
    let here = where_we_are(&txn, claims.cid, req.client_id).await?;
    let head = here.head;
    let viewer = state
        .viewers
        .at(&txn, claims.sub, head)
        .await?
        .filter(|v| v.actor.community_id == claims.cid)
        .ok_or(ApiError::Unauthorized)?;
    let actor = &viewer.actor;
    check_schema(req.schema_version)?;
    let limit = req.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT) as usize;
    let scope = SyncScope::of(actor);
    let decoded = match req.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => {
            let cursor = state
                .cursor_key
                .decode(c)
                .map_err(|e| ApiError::InvalidCursor(e.to_string()))?;
            if cursor.community != actor.community_id {
                return Err(ApiError::InvalidCursor(
                    CursorError::BadSignature.to_string(),
                ));
            }
            Some(cursor)
        }
    };
    if here
        .client_owner
        .is_some_and(|owner| owner != actor.resident_id)
    {
        return Err(ApiError::ClientNotOwned);
    }
    let purged_through = here.purged_through;
    let mut cursor = match decoded {
        None => Cursor {
            format: FORMAT,
            community: actor.community_id,
            position: Position::default(),
            skip_tombstones_through: head,
            scope: scope.clone(),
            reconcile: None,
        },
        // Deletions the phone has not seen were purged. (Tombstones at or below
        // `skip_tombstones_through` were never going to be sent to it anyway.)
        Some(c) if purged_through > c.position.version.max(c.skip_tombstones_through) => {
            return Err(ApiError::ResyncRequired);
        }
        Some(c) => c,
    };
    if cursor.scope != scope {
        // What the phone may hold was granted under every scope it has had since its last
        // finished reconciliation; re-scan the memberships visible under any of them.
        let before = match &cursor.reconcile {
            Some(r) => r.before.union(&cursor.scope),
            None => cursor.scope.clone(),
        };
        cursor.reconcile = Some(Reconcile {
            before,
            position: Position::default(),
        });
        cursor.scope = scope.clone();
    }

    let mut changes = Vec::new();
    let mut has_more = false;
    if let Some(rec) = cursor.reconcile.as_mut() {
        let (page, more) = reconcile_page(&txn, &viewer, &scope, rec, limit).await?;
        changes = page.iter().map(encode).collect();
        if more {
            has_more = true;
        } else {
            cursor.reconcile = None;
        }
    }
    if !has_more && changes.len() >= limit {
        // The re-scan filled the page: the feed is still to be read.
        has_more = true;
    } else if !has_more && cursor.position < Position::end_of(head) {
        // (A phone already at the head has nothing to read: "anything new?" costs no scan.)
        let remaining = limit - changes.len();
        // A first sync still at the head it started on takes the public rows ready-encoded.
        let public = if cursor.skip_tombstones_through >= head {
            state
                .public_feed
                .at(&txn, actor.community_id, head, purged_through)
                .await?
        } else {
            None
        };
        let kept = state.viewers.personal_after(
            actor.resident_id,
            head,
            cursor.skip_tombstones_through,
            cursor.position,
        );
        let feed = Feed {
            txn: &txn,
            viewer: &viewer,
            scope: &scope,
            cursor: &cursor,
            limit: remaining,
            public: public.as_deref(),
        };
        let (page, more, last, read) = feed_page(feed, kept).await?;
        changes.extend(page);
        if !more {
            state.viewers.forget_personal(actor.resident_id);
        } else if let Some(personal) = read {
            // The pass goes on: its next page needs the same personal rows.
            state
                .viewers
                .keep_personal(actor.resident_id, head, personal);
        }
        if more {
            has_more = true;
            cursor.position = last;
        } else {
            // Caught up: everything up to the head is delivered or not visible.
            cursor.position = cursor.position.max(Position::end_of(head));
        }
    }
    let last_mutation_id = u64::try_from(here.last_mutation_id).unwrap_or_default();
    txn.commit().await?;
    state.poker.notify(actor.community_id, head);
    if !has_more && cursor.reconcile.is_none() && cursor.position >= Position::end_of(head) {
        // The client row, if any, is the caller's (checked above). A phone that never pushed
        // has none; should another resident bind that id later by an empty push, this
        // entry answers "nothing new, mutation 0" until the next commit: nothing of theirs.
        state.at_head.remember(
            actor.resident_id,
            req.client_id,
            head,
            scope.clone(),
            last_mutation_id,
        );
    }
    Ok(PullPage {
        changes,
        cursor: state.cursor_key.encode(&cursor),
        has_more,
        last_mutation_id,
        server_time: state.clock.now().to_string(),
    })
}

/// Where the pull stands in its snapshot: the community's head and purge mark, and the
/// phone's client row (its owner and last processed mutation), read in one query.
struct Here {
    head: i64,
    purged_through: i64,
    client_owner: Option<Uuid>,
    last_mutation_id: i64,
}

async fn where_we_are(
    txn: &DatabaseTransaction,
    community: Uuid,
    client: Uuid,
) -> Result<Here, DbErr> {
    let backend = txn.get_database_backend();
    let (c, k) = match backend {
        DbBackend::Postgres => ("$1", "$2"),
        _ => ("?1", "?2"),
    };
    let sql = format!(
        "SELECT \
           (SELECT version FROM sync_version WHERE community_id = {c}) AS head, \
           (SELECT purged_through FROM sync_version WHERE community_id = {c}) AS purged_through, \
           (SELECT resident_id FROM sync_client WHERE client_id = {k}) AS client_owner, \
           (SELECT last_mutation_id FROM sync_client WHERE client_id = {k}) AS last_mutation_id"
    );
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [community.into(), client.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("a SELECT without FROM returns one row".into()))?;
    Ok(Here {
        head: row.try_get::<Option<i64>>("", "head")?.unwrap_or(0),
        purged_through: row
            .try_get::<Option<i64>>("", "purged_through")?
            .unwrap_or(0),
        client_owner: row.try_get("", "client_owner")?,
        last_mutation_id: row
            .try_get::<Option<i64>>("", "last_mutation_id")?
            .unwrap_or(0),
    })
}

/// "Anything new?" from memory ([`super::at_head`]), before any database work: `None` when
/// the full pull must look (including every case where it would answer with an error).
pub fn from_memory(state: &AppState, claims: &Claims, req: &PullRequest) -> Option<PullPage> {
    let encoded = req.cursor.as_deref().filter(|c| !c.is_empty())?;
    check_schema(req.schema_version).ok()?;
    let cursor = state.cursor_key.decode(encoded).ok()?;
    if cursor.community != claims.cid {
        return None;
    }
    let newest = state.poker.latest(claims.cid);
    let last_mutation_id = state
        .at_head
        .nothing_new(claims.sub, req.client_id, &cursor, newest)?;
    Some(PullPage {
        changes: Vec::new(),
        cursor: encoded.to_owned(),
        has_more: false,
        last_mutation_id,
        server_time: state.clock.now().to_string(),
    })
}

/// A read-only transaction over one consistent snapshot, from the snapshot readers
/// ([`AppState::reader`]): on PostgreSQL their sessions default to REPEATABLE READ, READ
/// ONLY; a SQLite read transaction in WAL mode reads one snapshot from its first query on.
async fn snapshot(reader: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    reader.begin().await
}

/// Rows strictly after `pos` in feed order, for a table whose rows all have `rank`.
fn after<C: ColumnTrait>(version: C, id: C, rank: u8, pos: Position) -> Condition {
    match rank.cmp(&pos.rank) {
        std::cmp::Ordering::Greater => Condition::all().add(version.gte(pos.version)),
        std::cmp::Ordering::Less => Condition::all().add(version.gt(pos.version)),
        std::cmp::Ordering::Equal => Condition::any().add(version.gt(pos.version)).add(
            Condition::all()
                .add(version.eq(pos.version))
                .add(id.gt(pos.id)),
        ),
    }
}

/// Tombstones a first sync does not need.
fn not_skipped<C: ColumnTrait>(deleted_at: C, version: C, skip_through: i64) -> Condition {
    Condition::any()
        .add(deleted_at.is_null())
        .add(version.gt(skip_through))
}

/// One row of the feed, before it is turned into a change for the viewer.
enum Row {
    Group(volunteer_group::Model),
    Membership(membership::Model),
    Series(series::Model),
    Override(occurrence_override::Model),
    Tally(occurrence_tally::Model),
    Signup(signup::Model),
    Attendance(attendance::Model),
}

impl Row {
    fn position(&self) -> Position {
        let (version, rank, id) = match self {
            Row::Group(r) => (r.version, GROUP_RANK, r.id),
            Row::Membership(r) => (r.version, MEMBERSHIP_RANK, r.id),
            Row::Series(r) => (r.version, SERIES_RANK, r.id),
            Row::Override(r) => (r.version, OVERRIDE_RANK, r.id),
            Row::Tally(r) => (r.version, TALLY_RANK, r.id),
            Row::Signup(r) => (r.version, SIGNUP_RANK, r.id),
            Row::Attendance(r) => (r.version, ATTENDANCE_RANK, r.id),
        };
        Position { version, rank, id }
    }

    /// The owner and group of a personal row.
    fn personal(&self) -> Option<(&'static str, Uuid, Uuid, Uuid)> {
        match self {
            Row::Membership(r) => Some(("membership", r.id, r.resident_id, r.group_id)),
            Row::Signup(r) => Some(("signup", r.id, r.resident_id, r.group_id)),
            Row::Attendance(r) => Some(("attendance", r.id, r.resident_id, r.group_id)),
            _ => None,
        }
    }
}

/// Reads up to `fetch` rows of one table in feed order, after `pos`, with `filter`.
macro_rules! read_table {
    ($txn:expr, $entity:ident, $rank:expr, $community:expr, $pos:expr, $filter:expr, $fetch:expr, $variant:ident) => {
        $entity::Entity::find()
            .filter($entity::Column::CommunityId.eq($community))
            .filter(after(
                $entity::Column::Version,
                $entity::Column::Id,
                $rank,
                $pos,
            ))
            .filter($filter)
            .order_by_asc($entity::Column::Version)
            .order_by_asc($entity::Column::Id)
            .limit($fetch)
            .all($txn)
            .await?
            .into_iter()
            .map(Row::$variant)
    };
}

/// Where a page is read from: one community, after one position.
struct Scan<'a> {
    txn: &'a DatabaseTransaction,
    community: Uuid,
    viewer: Uuid,
    pos: Position,
    /// Tombstones at or below this version are left out (`i64::MIN`: none).
    skip: i64,
    fetch: u64,
}

/// Rows every resident of the community sees.
macro_rules! public_rows {
    ($scan:expr, $entity:ident, $rank:expr, $variant:ident) => {
        read_table!(
            $scan.txn,
            $entity,
            $rank,
            $scan.community,
            $scan.pos,
            not_skipped(
                $entity::Column::DeletedAt,
                $entity::Column::Version,
                $scan.skip
            ),
            $scan.fetch,
            $variant
        )
    };
}

/// Personal rows, as far as `$scope` lets the viewer see them: all for an admin; otherwise
/// the viewer's own and, apart, those of the groups they lead, so each read walks its own
/// index (`(resident_id, version, id)`, `(group_id, version, id)`) rather than the
/// community's whole feed.
macro_rules! personal_rows {
    ($scan:expr, $entity:ident, $rank:expr, $variant:ident, $scope:expr) => {{
        let scope: &SyncScope = $scope;
        let reads = if scope.admin {
            vec![Condition::all()]
        } else {
            let mut reads =
                vec![Condition::all().add($entity::Column::ResidentId.eq($scan.viewer))];
            if !scope.leads.is_empty() {
                reads.push(
                    Condition::all()
                        .add($entity::Column::GroupId.is_in(scope.leads.iter().copied()))
                        .add($entity::Column::ResidentId.ne($scan.viewer)),
                );
            }
            reads
        };
        let mut rows = Vec::new();
        for whose in reads {
            rows.extend(read_table!(
                $scan.txn,
                $entity,
                $rank,
                $scan.community,
                $scan.pos,
                Condition::all()
                    .add(not_skipped(
                        $entity::Column::DeletedAt,
                        $entity::Column::Version,
                        $scan.skip
                    ))
                    .add(whose),
                $scan.fetch,
                $variant
            ));
        }
        rows
    }};
}

/// Merges per-table runs (each in feed order) and keeps the first `limit`; says if more.
fn first_rows(mut rows: Vec<Row>, limit: usize) -> (Vec<Row>, bool) {
    rows.sort_by_key(Row::position);
    let more = rows.len() > limit;
    rows.truncate(limit);
    (rows, more)
}

/// What one page of the feed is read from.
struct Feed<'a> {
    txn: &'a DatabaseTransaction,
    viewer: &'a Viewer,
    scope: &'a SyncScope,
    cursor: &'a Cursor,
    limit: usize,
    /// The community's public rows at the head, when the cursor may take them from memory.
    public: Option<&'a Snapshot>,
}

/// Up to `limit` changes after the cursor, whether there are more, and the last position
/// sent. Personal rows come from `kept` (an earlier page of the pass) when given; otherwise
/// they are read, and when that read got all of them (a few), they are returned encoded,
/// to be kept for the pass's next page.
async fn feed_page(
    feed: Feed<'_>,
    kept: Option<Vec<(Position, Encoded)>>,
) -> Result<(Vec<Encoded>, bool, Position, Option<Personal>), DbErr> {
    let Feed {
        txn,
        viewer,
        scope,
        cursor,
        limit,
        public,
    } = feed;
    let actor = &viewer.actor;
    let scan = Scan {
        txn,
        community: actor.community_id,
        viewer: actor.resident_id,
        pos: cursor.position,
        skip: cursor.skip_tombstones_through,
        fetch: (limit + 1) as u64,
    };
    let mut rows = Vec::new();
    let mut ready = Vec::new();
    match public {
        Some(snapshot) => ready.extend(snapshot.after(cursor.position, limit + 1)),
        None => {
            rows.extend(public_rows!(scan, volunteer_group, GROUP_RANK, Group));
            rows.extend(public_rows!(scan, series, SERIES_RANK, Series));
            rows.extend(public_rows!(
                scan,
                occurrence_override,
                OVERRIDE_RANK,
                Override
            ));
            rows.extend(public_rows!(scan, occurrence_tally, TALLY_RANK, Tally));
        }
    }
    let mut read = None;
    match kept {
        Some(kept) => ready.extend(kept),
        None => {
            let mut personal = Vec::new();
            personal.extend(personal_rows!(
                scan,
                membership,
                MEMBERSHIP_RANK,
                Membership,
                scope
            ));
            personal.extend(personal_rows!(scan, signup, SIGNUP_RANK, Signup, scope));
            personal.extend(personal_rows!(
                scan,
                attendance,
                ATTENDANCE_RANK,
                Attendance,
                scope
            ));
            if personal.len() <= KEEP_PERSONAL_MAX.min(limit) {
                // Fewer than each read could return: these are all of them after the
                // cursor. Encode them once, for this page and the pass's next ones.
                let (personal, _) = first_rows(personal, usize::MAX);
                let positions: Vec<Position> = personal.iter().map(Row::position).collect();
                let encoded = to_changes(txn, viewer, scope, personal, None).await?;
                let all: Vec<(Position, Encoded)> = positions
                    .into_iter()
                    .zip(encoded.iter().map(encode))
                    .collect();
                ready.extend(all.iter().cloned());
                read = Some(Personal {
                    skip: scan.skip,
                    from: cursor.position,
                    rows: all,
                });
            } else {
                rows.extend(personal);
            }
        }
    }
    // Merge the table rows with the ready ones by feed position and keep the first `limit`.
    let (rows, _) = first_rows(rows, limit + 1);
    let mut merged: Vec<(Position, Option<Encoded>)> = rows
        .iter()
        .map(|r| (r.position(), None))
        .chain(ready.into_iter().map(|(p, e)| (p, Some(e))))
        .collect();
    merged.sort_by_key(|(p, _)| *p);
    let more = merged.len() > limit;
    merged.truncate(limit);
    let last = merged.last().map_or(cursor.position, |(p, _)| *p);
    let needed = merged.iter().filter(|(_, e)| e.is_none()).count();
    let rows = rows.into_iter().take(needed).collect();
    let mut fresh = to_changes(txn, viewer, scope, rows, None)
        .await?
        .into_iter()
        .map(|c| encode(&c));
    let changes = merged
        .into_iter()
        .map(|(_, ready)| ready.or_else(|| fresh.next()))
        .collect::<Option<Vec<_>>>()
        .expect("one change per table row kept");
    Ok((changes, more, last, read))
}

/// One page of the re-scan of personal rows after a change of scope: rows visible now are
/// sent as they are, rows visible only before as deletes. The re-scan sends rows the feed
/// will send again; applying a change twice is harmless.
async fn reconcile_page(
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    now: &SyncScope,
    rec: &mut Reconcile,
    limit: usize,
) -> Result<(Vec<Change>, bool), DbErr> {
    let actor = &viewer.actor;
    let either = rec.before.union(now);
    let scan = Scan {
        txn,
        community: actor.community_id,
        viewer: actor.resident_id,
        pos: rec.position,
        skip: i64::MIN,
        fetch: (limit + 1) as u64,
    };
    let mut rows = Vec::new();
    rows.extend(personal_rows!(
        scan,
        membership,
        MEMBERSHIP_RANK,
        Membership,
        &either
    ));
    rows.extend(personal_rows!(scan, signup, SIGNUP_RANK, Signup, &either));
    rows.extend(personal_rows!(
        scan,
        attendance,
        ATTENDANCE_RANK,
        Attendance,
        &either
    ));
    let (rows, more) = first_rows(rows, limit);
    if let Some(last) = rows.last() {
        rec.position = last.position();
    }
    Ok((to_changes(txn, viewer, now, rows, Some(now)).await?, more))
}

/// Turns rows into the viewer's changes. With `only_if_visible`, personal rows the viewer
/// no longer sees become deletes.
async fn to_changes(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    scope: &SyncScope,
    rows: Vec<Row>,
    only_if_visible: Option<&SyncScope>,
) -> Result<Vec<Change>, DbErr> {
    let actor = &viewer.actor;
    // The viewer's own name and phone are at hand: look up only other people's.
    let people: Vec<Uuid> = rows
        .iter()
        .filter_map(|r| match r {
            Row::Membership(m) => Some(m.resident_id),
            Row::Signup(s) => Some(s.resident_id),
            _ => None,
        })
        .filter(|id| *id != actor.resident_id)
        .collect();
    let people = residents(conn, people.into_iter()).await?;
    let positions = waitlist_positions(
        conn,
        rows.iter().filter_map(|r| match r {
            Row::Signup(s) if s.status == Status::Waitlisted.as_str() => Some(s.occurrence_id),
            _ => None,
        }),
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        if let (Some(now), Some((entity, id, owner, group))) = (only_if_visible, row.personal())
            && !now.sees_personal(actor.resident_id, owner, group)
        {
            out.push(changes::gone(entity, id));
            continue;
        }
        // (name, phone)
        let person = |id: &Uuid| {
            if *id == actor.resident_id {
                Some((viewer.display_name.as_str(), viewer.phone.as_str()))
            } else {
                people
                    .get(id)
                    .map(|p| (p.display_name.as_str(), p.phone.as_str()))
            }
        };
        let name = |id: &Uuid| person(id).map(|(name, _)| name).unwrap_or_default();
        out.push(match &row {
            Row::Group(g) => changes::group(g),
            Row::Membership(m) => changes::membership(m, name(&m.resident_id)),
            Row::Series(s) => changes::series(s),
            Row::Override(o) => changes::occurrence_override(o),
            Row::Tally(t) => changes::tally(t),
            Row::Signup(s) => {
                // Phone numbers are for the group's leaders, who call volunteers.
                let phone = scope
                    .leads
                    .contains(&s.group_id)
                    .then(|| person(&s.resident_id).map(|(_, phone)| phone))
                    .flatten();
                changes::signup(
                    s,
                    positions.get(&s.id).copied(),
                    name(&s.resident_id),
                    phone,
                )
            }
            Row::Attendance(a) => changes::attendance(a),
        });
    }
    Ok(out)
}

/// Waitlist positions of every waitlisted sign-up in `occurrences`.
pub(crate) async fn waitlist_positions(
    conn: &impl ConnectionTrait,
    occurrences: impl Iterator<Item = Uuid>,
) -> Result<HashMap<Uuid, u32>, DbErr> {
    let mut ids: Vec<Uuid> = occurrences.collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let waiting = signup::Entity::find()
        .filter(signup::Column::OccurrenceId.is_in(ids))
        .filter(signup::Column::Status.eq(Status::Waitlisted.as_str()))
        .order_by_asc(signup::Column::RequestedVersion)
        .all(conn)
        .await?;
    let mut next: HashMap<Uuid, u32> = HashMap::new();
    Ok(waiting
        .into_iter()
        .map(|s| {
            let p = next.entry(s.occurrence_id).or_insert(0);
            *p += 1;
            (s.id, *p)
        })
        .collect())
}

async fn residents(
    conn: &impl ConnectionTrait,
    ids: impl Iterator<Item = Uuid>,
) -> Result<HashMap<Uuid, resident::Model>, DbErr> {
    let mut ids: Vec<Uuid> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(resident::Entity::find()
        .filter(resident::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect())
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::{Example, ToJSON};

    use super::*;
    use crate::sync::wire::PullResponse;

    #[test]
    fn a_page_is_written_exactly_as_the_contract_describes_it() {
        let mut documented = PullResponse::example();
        // Strings that need escaping, and more than one change.
        documented.cursor = "c\"ur\\sor/游標".into();
        documented.changes.extend(documented.changes.clone());
        let page = PullPage {
            changes: documented.changes.iter().map(encode).collect(),
            cursor: documented.cursor.clone(),
            has_more: documented.has_more,
            last_mutation_id: documented.last_mutation_id,
            server_time: documented.server_time.clone(),
        };
        let written: serde_json::Value = serde_json::from_slice(&page.to_json()).unwrap();
        assert_eq!(Some(written), documented.to_json());

        let empty = PullPage {
            changes: Vec::new(),
            ..page
        };
        let written: serde_json::Value = serde_json::from_slice(&empty.to_json()).unwrap();
        assert_eq!(written["changes"], serde_json::json!([]));
    }
}
