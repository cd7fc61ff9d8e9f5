//! The elections' tables, as sea-orm entities. The schema is owned by the migrations in
//! `migrations/` (`m20261203_000001` … `m20261203_000004`).

pub mod ballot;
pub mod candidate;
pub mod election;
pub mod election_event;
pub mod elector;
pub mod entrustment;
pub mod paper_entry;
pub mod seconding;
