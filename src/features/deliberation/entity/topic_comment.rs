//! A comment in a topic's thread. A hidden comment is a new row (`replaces` the one withdrawn) with no reach: its author and admins see it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "topic_comment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    pub topic_id: Uuid,
    pub author_id: Uuid,
    pub author_name: String,
    pub author_position: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub hidden_reason: Option<String>,
    pub hidden_by: Option<Uuid>,
    pub replaces: Option<Uuid>,
    pub room_id: Option<Uuid>,
    pub bench_id: Option<Uuid>,
    pub area_bench_id: Option<Uuid>,
    pub compound_bench_id: Option<Uuid>,
    pub desk_id: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
