//! Residents are the people with an account. The phone number (E.164) is the login name and is
//! unique across the deployment, so logging in never needs the community.

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
                    .table(Resident::Table)
                    .col(pk_uuid(Resident::Id))
                    .col(uuid(Resident::CommunityId))
                    .col(string_len_uniq(Resident::Phone, 16))
                    .col(string_len(Resident::DisplayName, 64))
                    .col(string_len(Resident::PasswordHash, 128))
                    .col(timestamp_with_time_zone(Resident::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_resident_community")
                            .from(Resident::Table, Resident::CommunityId)
                            .to(Community::Table, Community::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_resident_community")
                    .table(Resident::Table)
                    .col(Resident::CommunityId)
                    .col(Resident::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Resident::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Resident {
    Table,
    Id,
    CommunityId,
    Phone,
    DisplayName,
    PasswordHash,
    CreatedAt,
}
