//! The territory's tables, as sea-orm entities. The schema is owned by the migrations in
//! `migrations/` (`m20261202_000003` … `m20261202_000006`).

pub mod grid_cell;
pub mod household;
pub mod position;
pub mod residency;
pub mod unit;
