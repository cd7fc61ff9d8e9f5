use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "entrustment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    pub election_id: Uuid,
    /// The voter away from home.
    pub from_elector_id: Uuid,
    pub from_name: String,
    /// The voter they entrusted.
    pub to_elector_id: Uuid,
    /// The proxy's account, who sees the entrustment on their phone.
    pub proxy_resident_id: Option<Uuid>,
    /// The written entrustment's reference.
    pub document: String,
    pub recorded_by: Uuid,
    /// The proxy has voted with it.
    pub used: bool,
    pub desk_id: Uuid,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
