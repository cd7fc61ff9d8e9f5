//! What the grid holds about a resident: the log entries they wrote as a grid worker and the
//! photos they uploaded (their data export). Entries stay when an account is deleted: they
//! are the committee's record of its work in the cell, like a closed case.

use poem_openapi::Object;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::wire::LogEntryData;
use super::{entity, logs};
use crate::features::Change;
use crate::features::attachments::{self, wire::PhotoData};

#[derive(Debug, Object)]
pub struct GridData {
    pub log_entries: Vec<LogEntryData>,
    pub photos_uploaded: Vec<PhotoData>,
}

pub async fn held_by(conn: &impl ConnectionTrait, resident: Uuid) -> Result<GridData, DbErr> {
    let log_entries = entity::Entity::find()
        .filter(entity::Column::WorkerId.eq(resident))
        .filter(entity::Column::DeletedAt.is_null())
        .order_by_asc(entity::Column::Day)
        .all(conn)
        .await?
        .iter()
        .filter_map(|e| match logs::change(e) {
            Change::LogEntry(c) => c.data,
            _ => None,
        })
        .collect();
    let photos_uploaded = attachments::entity::Entity::find()
        .filter(attachments::entity::Column::UploadedBy.eq(resident))
        .filter(attachments::entity::Column::DeletedAt.is_null())
        .order_by_asc(attachments::entity::Column::CreatedAt)
        .all(conn)
        .await?
        .iter()
        .map(attachments::data)
        .collect();
    Ok(GridData {
        log_entries,
        photos_uploaded,
    })
}
