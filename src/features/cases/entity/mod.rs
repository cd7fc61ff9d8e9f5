//! Cases' tables (schema in `migrations/`).

pub mod case_file;
pub mod case_setting;
pub mod department;
