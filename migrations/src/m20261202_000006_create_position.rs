//! Positions held: who is building leader, area leader, branch president, president, grid
//! worker, … over which unit (a building, area, compound or grid cell; none for the whole
//! community), for which term. Each holding is a row that is never rewritten but to end it:
//! the history of who held what stays. An appointment records who appointed and by which
//! decision. The holder chooses whether residents of their unit see their phone number.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261129_000001_create_community::Community;
use crate::m20261129_000002_create_resident::Resident;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Position::Table)
                    .col(pk_uuid(Position::Id))
                    .col(uuid(Position::CommunityId))
                    .col(string_len(Position::Kind, 24))
                    .col(uuid_null(Position::UnitId))
                    .col(uuid(Position::ResidentId))
                    .col(string_len(Position::HolderName, 40))
                    .col(date(Position::StartsOn))
                    .col(date_null(Position::EndsOn))
                    .col(uuid_null(Position::AppointedBy))
                    .col(string_len(Position::Decision, 200))
                    .col(boolean(Position::ShowPhone))
                    .col(big_integer(Position::Version))
                    .col(timestamp_with_time_zone(Position::CreatedAt))
                    .col(timestamp_with_time_zone_null(Position::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_position_community")
                            .from(Position::Table, Position::CommunityId)
                            .to(Community::Table, Community::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_position_resident")
                            .from(Position::Table, Position::ResidentId)
                            .to(Resident::Table, Resident::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_position_feed")
                    .table(Position::Table)
                    .col(Position::CommunityId)
                    .col(Position::Version)
                    .col(Position::Id)
                    .to_owned(),
            )
            .await?;
        for column in ["resident_id", "unit_id"] {
            manager
                .create_index(
                    Index::create()
                        .name(format!("idx_position_{column}"))
                        .table(Position::Table)
                        .col(Alias::new(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Position::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Position {
    Table,
    Id,
    CommunityId,
    Kind,
    UnitId,
    ResidentId,
    HolderName,
    StartsOn,
    EndsOn,
    AppointedBy,
    Decision,
    ShowPhone,
    Version,
    CreatedAt,
    DeletedAt,
}
