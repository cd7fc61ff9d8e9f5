//! Reception days' tables (schema in `migrations/`).

pub mod reception_booking;
pub mod reception_day;
