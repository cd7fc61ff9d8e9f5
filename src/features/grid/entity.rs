//! A grid worker's log entry (see the migration's doc).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "log_entry")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    pub cell_id: Uuid,
    pub cell_key: Uuid,
    pub office_key: Uuid,
    pub worker_id: Uuid,
    pub worker_name: String,
    /// The day of the round (Beijing).
    pub day: Date,
    pub building_id: Option<Uuid>,
    pub staircase: String,
    pub place: String,
    /// Which of the six hats (`super::rules::Hat`).
    pub hat: String,
    pub found: String,
    pub done: String,
    pub home_visit: bool,
    /// `closed` (on the spot) or `follow_up`.
    pub status: String,
    pub case_id: Option<Uuid>,
    /// The photos, as phones see them (`attachments::from_column`).
    pub photos: String,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
