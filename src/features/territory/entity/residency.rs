use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "residency")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    pub household_id: Uuid,
    /// The household's place, kept on the row for the feed's audience.
    pub building_id: Uuid,
    pub area_id: Option<Uuid>,
    pub compound_id: Uuid,
    pub cell_id: Option<Uuid>,
    /// The resident's account; none for a resident recorded without one.
    pub resident_id: Option<Uuid>,
    /// The name the roll shows (for the census and the paper records).
    pub name: String,
    /// `YYYY` or `YYYY-MM-DD`, as declared and verified (for the voting age).
    pub born: String,
    /// `owner`, `tenant` or `family`.
    pub relation: String,
    /// `pending`, `verified` or `refused`.
    pub status: String,
    pub moved_in: Date,
    pub moved_out: Option<Date>,
    /// Who made the row: the claiming resident, or the holder who recorded it.
    pub recorded_by: Uuid,
    /// Who confirmed or refused the claim.
    pub decided_by: Option<Uuid>,
    /// A claim by a resident recorded earlier without an account: the recorded row, which
    /// the claim's confirmation gives their account (the claim itself then goes).
    pub takes_over: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
