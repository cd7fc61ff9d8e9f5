use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "role_grant")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub resident_id: Uuid,
    /// `admin`, `leader` or `member` (see `domain::permissions::Role`).
    pub role: String,
    /// `community` or `group` (see `domain::permissions::Scope`).
    pub scope_kind: String,
    pub scope_id: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
