//! Announcements' tables, as sea-orm entities. The schema is owned by the migration in
//! `migrations/` (`m20261207_000001_create_announcement`).

pub mod announcement;
pub mod announcement_read;
