//! Residents' accounts.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::domain::resident::{DisplayName, PhoneNumber};
use crate::entity::resident;

/// Why a resident could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("the phone number is already registered")]
    PhoneTaken,
    #[error(transparent)]
    Db(#[from] DbErr),
}

pub async fn create(
    db: &impl ConnectionTrait,
    community_id: Uuid,
    phone: &PhoneNumber,
    name: &DisplayName,
    password_hash: String,
) -> Result<resident::Model, CreateError> {
    resident::ActiveModel {
        id: Set(Uuid::now_v7()),
        community_id: Set(community_id),
        phone: Set(phone.as_str().to_owned()),
        display_name: Set(name.as_str().to_owned()),
        password_hash: Set(password_hash),
        created_at: Set(Utc::now()),
        deleted_at: Set(None),
    }
    .insert(db)
    .await
    .map_err(|e| {
        if super::is_unique_violation(&e) {
            CreateError::PhoneTaken
        } else {
            CreateError::Db(e)
        }
    })
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<resident::Model>, DbErr> {
    resident::Entity::find_by_id(id).one(db).await
}

/// The resident with `id`, unless they deleted their account (then nobody may act as them).
pub async fn find_active(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<resident::Model>, DbErr> {
    Ok(find(db, id).await?.filter(|r| r.deleted_at.is_none()))
}

/// What a deleted account's row keeps: it still names whoever served the hours and made
/// the sign-ups the committee must keep, but nobody.
pub const DELETED_NAME: &str = "已刪除的居民";

/// What stands in a deleted account's phone column: unique (the column is), at most 16
/// characters like a real number, and never a number (those start with `+`).
fn deleted_phone(resident: Uuid) -> String {
    let simple = resident.simple().to_string();
    format!("#{}", &simple[simple.len() - 15..])
}

/// Anonymises `resident` for good: no phone number (its number can register again), no
/// name, no password; the row stays for what must be kept (see the README's retention table).
pub async fn anonymise(
    db: &impl ConnectionTrait,
    resident: Uuid,
    now: chrono::DateTime<Utc>,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    resident::Entity::update_many()
        .col_expr(
            resident::Column::Phone,
            Expr::value(deleted_phone(resident)),
        )
        .col_expr(resident::Column::DisplayName, Expr::value(DELETED_NAME))
        .col_expr(resident::Column::PasswordHash, Expr::value("!"))
        .col_expr(resident::Column::DeletedAt, Expr::value(now))
        .filter(resident::Column::Id.eq(resident))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets the app installations that synced as `resident`, with their stored push results.
pub async fn forget_devices(db: &impl ConnectionTrait, resident: Uuid) -> Result<(), DbErr> {
    use crate::entity::sync_client;
    sync_client::Entity::delete_many()
        .filter(sync_client::Column::ResidentId.eq(resident))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn find_by_phone(
    db: &impl ConnectionTrait,
    phone: &PhoneNumber,
) -> Result<Option<resident::Model>, DbErr> {
    resident::Entity::find()
        .filter(resident::Column::Phone.eq(phone.as_str()))
        .one(db)
        .await
}

/// One page of a community's residents in id order (ids are UUIDv7, so oldest first),
/// starting after `after`.
pub async fn page(
    db: &impl ConnectionTrait,
    community_id: Uuid,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<resident::Model>, DbErr> {
    // Deleted accounts are nobody's to list.
    let mut query = resident::Entity::find()
        .filter(resident::Column::CommunityId.eq(community_id))
        .filter(resident::Column::DeletedAt.is_null());
    if let Some(after) = after {
        query = query.filter(resident::Column::Id.gt(after));
    }
    query
        .order_by_asc(resident::Column::Id)
        .limit(limit)
        .all(db)
        .await
}
