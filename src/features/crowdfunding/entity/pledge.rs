//! A resident's pledge of money, goods or hours to a campaign.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pledge")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    pub campaign_id: Uuid,
    pub resident_id: Uuid,
    /// The pledger's name (the treasurer always sees it).
    pub name: String,
    /// Not named to other residents in the ledger.
    pub anonymous: bool,
    /// The key the campaign's treasurer holds (`rules::person_key`).
    pub treasurer_key: Uuid,
    pub amount_fen: i64,
    #[sea_orm(column_type = "Text")]
    pub items: String,
    pub hours: i32,
    /// `pledged`, `received` or `withdrawn`.
    pub status: String,
    /// The ledger entry that received it.
    pub entry_id: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
