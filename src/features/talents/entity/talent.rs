//! A resident's offer of their skills (one per resident).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "talent")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    pub resident_id: Uuid,
    pub name: String,
    /// Fixed skills between bars: `|calligraphy|law|`.
    pub skills: String,
    /// Free tags between bars: `|二胡|`.
    pub tags: String,
    pub note: String,
    /// Free times between bars.
    pub availability: String,
    /// `holders` or `residents`.
    pub visibility: String,
    /// The key the community's position holders and group leaders hold.
    pub scout_key: Uuid,
    /// The community's residents' key, when the resident opted in.
    pub room_id: Option<Uuid>,
    pub updated_at: DateTimeUtc,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
