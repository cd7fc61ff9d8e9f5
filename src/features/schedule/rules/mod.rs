//! The schedule's rules, as plain functions with no HTTP and no database, so unit and
//! property tests reach every rule directly.
//!
//! - [`bounds`]: limits on groups' and series' fields.
//! - [`recurrence`]: occurrences of recurring series, and their ids.
//! - [`signup`]: seats, waitlists and cut-offs.

pub mod bounds;
pub mod recurrence;
pub mod signup;
