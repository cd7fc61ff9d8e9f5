//! Micro-crowdfunding (微愛眾籌): campaigns, residents' pledges, and each campaign's public
//! ledger.
//!
//! A campaign and its ledger are public in the community. A pledge is its pledger's, and is
//! seen by the campaign's treasurer (`treasurer_key`, a key only the treasurer's phone holds,
//! derived from their id) and admins: a resident who gives anonymously is named to nobody
//! else. Amounts are integer fen (1 yuan = 100 fen), never floating point.
//!
//! The ledger is append-only: `seq` numbers a campaign's entries 1, 2, 3…, each carries the
//! balance after it and `hash`, the SHA-256 of its content after the previous entry's hash;
//! the campaign keeps the head. A mistake is fixed by a reversing entry, never an edit.

use sea_orm_migration::prelude::*;

use crate::m20261204_000001_create_topic::{Col, LEVEL, SPINE, create, drop};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let campaign: Vec<(&str, Col)> = [("community_id", Col::Uuid)]
            .into_iter()
            .chain(LEVEL)
            .chain([
                ("title", Col::Str(80)),
                ("purpose", Col::Text),
                ("organiser_id", Col::Uuid),
                ("organiser_name", Col::Str(40)),
                ("treasurer_id", Col::Uuid),
                ("treasurer_name", Col::Str(40)),
                ("goal_fen", Col::Big),
                ("goal_items", Col::Text),
                ("goal_hours", Col::Int),
                ("deadline", Col::Ts),
                ("status", Col::Str(12)),
                ("pledged_fen", Col::Big),
                ("pledged_hours", Col::Int),
                ("received_fen", Col::Big),
                ("received_items", Col::Text),
                ("spent_fen", Col::Big),
                ("balance_fen", Col::Big),
                ("pledges", Col::Int),
                ("ledger_length", Col::Int),
                ("ledger_head", Col::Str(64)),
                ("report", Col::TextNull),
                ("photos", Col::Text),
            ])
            .chain(SPINE)
            .collect();
        create(
            manager,
            "campaign",
            &campaign,
            &[("idx_campaign_feed", &["community_id", "version", "id"])],
        )
        .await?;
        let pledge: Vec<(&str, Col)> = [
            ("community_id", Col::Uuid),
            ("campaign_id", Col::Uuid),
            ("resident_id", Col::Uuid),
            ("name", Col::Str(40)),
            ("anonymous", Col::Bool),
            ("treasurer_key", Col::Uuid),
            ("amount_fen", Col::Big),
            ("items", Col::Text),
            ("hours", Col::Int),
            ("status", Col::Str(12)),
            ("entry_id", Col::UuidNull),
        ]
        .into_iter()
        .chain(SPINE)
        .collect();
        create(
            manager,
            "pledge",
            &pledge,
            &[
                ("idx_pledge_feed", &["community_id", "version", "id"]),
                (
                    "idx_pledge_resident_feed",
                    &["resident_id", "version", "id"],
                ),
                (
                    "idx_pledge_treasurer_feed",
                    &["treasurer_key", "version", "id"],
                ),
                ("idx_pledge_campaign", &["campaign_id"]),
            ],
        )
        .await?;
        let entry: Vec<(&str, Col)> = [
            ("community_id", Col::Uuid),
            ("campaign_id", Col::Uuid),
            ("seq", Col::Int),
            ("kind", Col::Str(12)),
            ("amount_fen", Col::Big),
            ("items", Col::Text),
            ("hours", Col::Int),
            ("pledge_id", Col::UuidNull),
            ("donor", Col::StrNull(40)),
            ("method", Col::Str(12)),
            ("reference", Col::Str(200)),
            ("description", Col::Str(200)),
            ("reverses", Col::UuidNull),
            ("reversed_by", Col::UuidNull),
            ("overdraft_reason", Col::StrNull(200)),
            ("balance_after_fen", Col::Big),
            ("recorded_at", Col::Str(32)),
            ("recorded_by", Col::Uuid),
            ("prev_hash", Col::Str(64)),
            ("hash", Col::Str(64)),
            ("photos", Col::Text),
        ]
        .into_iter()
        .chain(SPINE)
        .collect();
        create(
            manager,
            "ledger_entry",
            &entry,
            &[
                ("idx_ledger_entry_feed", &["community_id", "version", "id"]),
                ("idx_ledger_entry_seq", &["campaign_id", "seq"]),
            ],
        )
        .await?;
        // One entry per place in a campaign's chain, whatever two treasurers' phones send.
        manager
            .create_index(
                Index::create()
                    .name("uq_ledger_entry_campaign_seq")
                    .table(Alias::new("ledger_entry"))
                    .col(Alias::new("campaign_id"))
                    .col(Alias::new("seq"))
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(manager, &["ledger_entry", "pledge", "campaign"]).await
    }
}
