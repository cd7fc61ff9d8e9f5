//! Joint reception days (聯合接訪): the mining company's departments meet residents face to
//! face in booked time slots; walk-ins are recorded at the door; each conversation may
//! become a case assigned to that department. `reception_day` is public; a booking is its
//! resident's, and is seen by the president's office, the department's liaison and whoever
//! booked it for the resident (its key columns).

use sea_orm_migration::prelude::*;

use crate::m20261204_000001_create_topic::{Col, SPINE, create, drop};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let day: Vec<(&str, Col)> = [
            ("community_id", Col::Uuid),
            ("title", Col::Str(80)),
            ("place", Col::Str(100)),
            ("starts_at", Col::Ts),
            ("ends_at", Col::Ts),
            ("slot_minutes", Col::Int),
            ("capacity", Col::Int),
            ("waitlist_limit", Col::Int),
            ("departments", Col::Text),
        ]
        .into_iter()
        .chain(SPINE)
        .collect();
        create(
            manager,
            "reception_day",
            &day,
            &[("idx_reception_day_feed", &["community_id", "version", "id"])],
        )
        .await?;
        let booking: Vec<(&str, Col)> = [
            ("community_id", Col::Uuid),
            ("reception_id", Col::Uuid),
            ("department_id", Col::Uuid),
            ("slot_start", Col::TsNull),
            ("resident_id", Col::UuidNull),
            ("name", Col::Str(40)),
            ("topic", Col::Str(200)),
            ("status", Col::Str(12)),
            ("booked_at", Col::Ts),
            ("case_id", Col::UuidNull),
            ("owner_id", Col::Uuid),
            ("office_key", Col::Uuid),
            ("liaison_key", Col::Uuid),
            ("intake_key", Col::UuidNull),
        ]
        .into_iter()
        .chain(SPINE)
        .collect();
        create(
            manager,
            "reception_booking",
            &booking,
            &[
                (
                    "idx_reception_booking_feed",
                    &["community_id", "version", "id"],
                ),
                (
                    "idx_reception_booking_owner",
                    &["owner_id", "version", "id"],
                ),
                (
                    "idx_reception_booking_office",
                    &["office_key", "version", "id"],
                ),
                (
                    "idx_reception_booking_liaison",
                    &["liaison_key", "version", "id"],
                ),
                (
                    "idx_reception_booking_intake",
                    &["intake_key", "version", "id"],
                ),
                (
                    "idx_reception_booking_slot",
                    &["reception_id", "department_id", "slot_start", "booked_at"],
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop(manager, &["reception_booking", "reception_day"]).await
    }
}
