//! The community's register of decisions (the charter's and the meeting rules' versions
//! among them), the tasks carrying each out with their progress updates, and residents'
//! ratings of the result. A rating is its author's and is seen by the holders over the
//! decision's unit; the register shows its counts.

use sea_orm_migration::prelude::*;

use crate::m20261204_000001_create_topic::{Col, LEVEL, SPINE, create, drop, reach};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let decision: Vec<(&str, Col)> = [("community_id", Col::Uuid)]
            .into_iter()
            .chain(LEVEL)
            .chain(reach(false))
            .chain([
                ("meeting_id", Col::Uuid),
                ("motion_id", Col::Uuid),
                ("topic_id", Col::UuidNull),
                ("convener_id", Col::Uuid),
                ("title", Col::Str(80)),
                ("text", Col::Text),
                ("agree", Col::Int),
                ("against", Col::Int),
                ("abstain", Col::Int),
                ("absent", Col::Int),
                ("effective_on", Col::Date),
                ("review_on", Col::DateNull),
                ("state", Col::Str(12)),
                ("amends", Col::UuidNull),
                ("repeals", Col::UuidNull),
                ("superseded_by", Col::UuidNull),
                ("document_kind", Col::StrNull(16)),
                ("document_version", Col::IntNull),
                ("done", Col::Bool),
                ("report", Col::TextNull),
                ("reported_at", Col::TsNull),
                ("satisfied", Col::Int),
                ("partly", Col::Int),
                ("not_satisfied", Col::Int),
            ])
            .chain(SPINE)
            .collect();
        create(
            manager,
            "decision",
            &decision,
            &[
                ("idx_decision_feed", &["community_id", "version", "id"]),
                ("idx_decision_room_feed", &["room_id", "version", "id"]),
            ],
        )
        .await?;
        let task: Vec<(&str, Col)> = [
            ("community_id", Col::Uuid),
            ("decision_id", Col::Uuid),
            ("title", Col::Str(80)),
            ("owner_kind", Col::Str(12)),
            ("owner_id", Col::Uuid),
            ("owner_name", Col::Str(80)),
            ("due_on", Col::Date),
            ("status", Col::Str(12)),
            ("note", Col::Str(200)),
            ("updated_at", Col::Ts),
        ]
        .into_iter()
        .chain(reach(false))
        .chain(SPINE)
        .collect();
        create(
            manager,
            "decision_task",
            &task,
            &[
                ("idx_decision_task_feed", &["community_id", "version", "id"]),
                ("idx_decision_task_room_feed", &["room_id", "version", "id"]),
                ("idx_decision_task_decision", &["decision_id"]),
            ],
        )
        .await?;
        create(
            manager,
            "task_update",
            &[
                ("task_id", Col::Uuid),
                ("status", Col::Str(12)),
                ("note", Col::Str(200)),
                ("by_id", Col::Uuid),
                ("by_name", Col::Str(40)),
                ("at", Col::Ts),
            ],
            &[("idx_task_update_task", &["task_id", "at"])],
        )
        .await?;
        let rating: Vec<(&str, Col)> = [
            ("community_id", Col::Uuid),
            ("decision_id", Col::Uuid),
            ("resident_id", Col::Uuid),
            ("rating", Col::Str(16)),
            ("comment", Col::Str(200)),
        ]
        .into_iter()
        .chain(reach(false))
        .chain(SPINE)
        .collect();
        create(
            manager,
            "decision_rating",
            &rating,
            &[
                (
                    "idx_decision_rating_feed",
                    &["community_id", "version", "id"],
                ),
                (
                    "idx_decision_rating_resident_feed",
                    &["resident_id", "version", "id"],
                ),
                ("idx_decision_rating_decision", &["decision_id"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(
            manager,
            &[
                "decision_rating",
                "task_update",
                "decision_task",
                "decision",
            ],
        )
        .await
    }
}
