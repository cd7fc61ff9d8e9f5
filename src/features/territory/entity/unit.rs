use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "unit")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    /// `compound`, `area` or `building` (see `domain::territory::UnitKind`).
    pub kind: String,
    /// A compound has none; an area's is a compound; a building's, an area or a compound.
    pub parent_id: Option<Uuid>,
    pub name: String,
    /// A building's grid cell.
    pub cell_id: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
