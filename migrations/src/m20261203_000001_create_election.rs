//! Elections: one position (or several seats of it) over a unit and a term, with its windows
//! (nominations close, voting opens and closes; server time decides), its rules (who is on
//! the roll, quorum, majority, seconders, entrustments), and what became of it: the roll's
//! hash and size once frozen, the contest's mode, the tally, and the head of the hash chain
//! over its events (`election_event`). A second round names the election it follows.

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
                    .table(Election::Table)
                    .col(pk_uuid(Election::Id))
                    .col(uuid(Election::CommunityId))
                    .col(string_len(Election::Title, 80))
                    .col(string_len(Election::PositionKind, 24))
                    .col(uuid_null(Election::UnitId))
                    .col(integer(Election::Seats))
                    .col(date(Election::TermStartsOn))
                    .col(date_null(Election::TermEndsOn))
                    .col(timestamp_with_time_zone(Election::NominationsClose))
                    .col(timestamp_with_time_zone(Election::VotingOpens))
                    .col(timestamp_with_time_zone(Election::VotingCloses))
                    .col(string_len(Election::Basis, 12))
                    .col(integer(Election::MinAge))
                    .col(integer(Election::Seconders))
                    .col(integer(Election::MaxEntrustments))
                    .col(integer(Election::QuorumPct))
                    .col(integer(Election::MajorityPct))
                    .col(integer(Election::Round))
                    .col(uuid_null(Election::RunoffOf))
                    .col(string_len(Election::State, 12))
                    .col(string_len_null(Election::Mode, 12))
                    .col(integer(Election::RollSize))
                    .col(string_len_null(Election::RollHash, 64))
                    .col(integer(Election::Voted))
                    .col(string_len(Election::ChainHead, 64))
                    .col(text_null(Election::Result))
                    .col(uuid(Election::CalledBy))
                    .col(big_integer(Election::Version))
                    .col(timestamp_with_time_zone(Election::CreatedAt))
                    .col(timestamp_with_time_zone_null(Election::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_election_community")
                            .from(Election::Table, Election::CommunityId)
                            .to(Community::Table, Community::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_election_feed")
                    .table(Election::Table)
                    .col(Election::CommunityId)
                    .col(Election::Version)
                    .col(Election::Id)
                    .to_owned(),
            )
            .await?;
        // The election clock looks for elections whose window has passed.
        manager
            .create_index(
                Index::create()
                    .name("idx_election_state")
                    .table(Election::Table)
                    .col(Election::State)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Election::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Election {
    Table,
    Id,
    CommunityId,
    Title,
    PositionKind,
    UnitId,
    Seats,
    TermStartsOn,
    TermEndsOn,
    NominationsClose,
    VotingOpens,
    VotingCloses,
    Basis,
    MinAge,
    Seconders,
    MaxEntrustments,
    QuorumPct,
    MajorityPct,
    Round,
    RunoffOf,
    State,
    Mode,
    RollSize,
    RollHash,
    Voted,
    ChainHead,
    Result,
    CalledBy,
    Version,
    CreatedAt,
    DeletedAt,
}
