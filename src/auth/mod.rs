//! Authentication: who is calling.
//!
//! - [`password`]: argon2id hashing and verification (run off the async threads).
//! - [`tokens`]: the access token (a 15-minute HS256 JWT) and the opaque refresh token.
//! - [`bearer`]: the `Authorization: Bearer` scheme every protected operation declares.
//!
//! Sessions (refresh-token families, rotation and theft detection) are persisted in
//! `persistence::sessions`; what a caller may do is decided in `domain::permissions`.

pub mod bearer;
pub mod password;
pub mod revoked;
pub mod tokens;
