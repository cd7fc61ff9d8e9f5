//! Refresh tokens, stored only as SHA-256 hashes. Tokens rotated from one login share a
//! `family_id`; presenting a rotated token again revokes the whole family (theft detection).

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261129_000002_create_resident::Resident;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RefreshToken::Table)
                    .col(pk_uuid(RefreshToken::Id))
                    .col(uuid(RefreshToken::FamilyId))
                    .col(uuid(RefreshToken::ResidentId))
                    .col(string_len_uniq(RefreshToken::TokenHash, 64))
                    .col(timestamp_with_time_zone(RefreshToken::CreatedAt))
                    .col(timestamp_with_time_zone(RefreshToken::ExpiresAt))
                    .col(timestamp_with_time_zone_null(RefreshToken::RotatedAt))
                    .col(timestamp_with_time_zone_null(RefreshToken::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refresh_token_resident")
                            .from(RefreshToken::Table, RefreshToken::ResidentId)
                            .to(Resident::Table, Resident::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_refresh_token_family")
                    .table(RefreshToken::Table)
                    .col(RefreshToken::FamilyId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RefreshToken::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum RefreshToken {
    Table,
    Id,
    FamilyId,
    ResidentId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    RotatedAt,
    RevokedAt,
}
