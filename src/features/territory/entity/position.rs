use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "position")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    /// See `domain::territory::PositionKind`.
    pub kind: String,
    /// The unit (building, area, compound or grid cell); none for the whole community.
    pub unit_id: Option<Uuid>,
    pub resident_id: Uuid,
    /// The holder's name at appointment, for the public list of holders.
    pub holder_name: String,
    pub starts_on: Date,
    pub ends_on: Option<Date>,
    /// Who appointed (none when elected: the election records it).
    pub appointed_by: Option<Uuid>,
    /// The decision or election it rests on.
    pub decision: String,
    /// Whether residents of the unit see the holder's phone number.
    pub show_phone: bool,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
