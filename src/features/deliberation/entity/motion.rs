//! A motion put to a meeting's vote, with its recorded votes (`votes`: JSON, member → name and choice).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "motion")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    pub meeting_id: Uuid,
    pub topic_id: Option<Uuid>,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    pub rule: String,
    pub amends: Option<Uuid>,
    pub repeals: Option<Uuid>,
    pub document_kind: Option<String>,
    pub effective_on: Option<Date>,
    pub review_on: Option<Date>,
    pub proposed_by: Uuid,
    pub state: String,
    #[sea_orm(column_type = "Text")]
    pub votes: String,
    pub agree: i32,
    pub against: i32,
    pub abstain: i32,
    pub absent: i32,
    pub present: i32,
    pub passed: bool,
    pub decision_id: Option<Uuid>,
    pub room_id: Uuid,
    pub bench_id: Uuid,
    pub area_bench_id: Option<Uuid>,
    pub compound_bench_id: Option<Uuid>,
    pub desk_id: Uuid,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
