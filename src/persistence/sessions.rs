//! Sessions: families of refresh tokens.
//!
//! A login starts a family with one token. Refreshing marks the presented token rotated and
//! adds its successor to the family. A phone on patchy data may lose the answer and retry
//! with the token it still has: within the reuse window, while the successor has not been
//! used, that retry gets the same successor again (it is derived from the presented token,
//! so nothing secret is stored). Presenting a rotated token after that means two parties
//! hold the family (a stolen token, or a copied phone), and nobody can tell which one is the
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
    /// The token was current: here is its successor, for `resident`, in session `family`.
    Rotated {
        resident: Uuid,
        family: Uuid,
        token: NewRefreshToken,
    },
    /// Unknown, expired, or its family was already revoked.
    Invalid,
    /// An already-rotated token was presented: its family (session) is now revoked.
    Reused { family: Uuid },
}

/// Starts a new family (session) for `resident`; returns its id and first token.
pub async fn start(
    db: &impl ConnectionTrait,
    resident: Uuid,
    now: DateTime<Utc>,
) -> Result<(Uuid, NewRefreshToken), DbErr> {
    let token = new_refresh_token();
    let family = Uuid::now_v7();
    insert(db, family, resident, &token, now).await?;
    Ok((family, token))
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

/// Exchanges `presented` for `successor` (its successor, derived from it). A retry within
/// `reuse_window` of the first exchange, while the successor is unused, gets the same one.
pub async fn refresh<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    presented: &str,
    successor: NewRefreshToken,
    reuse_window: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<Refreshed, DbErr> {
    let Some(current) = find(db, presented).await? else {
        return Ok(Refreshed::Invalid);
    };
    if current.revoked_at.is_some() {
        return Ok(Refreshed::Invalid);
    }
    if current.rotated_at.is_some() {
        return retried(db, current, successor, reuse_window, now).await;
    }
    if current.expires_at <= now {
        return Ok(Refreshed::Invalid);
    }
    let txn = db.begin().await?;
    // Conditional on "not yet rotated", so of two concurrent refreshes with one token exactly
    // one rotates it; the other is answered as a retry.
    let claimed = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RotatedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(current.id))
        .filter(refresh_token::Column::RotatedAt.is_null())
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        txn.rollback().await?;
        let Some(now_current) = find(db, presented).await? else {
            return Ok(Refreshed::Invalid);
        };
        return retried(db, now_current, successor, reuse_window, now).await;
    }
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
        family: current.family_id,
        token: successor,
    })
}

/// A token presented again after it was rotated: the same successor if this is a retry
/// (within the window, the successor unused), else the family is revoked.
async fn retried(
    db: &impl ConnectionTrait,
    current: refresh_token::Model,
    successor: NewRefreshToken,
    reuse_window: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<Refreshed, DbErr> {
    let in_window = current
        .rotated_at
        .is_some_and(|at| now - at <= reuse_window);
    if current.revoked_at.is_none() && in_window {
        let next = refresh_token::Entity::find()
            .filter(refresh_token::Column::TokenHash.eq(successor.hash.clone()))
            .one(db)
            .await?;
        if next.is_some_and(|n| {
            n.family_id == current.family_id && n.rotated_at.is_none() && n.revoked_at.is_none()
        }) {
            return Ok(Refreshed::Rotated {
                resident: current.resident_id,
                family: current.family_id,
                token: successor,
            });
        }
    }
    revoke_family(db, current.family_id, now).await?;
    Ok(Refreshed::Reused {
        family: current.family_id,
    })
}

/// Ends the session `presented` belongs to, and returns it. Unknown tokens are ignored:
/// logging out twice is not an error.
pub async fn logout(
    db: &impl ConnectionTrait,
    presented: &str,
    now: DateTime<Utc>,
) -> Result<Option<Uuid>, DbErr> {
    let Some(token) = find(db, presented).await? else {
        return Ok(None);
    };
    revoke_family(db, token.family_id, now).await?;
    Ok(Some(token.family_id))
}

/// Deletes every session of `resident` (their account is being deleted); returns the
/// sessions, so their access tokens can be refused at once.
pub async fn forget_resident(
    db: &impl ConnectionTrait,
    resident: Uuid,
) -> Result<Vec<Uuid>, DbErr> {
    let mut families: Vec<Uuid> = of_resident(db, resident)
        .await?
        .into_iter()
        .map(|t| t.family_id)
        .collect();
    families.sort_unstable();
    families.dedup();
    refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::ResidentId.eq(resident))
        .exec(db)
        .await?;
    Ok(families)
}

/// Every refresh token `resident` has held (hashes only), oldest first.
pub async fn of_resident(
    db: &impl ConnectionTrait,
    resident: Uuid,
) -> Result<Vec<refresh_token::Model>, DbErr> {
    use sea_orm::QueryOrder;
    refresh_token::Entity::find()
        .filter(refresh_token::Column::ResidentId.eq(resident))
        .order_by_asc(refresh_token::Column::CreatedAt)
        .all(db)
        .await
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
