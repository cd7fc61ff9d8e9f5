//! A read receipt: one resident has read one announcement.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "announcement_read")]
pub struct Model {
    /// `rules::receipt_id(announcement_id, resident_id)`: one per reader, whichever of their
    /// phones says so first.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    pub announcement_id: Uuid,
    pub resident_id: Uuid,
    pub version: i64,
    /// When it was first read (the server's time of the first receipt).
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
