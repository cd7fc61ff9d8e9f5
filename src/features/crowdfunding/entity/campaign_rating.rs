//! A pledger's rating of a closed campaign (one per pledger).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign_rating")]
pub struct Model {
    /// UUIDv5 of the campaign and the rater.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    pub campaign_id: Uuid,
    pub resident_id: Uuid,
    /// 1 to 5.
    pub stars: i32,
    pub comment: String,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
