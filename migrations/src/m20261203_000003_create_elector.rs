//! The roll of an election (its electorate), frozen when nominations close, and the
//! entrustments officers record on it. An elector row is a voter (or, where the rules say
//! so, a household) with the name the published roll shows and where to find them, and it
//! carries participation: whether, when and how they voted (on the phone, on paper, through
//! a proxy) and any conflict between a phone ballot and a paper mark. It never says how they
//! voted: ballots live in `ballot`, with nothing that points back here.
//!
//! Elector, entrustment and paper-entry rows carry `desk_id`, an id only the election
//! officers' sync scope holds (derived from the community), so the officers' roll syncs to
//! their phones for offline polling stations and nobody else's.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261129_000001_create_community::Community;
use crate::m20261203_000001_create_election::Election;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Elector::Table)
                    .col(pk_uuid(Elector::Id))
                    .col(uuid(Elector::CommunityId))
                    .col(uuid(Elector::ElectionId))
                    .col(uuid_null(Elector::ResidentId))
                    .col(uuid_null(Elector::ResidencyId))
                    .col(uuid(Elector::HouseholdId))
                    .col(string_len(Elector::Name, 40))
                    .col(string_len(Elector::Place, 120))
                    .col(uuid(Elector::DeskId))
                    .col(string_len_null(Elector::Voted, 12))
                    .col(timestamp_with_time_zone_null(Elector::VotedAt))
                    .col(uuid_null(Elector::ProxyId))
                    .col(string_len_null(Elector::ProxyName, 40))
                    .col(string_len_null(Elector::Conflict, 20))
                    .col(big_integer(Elector::Version))
                    .col(timestamp_with_time_zone(Elector::CreatedAt))
                    .col(timestamp_with_time_zone_null(Elector::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_elector_community")
                            .from(Elector::Table, Elector::CommunityId)
                            .to(Community::Table, Community::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_elector_election")
                            .from(Elector::Table, Elector::ElectionId)
                            .to(Election::Table, Election::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_elector_feed", &["community_id", "version", "id"][..]),
            (
                "idx_elector_resident_feed",
                &["resident_id", "version", "id"],
            ),
            ("idx_elector_desk_feed", &["desk_id", "version", "id"]),
            ("idx_elector_election", &["election_id", "resident_id"]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Elector::Table);
            for c in cols {
                index.col(Alias::new(*c));
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Entrustment::Table)
                    .col(pk_uuid(Entrustment::Id))
                    .col(uuid(Entrustment::CommunityId))
                    .col(uuid(Entrustment::ElectionId))
                    .col(uuid(Entrustment::FromElectorId))
                    .col(string_len(Entrustment::FromName, 40))
                    .col(uuid(Entrustment::ToElectorId))
                    .col(uuid_null(Entrustment::ProxyResidentId))
                    .col(string_len(Entrustment::Document, 100))
                    .col(uuid(Entrustment::RecordedBy))
                    .col(boolean(Entrustment::Used))
                    .col(uuid(Entrustment::DeskId))
                    .col(big_integer(Entrustment::Version))
                    .col(timestamp_with_time_zone(Entrustment::CreatedAt))
                    .col(timestamp_with_time_zone_null(Entrustment::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_entrustment_election")
                            .from(Entrustment::Table, Entrustment::ElectionId)
                            .to(Election::Table, Election::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_entrustment_feed",
                &["community_id", "version", "id"][..],
            ),
            (
                "idx_entrustment_proxy_feed",
                &["proxy_resident_id", "version", "id"],
            ),
            ("idx_entrustment_desk_feed", &["desk_id", "version", "id"]),
            ("idx_entrustment_to", &["to_elector_id"]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Entrustment::Table);
            for c in cols {
                index.col(Alias::new(*c));
            }
            manager.create_index(index.to_owned()).await?;
        }
        // A voter entrusts at most one other voter.
        manager
            .create_index(
                Index::create()
                    .name("uq_entrustment_from")
                    .table(Entrustment::Table)
                    .col(Entrustment::FromElectorId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Entrustment::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Elector::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Elector {
    Table,
    Id,
    CommunityId,
    ElectionId,
    ResidentId,
    ResidencyId,
    HouseholdId,
    Name,
    Place,
    DeskId,
    Voted,
    VotedAt,
    ProxyId,
    ProxyName,
    Conflict,
    Version,
    CreatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum Entrustment {
    Table,
    Id,
    CommunityId,
    ElectionId,
    FromElectorId,
    FromName,
    ToElectorId,
    ProxyResidentId,
    Document,
    RecordedBy,
    Used,
    DeskId,
    Version,
    CreatedAt,
    DeletedAt,
}
