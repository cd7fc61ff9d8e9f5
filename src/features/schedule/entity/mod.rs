//! The schedule's tables, as sea-orm entities. The schema is owned by the migrations in
//! `migrations/` (`m20261129_000007` … `m20261201_000001`).

pub mod attendance;
pub mod calendar_token;
pub mod membership;
pub mod occurrence_override;
pub mod occurrence_tally;
pub mod series;
pub mod signup;
pub mod volunteer_group;
