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
//!
//! Rows bound to a moment are read only inside the phone's horizon ([`super::horizon`]);
//! when the horizon moves, the days that entered it are re-scanned like a change of scope.

use poem_openapi::types::ToJSON;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Statement,
    TransactionTrait,
};
use uuid::Uuid;

use super::SyncEngine;
use super::cursor::{Cursor, CursorError, FORMAT, Position, Reconcile};
use super::error::SyncError;
use super::feed::{Audience, FeedRow, FeedTable, Scan};
use super::horizon::Window;
use super::public_feed::{Encoded, Snapshot, encode};
use super::registry::SyncApp;
use super::scope::SyncScope;
use super::viewers::{KEEP_PERSONAL_MAX, Personal, Viewer};
use super::wire::{PullRequest, SyncHorizon};
use crate::auth::tokens::Claims;

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
    pub horizon: SyncHorizon,
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
        out.extend_from_slice(b",\"horizon\":");
        out.extend_from_slice(self.horizon.to_json_string().as_bytes());
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
pub async fn pull<A: SyncApp>(
    engine: &SyncEngine<A>,
    claims: &Claims,
    req: PullRequest,
) -> Result<PullPage, SyncError> {
    let txn = snapshot(&engine.reader).await?;
    let here = where_we_are(&txn, &engine.tables, claims.cid, req.client_id).await?;
    let head = here.head;
    let viewer = engine
        .viewers
        .at::<A>(&txn, claims.sub, head)
        .await?
        .filter(|v| v.actor.community_id == claims.cid)
        .ok_or(SyncError::Unauthorized)?;
    let actor = &viewer.actor;
    super::check_schema::<A>(req.schema_version)?;
    let schema = req.schema_version.min(A::SCHEMA_VERSION);
    let limit = req.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT) as usize;
    let window = engine.horizon.window(
        engine.clock.wall(),
        req.horizon_days_back,
        req.horizon_days_ahead,
    );
    let scope = A::scope_of(actor);
    let decoded = match req.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => {
            let cursor = engine
                .cursor_key
                .decode(c)
                .map_err(|e| SyncError::InvalidCursor(e.to_string()))?;
            // Another community's or another resident's cursor (a cursor from before
            // cursors named their resident too): as good as forged.
            if cursor.community != actor.community_id || cursor.resident != actor.resident_id {
                return Err(SyncError::InvalidCursor(
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
        return Err(SyncError::ClientNotOwned);
    }
    let purged_through = here.purged_through;
    let mut cursor = match decoded {
        None => Cursor {
            format: FORMAT,
            community: actor.community_id,
            resident: actor.resident_id,
            position: Position::default(),
            skip_tombstones_through: head,
            scope: scope.clone(),
            reconcile: None,
            schema,
            window: Some(window),
        },
        // Deletions the phone has not seen were purged. (Tombstones at or below
        // `skip_tombstones_through` were never going to be sent to it anyway.)
        Some(c) if purged_through > c.position.version.max(c.skip_tombstones_through) => {
            return Err(SyncError::ResyncRequired);
        }
        Some(c) => c,
    };
    if cursor.scope != scope || cursor.schema < schema {
        // What the phone may hold was granted under every scope it has had since its last
        // finished reconciliation; re-scan the personal rows visible under any of them. An
        // upgraded app also gets the rows of the entities it could not read before.
        let (before, newer_than) = match &cursor.reconcile {
            Some(r) => (r.before.union(&cursor.scope), r.newer_than),
            None => (cursor.scope.clone(), None),
        };
        let upgraded_from = (cursor.schema < schema).then_some(cursor.schema);
        cursor.reconcile = Some(Reconcile {
            before,
            position: Position::default(),
            newer_than: match (newer_than, upgraded_from) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            band: cursor.reconcile.as_ref().and_then(|r| r.band),
        });
        cursor.scope = scope.clone();
    }
    cursor.schema = schema;
    if cursor.window != Some(window) {
        // The horizon moved (a new day) or the phone asked for a wider one: the days that
        // entered it are re-scanned from the start, whatever their rows' versions.
        let entering = window.entering(cursor.window);
        let pending = cursor
            .reconcile
            .as_ref()
            .and_then(|r| r.band)
            .and_then(|b| b.within(window));
        match (entering, cursor.reconcile.as_mut()) {
            (Some(band), Some(rec)) => {
                rec.band = Some(pending.map_or(band, |p| p.hull(band)));
                rec.position = Position::default();
            }
            (Some(band), None) => {
                cursor.reconcile = Some(Reconcile {
                    before: scope.clone(),
                    position: Position::default(),
                    newer_than: None,
                    band: Some(band),
                });
            }
            (None, Some(rec)) => rec.band = pending,
            (None, None) => {}
        }
        cursor.window = Some(window);
    }

    let mut changes = Vec::new();
    let mut has_more = false;
    if let Some(rec) = cursor.reconcile.as_mut() {
        let (page, more) = reconcile_page(
            engine, &txn, &viewer, &scope, schema, window, rec, limit, &here,
        )
        .await?;
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
            engine
                .public_feed
                .at(
                    &txn,
                    &engine.tables,
                    actor.community_id,
                    head,
                    purged_through,
                )
                .await?
        } else {
            None
        };
        let kept = engine.viewers.personal_after(
            actor.resident_id,
            head,
            cursor.skip_tombstones_through,
            cursor.position,
        );
        let feed = Feed {
            engine,
            txn: &txn,
            viewer: &viewer,
            scope: &scope,
            cursor: &cursor,
            limit: remaining,
            public: public.as_deref(),
            here: &here,
        };
        let (page, more, last, read) = feed_page(feed, kept).await?;
        changes.extend(page);
        if !more {
            engine.viewers.forget_personal(actor.resident_id);
        } else if let Some(personal) = read {
            // The pass goes on: its next page needs the same personal rows.
            engine
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
    engine.poker.notify(actor.community_id, head);
    if !has_more && cursor.reconcile.is_none() && cursor.position >= Position::end_of(head) {
        // The client row, if any, is the caller's (checked above). A phone that never pushed
        // has none; should another resident bind that id later by an empty push, this
        // entry answers "nothing new, mutation 0" until the next commit: nothing of theirs.
        engine.at_head.remember(
            actor.resident_id,
            req.client_id,
            head,
            scope.clone(),
            last_mutation_id,
        );
    }
    Ok(PullPage {
        changes,
        cursor: engine.cursor_key.encode(&cursor),
        has_more,
        last_mutation_id,
        server_time: engine.clock.now().to_string(),
        horizon: window.into(),
    })
}

/// Where the pull stands in its snapshot: the community's head and purge mark, the
/// phone's client row (its owner and last processed mutation), and the newest version of
/// each synced table in the community, read in one query.
struct Here {
    head: i64,
    purged_through: i64,
    client_owner: Option<Uuid>,
    last_mutation_id: i64,
    /// By rank: the newest version among the table's rows in the community (0: none).
    newest: Vec<(u8, i64)>,
}

impl Here {
    /// Whether the table of `rank` may hold rows at or after `version`: a table with none
    /// is not read at all. (A page reads each table apart, so a phone pulling after one
    /// sign-up reads the two tables that changed, not all of them.)
    fn may_have(&self, rank: u8, version: i64) -> bool {
        self.newest
            .iter()
            .find(|(r, _)| *r == rank)
            .is_none_or(|(_, newest)| *newest >= version)
    }
}

async fn where_we_are<A: SyncApp>(
    txn: &DatabaseTransaction,
    tables: &super::feed::Tables<A>,
    community: Uuid,
    client: Uuid,
) -> Result<Here, DbErr> {
    let backend = txn.get_database_backend();
    let (c, k) = match backend {
        DbBackend::Postgres => ("$1", "$2"),
        _ => ("?1", "?2"),
    };
    // Each a seek on the table's feed index (community, version, id).
    let newest: String = tables
        .all()
        .map(|t| {
            format!(
                ", (SELECT MAX(version) FROM \"{}\" WHERE community_id = {c}) AS newest_{}",
                t.table(),
                t.rank()
            )
        })
        .collect();
    let sql = format!(
        "SELECT \
           (SELECT version FROM sync_version WHERE community_id = {c}) AS head, \
           (SELECT purged_through FROM sync_version WHERE community_id = {c}) AS purged_through, \
           (SELECT resident_id FROM sync_client WHERE client_id = {k}) AS client_owner, \
           (SELECT last_mutation_id FROM sync_client WHERE client_id = {k}) AS last_mutation_id{newest}"
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
        newest: tables
            .all()
            .map(|t| {
                let v = row
                    .try_get::<Option<i64>>("", &format!("newest_{}", t.rank()))?
                    .unwrap_or(0);
                Ok((t.rank(), v))
            })
            .collect::<Result<_, DbErr>>()?,
    })
}

/// "Anything new?" from memory ([`super::at_head`]), before any database work: `None` when
/// the full pull must look (including every case where it would answer with an error, and
/// an app upgraded since its last pull, which has rows to receive).
pub fn from_memory<A: SyncApp>(
    engine: &SyncEngine<A>,
    claims: &Claims,
    req: &PullRequest,
) -> Option<PullPage> {
    let encoded = req.cursor.as_deref().filter(|c| !c.is_empty())?;
    super::check_schema::<A>(req.schema_version).ok()?;
    let cursor = engine.cursor_key.decode(encoded).ok()?;
    let window = engine.horizon.window(
        engine.clock.wall(),
        req.horizon_days_back,
        req.horizon_days_ahead,
    );
    if cursor.community != claims.cid
        || cursor.resident != claims.sub
        || cursor.schema != req.schema_version.min(A::SCHEMA_VERSION)
        // The horizon moved since: the days that entered it are to be sent.
        || cursor.window != Some(window)
    {
        return None;
    }
    let newest = engine.poker.latest(claims.cid);
    let last_mutation_id =
        engine
            .at_head
            .nothing_new(claims.sub, req.client_id, &cursor, newest)?;
    Some(PullPage {
        changes: Vec::new(),
        cursor: encoded.to_owned(),
        has_more: false,
        last_mutation_id,
        server_time: engine.clock.now().to_string(),
        horizon: window.into(),
    })
}

/// A read-only transaction over one consistent snapshot, from the snapshot readers
/// ([`SyncEngine::reader`]): on PostgreSQL their sessions default to REPEATABLE READ, READ
/// ONLY; a SQLite read transaction in WAL mode reads one snapshot from its first query on.
async fn snapshot(reader: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    reader.begin().await
}

/// Merges per-table runs (each in feed order) and keeps the first `limit`; says if more.
fn first_rows(mut rows: Vec<FeedRow>, limit: usize) -> (Vec<FeedRow>, bool) {
    rows.sort_by_key(|r| r.position);
    let more = rows.len() > limit;
    rows.truncate(limit);
    (rows, more)
}

/// What one page of the feed is read from.
struct Feed<'a, A: SyncApp> {
    engine: &'a SyncEngine<A>,
    txn: &'a DatabaseTransaction,
    viewer: &'a Viewer,
    scope: &'a SyncScope,
    cursor: &'a Cursor,
    limit: usize,
    /// The community's public rows at the head, when the cursor may take them from memory.
    public: Option<&'a Snapshot>,
    here: &'a Here,
}

/// Up to `limit` changes after the cursor, whether there are more, and the last position
/// sent. Personal rows come from `kept` (an earlier page of the pass) when given; otherwise
/// they are read, and when that read got all of them (a few), they are returned encoded,
/// to be kept for the pass's next page.
async fn feed_page<A: SyncApp>(
    feed: Feed<'_, A>,
    kept: Option<Vec<(Position, Encoded)>>,
) -> Result<(Vec<Encoded>, bool, Position, Option<Personal>), DbErr> {
    let Feed {
        engine,
        txn,
        viewer,
        scope,
        cursor,
        limit,
        public,
        here,
    } = feed;
    let actor = &viewer.actor;
    let tables = &engine.tables;
    let scan = Scan {
        txn,
        community: actor.community_id,
        viewer: actor.resident_id,
        pos: cursor.position,
        skip: cursor.skip_tombstones_through,
        fetch: (limit + 1) as u64,
        window: cursor.window,
    };
    let is_public = |t: &&dyn FeedTable<A>| t.audience() == Audience::Public;
    let may_have = |t: &&dyn FeedTable<A>| here.may_have(t.rank(), cursor.position.version);
    let mut rows = Vec::new();
    let mut ready = Vec::new();
    match public {
        Some(snapshot) => {
            let ranks: Vec<u8> = tables
                .for_schema(cursor.schema)
                .filter(is_public)
                .map(|t| t.rank())
                .collect();
            let window = cursor
                .window
                .expect("a cursor made by this pull holds its window");
            ready.extend(snapshot.after(
                cursor.position,
                limit + 1,
                |rank| ranks.contains(&rank),
                window,
            ));
        }
        None => {
            for table in tables
                .for_schema(cursor.schema)
                .filter(is_public)
                .filter(may_have)
            {
                rows.extend(table.read(&scan, scope).await?);
            }
        }
    }
    let mut read = None;
    match kept {
        Some(kept) => ready.extend(kept),
        None => {
            let mut personal = Vec::new();
            for table in tables
                .for_schema(cursor.schema)
                .filter(|t| !is_public(t))
                .filter(may_have)
            {
                personal.extend(table.read(&scan, scope).await?);
            }
            if personal.len() <= KEEP_PERSONAL_MAX.min(limit) {
                // Fewer than each read could return: these are all of them after the
                // cursor. Encode them once, for this page and the pass's next ones.
                let (personal, _) = first_rows(personal, usize::MAX);
                let positions: Vec<Position> = personal.iter().map(|r| r.position).collect();
                let encoded = tables.encode(txn, viewer, scope, personal, None).await?;
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
        .map(|r| (r.position, None))
        .chain(ready.into_iter().map(|(p, e)| (p, Some(e))))
        .collect();
    merged.sort_by_key(|(p, _)| *p);
    let more = merged.len() > limit;
    merged.truncate(limit);
    let last = merged.last().map_or(cursor.position, |(p, _)| *p);
    let needed = merged.iter().filter(|(_, e)| e.is_none()).count();
    let rows = rows.into_iter().take(needed).collect();
    let mut fresh = tables
        .encode(txn, viewer, scope, rows, None)
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

/// One page of the re-scan after a change of scope, an upgrade of the app or a move of the
/// horizon: personal rows visible now are sent as they are, rows visible only before as
/// deletes; rows of entities the app could not read before are sent as they are, and so are
/// rows bound to a day that entered the horizon. The re-scan sends rows the feed will send
/// again; applying a change twice is harmless.
#[allow(clippy::too_many_arguments)]
async fn reconcile_page<A: SyncApp>(
    engine: &SyncEngine<A>,
    txn: &DatabaseTransaction,
    viewer: &Viewer,
    now: &SyncScope,
    schema: u32,
    window: Window,
    rec: &mut Reconcile,
    limit: usize,
    here: &Here,
) -> Result<(Vec<A::Change>, bool), DbErr> {
    let actor = &viewer.actor;
    let either = rec.before.union(now);
    let scope_changed = rec.before != *now;
    let newer_than = rec.newer_than.unwrap_or(u32::MAX);
    let scan = |window| Scan {
        txn,
        community: actor.community_id,
        viewer: actor.resident_id,
        pos: rec.position,
        skip: i64::MIN,
        fetch: (limit + 1) as u64,
        window: Some(window),
    };
    let mut rows = Vec::new();
    for table in engine.tables.for_schema(schema) {
        if !here.may_have(table.rank(), rec.position.version) {
            continue;
        }
        let personal = table.audience() != Audience::Public;
        if (personal && scope_changed) || table.since_schema() > newer_than {
            rows.extend(table.read(&scan(window), &either).await?);
        } else if let (true, Some(band)) = (table.horizon_bound(), rec.band) {
            rows.extend(table.read(&scan(band), &either).await?);
        }
    }
    let (rows, more) = first_rows(rows, limit);
    if let Some(last) = rows.last() {
        rec.position = last.position;
    }
    let changes = engine
        .tables
        .encode(txn, viewer, now, rows, Some(now))
        .await?;
    Ok((changes, more))
}
