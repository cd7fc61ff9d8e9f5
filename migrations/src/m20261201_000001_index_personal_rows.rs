//! Indexes that let a pull find one resident's personal rows (memberships, sign-ups,
//! attendance), or one group's, in feed order without walking the whole community's feed.
//!
//! A pull reads personal rows as "the viewer's own" and "those of the groups they lead",
//! each after the cursor's version. With only the feed index `(community_id, version, id)`
//! both walked every sign-up of the community: 100,000 rows for each page of a first sync.
//! `(resident_id, version, id)` also serves what `(resident_id)` did, so that one goes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The personal tables; each has `resident_id`, `group_id`, `version` and `id`.
const PERSONAL_TABLES: [&str; 3] = ["membership", "signup", "attendance"];

/// Whose rows each new index finds: `idx_<table>_<by>_feed` on `(<column>, version, id)`.
const BY: [(&str, &str); 2] = [("resident", "resident_id"), ("group", "group_id")];

/// The single-column indexes the new ones make redundant, with their table.
const REPLACED: [(&str, &str); 2] = [
    ("idx_membership_resident", "membership"),
    ("idx_signup_resident", "signup"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in PERSONAL_TABLES {
            for (by, column) in BY {
                manager
                    .create_index(
                        Index::create()
                            .name(format!("idx_{table}_{by}_feed"))
                            .table(Alias::new(table))
                            .col(Alias::new(column))
                            .col(Alias::new("version"))
                            .col(Alias::new("id"))
                            .to_owned(),
                    )
                    .await?;
            }
        }
        for (index, table) in REPLACED {
            manager
                .drop_index(
                    Index::drop()
                        .name(index)
                        .table(Alias::new(table))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (index, table) in REPLACED {
            manager
                .create_index(
                    Index::create()
                        .name(index)
                        .table(Alias::new(table))
                        .col(Alias::new("resident_id"))
                        .to_owned(),
                )
                .await?;
        }
        for table in PERSONAL_TABLES {
            for (by, _) in BY {
                manager
                    .drop_index(
                        Index::drop()
                            .name(format!("idx_{table}_{by}_feed"))
                            .table(Alias::new(table))
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }
}
