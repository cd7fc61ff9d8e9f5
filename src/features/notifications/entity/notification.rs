//! One notification in a resident's in-app inbox.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification")]
pub struct Model {
    /// `rules::notification_id` of its cause and resident.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub community_id: Uuid,
    pub resident_id: Uuid,
    pub kind: String,
    pub title: String,
    pub body: String,
    /// The entity it is about (`occurrence`, `meeting`, `case`, `announcement`, `election`).
    pub subject: String,
    pub subject_id: Option<Uuid>,
    /// The one-step answer it offers, as JSON (`{"name": "signup.cancel", "args": …}`), or
    /// empty.
    #[sea_orm(column_type = "Text")]
    pub action: String,
    pub urgent: bool,
    pub read_at: Option<DateTimeUtc>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
