//! Ballots, paper-ballot entries, and each election's hash-chained record of events.
//!
//! A ballot row is what was chosen and nothing about who chose it: a random id (UUIDv4, not
//! a time-ordered one), its source (phone or paper), a phone ballot's receipt code and the
//! nonce the phone mixed into it, a paper ballot's sheet number, and the choices. It has no
//! voter, no time and no version. On SQLite the table is `WITHOUT ROWID`, so even the
//! storage order is the random id's, not the order ballots arrived in (which would line up
//! with the order voters were marked on the roll). The README's "Elections" section says
//! what this does not protect against.
//!
//! Paper entries: each paper ballot is entered by two officers; it counts once two distinct
//! officers' entries of the same sheet agree.
//!
//! Events: the election's record (roll frozen, each ballot's hash, close, tally), each entry
//! carrying the hash of the one before; the election row keeps the head.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261129_000001_create_community::Community;
use crate::m20261203_000001_create_election::Election;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ballot = Table::create()
            .table(Ballot::Table)
            .col(pk_uuid(Ballot::Id))
            .col(uuid(Ballot::ElectionId))
            .col(string_len(Ballot::Source, 8))
            .col(string_len_null(Ballot::Receipt, 16))
            .col(string_len_null(Ballot::Nonce, 64))
            .col(string_len_null(Ballot::Sheet, 32))
            .col(text(Ballot::Choices))
            .foreign_key(
                ForeignKey::create()
                    .name("fk_ballot_election")
                    .from(Ballot::Table, Ballot::ElectionId)
                    .to(Election::Table, Election::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .to_owned();
        if manager.get_database_backend() == DbBackend::Sqlite {
            let sql = format!("{} WITHOUT ROWID", ballot.to_string(SqliteQueryBuilder));
            manager.get_connection().execute_unprepared(&sql).await?;
        } else {
            manager.create_table(ballot).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("uq_ballot_receipt")
                    .table(Ballot::Table)
                    .col(Ballot::ElectionId)
                    .col(Ballot::Receipt)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PaperEntry::Table)
                    .col(pk_uuid(PaperEntry::Id))
                    .col(uuid(PaperEntry::CommunityId))
                    .col(uuid(PaperEntry::ElectionId))
                    .col(string_len(PaperEntry::Sheet, 32))
                    .col(uuid(PaperEntry::OfficerId))
                    .col(text(PaperEntry::Choices))
                    .col(uuid(PaperEntry::DeskId))
                    .col(big_integer(PaperEntry::Version))
                    .col(timestamp_with_time_zone(PaperEntry::CreatedAt))
                    .col(timestamp_with_time_zone_null(PaperEntry::DeletedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_paper_entry_community")
                            .from(PaperEntry::Table, PaperEntry::CommunityId)
                            .to(Community::Table, Community::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_paper_entry_election")
                            .from(PaperEntry::Table, PaperEntry::ElectionId)
                            .to(Election::Table, Election::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "idx_paper_entry_feed",
                &["community_id", "version", "id"][..],
            ),
            (
                "idx_paper_entry_officer_feed",
                &["officer_id", "version", "id"],
            ),
            ("idx_paper_entry_desk_feed", &["desk_id", "version", "id"]),
        ] {
            let mut index = Index::create();
            index.name(name).table(PaperEntry::Table);
            for c in cols {
                index.col(Alias::new(*c));
            }
            manager.create_index(index.to_owned()).await?;
        }
        // An officer enters a sheet once.
        manager
            .create_index(
                Index::create()
                    .name("uq_paper_entry_sheet_officer")
                    .table(PaperEntry::Table)
                    .col(PaperEntry::ElectionId)
                    .col(PaperEntry::Sheet)
                    .col(PaperEntry::OfficerId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ElectionEvent::Table)
                    .col(uuid(ElectionEvent::ElectionId))
                    .col(integer(ElectionEvent::Seq))
                    .col(string_len(ElectionEvent::Kind, 16))
                    .col(text(ElectionEvent::Body))
                    .col(string_len(ElectionEvent::Hash, 64))
                    .primary_key(
                        Index::create()
                            .col(ElectionEvent::ElectionId)
                            .col(ElectionEvent::Seq),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_election_event_election")
                            .from(ElectionEvent::Table, ElectionEvent::ElectionId)
                            .to(Election::Table, Election::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ElectionEvent::Table.into_iden(),
            PaperEntry::Table.into_iden(),
            Ballot::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Ballot {
    Table,
    Id,
    ElectionId,
    Source,
    Receipt,
    Nonce,
    Sheet,
    Choices,
}

#[derive(DeriveIden)]
enum PaperEntry {
    Table,
    Id,
    CommunityId,
    ElectionId,
    Sheet,
    OfficerId,
    Choices,
    DeskId,
    Version,
    CreatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum ElectionEvent {
    Table,
    ElectionId,
    Seq,
    Kind,
    Body,
    Hash,
}
