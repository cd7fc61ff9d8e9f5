use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "occurrence_override")]
pub struct Model {
    /// The occurrence id (see `features::schedule::rules::recurrence::occurrence_id`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    pub group_id: Uuid,
    pub series_id: Uuid,
    /// The start the rule gives this occurrence (its identity, like `RECURRENCE-ID`).
    pub original_start: DateTimeUtc,
    pub cancelled: bool,
    /// Moved to this start; `None`: as the rule says.
    pub starts_at: Option<DateTimeUtc>,
    pub location: Option<String>,
    pub capacity: Option<i32>,
    pub note: String,
    pub clocks: String,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
