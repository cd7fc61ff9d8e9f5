//! Talents' tables, as sea-orm entities. The schema is owned by the migration in
//! `migrations/` (`m20261208_000001_create_talent`).

pub mod talent;
pub mod talent_invitation;
