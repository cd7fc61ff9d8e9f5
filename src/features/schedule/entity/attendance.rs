use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attendance")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    pub group_id: Uuid,
    pub series_id: Uuid,
    pub occurrence_id: Uuid,
    pub original_start: DateTimeUtc,
    /// The occurrence's local month, `YYYY-MM`.
    pub month: String,
    pub resident_id: Uuid,
    /// `present`, `absent` or `excused`.
    pub status: String,
    /// Service minutes counted.
    pub minutes: i32,
    pub marked_by: Uuid,
    pub clocks: String,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
