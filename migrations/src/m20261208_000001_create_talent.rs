//! Talents (眾人獻藝): what a resident offers to teach, lead or help with, and invitations
//! to lead or help an activity.
//!
//! A talent row is its resident's (one per resident), seen over `scout_key` by the
//! community's position holders and group leaders, and over `room_id` by every resident
//! when its resident opted in (null otherwise). `skills` and `tags` are kept between `|`
//! (`|calligraphy|law|`) so a search for one is one `LIKE` on an indexed community. An
//! invitation is its invitee's, and is seen by its inviter over `inviter_key`.

use sea_orm_migration::prelude::*;

use crate::m20261204_000001_create_topic::{Col, SPINE, create, drop};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let talent: Vec<(&str, Col)> = [
            ("community_id", Col::Uuid),
            ("resident_id", Col::Uuid),
            ("name", Col::Str(40)),
            ("skills", Col::Str(400)),
            ("tags", Col::Str(200)),
            ("note", Col::Str(200)),
            ("availability", Col::Str(200)),
            ("visibility", Col::Str(12)),
            ("scout_key", Col::Uuid),
            ("room_id", Col::UuidNull),
            ("updated_at", Col::Ts),
        ]
        .into_iter()
        .chain(SPINE)
        .collect();
        create(
            manager,
            "talent",
            &talent,
            &[
                ("idx_talent_feed", &["community_id", "version", "id"]),
                (
                    "idx_talent_resident_feed",
                    &["resident_id", "version", "id"],
                ),
                ("idx_talent_scout_feed", &["scout_key", "version", "id"]),
                ("idx_talent_room_feed", &["room_id", "version", "id"]),
            ],
        )
        .await?;
        let invitation: Vec<(&str, Col)> = [
            ("community_id", Col::Uuid),
            ("resident_id", Col::Uuid),
            ("inviter_id", Col::Uuid),
            ("inviter_name", Col::Str(40)),
            ("inviter_key", Col::Uuid),
            ("group_id", Col::UuidNull),
            ("role", Col::Str(12)),
            ("skill", Col::Str(24)),
            ("activity", Col::Str(80)),
            ("starts_at", Col::TsNull),
            ("message", Col::Str(500)),
            ("status", Col::Str(12)),
            ("reply", Col::Str(200)),
            ("answered_at", Col::TsNull),
        ]
        .into_iter()
        .chain(SPINE)
        .collect();
        create(
            manager,
            "talent_invitation",
            &invitation,
            &[
                (
                    "idx_talent_invitation_feed",
                    &["community_id", "version", "id"],
                ),
                (
                    "idx_talent_invitation_resident_feed",
                    &["resident_id", "version", "id"],
                ),
                (
                    "idx_talent_invitation_inviter_feed",
                    &["inviter_key", "version", "id"],
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(manager, &["talent_invitation", "talent"]).await
    }
}
