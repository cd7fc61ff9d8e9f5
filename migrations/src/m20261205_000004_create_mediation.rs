//! Mediations of neighbour disputes (人民調解). `mediation` is the record (one per dispute
//! case); `mediation_copy` holds one copy of it per person the law lets read it (each party
//! who is a resident, each mediator, the president), each seen by its reader alone, admins
//! included: the People's Mediation Law (art. 15) keeps the parties' affairs from everyone
//! else, and a copy per reader is how the sync feed keeps them so.

use sea_orm_migration::prelude::*;

use crate::m20261204_000001_create_topic::{Col, SPINE, create, drop};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create(
            manager,
            "mediation",
            &[
                ("community_id", Col::Uuid),
                ("outcome", Col::Str(12)),
                ("body", Col::Text),
                ("readers", Col::Text),
                ("created_at", Col::Ts),
                ("closed_at", Col::TsNull),
            ],
            &[("idx_mediation_community", &["community_id", "closed_at"])],
        )
        .await?;
        let copy: Vec<(&str, Col)> = [
            ("community_id", Col::Uuid),
            ("case_id", Col::Uuid),
            ("reader_id", Col::Uuid),
            ("body", Col::Text),
        ]
        .into_iter()
        .chain(SPINE)
        .collect();
        create(
            manager,
            "mediation_copy",
            &copy,
            &[
                (
                    "idx_mediation_copy_feed",
                    &["community_id", "version", "id"],
                ),
                ("idx_mediation_copy_reader", &["reader_id", "version", "id"]),
                ("idx_mediation_copy_case", &["case_id"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(manager, &["mediation_copy", "mediation"]).await
    }
}
