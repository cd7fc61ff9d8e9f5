//! A mediation's record; its id is its dispute case's.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mediation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    /// `open`, `agreed`, `failed` or `withdrawn`: all that statistics read.
    pub outcome: String,
    /// The whole mediation (`super::super::wire::MediationData`).
    pub body: String,
    /// Who holds a copy (JSON list of resident ids).
    pub readers: String,
    pub created_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
