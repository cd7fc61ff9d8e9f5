use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "candidate")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    pub election_id: Uuid,
    pub resident_id: Uuid,
    /// Their roll entry, once the roll froze (write-ins name roll entries too).
    pub elector_id: Option<Uuid>,
    pub name: String,
    pub statement: String,
    /// Nominated in the committee's name (no seconders needed).
    pub by_committee: bool,
    pub nominated_by: Uuid,
    pub seconds: i32,
    /// `pending`, `accepted` or `declined`.
    pub response: String,
    /// On the ballot: accepted, seconded enough, and on the roll when it froze.
    pub standing: bool,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
