//! Crowdfunding's tables, as sea-orm entities. The schema is owned by the migration in
//! `migrations/` (`m20261207_000002_create_campaign`, `m20261208_000003_create_campaign_rating`).

pub mod campaign;
pub mod campaign_rating;
pub mod ledger_entry;
pub mod pledge;
