//! Volunteer groups. Synced: `version` is the community sync version of the last change,
//! `clocks` holds the hybrid-logical-clock stamp of each field's last write (per-field
//! last-writer-wins), and a deleted group stays as a tombstone (`deleted_at`).

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
                    .table(VolunteerGroup::Table)
                    .col(pk_uuid(VolunteerGroup::Id))
                    .col(uuid(VolunteerGroup::CommunityId))
                    .col(string_len(VolunteerGroup::Name, 80))
                    .col(string_len(VolunteerGroup::Kind, 32))
                    .col(text(VolunteerGroup::Description))
                    .col(string_len(VolunteerGroup::Venue, 200))
                    .col(boolean(VolunteerGroup::IsOpen))
                    .col(uuid_null(VolunteerGroup::ContactLeaderId))
                    .col(text(VolunteerGroup::Clocks))
                    .col(big_integer(VolunteerGroup::Version))
                    .col(timestamp_with_time_zone(VolunteerGroup::CreatedAt))
                    .col(timestamp_with_time_zone_null(VolunteerGroup::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_volunteer_group_community")
                            .from(VolunteerGroup::Table, VolunteerGroup::CommunityId)
                            .to(Community::Table, Community::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_volunteer_group_feed")
                    .table(VolunteerGroup::Table)
                    .col(VolunteerGroup::CommunityId)
                    .col(VolunteerGroup::Version)
                    .col(VolunteerGroup::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(VolunteerGroup::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum VolunteerGroup {
    Table,
    Id,
    CommunityId,
    Name,
    Kind,
    Description,
    Venue,
    IsOpen,
    ContactLeaderId,
    Clocks,
    Version,
    CreatedAt,
    DeletedAt,
}
