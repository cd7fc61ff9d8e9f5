//! Group memberships: a resident's `member` or `leader` role in a volunteer group. The id is
//! derived from (group, resident), so two phones of one resident joining offline make one
//! membership. Leaving leaves a tombstone; joining again revives it.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261129_000002_create_resident::Resident;
use crate::m20261129_000007_create_volunteer_group::VolunteerGroup;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Membership::Table)
                    .col(pk_uuid(Membership::Id))
                    .col(uuid(Membership::CommunityId))
                    .col(uuid(Membership::GroupId))
                    .col(uuid(Membership::ResidentId))
                    .col(string_len(Membership::Role, 16))
                    .col(text(Membership::Clocks))
                    .col(big_integer(Membership::Version))
                    .col(timestamp_with_time_zone(Membership::CreatedAt))
                    .col(timestamp_with_time_zone_null(Membership::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_membership_group")
                            .from(Membership::Table, Membership::GroupId)
                            .to(VolunteerGroup::Table, VolunteerGroup::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_membership_resident")
                            .from(Membership::Table, Membership::ResidentId)
                            .to(Resident::Table, Resident::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_membership_feed")
                    .table(Membership::Table)
                    .col(Membership::CommunityId)
                    .col(Membership::Version)
                    .col(Membership::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_membership_resident")
                    .table(Membership::Table)
                    .col(Membership::ResidentId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Membership::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Membership {
    Table,
    Id,
    CommunityId,
    GroupId,
    ResidentId,
    Role,
    Clocks,
    Version,
    CreatedAt,
    DeletedAt,
}
