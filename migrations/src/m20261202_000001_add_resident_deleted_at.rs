//! A resident who deleted their account: the row stays, anonymised, so what the committee
//! must keep (service hours, past sign-ups) still names someone, but nobody can sign in as it.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261129_000002_create_resident::Resident;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Deleted {
    DeletedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Resident::Table)
                    .add_column(timestamp_with_time_zone_null(Deleted::DeletedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Resident::Table)
                    .drop_column(Deleted::DeletedAt)
                    .to_owned(),
            )
            .await
    }
}
