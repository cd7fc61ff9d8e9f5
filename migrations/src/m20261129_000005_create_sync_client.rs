//! Sync clients (one per app installation) and the stored result of every mutation they
//! pushed, so a re-sent batch gets the same answers without being applied twice.

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
                    .table(SyncClient::Table)
                    .col(pk_uuid(SyncClient::ClientId))
                    .col(uuid(SyncClient::ResidentId))
                    .col(big_integer(SyncClient::LastMutationId))
                    .col(timestamp_with_time_zone(SyncClient::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sync_client_resident")
                            .from(SyncClient::Table, SyncClient::ResidentId)
                            .to(Resident::Table, Resident::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SyncMutation::Table)
                    .col(uuid(SyncMutation::ClientId))
                    .col(big_integer(SyncMutation::MutationId))
                    .col(string_len(SyncMutation::Name, 64))
                    .col(string_len(SyncMutation::Status, 16))
                    .col(string_len_null(SyncMutation::Code, 64))
                    .col(text_null(SyncMutation::Message))
                    .col(text_null(SyncMutation::Data))
                    .col(timestamp_with_time_zone(SyncMutation::ProcessedAt))
                    .primary_key(
                        Index::create()
                            .col(SyncMutation::ClientId)
                            .col(SyncMutation::MutationId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sync_mutation_client")
                            .from(SyncMutation::Table, SyncMutation::ClientId)
                            .to(SyncClient::Table, SyncClient::ClientId)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SyncMutation::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SyncClient::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum SyncClient {
    Table,
    ClientId,
    ResidentId,
    LastMutationId,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum SyncMutation {
    Table,
    ClientId,
    MutationId,
    Name,
    Status,
    Code,
    Message,
    Data,
    ProcessedAt,
}
