//! sea-orm entities of the tables every capability shares: communities, residents and their
//! roles and sessions, and the sync engine's own (clients, stored push results, versions).
//! A capability's tables live in its folder (`crate::features::*::entity`). The schema
//! itself is owned by the migrations in `migrations/`; these types must match it (the
//! integration tests run every query against freshly migrated SQLite and PostgreSQL).

pub mod audit_log;
pub mod community;
pub mod refresh_token;
pub mod resident;
pub mod role_grant;
pub mod sync_client;
pub mod sync_mutation;
pub mod sync_version;
