//! A refused photo's stable problem code (`unsupported_image`, `attachment_too_large`),
//! kept beside the sentence shown to residents, so the answer to a later upload or read is
//! chosen by the code and never by reading the sentence back.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Attachment {
    Table,
    RefusalCode,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Attachment::Table)
                    .add_column(string_len_null(Attachment::RefusalCode, 30))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Attachment::Table)
                    .drop_column(Attachment::RefusalCode)
                    .to_owned(),
            )
            .await
    }
}
