use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "election")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    pub title: String,
    /// See `domain::territory::PositionKind`.
    pub position_kind: String,
    /// The unit whose residents elect; none for the whole community.
    pub unit_id: Option<Uuid>,
    pub seats: i32,
    pub term_starts_on: Date,
    pub term_ends_on: Option<Date>,
    pub nominations_close: DateTimeUtc,
    pub voting_opens: DateTimeUtc,
    pub voting_closes: DateTimeUtc,
    /// `person` or `household`.
    pub basis: String,
    pub min_age: i32,
    pub seconders: i32,
    pub max_entrustments: i32,
    pub quorum_pct: i32,
    pub majority_pct: i32,
    pub round: i32,
    pub runoff_of: Option<Uuid>,
    /// See `rules::State`.
    pub state: String,
    /// `contested` or `uncontested`, once nominations closed.
    pub mode: Option<String>,
    pub roll_size: i32,
    pub roll_hash: Option<String>,
    /// Electors marked as having voted.
    pub voted: i32,
    pub chain_head: String,
    /// The tally (`rules::Tally` as JSON), once counted.
    pub result: Option<String>,
    pub called_by: Uuid,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
