use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "volunteer_group")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    pub name: String,
    /// `calligraphy_painting`, `choir`, `fitness`, `dance`, `elder_mutual_aid`,
    /// `legal_corner` or `other`.
    pub kind: String,
    pub description: String,
    pub venue: String,
    /// Open groups take anyone who joins; invite-only groups are joined through a leader.
    pub is_open: bool,
    /// The leader residents should contact about the group.
    pub contact_leader_id: Option<Uuid>,
    /// JSON map field → HLC stamp of its last write.
    pub clocks: String,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
