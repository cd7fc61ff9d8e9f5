//! What announcements hold about a resident: the announcements they posted and the receipts
//! of what they read (their data export); and what goes when their account is deleted. The
//! receipts go; a posted announcement stays, as the committee's notice, under the name
//! residents see for a deleted account.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::board::{change, receipt_change};
use super::entity::{announcement, announcement_read};
use super::wire::{AnnouncementData, AnnouncementReadData};
use crate::features::Change;
use crate::features::deliberation::export::FORGOTTEN;
use crate::sync::write::bump_version;

#[derive(Debug, Object)]
pub struct AnnouncementsData {
    /// Announcements the resident posted (withdrawn ones left out).
    pub posted: Vec<AnnouncementData>,
    /// Which announcements they read, and when.
    pub read: Vec<AnnouncementReadData>,
}

pub async fn held_by(
    conn: &impl ConnectionTrait,
    resident: Uuid,
) -> Result<AnnouncementsData, DbErr> {
    let posted = announcement::Entity::find()
        .filter(announcement::Column::AuthorId.eq(resident))
        .filter(announcement::Column::DeletedAt.is_null())
        .order_by_asc(announcement::Column::CreatedAt)
        .all(conn)
        .await?
        .iter()
        .filter_map(|a| match change(a) {
            Change::Announcement(c) => c.data,
            _ => None,
        })
        .collect();
    let read = announcement_read::Entity::find()
        .filter(announcement_read::Column::ResidentId.eq(resident))
        .filter(announcement_read::Column::DeletedAt.is_null())
        .order_by_asc(announcement_read::Column::CreatedAt)
        .all(conn)
        .await?
        .iter()
        .filter_map(|r| match receipt_change(r) {
            Change::AnnouncementRead(c) => c.data,
            _ => None,
        })
        .collect();
    Ok(AnnouncementsData { posted, read })
}

/// Deletes `resident`'s receipts and takes their name off what they posted, at one new
/// version (`None`: they had neither).
pub async fn forget(
    conn: &impl ConnectionTrait,
    community: Uuid,
    resident: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let receipts = announcement_read::Entity::find()
        .filter(announcement_read::Column::ResidentId.eq(resident))
        .filter(announcement_read::Column::DeletedAt.is_null())
        .count(conn)
        .await?;
    let posted = announcement::Entity::find()
        .filter(announcement::Column::AuthorId.eq(resident))
        .count(conn)
        .await?;
    if receipts == 0 && posted == 0 {
        return Ok(None);
    }
    let version = bump_version(conn, community).await?;
    announcement_read::Entity::update_many()
        .col_expr(announcement_read::Column::DeletedAt, Expr::value(now))
        .col_expr(announcement_read::Column::Version, Expr::value(version))
        .filter(announcement_read::Column::ResidentId.eq(resident))
        .filter(announcement_read::Column::DeletedAt.is_null())
        .exec(conn)
        .await?;
    announcement::Entity::update_many()
        .col_expr(announcement::Column::AuthorName, Expr::value(FORGOTTEN))
        .col_expr(announcement::Column::Version, Expr::value(version))
        .filter(announcement::Column::AuthorId.eq(resident))
        .exec(conn)
        .await?;
    Ok(Some(version))
}
