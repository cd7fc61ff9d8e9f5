//! A counted ballot. Nothing here says who cast it or when (see the migration's doc).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ballot")]
pub struct Model {
    /// Random (UUIDv4): its order says nothing of when it came.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub election_id: Uuid,
    /// `phone` or `paper`.
    pub source: String,
    pub receipt: Option<String>,
    pub nonce: Option<String>,
    pub sheet: Option<String>,
    /// `rules::Ballot` as JSON.
    pub choices: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
