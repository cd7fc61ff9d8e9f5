use sea_orm::entity::prelude::*;

/// One privileged action, appended and never changed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    /// UUIDv7: the log's order.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    /// Who did it.
    pub actor_id: Uuid,
    /// What, like `member.set_role`.
    pub action: String,
    /// To which object, when there is one.
    pub object_id: Option<Uuid>,
    /// The particulars, for a person.
    pub detail: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
