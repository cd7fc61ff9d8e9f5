//! A resident's booked slot with a department, or a walk-in recorded at the door.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reception_booking")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    pub reception_id: Uuid,
    pub department_id: Uuid,
    /// None for a walk-in.
    pub slot_start: Option<DateTimeUtc>,
    /// The resident (none for a walk-in who is not one).
    pub resident_id: Option<Uuid>,
    pub name: String,
    /// What they come about.
    pub topic: String,
    /// `confirmed`, `waitlisted`, `cancelled` or `walk_in`.
    pub status: String,
    /// First come, first served: the order of the queue.
    pub booked_at: DateTimeUtc,
    /// The case opened from the conversation.
    pub case_id: Option<Uuid>,
    /// Whose row it is (the resident; for a walk-in who is not one, who recorded it).
    pub owner_id: Uuid,
    pub office_key: Uuid,
    pub liaison_key: Uuid,
    pub intake_key: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
