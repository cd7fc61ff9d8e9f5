//! An announcement (通知公告) to a unit, the community or a group (see the migration's doc).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "announcement")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    /// The building, area or compound; none for the community's (or a group's).
    pub unit_id: Option<Uuid>,
    pub area_id: Option<Uuid>,
    pub compound_id: Option<Uuid>,
    /// The volunteer group, for a group's announcement.
    pub group_id: Option<Uuid>,
    pub room_id: Uuid,
    pub bench_id: Uuid,
    pub area_bench_id: Option<Uuid>,
    pub compound_bench_id: Option<Uuid>,
    pub desk_id: Uuid,
    pub author_id: Uuid,
    pub author_name: String,
    /// The position the author posted as (`building_leader`…), or none for a group leader.
    pub author_position: Option<String>,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// `normal` or `urgent`.
    pub importance: String,
    pub pinned_until: Option<DateTimeUtc>,
    /// The photos, as phones see them (`attachments::from_column`).
    #[sea_orm(column_type = "Text")]
    pub photos: String,
    pub version: i64,
    pub created_at: DateTimeUtc,
    /// Withdrawn by its author or the committee over it.
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
