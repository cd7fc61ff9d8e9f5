//! The audit log of privileged actions: appended in the transaction of the action itself, so
//! an action and its entry commit together or not at all; read by the community's admins.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use crate::entity::audit_log;

/// A privileged action, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub action: &'static str,
    pub object: Option<Uuid>,
    pub detail: String,
}

/// Appends `entry`, done by `actor` in `community` at `at`.
pub async fn record(
    db: &impl ConnectionTrait,
    community: Uuid,
    actor: Uuid,
    entry: &Entry,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    audit_log::Entity::insert(audit_log::ActiveModel {
        id: Set(Uuid::now_v7()),
        community_id: Set(community),
        actor_id: Set(actor),
        action: Set(entry.action.to_owned()),
        object_id: Set(entry.object),
        detail: Set(entry.detail.clone()),
        at: Set(at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Up to `limit` entries of `community`, newest first, older than `before` when given.
pub async fn page(
    db: &impl ConnectionTrait,
    community: Uuid,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<audit_log::Model>, DbErr> {
    let mut query = audit_log::Entity::find().filter(audit_log::Column::CommunityId.eq(community));
    if let Some(before) = before {
        query = query.filter(audit_log::Column::Id.lt(before));
    }
    query
        .order_by_desc(audit_log::Column::Id)
        .limit(limit)
        .all(db)
        .await
}
