//! A campaign may link a volunteer series: hours pledged to it are received when the
//! session's leader marks the pledger present at one of its sessions.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("campaign"))
                    .add_column(ColumnDef::new(Alias::new("series_id")).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_campaign_series")
                    .table(Alias::new("campaign"))
                    .col(Alias::new("series_id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_campaign_series")
                    .table(Alias::new("campaign"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("campaign"))
                    .drop_column(Alias::new("series_id"))
                    .to_owned(),
            )
            .await
    }
}
