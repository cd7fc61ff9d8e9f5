//! Compaction: purging tombstones (and stored push results) older than the retention period.
//!
//! A phone whose cursor predates purged tombstones could miss those deletes, so each
//! community records the highest version it purged (`purged_through`); a pull from an older
//! cursor gets `410 resync_required` and the phone pulls again from scratch.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::write;
use crate::entity::{membership, series, sync_mutation, sync_version, volunteer_group};

/// Default tombstone retention: longer than any phone is expected to stay offline.
pub const DEFAULT_RETENTION_DAYS: u32 = 180;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Compacted {
    pub tombstones: u64,
    pub results: u64,
}

/// Purges tombstones deleted before `cutoff` in every community.
pub async fn compact(db: &DatabaseConnection, cutoff: DateTime<Utc>) -> Result<Compacted, DbErr> {
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
        macro_rules! purge {
            ($entity:ident) => {{
                let max: Option<Option<i64>> = $entity::Entity::find()
                    .select_only()
                    .column_as($entity::Column::Version.max(), "max")
                    .filter($entity::Column::CommunityId.eq(community))
                    .filter($entity::Column::DeletedAt.lt(cutoff))
                    .into_tuple()
                    .one(&txn)
                    .await?;
                highest = highest.max(max.flatten().unwrap_or(0));
                let res = $entity::Entity::delete_many()
                    .filter($entity::Column::CommunityId.eq(community))
                    .filter($entity::Column::DeletedAt.lt(cutoff))
                    .exec(&txn)
                    .await?;
                total.tombstones += res.rows_affected;
            }};
        }
        // Children first: memberships and series reference their group.
        purge!(membership);
        purge!(series);
        purge!(volunteer_group);
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
