//! A group's schedule series: a first local start time in an IANA time zone, an optional
//! RFC 5545 RRULE, sign-up rules. Synced like groups: per-field clocks, a version, and a
//! tombstone when deleted. Occurrences are not stored; they are computed from the rule.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261129_000007_create_volunteer_group::VolunteerGroup;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Series::Table)
                    .col(pk_uuid(Series::Id))
                    .col(uuid(Series::CommunityId))
                    .col(uuid(Series::GroupId))
                    .col(string_len(Series::Title, 120))
                    .col(text(Series::Description))
                    .col(string_len(Series::Location, 200))
                    .col(string_len(Series::StartLocal, 19))
                    .col(string_len(Series::Timezone, 64))
                    .col(string_len_null(Series::Rrule, 500))
                    .col(integer(Series::DurationMinutes))
                    .col(integer_null(Series::Capacity))
                    .col(integer_null(Series::SignupOpensDaysBefore))
                    .col(integer(Series::SignupClosesMinutesBefore))
                    .col(integer(Series::CancelCutoffMinutesBefore))
                    .col(integer(Series::WaitlistLimit))
                    .col(text(Series::Notes))
                    .col(text(Series::Clocks))
                    .col(big_integer(Series::Version))
                    .col(timestamp_with_time_zone(Series::CreatedAt))
                    .col(timestamp_with_time_zone_null(Series::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_series_group")
                            .from(Series::Table, Series::GroupId)
                            .to(VolunteerGroup::Table, VolunteerGroup::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_series_feed")
                    .table(Series::Table)
                    .col(Series::CommunityId)
                    .col(Series::Version)
                    .col(Series::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Series::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Series {
    Table,
    Id,
    CommunityId,
    GroupId,
    Title,
    Description,
    Location,
    StartLocal,
    Timezone,
    Rrule,
    DurationMinutes,
    Capacity,
    SignupOpensDaysBefore,
    SignupClosesMinutesBefore,
    CancelCutoffMinutesBefore,
    WaitlistLimit,
    Notes,
    Clocks,
    Version,
    CreatedAt,
    DeletedAt,
}
