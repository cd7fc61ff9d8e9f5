//! Roles are rows scoped to an object: `admin` of a community, `leader` or `member` of a
//! group. `scope_id` is the community's or the group's id, named by `scope_kind`; a non-null
//! scope keeps the uniqueness constraint meaningful on every engine (NULLs never collide).

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
                    .table(RoleGrant::Table)
                    .col(pk_uuid(RoleGrant::Id))
                    .col(uuid(RoleGrant::ResidentId))
                    .col(string_len(RoleGrant::Role, 16))
                    .col(string_len(RoleGrant::ScopeKind, 16))
                    .col(uuid(RoleGrant::ScopeId))
                    .col(timestamp_with_time_zone(RoleGrant::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_role_grant_resident")
                            .from(RoleGrant::Table, RoleGrant::ResidentId)
                            .to(Resident::Table, Resident::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_role_grant")
                    .table(RoleGrant::Table)
                    .col(RoleGrant::ResidentId)
                    .col(RoleGrant::Role)
                    .col(RoleGrant::ScopeKind)
                    .col(RoleGrant::ScopeId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // "Who leads this group?" and "who administers this community?" are asked by scope.
        manager
            .create_index(
                Index::create()
                    .name("idx_role_grant_scope")
                    .table(RoleGrant::Table)
                    .col(RoleGrant::ScopeKind)
                    .col(RoleGrant::ScopeId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RoleGrant::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum RoleGrant {
    Table,
    Id,
    ResidentId,
    Role,
    ScopeKind,
    ScopeId,
    CreatedAt,
}
