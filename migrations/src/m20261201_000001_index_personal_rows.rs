//! Indexes that let a pull find one resident's personal rows (memberships, sign-ups,
//! attendance), or one group's, in feed order without walking the whole community's feed.
//!
//! A pull reads personal rows as "the viewer's own" and "those of the groups they lead",
//! each after the cursor's version. With only the feed index `(community_id, version, id)`
//! both walked every sign-up of the community: 100,000 rows for each page of a first sync.
//! `(resident_id, version, id)` also serves what `(resident_id)` did, so that one goes.

use sea_orm_migration::prelude::*;

use crate::m20261129_000008_create_membership::Membership;
use crate::m20261129_000011_create_signup::Signup;
use crate::m20261129_000013_create_attendance::Attendance;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, its resident column, its group column, its version column, its id column)
fn personal_tables() -> [(&'static str, DynIden, DynIden, DynIden, DynIden, DynIden); 3] {
    [
        (
            "membership",
            Membership::Table.into_iden(),
            Membership::ResidentId.into_iden(),
            Membership::GroupId.into_iden(),
            Membership::Version.into_iden(),
            Membership::Id.into_iden(),
        ),
        (
            "signup",
            Signup::Table.into_iden(),
            Signup::ResidentId.into_iden(),
            Signup::GroupId.into_iden(),
            Signup::Version.into_iden(),
            Signup::Id.into_iden(),
        ),
        (
            "attendance",
            Attendance::Table.into_iden(),
            Attendance::ResidentId.into_iden(),
            Attendance::GroupId.into_iden(),
            Attendance::Version.into_iden(),
            Attendance::Id.into_iden(),
        ),
    ]
}

/// The single-column indexes the new ones make redundant.
const REPLACED: [(&str, &str); 2] = [
    ("idx_membership_resident", "membership"),
    ("idx_signup_resident", "signup"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, resident, group, version, id) in personal_tables() {
            for (by, column) in [("resident", resident), ("group", group)] {
                manager
                    .create_index(
                        Index::create()
                            .name(format!("idx_{name}_{by}_feed"))
                            .table(table.clone())
                            .col(column)
                            .col(version.clone())
                            .col(id.clone())
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
        for (name, table, resident, ..) in personal_tables() {
            for by in ["resident", "group"] {
                manager
                    .drop_index(
                        Index::drop()
                            .name(format!("idx_{name}_{by}_feed"))
                            .table(table.clone())
                            .to_owned(),
                    )
                    .await?;
            }
            if let Some((index, _)) = REPLACED.iter().find(|(_, t)| *t == name) {
                manager
                    .create_index(
                        Index::create()
                            .name(*index)
                            .table(table)
                            .col(resident)
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }
}
