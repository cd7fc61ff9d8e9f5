//! Households: one flat of a building (entrance or unit number 單元, floor, room). The natural
//! key among live households is (building, entrance, room). The building's ancestry is kept
//! on the row (`compound_id`, `area_id`) so a holder over any of them finds it by index.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261129_000001_create_community::Community;
use crate::m20261202_000003_create_unit::Unit;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Household::Table)
                    .col(pk_uuid(Household::Id))
                    .col(uuid(Household::CommunityId))
                    .col(uuid(Household::BuildingId))
                    .col(uuid(Household::CompoundId))
                    .col(uuid_null(Household::AreaId))
                    .col(string_len(Household::Entrance, 8))
                    .col(integer(Household::Floor))
                    .col(string_len(Household::Room, 16))
                    .col(big_integer(Household::Version))
                    .col(timestamp_with_time_zone(Household::CreatedAt))
                    .col(timestamp_with_time_zone_null(Household::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_household_community")
                            .from(Household::Table, Household::CommunityId)
                            .to(Community::Table, Community::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_household_building")
                            .from(Household::Table, Household::BuildingId)
                            .to(Unit::Table, Unit::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_household_feed")
                    .table(Household::Table)
                    .col(Household::CommunityId)
                    .col(Household::Version)
                    .col(Household::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_household_flat ON household (building_id, entrance, room) \
                 WHERE deleted_at IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Household::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Household {
    Table,
    Id,
    CommunityId,
    BuildingId,
    CompoundId,
    AreaId,
    Entrance,
    Floor,
    Room,
    Version,
    CreatedAt,
    DeletedAt,
}
