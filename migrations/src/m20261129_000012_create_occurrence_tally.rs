//! Per-occurrence counts that every resident sees: seats confirmed, people waitlisted, and
//! the capacity in force. Written in the same transaction as the sign-ups it counts.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261129_000009_create_series::Series;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OccurrenceTally::Table)
                    .col(pk_uuid(OccurrenceTally::Id))
                    .col(uuid(OccurrenceTally::CommunityId))
                    .col(uuid(OccurrenceTally::SeriesId))
                    .col(timestamp_with_time_zone(OccurrenceTally::OriginalStart))
                    .col(integer(OccurrenceTally::Confirmed))
                    .col(integer(OccurrenceTally::Waitlisted))
                    .col(integer_null(OccurrenceTally::Capacity))
                    .col(big_integer(OccurrenceTally::Version))
                    .col(timestamp_with_time_zone_null(OccurrenceTally::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_occurrence_tally_series")
                            .from(OccurrenceTally::Table, OccurrenceTally::SeriesId)
                            .to(Series::Table, Series::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_occurrence_tally_feed")
                    .table(OccurrenceTally::Table)
                    .col(OccurrenceTally::CommunityId)
                    .col(OccurrenceTally::Version)
                    .col(OccurrenceTally::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_occurrence_tally_series")
                    .table(OccurrenceTally::Table)
                    .col(OccurrenceTally::SeriesId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OccurrenceTally::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum OccurrenceTally {
    Table,
    Id,
    CommunityId,
    SeriesId,
    OriginalStart,
    Confirmed,
    Waitlisted,
    Capacity,
    Version,
    DeletedAt,
}
