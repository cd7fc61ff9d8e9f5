//! Candidates of an election, and who seconded each nomination. A candidate is nominated by
//! a voter (then stands only with enough seconders) or by the committee, accepts or declines
//! with a short statement, and stands when nominations close. Seconders are kept apart and
//! never synced: a candidate row shows only their number.

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
                    .table(Candidate::Table)
                    .col(pk_uuid(Candidate::Id))
                    .col(uuid(Candidate::CommunityId))
                    .col(uuid(Candidate::ElectionId))
                    .col(uuid(Candidate::ResidentId))
                    .col(uuid_null(Candidate::ElectorId))
                    .col(string_len(Candidate::Name, 40))
                    .col(string_len(Candidate::Statement, 300))
                    .col(boolean(Candidate::ByCommittee))
                    .col(uuid(Candidate::NominatedBy))
                    .col(integer(Candidate::Seconds))
                    .col(string_len(Candidate::Response, 12))
                    .col(boolean(Candidate::Standing))
                    .col(big_integer(Candidate::Version))
                    .col(timestamp_with_time_zone(Candidate::CreatedAt))
                    .col(timestamp_with_time_zone_null(Candidate::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_candidate_community")
                            .from(Candidate::Table, Candidate::CommunityId)
                            .to(Community::Table, Community::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_candidate_election")
                            .from(Candidate::Table, Candidate::ElectionId)
                            .to(Election::Table, Election::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_candidate_feed")
                    .table(Candidate::Table)
                    .col(Candidate::CommunityId)
                    .col(Candidate::Version)
                    .col(Candidate::Id)
                    .to_owned(),
            )
            .await?;
        // One nomination of a resident per election.
        manager
            .create_index(
                Index::create()
                    .name("uq_candidate_election_resident")
                    .table(Candidate::Table)
                    .col(Candidate::ElectionId)
                    .col(Candidate::ResidentId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Seconding::Table)
                    .col(uuid(Seconding::CandidateId))
                    .col(uuid(Seconding::ResidentId))
                    .col(timestamp_with_time_zone(Seconding::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(Seconding::CandidateId)
                            .col(Seconding::ResidentId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_seconding_candidate")
                            .from(Seconding::Table, Seconding::CandidateId)
                            .to(Candidate::Table, Candidate::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Seconding::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Candidate::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Candidate {
    Table,
    Id,
    CommunityId,
    ElectionId,
    ResidentId,
    ElectorId,
    Name,
    Statement,
    ByCommittee,
    NominatedBy,
    Seconds,
    Response,
    Standing,
    Version,
    CreatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum Seconding {
    Table,
    CandidateId,
    ResidentId,
    CreatedAt,
}
