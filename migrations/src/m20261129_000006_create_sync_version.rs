//! One row per community, bumped by every transaction that changes synced data. The row lock
//! is held until commit, so version order is commit order: a pull cursor can never pass a
//! change that commits later. `purged_through` is the highest version whose tombstones were
//! compacted away; cursors older than it must resync.

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
                    .table(SyncVersion::Table)
                    .col(pk_uuid(SyncVersion::CommunityId))
                    .col(big_integer(SyncVersion::Version))
                    .col(big_integer(SyncVersion::PurgedThrough))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sync_version_community")
                            .from(SyncVersion::Table, SyncVersion::CommunityId)
                            .to(Community::Table, Community::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SyncVersion::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum SyncVersion {
    Table,
    CommunityId,
    Version,
    PurgedThrough,
}
