//! A meeting convened for a unit or the community.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "meeting")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    pub unit_id: Option<Uuid>,
    pub area_id: Option<Uuid>,
    pub compound_id: Option<Uuid>,
    pub room_id: Uuid,
    pub bench_id: Uuid,
    pub area_bench_id: Option<Uuid>,
    pub compound_bench_id: Option<Uuid>,
    pub desk_id: Uuid,
    pub title: String,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub place: String,
    pub convener_id: Uuid,
    pub convener_name: String,
    pub quorum: String,
    #[sea_orm(column_type = "Text")]
    pub agenda: String,
    pub state: String,
    pub members: i32,
    pub present: i32,
    #[sea_orm(column_type = "Text")]
    pub minutes: String,
    pub minutes_rev: i32,
    pub minutes_approved_rev: i32,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
