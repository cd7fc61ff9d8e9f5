//! Role rows: who is admin of which community (`role_grant`). Capabilities add the roles
//! their own rows give (a group's leaders and members: `crate::features::schedule`).

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter,
};
use uuid::Uuid;

use crate::domain::permissions::{Grant, Role, Scope};
use crate::entity::role_grant;

/// Every role `resident` holds. Rows with a role or scope this build does not know (written
/// by a newer version) are skipped rather than failing the request.
pub async fn grants_of(db: &impl ConnectionTrait, resident: Uuid) -> Result<Vec<Grant>, DbErr> {
    let rows = role_grant::Entity::find()
        .filter(role_grant::Column::ResidentId.eq(resident))
        .all(db)
        .await?;
    let grants: Vec<Grant> = rows
        .into_iter()
        .filter_map(|r| {
            Some(Grant {
                role: Role::parse(&r.role)?,
                scope: Scope::parse(&r.scope_kind, r.scope_id)?,
            })
        })
        .collect();
    Ok(grants)
}

/// Takes every role from `resident` (their account is being deleted).
pub async fn revoke_all(db: &impl ConnectionTrait, resident: Uuid) -> Result<(), DbErr> {
    role_grant::Entity::delete_many()
        .filter(role_grant::Column::ResidentId.eq(resident))
        .exec(db)
        .await?;
    Ok(())
}

/// Grants `role` on `scope` to `resident`; granting a role already held changes nothing.
pub async fn grant(db: &impl ConnectionTrait, resident: Uuid, grant: Grant) -> Result<(), DbErr> {
    let inserted = role_grant::ActiveModel {
        id: Set(Uuid::now_v7()),
        resident_id: Set(resident),
        role: Set(grant.role.as_str().to_owned()),
        scope_kind: Set(grant.scope.kind().to_owned()),
        scope_id: Set(grant.scope.id()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(e) if super::is_unique_violation(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

/// One admin of `community` (the longest-standing), for operator commands that act with the
/// community's authority (`linli import`).
pub async fn an_admin_of(
    db: &impl ConnectionTrait,
    community: Uuid,
) -> Result<Option<Uuid>, DbErr> {
    use sea_orm::QueryOrder;
    Ok(role_grant::Entity::find()
        .filter(role_grant::Column::Role.eq(Role::Admin.as_str()))
        .filter(role_grant::Column::ScopeKind.eq("community"))
        .filter(role_grant::Column::ScopeId.eq(community))
        .order_by_asc(role_grant::Column::CreatedAt)
        .one(db)
        .await?
        .map(|g| g.resident_id))
}
