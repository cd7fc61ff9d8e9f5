//! Domain rules: plain functions and newtypes with no HTTP and no database, so unit tests
//! (and property tests) can reach every rule directly.
//!
//! - [`resident`]: parsing what a resident types at registration (phone number, display name,
//!   password) once, into types that cannot hold invalid values.
//! - [`permissions`]: the one place that decides "may this resident do this to that object".
//! - [`throttle`]: the login-failure throttle that stops password guessing.
//! - [`hlc`] and [`merge`]: hybrid logical clocks and per-field last-writer-wins, the rules
//!   that make offline edits converge.
//!
//! A capability's own rules live in its folder (`crate::features::*`).

pub mod hlc;
pub mod merge;
pub mod permissions;
pub mod resident;
pub mod territory;
pub mod throttle;

/// Input that a resident can correct: which field, and why it was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    /// The request field, named as in the API (`phone`, `display_name`, …).
    pub field: &'static str,
    /// A sentence a person can act on.
    pub reason: String,
}

impl FieldError {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}
