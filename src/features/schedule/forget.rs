//! What the schedule does when a resident deletes their account, inside the deletion's write
//! transaction (which holds the community's write lock):
//! - memberships end (leaders' phones see them go), so the resident leaves every group;
//! - sign-ups for sessions still to come are withdrawn, and their seats go to the waitlist;
//! - the personal calendar feed is deleted;
//! - past sign-ups and attendance (service hours) are kept: the committee reports them. They
//!   keep naming the resident's row, which the deletion anonymises.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter};
use uuid::Uuid;

use super::entity::{calendar_token, membership, signup};
use super::groups::update;
use super::rules::signup::Status;
use super::seats::withdraw;
use crate::sync::write::bump_version;

/// Forgets what must not outlive the account; returns the community version written, if any.
pub async fn forget(
    conn: &impl ConnectionTrait,
    community: Uuid,
    resident: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    calendar_token::Entity::delete_by_id(resident)
        .exec(conn)
        .await?;
    let memberships = membership::Entity::find()
        .filter(membership::Column::ResidentId.eq(resident))
        .filter(membership::Column::DeletedAt.is_null())
        .all(conn)
        .await?;
    let coming = signup::Entity::find()
        .filter(signup::Column::ResidentId.eq(resident))
        .filter(signup::Column::OriginalStart.gt(now))
        .filter(
            signup::Column::Status.is_in([Status::Confirmed.as_str(), Status::Waitlisted.as_str()]),
        )
        .all(conn)
        .await?;
    if memberships.is_empty() && coming.is_empty() {
        return Ok(None);
    }
    let version = bump_version(conn, community).await?;
    for m in memberships {
        let mut m = m;
        m.deleted_at = Some(now);
        m.version = version;
        update(conn, m.into_active_model()).await?;
    }
    for s in coming {
        withdraw(conn, version, s, now).await?;
    }
    Ok(Some(version))
}
