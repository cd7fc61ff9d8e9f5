//! One occurrence of a series changed without touching the series (like iCalendar's
//! `RECURRENCE-ID`): cancelled, moved, another place, capacity or note. The id is the
//! occurrence id; clearing an override leaves a tombstone.

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
                    .table(OccurrenceOverride::Table)
                    .col(pk_uuid(OccurrenceOverride::Id))
                    .col(uuid(OccurrenceOverride::CommunityId))
                    .col(uuid(OccurrenceOverride::GroupId))
                    .col(uuid(OccurrenceOverride::SeriesId))
                    .col(timestamp_with_time_zone(OccurrenceOverride::OriginalStart))
                    .col(boolean(OccurrenceOverride::Cancelled))
                    .col(timestamp_with_time_zone_null(OccurrenceOverride::StartsAt))
                    .col(string_len_null(OccurrenceOverride::Location, 200))
                    .col(integer_null(OccurrenceOverride::Capacity))
                    .col(text(OccurrenceOverride::Note))
                    .col(text(OccurrenceOverride::Clocks))
                    .col(big_integer(OccurrenceOverride::Version))
                    .col(timestamp_with_time_zone(OccurrenceOverride::CreatedAt))
                    .col(timestamp_with_time_zone_null(OccurrenceOverride::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_occurrence_override_series")
                            .from(OccurrenceOverride::Table, OccurrenceOverride::SeriesId)
                            .to(Series::Table, Series::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_occurrence_override_feed")
                    .table(OccurrenceOverride::Table)
                    .col(OccurrenceOverride::CommunityId)
                    .col(OccurrenceOverride::Version)
                    .col(OccurrenceOverride::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_occurrence_override_series")
                    .table(OccurrenceOverride::Table)
                    .col(OccurrenceOverride::SeriesId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OccurrenceOverride::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum OccurrenceOverride {
    Table,
    Id,
    CommunityId,
    GroupId,
    SeriesId,
    OriginalStart,
    Cancelled,
    StartsAt,
    Location,
    Capacity,
    Note,
    Clocks,
    Version,
    CreatedAt,
    DeletedAt,
}
