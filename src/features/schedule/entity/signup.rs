use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signup")]
pub struct Model {
    /// UUIDv5 of (occurrence, volunteer): see `features::schedule::signup::signup_id`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    pub group_id: Uuid,
    pub series_id: Uuid,
    pub occurrence_id: Uuid,
    pub original_start: DateTimeUtc,
    /// The volunteer.
    pub resident_id: Uuid,
    /// Who made the request: the volunteer, or a leader signing them up.
    pub requested_by: Uuid,
    pub party_size: i32,
    /// `confirmed`, `waitlisted`, `cancelled` or `occurrence_cancelled`.
    pub status: String,
    /// The community version of the current request: the waitlist's order.
    pub requested_version: i64,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
