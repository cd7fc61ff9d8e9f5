//! sea-orm entities, one module per table. The schema itself is owned by the migrations in
//! `migrations/`; these types must match it (the integration tests run every query against
//! freshly migrated SQLite and PostgreSQL databases).

pub mod attendance;
pub mod calendar_token;
pub mod community;
pub mod membership;
pub mod occurrence_override;
pub mod occurrence_tally;
pub mod refresh_token;
pub mod resident;
pub mod role_grant;
pub mod series;
pub mod signup;
pub mod sync_client;
pub mod sync_mutation;
pub mod sync_version;
pub mod volunteer_group;
