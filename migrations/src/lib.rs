//! Schema migrations for linli, applied in order by `linli migrate` and on every `linli serve`.
//!
//! One file per step, named `mYYYYMMDD_NNNNNN_<verb>_<table>.rs` (the name is the migration's
//! identity in `seaql_migrations`, so never rename a file that has shipped). Every migration
//! must run unchanged on SQLite (the embedded default) and PostgreSQL (production): stick to
//! the portable column helpers and keep engine-specific SQL out.

// `MigrationTrait` is an `async_trait` whose signatures elide `SchemaManager`'s lifetime;
// spelling it out makes the impls mismatch the trait.
#![allow(elided_lifetimes_in_paths)]

pub use sea_orm_migration::prelude::*;

mod m20261129_000001_create_community;
mod m20261129_000002_create_resident;
mod m20261129_000003_create_role_grant;
mod m20261129_000004_create_refresh_token;
mod m20261129_000005_create_sync_client;
mod m20261129_000006_create_sync_version;
mod m20261129_000007_create_volunteer_group;
mod m20261129_000008_create_membership;
mod m20261129_000009_create_series;
mod m20261129_000010_create_occurrence_override;
mod m20261129_000011_create_signup;
mod m20261129_000012_create_occurrence_tally;
mod m20261129_000013_create_attendance;
mod m20261129_000014_create_calendar_token;
mod m20261201_000001_index_personal_rows;
mod m20261202_000001_add_resident_deleted_at;
mod m20261202_000002_create_audit_log;
mod m20261202_000003_create_unit;
mod m20261202_000004_create_household;
mod m20261202_000005_create_residency;
mod m20261202_000006_create_position;
mod m20261203_000001_create_election;
mod m20261203_000002_create_candidate;
mod m20261203_000003_create_elector;
mod m20261203_000004_create_ballot;
mod m20261204_000001_create_topic;
mod m20261204_000002_create_meeting;
mod m20261204_000003_create_decision;
mod m20261205_000001_create_attachment;
mod m20261205_000002_create_log_entry;
mod m20261205_000003_create_case;
mod m20261205_000004_create_mediation;
mod m20261205_000005_create_reception;
mod m20261206_000001_add_attachment_refusal_code;
mod m20261207_000001_create_announcement;
mod m20261207_000002_create_campaign;
mod m20261208_000001_create_talent;
mod m20261208_000002_create_notification;
mod m20261208_000003_create_campaign_rating;
mod m20261208_000004_add_campaign_series;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_create_community::Migration),
            Box::new(m20261129_000002_create_resident::Migration),
            Box::new(m20261129_000003_create_role_grant::Migration),
            Box::new(m20261129_000004_create_refresh_token::Migration),
            Box::new(m20261129_000005_create_sync_client::Migration),
            Box::new(m20261129_000006_create_sync_version::Migration),
            Box::new(m20261129_000007_create_volunteer_group::Migration),
            Box::new(m20261129_000008_create_membership::Migration),
            Box::new(m20261129_000009_create_series::Migration),
            Box::new(m20261129_000010_create_occurrence_override::Migration),
            Box::new(m20261129_000011_create_signup::Migration),
            Box::new(m20261129_000012_create_occurrence_tally::Migration),
            Box::new(m20261129_000013_create_attendance::Migration),
            Box::new(m20261129_000014_create_calendar_token::Migration),
            Box::new(m20261201_000001_index_personal_rows::Migration),
            Box::new(m20261202_000001_add_resident_deleted_at::Migration),
            Box::new(m20261202_000002_create_audit_log::Migration),
            Box::new(m20261202_000003_create_unit::Migration),
            Box::new(m20261202_000004_create_household::Migration),
            Box::new(m20261202_000005_create_residency::Migration),
            Box::new(m20261202_000006_create_position::Migration),
            Box::new(m20261203_000001_create_election::Migration),
            Box::new(m20261203_000002_create_candidate::Migration),
            Box::new(m20261203_000003_create_elector::Migration),
            Box::new(m20261203_000004_create_ballot::Migration),
            Box::new(m20261204_000001_create_topic::Migration),
            Box::new(m20261204_000002_create_meeting::Migration),
            Box::new(m20261204_000003_create_decision::Migration),
            Box::new(m20261205_000001_create_attachment::Migration),
            Box::new(m20261205_000002_create_log_entry::Migration),
            Box::new(m20261205_000003_create_case::Migration),
            Box::new(m20261205_000004_create_mediation::Migration),
            Box::new(m20261205_000005_create_reception::Migration),
            Box::new(m20261206_000001_add_attachment_refusal_code::Migration),
            Box::new(m20261207_000001_create_announcement::Migration),
            Box::new(m20261207_000002_create_campaign::Migration),
            Box::new(m20261208_000001_create_talent::Migration),
            Box::new(m20261208_000002_create_notification::Migration),
            Box::new(m20261208_000003_create_campaign_rating::Migration),
            Box::new(m20261208_000004_add_campaign_series::Migration),
        ]
    }
}
