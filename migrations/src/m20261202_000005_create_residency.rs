//! Residencies: who lives in which household, as owner, tenant or family, from when to when.
//! A resident with an account claims one (`pending` until a holder over the building confirms
//! or refuses it); a building leader or grid worker records one for a resident without a
//! smartphone (`resident_id` empty, `verified` at once); when they register later, their
//! claim names that row (`takes_over`), and its confirmation gives the row their account.
//! Moving out ends it (`moved_out`), and the row stays as history.
//!
//! The household's place (building, area, compound, grid cell) is kept on the row: the sync
//! feed shows a residency to its resident, to their household, and to holders over any of
//! those places, each found by an index. A resident has at most one open residency (pending
//! or verified, not moved out): a partial unique index holds it even against a bug.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261129_000001_create_community::Community;
use crate::m20261202_000004_create_household::Household;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The columns a holder's scope matches, each indexed for the feed.
const OVER: [&str; 6] = [
    "resident_id",
    "household_id",
    "building_id",
    "area_id",
    "compound_id",
    "cell_id",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Residency::Table)
                    .col(pk_uuid(Residency::Id))
                    .col(uuid(Residency::CommunityId))
                    .col(uuid(Residency::HouseholdId))
                    .col(uuid(Residency::BuildingId))
                    .col(uuid_null(Residency::AreaId))
                    .col(uuid(Residency::CompoundId))
                    .col(uuid_null(Residency::CellId))
                    .col(uuid_null(Residency::ResidentId))
                    .col(string_len(Residency::Name, 40))
                    .col(string_len(Residency::Born, 10))
                    .col(string_len(Residency::Relation, 8))
                    .col(string_len(Residency::Status, 12))
                    .col(date(Residency::MovedIn))
                    .col(date_null(Residency::MovedOut))
                    .col(uuid(Residency::RecordedBy))
                    .col(uuid_null(Residency::DecidedBy))
                    .col(uuid_null(Residency::TakesOver))
                    .col(big_integer(Residency::Version))
                    .col(timestamp_with_time_zone(Residency::CreatedAt))
                    .col(timestamp_with_time_zone_null(Residency::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_residency_community")
                            .from(Residency::Table, Residency::CommunityId)
                            .to(Community::Table, Community::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_residency_household")
                            .from(Residency::Table, Residency::HouseholdId)
                            .to(Household::Table, Household::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_residency_feed")
                    .table(Residency::Table)
                    .col(Residency::CommunityId)
                    .col(Residency::Version)
                    .col(Residency::Id)
                    .to_owned(),
            )
            .await?;
        for column in OVER {
            manager
                .create_index(
                    Index::create()
                        .name(format!("idx_residency_{column}_feed"))
                        .table(Residency::Table)
                        .col(Alias::new(column))
                        .col(Alias::new("version"))
                        .col(Alias::new("id"))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_residency_open ON residency (resident_id) \
                 WHERE resident_id IS NOT NULL AND moved_out IS NULL AND deleted_at IS NULL \
                 AND status IN ('pending', 'verified')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Residency::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Residency {
    Table,
    Id,
    CommunityId,
    HouseholdId,
    BuildingId,
    AreaId,
    CompoundId,
    CellId,
    ResidentId,
    Name,
    Born,
    Relation,
    Status,
    MovedIn,
    MovedOut,
    RecordedBy,
    DecidedBy,
    TakesOver,
    Version,
    CreatedAt,
    DeletedAt,
}
