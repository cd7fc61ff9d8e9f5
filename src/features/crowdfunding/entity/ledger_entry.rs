//! One entry of a campaign's public ledger (append-only; see the migration's doc).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_entry")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    pub campaign_id: Uuid,
    pub seq: i32,
    /// `rules::Kind`.
    pub kind: String,
    /// Always positive: the kind says which way it moves the balance.
    pub amount_fen: i64,
    #[sea_orm(column_type = "Text")]
    pub items: String,
    pub hours: i32,
    pub pledge_id: Option<Uuid>,
    /// The giver's name; none for an anonymous gift and for expenses.
    pub donor: Option<String>,
    /// `cash`, `transfer`, `goods` or `time` for a receipt; `paid` for an expense.
    pub method: String,
    /// A transfer's reference, a receipt's number.
    pub reference: String,
    pub description: String,
    /// The entry this one reverses.
    pub reverses: Option<Uuid>,
    /// The entry that reversed this one (not hashed: the reversal is the record).
    pub reversed_by: Option<Uuid>,
    pub overdraft_reason: Option<String>,
    pub balance_after_fen: i64,
    /// RFC 3339 to the second, as hashed.
    pub recorded_at: String,
    pub recorded_by: Uuid,
    pub prev_hash: String,
    pub hash: String,
    #[sea_orm(column_type = "Text")]
    pub photos: String,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
