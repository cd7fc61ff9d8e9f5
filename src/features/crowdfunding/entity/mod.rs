//! Crowdfunding's tables, as sea-orm entities. The schema is owned by the migration in
//! `migrations/` (`m20261207_000002_create_campaign`).

pub mod campaign;
pub mod ledger_entry;
pub mod pledge;
