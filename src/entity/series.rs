use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "series")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    pub group_id: Uuid,
    pub title: String,
    pub description: String,
    pub location: String,
    pub starts_at: DateTimeUtc,
    pub duration_minutes: i32,
    /// `None`: unlimited.
    pub capacity: Option<i32>,
    pub notes: String,
    pub clocks: String,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
