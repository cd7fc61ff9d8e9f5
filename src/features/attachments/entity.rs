//! The server's record of each photo (see the migration's doc); not synced: phones see a
//! photo through its owner's row.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attachment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    /// What it belongs to (`super::OwnerKind`).
    pub owner_kind: String,
    pub owner_id: Uuid,
    /// Its place among the owner's photos.
    pub position: i32,
    pub uploaded_by: Uuid,
    /// Of the bytes as taken, lowercase hex.
    pub sha256: String,
    /// Of the bytes as taken.
    pub size: i64,
    /// `pending`, `ready` or `refused`.
    pub state: String,
    /// Shown to residents: why it was refused.
    pub refusal: Option<String>,
    /// The refusal's stable problem code (`unsupported_image`, `attachment_too_large`).
    pub refusal_code: Option<String>,
    pub content_type: Option<String>,
    /// Of the bytes as stored (metadata stripped); 0 until then.
    pub stored_size: i64,
    pub width: i32,
    pub height: i32,
    pub created_at: DateTimeUtc,
    pub stored_at: Option<DateTimeUtc>,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
