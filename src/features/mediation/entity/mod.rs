//! Mediation's tables (schema in `migrations/`).

pub mod mediation;
pub mod mediation_copy;
