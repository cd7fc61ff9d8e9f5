//! A community is the tenant boundary: one deployment can serve several mining towns.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Community::Table)
                    .col(pk_uuid(Community::Id))
                    .col(string_len_uniq(Community::Slug, 64))
                    .col(string_len(Community::Name, 128))
                    .col(timestamp_with_time_zone(Community::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Community::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Community {
    Table,
    Id,
    Slug,
    Name,
    CreatedAt,
}
