//! Announcements (通知公告) and their read receipts.
//!
//! An announcement is posted to a unit (a building, area or compound), to the whole
//! community, or to a volunteer group. It carries its **reach** like deliberation's rows
//! (`room_id`: a key the unit's residents, or the group's members, hold in their sync scope;
//! `bench_id`, `area_bench_id`, `compound_bench_id`, `desk_id`: keys of the holders over the
//! unit and above it), derived from the ids so they open no other table's rows.
//!
//! A read receipt (`announcement_read`) is one resident's "I have read it": one row per
//! announcement and reader (its id derived from both), synced to the reader alone, and
//! counted by the poster and the holders who knock on the doors of those who never read.

use sea_orm_migration::prelude::*;

use crate::m20261204_000001_create_topic::{Col, LEVEL, SPINE, create, drop, reach};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let announcement: Vec<(&str, Col)> = [("community_id", Col::Uuid)]
            .into_iter()
            .chain(LEVEL)
            .chain([("group_id", Col::UuidNull)])
            .chain(reach(false))
            .chain([
                ("author_id", Col::Uuid),
                ("author_name", Col::Str(40)),
                ("author_position", Col::StrNull(40)),
                ("title", Col::Str(80)),
                ("body", Col::Text),
                ("importance", Col::Str(12)),
                ("pinned_until", Col::TsNull),
                ("photos", Col::Text),
            ])
            .chain(SPINE)
            .collect();
        create(
            manager,
            "announcement",
            &announcement,
            &[
                ("idx_announcement_feed", &["community_id", "version", "id"]),
                ("idx_announcement_room_feed", &["room_id", "version", "id"]),
                (
                    "idx_announcement_bench_feed",
                    &["bench_id", "version", "id"],
                ),
                ("idx_announcement_author", &["author_id", "version", "id"]),
                ("idx_announcement_board", &["community_id", "created_at"]),
            ],
        )
        .await?;
        let read: Vec<(&str, Col)> = [
            ("community_id", Col::Uuid),
            ("announcement_id", Col::Uuid),
            ("resident_id", Col::Uuid),
        ]
        .into_iter()
        .chain(SPINE)
        .collect();
        create(
            manager,
            "announcement_read",
            &read,
            &[
                (
                    "idx_announcement_read_feed",
                    &["community_id", "version", "id"],
                ),
                (
                    "idx_announcement_read_resident_feed",
                    &["resident_id", "version", "id"],
                ),
                (
                    "idx_announcement_read_announcement",
                    &["announcement_id", "resident_id"],
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(manager, &["announcement_read", "announcement"]).await
    }
}
