//! The territory: compounds (小區), areas (片區) and buildings (樓棟), nested by `parent_id`
//! (a building's parent is an area or a compound; an area's, a compound; a compound has
//! none), and grid cells (網格), a second partition: each building names the one cell it is
//! in (`cell_id`), so it cannot be in two. Names are unique among a parent's live children,
//! which is the natural key an import matches on.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261129_000001_create_community::Community;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(GridCell::Table)
                    .col(pk_uuid(GridCell::Id))
                    .col(uuid(GridCell::CommunityId))
                    .col(string_len(GridCell::Name, 80))
                    .col(big_integer(GridCell::Version))
                    .col(timestamp_with_time_zone(GridCell::CreatedAt))
                    .col(timestamp_with_time_zone_null(GridCell::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_grid_cell_community")
                            .from(GridCell::Table, GridCell::CommunityId)
                            .to(Community::Table, Community::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Unit::Table)
                    .col(pk_uuid(Unit::Id))
                    .col(uuid(Unit::CommunityId))
                    .col(string_len(Unit::Kind, 16))
                    .col(uuid_null(Unit::ParentId))
                    .col(string_len(Unit::Name, 80))
                    .col(uuid_null(Unit::CellId))
                    .col(big_integer(Unit::Version))
                    .col(timestamp_with_time_zone(Unit::CreatedAt))
                    .col(timestamp_with_time_zone_null(Unit::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_unit_community")
                            .from(Unit::Table, Unit::CommunityId)
                            .to(Community::Table, Community::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (table, name) in [
            ("grid_cell", "idx_grid_cell_feed"),
            ("unit", "idx_unit_feed"),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Alias::new(table))
                        .col(Alias::new("community_id"))
                        .col(Alias::new("version"))
                        .col(Alias::new("id"))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_unit_parent")
                    .table(Unit::Table)
                    .col(Unit::ParentId)
                    .to_owned(),
            )
            .await?;
        // The natural key among live units (the same statement on SQLite and PostgreSQL).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_unit_name ON unit (community_id, kind, parent_id, name) \
                 WHERE deleted_at IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Unit::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(GridCell::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Unit {
    Table,
    Id,
    CommunityId,
    Kind,
    ParentId,
    Name,
    CellId,
    Version,
    CreatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
pub enum GridCell {
    Table,
    Id,
    CommunityId,
    Name,
    Version,
    CreatedAt,
    DeletedAt,
}
