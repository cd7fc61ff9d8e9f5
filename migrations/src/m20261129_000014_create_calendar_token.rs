//! A resident's secret calendar-feed token, stored as a hash. Rotating replaces it;
//! revoking deletes it.

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
                    .table(CalendarToken::Table)
                    .col(pk_uuid(CalendarToken::ResidentId))
                    .col(string_len_uniq(CalendarToken::TokenHash, 64))
                    .col(timestamp_with_time_zone(CalendarToken::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_calendar_token_resident")
                            .from(CalendarToken::Table, CalendarToken::ResidentId)
                            .to(Resident::Table, Resident::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CalendarToken::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum CalendarToken {
    Table,
    ResidentId,
    TokenHash,
    CreatedAt,
}
