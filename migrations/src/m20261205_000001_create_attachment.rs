//! Photos (and, later, other files) that belong to a capability's object: a grid log entry,
//! a case, a campaign. The phone makes the id and the SHA-256 of the bytes and declares them
//! in the owner's mutation; the bytes arrive later over `PUT /api/v1/attachments/{id}` and
//! live in the object store, never in the database. This table is the server's record of
//! each one (whose, what it should hash to, whether its bytes are stored or refused); phones
//! see a photo through its owner's row, which lists its photos with their state.

use sea_orm_migration::prelude::*;

use crate::m20261204_000001_create_topic::{Col, create, drop};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create(
            manager,
            "attachment",
            &[
                ("community_id", Col::Uuid),
                ("owner_kind", Col::Str(20)),
                ("owner_id", Col::Uuid),
                ("position", Col::Int),
                ("uploaded_by", Col::Uuid),
                ("sha256", Col::Str(64)),
                ("size", Col::Big),
                ("state", Col::Str(10)),
                ("refusal", Col::TextNull),
                ("content_type", Col::StrNull(20)),
                ("stored_size", Col::Big),
                ("width", Col::Int),
                ("height", Col::Int),
                ("created_at", Col::Ts),
                ("stored_at", Col::TsNull),
                ("deleted_at", Col::TsNull),
            ],
            &[
                ("idx_attachment_owner", &["owner_id", "position"]),
                ("idx_attachment_uploader", &["uploaded_by"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(manager, &["attachment"]).await
    }
}
