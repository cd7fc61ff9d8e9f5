//! Meetings (議事會, 聯席會議): their invitations (who is asked, in which part, their answer
//! and check-in), their motions with the recorded votes, and the minutes' revisions.
//!
//! An invitation is its invitee's (a guest from outside the unit sees the meeting's time and
//! place through it) and is seen over the meeting's reach. A motion's votes are recorded by
//! name on the motion row: representatives vote in the open.

use sea_orm_migration::prelude::*;

use crate::m20261204_000001_create_topic::{Col, LEVEL, SPINE, create, drop, reach};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let meeting: Vec<(&str, Col)> = [("community_id", Col::Uuid)]
            .into_iter()
            .chain(LEVEL)
            .chain(reach(false))
            .chain([
                ("title", Col::Str(80)),
                ("starts_at", Col::Ts),
                ("ends_at", Col::Ts),
                ("place", Col::Str(200)),
                ("convener_id", Col::Uuid),
                ("convener_name", Col::Str(40)),
                ("quorum", Col::Str(12)),
                ("agenda", Col::Text),
                ("state", Col::Str(12)),
                ("members", Col::Int),
                ("present", Col::Int),
                ("minutes", Col::Text),
                ("minutes_rev", Col::Int),
                ("minutes_approved_rev", Col::Int),
            ])
            .chain(SPINE)
            .collect();
        create(
            manager,
            "meeting",
            &meeting,
            &[
                ("idx_meeting_feed", &["community_id", "version", "id"]),
                ("idx_meeting_room_feed", &["room_id", "version", "id"]),
            ],
        )
        .await?;
        let invitation: Vec<(&str, Col)> = [
            ("community_id", Col::Uuid),
            ("meeting_id", Col::Uuid),
            ("resident_id", Col::Uuid),
            ("name", Col::Str(40)),
            ("part", Col::Str(12)),
            ("answer", Col::Str(16)),
            ("checked_in_at", Col::TsNull),
            ("checked_in_by", Col::UuidNull),
            ("title", Col::Str(80)),
            ("starts_at", Col::Ts),
            ("ends_at", Col::Ts),
            ("place", Col::Str(200)),
            ("state", Col::Str(12)),
        ]
        .into_iter()
        .chain(reach(false))
        .chain(SPINE)
        .collect();
        create(
            manager,
            "meeting_invitation",
            &invitation,
            &[
                (
                    "idx_meeting_invitation_feed",
                    &["community_id", "version", "id"],
                ),
                (
                    "idx_meeting_invitation_resident_feed",
                    &["resident_id", "version", "id"],
                ),
                ("idx_meeting_invitation_meeting", &["meeting_id"]),
            ],
        )
        .await?;
        let motion: Vec<(&str, Col)> = [
            ("community_id", Col::Uuid),
            ("meeting_id", Col::Uuid),
            ("topic_id", Col::UuidNull),
            ("title", Col::Str(80)),
            ("text", Col::Text),
            ("rule", Col::Str(12)),
            ("amends", Col::UuidNull),
            ("repeals", Col::UuidNull),
            ("document_kind", Col::StrNull(16)),
            ("effective_on", Col::DateNull),
            ("review_on", Col::DateNull),
            ("proposed_by", Col::Uuid),
            ("state", Col::Str(12)),
            ("votes", Col::Text),
            ("agree", Col::Int),
            ("against", Col::Int),
            ("abstain", Col::Int),
            ("absent", Col::Int),
            ("present", Col::Int),
            ("passed", Col::Bool),
            ("decision_id", Col::UuidNull),
        ]
        .into_iter()
        .chain(reach(false))
        .chain(SPINE)
        .collect();
        create(
            manager,
            "motion",
            &motion,
            &[
                ("idx_motion_feed", &["community_id", "version", "id"]),
                ("idx_motion_room_feed", &["room_id", "version", "id"]),
                ("idx_motion_meeting", &["meeting_id"]),
            ],
        )
        .await?;
        create(
            manager,
            "minutes_revision",
            &[
                ("meeting_id", Col::Uuid),
                ("rev", Col::Int),
                ("text", Col::Text),
                ("by_id", Col::Uuid),
                ("by_name", Col::Str(40)),
                ("at", Col::Ts),
            ],
            &[("idx_minutes_revision_meeting", &["meeting_id", "rev"])],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(
            manager,
            &[
                "minutes_revision",
                "motion",
                "meeting_invitation",
                "meeting",
            ],
        )
        .await
    }
}
