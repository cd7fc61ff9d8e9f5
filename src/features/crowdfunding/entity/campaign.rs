//! A crowdfunding campaign, with its running totals and its ledger's head (see the
//! migration's doc).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    /// The building, area or compound it is for; none for the whole community.
    pub unit_id: Option<Uuid>,
    pub area_id: Option<Uuid>,
    pub compound_id: Option<Uuid>,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub purpose: String,
    pub organiser_id: Uuid,
    pub organiser_name: String,
    pub treasurer_id: Uuid,
    pub treasurer_name: String,
    /// The money goal in fen (0: none).
    pub goal_fen: i64,
    /// The goods goal (`[{item, quantity}]`).
    #[sea_orm(column_type = "Text")]
    pub goal_items: String,
    pub goal_hours: i32,
    pub deadline: DateTimeUtc,
    /// `rules::Status`.
    pub status: String,
    /// Pledged and not withdrawn: money and hours.
    pub pledged_fen: i64,
    pub pledged_hours: i32,
    /// What the ledger says: money and goods received, money spent, the balance.
    pub received_fen: i64,
    #[sea_orm(column_type = "Text")]
    pub received_items: String,
    pub spent_fen: i64,
    pub balance_fen: i64,
    /// Live pledges.
    pub pledges: i32,
    pub ledger_length: i32,
    /// The last entry's hash (`rules::GENESIS` before the first).
    pub ledger_head: String,
    /// The organiser's report of what was done with it, once closed.
    #[sea_orm(column_type = "Text", nullable)]
    pub report: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub photos: String,
    /// Pledgers' ratings once it closed: how many, and their stars added up.
    pub rating_count: i32,
    pub rating_sum: i32,
    /// The volunteer series whose attendance receives pledged hours.
    pub series_id: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
