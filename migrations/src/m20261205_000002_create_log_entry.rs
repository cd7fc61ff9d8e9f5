//! Grid workers' daily logs (民情工作日誌): one row per thing found on a round, in a cell.
//! `cell_key` and `office_key` are the keys the cell's grid worker and the community's
//! president and vice president hold in their sync scope (derived from the ids, so they open
//! no other table's rows); the worker sees their own entries through `worker_id`.

use sea_orm_migration::prelude::*;

use crate::m20261204_000001_create_topic::{Col, SPINE, create, drop};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let cols: Vec<(&str, Col)> = [
            ("community_id", Col::Uuid),
            ("cell_id", Col::Uuid),
            ("cell_key", Col::Uuid),
            ("office_key", Col::Uuid),
            ("worker_id", Col::Uuid),
            ("worker_name", Col::Str(40)),
            ("day", Col::Date),
            ("building_id", Col::UuidNull),
            ("staircase", Col::Str(20)),
            ("place", Col::Str(200)),
            ("hat", Col::Str(12)),
            ("found", Col::Text),
            ("done", Col::Text),
            ("home_visit", Col::Bool),
            ("status", Col::Str(12)),
            ("case_id", Col::UuidNull),
            ("photos", Col::Text),
        ]
        .into_iter()
        .chain(SPINE)
        .collect();
        create(
            manager,
            "log_entry",
            &cols,
            &[
                ("idx_log_entry_feed", &["community_id", "version", "id"]),
                ("idx_log_entry_cell_key", &["cell_key", "version", "id"]),
                ("idx_log_entry_office_key", &["office_key", "version", "id"]),
                ("idx_log_entry_worker", &["worker_id", "day"]),
                ("idx_log_entry_cell_day", &["cell_id", "day"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(manager, &["log_entry"]).await
    }
}
