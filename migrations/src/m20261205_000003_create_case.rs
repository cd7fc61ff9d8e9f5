//! Cases (the closed loop 發現 → 上報 → 分派 → 處置 → 反饋 → 考核), the mining company's
//! departments cases are assigned to through their liaisons, and each community's urgency
//! tiers. The table is `case_file`, `case` being an SQL keyword.
//!
//! A case row carries the keys it is seen over (see `features::cases::rules`): the benches
//! of its cell, building, area and compound, the president's office, its assignee's and its
//! intake's. A neighbour dispute's row is `confidential`: it has none of the place keys, and
//! the engine does not show it to admins; only its reporter, the president, its mediators
//! and whoever took it see it.

use sea_orm_migration::prelude::*;

use crate::m20261204_000001_create_topic::{Col, SPINE, create, drop};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let department: Vec<(&str, Col)> = [
            ("community_id", Col::Uuid),
            ("name", Col::Str(40)),
            ("liaison_id", Col::Uuid),
            ("liaison_name", Col::Str(40)),
        ]
        .into_iter()
        .chain(SPINE)
        .collect();
        create(
            manager,
            "department",
            &department,
            &[("idx_department_feed", &["community_id", "version", "id"])],
        )
        .await?;
        create(
            manager,
            "case_setting",
            &[
                ("community_id", Col::Uuid),
                ("red_hours", Col::Int),
                ("yellow_hours", Col::Int),
                ("blue_hours", Col::Int),
                ("updated_at", Col::Ts),
            ],
            &[],
        )
        .await?;
        let keys = [
            "cell_key",
            "building_key",
            "area_key",
            "compound_key",
            "office_key",
            "assignee_key",
            "intake_key",
        ];
        let case: Vec<(&str, Col)> = [
            ("community_id", Col::Uuid),
            ("source", Col::Str(12)),
            ("category", Col::Str(12)),
            ("confidential", Col::Bool),
            ("tier", Col::Str(8)),
            ("description", Col::Text),
            ("building_id", Col::UuidNull),
            ("area_id", Col::UuidNull),
            ("compound_id", Col::UuidNull),
            ("cell_id", Col::UuidNull),
            ("place", Col::Str(200)),
            ("reporter_id", Col::Uuid),
            ("reporter_name", Col::Str(40)),
            ("intake_by", Col::UuidNull),
            ("intake_name", Col::Str(40)),
            ("log_entry_id", Col::UuidNull),
            ("reception_id", Col::UuidNull),
            ("state", Col::Str(12)),
            ("refusal", Col::TextNull),
            ("assignee_kind", Col::StrNull(12)),
            ("assignee_id", Col::UuidNull),
            ("assignee_name", Col::Str(80)),
            ("due_at", Col::Ts),
            ("escalated_at", Col::TsNull),
            ("resolved_at", Col::TsNull),
            ("confirmed_at", Col::TsNull),
            ("rating", Col::IntNull),
            ("reopen_count", Col::Int),
            ("merged_into", Col::UuidNull),
            ("survivor_state", Col::StrNull(12)),
            ("timeline", Col::Text),
            ("photos", Col::Text),
        ]
        .into_iter()
        .chain(keys.iter().map(|k| (*k, Col::UuidNull)))
        .chain(SPINE)
        .collect();
        let indexes: Vec<(String, Vec<&str>)> = keys
            .iter()
            .map(|k| (format!("idx_case_{k}"), vec![*k, "version", "id"]))
            .chain([
                (
                    "idx_case_feed".to_owned(),
                    vec!["community_id", "version", "id"],
                ),
                ("idx_case_reporter".to_owned(), vec!["reporter_id"]),
                ("idx_case_merged_into".to_owned(), vec!["merged_into"]),
                ("idx_case_open_due".to_owned(), vec!["state", "due_at"]),
            ])
            .collect();
        let indexes: Vec<(&str, &[&str])> = indexes
            .iter()
            .map(|(n, c)| (n.as_str(), c.as_slice()))
            .collect();
        create(manager, "case_file", &case, &indexes).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(manager, &["case_file", "case_setting", "department"]).await
    }
}
