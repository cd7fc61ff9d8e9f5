//! Sign-ups: a reservation of seats in one occurrence, decided by the server in the order it
//! receives requests. The id is derived from (occurrence, volunteer), so two phones of one
//! volunteer, or a replayed push, make one sign-up. `requested_version` is the community
//! version at which the current request was made: the waitlist's first-in-first-out order.

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
                    .table(Signup::Table)
                    .col(pk_uuid(Signup::Id))
                    .col(uuid(Signup::CommunityId))
                    .col(uuid(Signup::GroupId))
                    .col(uuid(Signup::SeriesId))
                    .col(uuid(Signup::OccurrenceId))
                    .col(timestamp_with_time_zone(Signup::OriginalStart))
                    .col(uuid(Signup::ResidentId))
                    .col(uuid(Signup::RequestedBy))
                    .col(integer(Signup::PartySize))
                    .col(string_len(Signup::Status, 24))
                    .col(big_integer(Signup::RequestedVersion))
                    .col(big_integer(Signup::Version))
                    .col(timestamp_with_time_zone(Signup::CreatedAt))
                    .col(timestamp_with_time_zone(Signup::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Signup::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_signup_series")
                            .from(Signup::Table, Signup::SeriesId)
                            .to(Series::Table, Series::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_signup_resident")
                            .from(Signup::Table, Signup::ResidentId)
                            .to(Resident::Table, Resident::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_signup_feed")
                    .table(Signup::Table)
                    .col(Signup::CommunityId)
                    .col(Signup::Version)
                    .col(Signup::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_signup_occurrence")
                    .table(Signup::Table)
                    .col(Signup::OccurrenceId)
                    .col(Signup::Status)
                    .col(Signup::RequestedVersion)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_signup_resident")
                    .table(Signup::Table)
                    .col(Signup::ResidentId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Signup::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Signup {
    Table,
    Id,
    CommunityId,
    GroupId,
    SeriesId,
    OccurrenceId,
    OriginalStart,
    ResidentId,
    RequestedBy,
    PartySize,
    Status,
    RequestedVersion,
    Version,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}
