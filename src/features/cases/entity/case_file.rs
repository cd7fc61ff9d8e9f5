//! A case (see the migration's doc).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_file")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    pub source: String,
    pub category: String,
    /// A dispute: admins do not see it by being admins (see `sync::feed::Table::confidential`).
    pub confidential: bool,
    pub tier: String,
    pub description: String,
    pub building_id: Option<Uuid>,
    pub area_id: Option<Uuid>,
    pub compound_id: Option<Uuid>,
    pub cell_id: Option<Uuid>,
    pub place: String,
    pub reporter_id: Uuid,
    pub reporter_name: String,
    pub intake_by: Option<Uuid>,
    pub intake_name: String,
    pub log_entry_id: Option<Uuid>,
    pub reception_id: Option<Uuid>,
    pub state: String,
    pub refusal: Option<String>,
    /// `resident`, `group` or `department`.
    pub assignee_kind: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub assignee_name: String,
    pub due_at: DateTimeUtc,
    pub escalated_at: Option<DateTimeUtc>,
    pub resolved_at: Option<DateTimeUtc>,
    pub confirmed_at: Option<DateTimeUtc>,
    pub rating: Option<i32>,
    pub reopen_count: i32,
    pub merged_into: Option<Uuid>,
    /// For a merged case: the state of the case it was merged into.
    pub survivor_state: Option<String>,
    /// Every step, oldest first (`super::super::wire::TimelineStep`).
    pub timeline: String,
    pub photos: String,
    pub cell_key: Option<Uuid>,
    pub building_key: Option<Uuid>,
    pub area_key: Option<Uuid>,
    pub compound_key: Option<Uuid>,
    pub office_key: Option<Uuid>,
    pub assignee_key: Option<Uuid>,
    pub intake_key: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
