//! An invitation to a resident to lead or help an activity.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "talent_invitation")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    /// The invitee.
    pub resident_id: Uuid,
    pub inviter_id: Uuid,
    pub inviter_name: String,
    /// The key the inviter's phone holds (`rules::inviter_key`).
    pub inviter_key: Uuid,
    pub group_id: Option<Uuid>,
    /// `lead` or `help`.
    pub role: String,
    /// The skill asked for (a fixed skill or a tag), or empty.
    pub skill: String,
    pub activity: String,
    pub starts_at: Option<DateTimeUtc>,
    pub message: String,
    /// `pending`, `accepted` or `declined`.
    pub status: String,
    pub reply: String,
    pub answered_at: Option<DateTimeUtc>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
