//! Notifications: each resident's in-app inbox (`notification`, synced), the outbox of
//! deliveries to other channels (`notification_delivery`, the server's own), each
//! resident's channels and quiet hours (`notification_setting`, synced), the web app's push
//! subscriptions (`push_subscription`), and how far the reminder clock has looked ahead
//! (`reminder_watermark`).
//!
//! A notification and its deliveries are written in the same transaction as what causes
//! them. A delivery is claimed by a sender with `locked_until` (several server processes
//! may send), tried until `attempts` reaches the limit, then `dead`.

use sea_orm_migration::prelude::*;

use crate::m20261204_000001_create_topic::{Col, SPINE, create, drop};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let notification: Vec<(&str, Col)> = [
            ("community_id", Col::Uuid),
            ("resident_id", Col::Uuid),
            ("kind", Col::Str(24)),
            ("title", Col::Str(80)),
            ("body", Col::Str(500)),
            ("subject", Col::Str(24)),
            ("subject_id", Col::UuidNull),
            ("action", Col::Text),
            ("urgent", Col::Bool),
            ("read_at", Col::TsNull),
        ]
        .into_iter()
        .chain(SPINE)
        .collect();
        create(
            manager,
            "notification",
            &notification,
            &[
                ("idx_notification_feed", &["community_id", "version", "id"]),
                (
                    "idx_notification_resident_feed",
                    &["resident_id", "version", "id"],
                ),
            ],
        )
        .await?;
        let delivery: Vec<(&str, Col)> = vec![
            ("community_id", Col::Uuid),
            ("notification_id", Col::Uuid),
            ("resident_id", Col::Uuid),
            ("channel", Col::Str(12)),
            ("status", Col::Str(12)),
            ("attempts", Col::Int),
            ("next_attempt_at", Col::Ts),
            ("locked_until", Col::TsNull),
            ("last_error", Col::Str(200)),
            ("created_at", Col::Ts),
            ("sent_at", Col::TsNull),
        ];
        create(
            manager,
            "notification_delivery",
            &delivery,
            &[
                (
                    "idx_notification_delivery_due",
                    &["channel", "status", "next_attempt_at"],
                ),
                ("idx_notification_delivery_resident", &["resident_id"]),
            ],
        )
        .await?;
        let setting: Vec<(&str, Col)> = [
            ("community_id", Col::Uuid),
            ("resident_id", Col::Uuid),
            ("push", Col::Bool),
            ("sms", Col::Bool),
            ("quiet_from", Col::IntNull),
            ("quiet_to", Col::IntNull),
        ]
        .into_iter()
        .chain(SPINE)
        .collect();
        create(
            manager,
            "notification_setting",
            &setting,
            &[
                (
                    "idx_notification_setting_feed",
                    &["community_id", "version", "id"],
                ),
                (
                    "idx_notification_setting_resident_feed",
                    &["resident_id", "version", "id"],
                ),
            ],
        )
        .await?;
        let subscription: Vec<(&str, Col)> = vec![
            ("community_id", Col::Uuid),
            ("resident_id", Col::Uuid),
            ("endpoint", Col::Str(1000)),
            ("p256dh", Col::Str(120)),
            ("auth", Col::Str(40)),
            ("created_at", Col::Ts),
        ];
        create(
            manager,
            "push_subscription",
            &subscription,
            &[("idx_push_subscription_resident", &["resident_id"])],
        )
        .await?;
        let watermark: Vec<(&str, Col)> = vec![("lead_minutes", Col::Int), ("until", Col::Ts)];
        create(manager, "reminder_watermark", &watermark, &[]).await?;
        // The reminder clock reads sign-ups and moved sessions by when they start.
        for (name, table, col) in [
            ("idx_signup_start", "signup", "original_start"),
            (
                "idx_occurrence_override_start",
                "occurrence_override",
                "starts_at",
            ),
            (
                "idx_meeting_invitation_start",
                "meeting_invitation",
                "starts_at",
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Alias::new(table))
                        .col(Alias::new(col))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            ("idx_signup_start", "signup"),
            ("idx_occurrence_override_start", "occurrence_override"),
            ("idx_meeting_invitation_start", "meeting_invitation"),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(Alias::new(table)).to_owned())
                .await?;
        }
        drop(
            manager,
            &[
                "reminder_watermark",
                "push_subscription",
                "notification_setting",
                "notification_delivery",
                "notification",
            ],
        )
        .await
    }
}
