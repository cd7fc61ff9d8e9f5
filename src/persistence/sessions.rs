//! Sessions: families of refresh tokens.
//!
//! A login starts a family with one token. Refreshing marks the presented token rotated and
//! adds its successor to the family. Presenting a rotated token again means two parties hold
//! the family (a stolen token, or a copied phone), and nobody can tell which one is the
//! resident, so the whole family is revoked and both must log in again. Logout revokes the
//! family too.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, TransactionSession, TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use crate::auth::tokens::{
    NewRefreshToken, REFRESH_TOKEN_TTL, hash_refresh_token, new_refresh_token,
};
use crate::entity::refresh_token;

/// What a refresh attempt found.
#[derive(Debug)]
pub enum Refreshed {
    /// The token was current: here is its successor, for `resident`.
    Rotated {
        resident: Uuid,
        token: NewRefreshToken,
    },
    /// Unknown, expired, or its family was already revoked.
    Invalid,
    /// An already-rotated token was presented: its family is now revoked.
    Reused,
}

/// Starts a new family for `resident` and returns its first token.
pub async fn start(
    db: &impl ConnectionTrait,
    resident: Uuid,
    now: DateTime<Utc>,
) -> Result<NewRefreshToken, DbErr> {
    let token = new_refresh_token();
    insert(db, Uuid::now_v7(), resident, &token, now).await?;
    Ok(token)
}

async fn insert(
    db: &impl ConnectionTrait,
    family: Uuid,
    resident: Uuid,
    token: &NewRefreshToken,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        family_id: Set(family),
        resident_id: Set(resident),
        token_hash: Set(token.hash.clone()),
        created_at: Set(now),
        expires_at: Set(now + REFRESH_TOKEN_TTL),
        rotated_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Exchanges `presented` for its successor.
pub async fn refresh<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    presented: &str,
    now: DateTime<Utc>,
) -> Result<Refreshed, DbErr> {
    let Some(current) = find(db, presented).await? else {
        return Ok(Refreshed::Invalid);
    };
    if current.revoked_at.is_some() {
        return Ok(Refreshed::Invalid);
    }
    if current.rotated_at.is_some() {
        revoke_family(db, current.family_id, now).await?;
        return Ok(Refreshed::Reused);
    }
    if current.expires_at <= now {
        return Ok(Refreshed::Invalid);
    }
    let txn = db.begin().await?;
    // Conditional on "not yet rotated", so of two concurrent refreshes with one token exactly
    // one wins; the other is treated as the replay it is indistinguishable from.
    let claimed = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RotatedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(current.id))
        .filter(refresh_token::Column::RotatedAt.is_null())
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        txn.rollback().await?;
        revoke_family(db, current.family_id, now).await?;
        return Ok(Refreshed::Reused);
    }
    let successor = new_refresh_token();
    insert(
        &txn,
        current.family_id,
        current.resident_id,
        &successor,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Refreshed::Rotated {
        resident: current.resident_id,
        token: successor,
    })
}

/// Ends the session `presented` belongs to. Unknown tokens are ignored: logging out twice
/// is not an error.
pub async fn logout(
    db: &impl ConnectionTrait,
    presented: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if let Some(token) = find(db, presented).await? {
        revoke_family(db, token.family_id, now).await?;
    }
    Ok(())
}

async fn find(
    db: &impl ConnectionTrait,
    presented: &str,
) -> Result<Option<refresh_token::Model>, DbErr> {
    refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash_refresh_token(presented)))
        .one(db)
        .await
}

async fn revoke_family(
    db: &impl ConnectionTrait,
    family: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::FamilyId.eq(family))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}
