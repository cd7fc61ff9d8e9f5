//! Pull: the changes a phone has not seen, from its cursor, within what it may see.
//!
//! Everything is read in one snapshot (REPEATABLE READ on PostgreSQL; a read transaction on
//! SQLite): the changes, the community's head version and the client's `last_mutation_id`.
//! So a phone never sees half of a mutation, nor its own mutation acknowledged but absent.
//!
//! The feed is the union of the synced tables ordered by (version, rank, id). Each table is
//! read from the cursor's position with the visibility filter in SQL, `limit + 1` rows at a
//! time, and the three runs are merged.

use std::collections::HashMap;

use sea_orm::{
    AccessMode, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, DbErr, EntityTrait, IsolationLevel, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use uuid::Uuid;

use super::changes::{self, GROUP_RANK, MEMBERSHIP_RANK, SERIES_RANK};
use super::cursor::{Cursor, CursorError, FORMAT, Position, Reconcile};
use super::wire::{Change, PullRequest, PullResponse};
use super::{check_schema, write};
use crate::domain::permissions::Actor;
use crate::domain::visibility::SyncScope;
use crate::entity::{membership, resident, series, sync_client, volunteer_group};
use crate::http::AppState;
use crate::http::error::ApiError;

pub const DEFAULT_LIMIT: u32 = 500;
pub const MAX_LIMIT: u32 = 5000;

pub async fn pull(
    state: &AppState,
    actor: &Actor,
    req: PullRequest,
) -> Result<PullResponse, ApiError> {
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

    let txn = snapshot(&state.db).await?;
    let (head, purged_through) = write::head(&txn, actor.community_id).await?;
    let client = sync_client::Entity::find_by_id(req.client_id)
        .one(&txn)
        .await?;
    if client
        .as_ref()
        .is_some_and(|c| c.resident_id != actor.resident_id)
    {
        return Err(ApiError::ClientNotOwned);
    }
    let mut cursor = match decoded {
        None => Cursor {
            format: FORMAT,
            community: actor.community_id,
            position: Position::default(),
            skip_tombstones_through: head,
            scope: scope.clone(),
            reconcile: None,
        },
        Some(c) if c.position.version < purged_through => return Err(ApiError::ResyncRequired),
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
        let (page, more) = reconcile_page(&txn, actor, &scope, rec, limit).await?;
        changes = page;
        if more {
            has_more = true;
        } else {
            cursor.reconcile = None;
        }
    }
    if !has_more && changes.len() < limit {
        let remaining = limit - changes.len();
        let (page, more, last) = feed_page(&txn, actor, &scope, &cursor, remaining).await?;
        changes.extend(page);
        if more {
            has_more = true;
            cursor.position = last;
        } else {
            // Caught up: everything up to the head is delivered or not visible.
            cursor.position = cursor.position.max(Position::end_of(head));
        }
    }
    let last_mutation_id =
        client.map_or(0, |c| u64::try_from(c.last_mutation_id).unwrap_or_default());
    txn.commit().await?;
    Ok(PullResponse {
        changes,
        cursor: state.cursor_key.encode(&cursor),
        has_more,
        last_mutation_id,
        server_time: state.clock.now().to_string(),
    })
}

/// A read-only transaction over one consistent snapshot.
async fn snapshot(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            db.begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await
        }
        // A SQLite read transaction in WAL mode reads one snapshot from its first query on.
        _ => db.begin().await,
    }
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

/// Memberships visible under `scope` to `viewer`, in SQL.
fn memberships_visible(scope: &SyncScope, viewer: Uuid) -> Condition {
    if scope.admin {
        return Condition::all();
    }
    let mut c = Condition::any().add(membership::Column::ResidentId.eq(viewer));
    if !scope.leads.is_empty() {
        c = c.add(membership::Column::GroupId.is_in(scope.leads.iter().copied()));
    }
    c
}

async fn feed_page(
    txn: &DatabaseTransaction,
    actor: &Actor,
    scope: &SyncScope,
    cursor: &Cursor,
    limit: usize,
) -> Result<(Vec<Change>, bool, Position), DbErr> {
    let fetch = (limit + 1) as u64;
    let pos = cursor.position;
    let skip = cursor.skip_tombstones_through;
    let groups = volunteer_group::Entity::find()
        .filter(volunteer_group::Column::CommunityId.eq(actor.community_id))
        .filter(after(
            volunteer_group::Column::Version,
            volunteer_group::Column::Id,
            GROUP_RANK,
            pos,
        ))
        .filter(not_skipped(
            volunteer_group::Column::DeletedAt,
            volunteer_group::Column::Version,
            skip,
        ))
        .order_by_asc(volunteer_group::Column::Version)
        .order_by_asc(volunteer_group::Column::Id)
        .limit(fetch)
        .all(txn)
        .await?;
    let memberships = membership::Entity::find()
        .filter(membership::Column::CommunityId.eq(actor.community_id))
        .filter(after(
            membership::Column::Version,
            membership::Column::Id,
            MEMBERSHIP_RANK,
            pos,
        ))
        .filter(not_skipped(
            membership::Column::DeletedAt,
            membership::Column::Version,
            skip,
        ))
        .filter(memberships_visible(scope, actor.resident_id))
        .order_by_asc(membership::Column::Version)
        .order_by_asc(membership::Column::Id)
        .limit(fetch)
        .all(txn)
        .await?;
    let series = series::Entity::find()
        .filter(series::Column::CommunityId.eq(actor.community_id))
        .filter(after(
            series::Column::Version,
            series::Column::Id,
            SERIES_RANK,
            pos,
        ))
        .filter(not_skipped(
            series::Column::DeletedAt,
            series::Column::Version,
            skip,
        ))
        .order_by_asc(series::Column::Version)
        .order_by_asc(series::Column::Id)
        .limit(fetch)
        .all(txn)
        .await?;
    let names = display_names(txn, memberships.iter().map(|m| m.resident_id)).await?;

    let mut rows: Vec<(Position, Change)> =
        Vec::with_capacity(groups.len() + memberships.len() + series.len());
    rows.extend(groups.iter().map(|g| {
        (
            Position {
                version: g.version,
                rank: GROUP_RANK,
                id: g.id,
            },
            changes::group(g),
        )
    }));
    rows.extend(memberships.iter().map(|m| {
        let name = names
            .get(&m.resident_id)
            .map(String::as_str)
            .unwrap_or_default();
        (
            Position {
                version: m.version,
                rank: MEMBERSHIP_RANK,
                id: m.id,
            },
            changes::membership(m, name),
        )
    }));
    rows.extend(series.iter().map(|s| {
        (
            Position {
                version: s.version,
                rank: SERIES_RANK,
                id: s.id,
            },
            changes::series(s),
        )
    }));
    rows.sort_by_key(|(p, _)| *p);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let last = rows.last().map_or(pos, |(p, _)| *p);
    Ok((rows.into_iter().map(|(_, c)| c).collect(), more, last))
}

/// One page of the membership re-scan after a change of scope: memberships visible now are
/// sent as they are, those visible only before as deletes. The re-scan sends memberships the
/// feed will send again; applying a change twice is harmless.
async fn reconcile_page(
    txn: &DatabaseTransaction,
    actor: &Actor,
    now: &SyncScope,
    rec: &mut Reconcile,
    limit: usize,
) -> Result<(Vec<Change>, bool), DbErr> {
    let either = rec.before.union(now);
    let rows = membership::Entity::find()
        .filter(membership::Column::CommunityId.eq(actor.community_id))
        .filter(after(
            membership::Column::Version,
            membership::Column::Id,
            MEMBERSHIP_RANK,
            rec.position,
        ))
        .filter(memberships_visible(&either, actor.resident_id))
        .order_by_asc(membership::Column::Version)
        .order_by_asc(membership::Column::Id)
        .limit((limit + 1) as u64)
        .all(txn)
        .await?;
    let more = rows.len() > limit;
    let rows = &rows[..rows.len().min(limit)];
    let names = display_names(txn, rows.iter().map(|m| m.resident_id)).await?;
    let page = rows
        .iter()
        .map(|m| {
            if now.sees_membership(actor.resident_id, m.resident_id, m.group_id) {
                changes::membership(
                    m,
                    names
                        .get(&m.resident_id)
                        .map(String::as_str)
                        .unwrap_or_default(),
                )
            } else {
                changes::membership_gone(m)
            }
        })
        .collect();
    if let Some(m) = rows.last() {
        rec.position = Position {
            version: m.version,
            rank: MEMBERSHIP_RANK,
            id: m.id,
        };
    }
    Ok((page, more))
}

async fn display_names(
    conn: &impl ConnectionTrait,
    ids: impl Iterator<Item = Uuid>,
) -> Result<HashMap<Uuid, String>, DbErr> {
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
        .map(|r| (r.id, r.display_name))
        .collect())
}
