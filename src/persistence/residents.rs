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
    let mut query = resident::Entity::find().filter(resident::Column::CommunityId.eq(community_id));
    if let Some(after) = after {
        query = query.filter(resident::Column::Id.gt(after));
    }
    query
        .order_by_asc(resident::Column::Id)
        .limit(limit)
        .all(db)
        .await
}
