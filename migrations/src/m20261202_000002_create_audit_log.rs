//! The audit log: one row per privileged action (a role given or taken, a member removed, a
//! group or series deleted, attendance corrected, an account exported or deleted), appended
//! and never changed, for the community's admins to read.

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
                    .table(AuditLog::Table)
                    .col(pk_uuid(AuditLog::Id))
                    .col(uuid(AuditLog::CommunityId))
                    .col(uuid(AuditLog::ActorId))
                    .col(string_len(AuditLog::Action, 48))
                    .col(uuid_null(AuditLog::ObjectId))
                    .col(text(AuditLog::Detail))
                    .col(timestamp_with_time_zone(AuditLog::At))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_audit_log_community")
                            .from(AuditLog::Table, AuditLog::CommunityId)
                            .to(Community::Table, Community::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Read newest first, a page at a time (ids are UUIDv7: time-ordered).
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_log_community")
                    .table(AuditLog::Table)
                    .col(AuditLog::CommunityId)
                    .col(AuditLog::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditLog::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    CommunityId,
    ActorId,
    Action,
    ObjectId,
    Detail,
    At,
}
