//! Compaction: purging tombstones (and stored push results) older than the retention period.
//!
//! A phone whose cursor predates purged tombstones could miss those deletes, so each
//! community records the highest version it purged (`purged_through`); a pull from an older
//! cursor gets `410 resync_required` and the phone pulls again from scratch. Every registered
//! table is purged, children before parents (highest rank first: a series' sessions before
//! the series, a series before its group).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::feed::Tables;
use super::registry::SyncApp;
use super::write;
use crate::entity::{sync_mutation, sync_version};

/// Default tombstone retention: longer than any phone is expected to stay offline.
pub const DEFAULT_RETENTION_DAYS: u32 = 180;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Compacted {
    pub tombstones: u64,
    pub results: u64,
}

/// Purges tombstones deleted before `cutoff` in every community.
pub async fn compact<A: SyncApp>(
    db: &DatabaseConnection,
    cutoff: DateTime<Utc>,
) -> Result<Compacted, DbErr> {
    let tables = Tables::<A>::new(A::tables());
    let communities: Vec<Uuid> = crate::entity::community::Entity::find()
        .select_only()
        .column(crate::entity::community::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut total = Compacted::default();
    for community in communities {
        let txn = write::begin(db).await?;
        let mut highest: i64 = 0;
        for table in tables.all().collect::<Vec<_>>().into_iter().rev() {
            let (purged, version) = table.purge(&txn, community, cutoff).await?;
            total.tombstones += purged;
            highest = highest.max(version);
        }
        let (_, purged_before) = write::head(&txn, community).await?;
        if highest > purged_before {
            sync_version::Entity::update_many()
                .col_expr(sync_version::Column::PurgedThrough, Expr::value(highest))
                .filter(sync_version::Column::CommunityId.eq(community))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
    }
    total.results = sync_mutation::Entity::delete_many()
        .filter(sync_mutation::Column::ProcessedAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected;
    Ok(total)
}
