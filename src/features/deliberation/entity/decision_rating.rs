//! A resident's rating of a decision carried out; its id is `rating_id(decision, resident)`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "decision_rating")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    pub decision_id: Uuid,
    pub resident_id: Uuid,
    pub rating: String,
    pub comment: String,
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
