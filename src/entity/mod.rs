//! sea-orm entities, one module per table. The schema itself is owned by the migrations in
//! `migrations/`; these types must match it (the integration tests run every query against
//! freshly migrated SQLite and PostgreSQL databases).

pub mod community;
pub mod refresh_token;
pub mod resident;
pub mod role_grant;
