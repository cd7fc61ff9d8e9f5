//! Communities: the tenants of a deployment.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryOrder,
};
use uuid::Uuid;

use crate::entity::community;

pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<community::Model>, DbErr> {
    community::Entity::find()
        .order_by_asc(community::Column::Name)
        .all(db)
        .await
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<community::Model>, DbErr> {
    community::Entity::find_by_id(id).one(db).await
}

pub async fn find_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> Result<Option<community::Model>, DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    community::Entity::find()
        .filter(community::Column::Slug.eq(slug))
        .one(db)
        .await
}

/// Why a community could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateCommunityError {
    #[error("a community with slug {0:?} already exists")]
    SlugTaken(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Creates a community.
pub async fn create(
    db: &impl ConnectionTrait,
    slug: &str,
    name: &str,
) -> Result<community::Model, CreateCommunityError> {
    let created = community::ActiveModel {
        id: Set(Uuid::now_v7()),
        slug: Set(slug.to_owned()),
        name: Set(name.to_owned()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await;
    match created {
        Ok(c) => Ok(c),
        Err(e) if super::is_unique_violation(&e) => {
            Err(CreateCommunityError::SlugTaken(slug.to_owned()))
        }
        Err(e) => Err(e.into()),
    }
}

/// Creates the first community when the database has none, so a new deployment is usable
/// at once. Safe when several processes start together: the slug is unique.
pub async fn ensure_seeded(db: &impl ConnectionTrait, name: &str, slug: &str) -> Result<(), DbErr> {
    if community::Entity::find().count(db).await? > 0 {
        return Ok(());
    }
    match create(db, slug, name).await {
        Ok(c) => {
            tracing::info!(community = %c.id, slug = %c.slug, "seeded the first community");
            Ok(())
        }
        Err(CreateCommunityError::SlugTaken(_)) => Ok(()),
        Err(CreateCommunityError::Db(e)) => Err(e),
    }
}
