use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "occurrence_tally")]
pub struct Model {
    /// The occurrence id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    pub series_id: Uuid,
    pub original_start: DateTimeUtc,
    /// Seats confirmed.
    pub confirmed: i32,
    /// People waiting.
    pub waitlisted: i32,
    /// Capacity in force; `None`: unlimited.
    pub capacity: Option<i32>,
    pub version: i64,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
