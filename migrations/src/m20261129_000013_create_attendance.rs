//! Attendance marked by group leaders, with the service hours it counts. `month` is the
//! occurrence's local month (`YYYY-MM`), for the per-month hours the mutual-aid group keeps.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261129_000002_create_resident::Resident;
use crate::m20261129_000009_create_series::Series;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Attendance::Table)
                    .col(pk_uuid(Attendance::Id))
                    .col(uuid(Attendance::CommunityId))
                    .col(uuid(Attendance::GroupId))
                    .col(uuid(Attendance::SeriesId))
                    .col(uuid(Attendance::OccurrenceId))
                    .col(timestamp_with_time_zone(Attendance::OriginalStart))
                    .col(string_len(Attendance::Month, 7))
                    .col(uuid(Attendance::ResidentId))
                    .col(string_len(Attendance::Status, 16))
                    .col(integer(Attendance::Minutes))
                    .col(uuid(Attendance::MarkedBy))
                    .col(text(Attendance::Clocks))
                    .col(big_integer(Attendance::Version))
                    .col(timestamp_with_time_zone(Attendance::CreatedAt))
                    .col(timestamp_with_time_zone_null(Attendance::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_attendance_series")
                            .from(Attendance::Table, Attendance::SeriesId)
                            .to(Series::Table, Series::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_attendance_resident")
                            .from(Attendance::Table, Attendance::ResidentId)
                            .to(Resident::Table, Resident::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_attendance_feed")
                    .table(Attendance::Table)
                    .col(Attendance::CommunityId)
                    .col(Attendance::Version)
                    .col(Attendance::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_attendance_hours")
                    .table(Attendance::Table)
                    .col(Attendance::GroupId)
                    .col(Attendance::Month)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Attendance::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Attendance {
    Table,
    Id,
    CommunityId,
    GroupId,
    SeriesId,
    OccurrenceId,
    OriginalStart,
    Month,
    ResidentId,
    Status,
    Minutes,
    MarkedBy,
    Clocks,
    Version,
    CreatedAt,
    DeletedAt,
}
