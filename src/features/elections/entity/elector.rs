use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "elector")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    pub election_id: Uuid,
    /// The account that votes on a phone; none for a resident recorded without one (they
    /// vote on paper, or through a proxy).
    pub resident_id: Option<Uuid>,
    /// The residency the entry was made from (none on a household roll).
    pub residency_id: Option<Uuid>,
    pub household_id: Uuid,
    /// The name the published roll shows.
    pub name: String,
    /// Where to find them (building, entrance, room), for the officers.
    pub place: String,
    /// The officers' sync scope (`rules::desk`).
    pub desk_id: Uuid,
    /// How they voted (`rules::Voted`); never what.
    pub voted: Option<String>,
    pub voted_at: Option<DateTimeUtc>,
    /// The voter they entrusted.
    pub proxy_id: Option<Uuid>,
    pub proxy_name: Option<String>,
    /// `rules::Conflict`, for the officers.
    pub conflict: Option<String>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
