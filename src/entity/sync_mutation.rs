use sea_orm::entity::prelude::*;

/// The stored outcome of one pushed mutation, returned again when it is re-sent.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_mutation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub mutation_id: i64,
    pub name: String,
    /// `applied` or `rejected`.
    pub status: String,
    pub code: Option<String>,
    pub message: Option<String>,
    /// JSON of the object's state as a pull change, when there is one.
    pub data: Option<String>,
    pub processed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
