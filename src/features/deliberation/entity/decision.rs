//! A decision in the community's register.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "decision")]
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
    pub meeting_id: Uuid,
    pub motion_id: Uuid,
    pub topic_id: Option<Uuid>,
    pub convener_id: Uuid,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    pub agree: i32,
    pub against: i32,
    pub abstain: i32,
    pub absent: i32,
    pub effective_on: Date,
    pub review_on: Option<Date>,
    pub state: String,
    pub amends: Option<Uuid>,
    pub repeals: Option<Uuid>,
    pub superseded_by: Option<Uuid>,
    pub document_kind: Option<String>,
    pub document_version: Option<i32>,
    pub done: bool,
    #[sea_orm(column_type = "Text")]
    pub report: Option<String>,
    pub reported_at: Option<DateTimeUtc>,
    pub satisfied: i32,
    pub partly: i32,
    pub not_satisfied: i32,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
