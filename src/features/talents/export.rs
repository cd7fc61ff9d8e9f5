//! What talents hold about a resident: their offer and the invitations they received or
//! sent (their data export); and what goes when their account is deleted: the offer and the
//! invitations they received go, and invitations they sent keep the activity under the name
//! residents see for a deleted account.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::entity::{talent, talent_invitation};
use super::wire::{TalentData, TalentInvitationData};
use super::{invitation_change, talent_data};
use crate::features::Change;
use crate::features::deliberation::export::FORGOTTEN;
use crate::sync::write::bump_version;

#[derive(Debug, Object)]
pub struct TalentsData {
    /// The skills the resident offers, if they do.
    #[oai(skip_serializing_if_is_none)]
    pub offer: Option<TalentData>,
    /// Invitations to them, and from them.
    pub invitations: Vec<TalentInvitationData>,
}

pub async fn held_by(conn: &impl ConnectionTrait, resident: Uuid) -> Result<TalentsData, DbErr> {
    let offer = super::offer_of(conn, resident)
        .await?
        .as_ref()
        .and_then(talent_data);
    let invitations = talent_invitation::Entity::find()
        .filter(
            Condition::any()
                .add(talent_invitation::Column::ResidentId.eq(resident))
                .add(talent_invitation::Column::InviterId.eq(resident)),
        )
        .filter(talent_invitation::Column::DeletedAt.is_null())
        .order_by_asc(talent_invitation::Column::CreatedAt)
        .all(conn)
        .await?
        .iter()
        .filter_map(|i| match invitation_change(i) {
            Change::TalentInvitation(c) => c.data,
            _ => None,
        })
        .collect();
    Ok(TalentsData { offer, invitations })
}

/// Deletes `resident`'s offer and the invitations to them, and takes their name off the
/// invitations they sent, at one new version (`None`: they had none of these).
pub async fn forget(
    conn: &impl ConnectionTrait,
    community: Uuid,
    resident: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let offers = talent::Entity::find()
        .filter(talent::Column::ResidentId.eq(resident))
        .filter(talent::Column::DeletedAt.is_null())
        .count(conn)
        .await?;
    let invitations = talent_invitation::Entity::find()
        .filter(
            Condition::any()
                .add(talent_invitation::Column::ResidentId.eq(resident))
                .add(talent_invitation::Column::InviterId.eq(resident)),
        )
        .filter(talent_invitation::Column::DeletedAt.is_null())
        .count(conn)
        .await?;
    if offers == 0 && invitations == 0 {
        return Ok(None);
    }
    let version = bump_version(conn, community).await?;
    talent::Entity::update_many()
        .col_expr(talent::Column::DeletedAt, Expr::value(now))
        .col_expr(talent::Column::Version, Expr::value(version))
        .filter(talent::Column::ResidentId.eq(resident))
        .filter(talent::Column::DeletedAt.is_null())
        .exec(conn)
        .await?;
    talent_invitation::Entity::update_many()
        .col_expr(talent_invitation::Column::DeletedAt, Expr::value(now))
        .col_expr(talent_invitation::Column::Version, Expr::value(version))
        .filter(talent_invitation::Column::ResidentId.eq(resident))
        .filter(talent_invitation::Column::DeletedAt.is_null())
        .exec(conn)
        .await?;
    talent_invitation::Entity::update_many()
        .col_expr(
            talent_invitation::Column::InviterName,
            Expr::value(FORGOTTEN),
        )
        .col_expr(talent_invitation::Column::Version, Expr::value(version))
        .filter(talent_invitation::Column::InviterId.eq(resident))
        .filter(talent_invitation::Column::DeletedAt.is_null())
        .exec(conn)
        .await?;
    Ok(Some(version))
}
