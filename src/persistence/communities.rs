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

/// The community an operator command is for: the one named by `slug`, or the only one.
pub async fn pick(
    db: &impl ConnectionTrait,
    slug: Option<&str>,
) -> anyhow::Result<community::Model> {
    use anyhow::Context;
    if let Some(slug) = slug {
        return find_by_slug(db, slug)
            .await?
            .with_context(|| format!("no community with slug {slug:?}"));
    }
    let mut all = list(db).await?;
    match all.len() {
        1 => Ok(all.remove(0)),
        0 => anyhow::bail!(
            "there is no community yet: create one first, like  linli community create --slug sun-village --name 孫村  (or start the service once, which creates a default one)"
        ),
        n => anyhow::bail!(
            "there are {n} communities ({}); choose one with --community <slug>",
            all.iter()
                .map(|c| c.slug.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
