//! Password hashing with argon2id (the crate's defaults: 19 MiB, 2 passes, 1 lane, the
//! OWASP recommendation). Hashing takes tens of milliseconds of CPU, so it runs on the
//! blocking pool and never stalls other requests.

use std::sync::LazyLock;

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};

use crate::domain::resident::NewPassword;

/// A hash of a password nobody knows, verified when the phone number is unknown so that
/// "no such resident" takes as long as "wrong password" and timing reveals nothing.
static DECOY_HASH: LazyLock<String> = LazyLock::new(|| {
    Argon2::default()
        .hash_password(b"linli decoy password, never matches")
        .expect("argon2 with default parameters hashes")
        .to_string()
});

/// Hashes a new password to a PHC string (`$argon2id$v=19$…`).
pub async fn hash(password: &NewPassword) -> anyhow::Result<String> {
    let password = password.expose().to_owned();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password failed: {e}"))
    })
    .await?
}

/// Checks `password` against a stored PHC string; with `None` checks against a decoy and
/// returns `false`, spending the same time.
pub async fn verify(password: &str, stored: Option<String>) -> anyhow::Result<bool> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let (phc, real) = match &stored {
            Some(phc) => (phc.as_str(), true),
            None => (DECOY_HASH.as_str(), false),
        };
        let parsed = PasswordHash::new(phc)
            .map_err(|e| anyhow::anyhow!("stored password hash is malformed: {e}"))?;
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(real && matches)
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_right_password_verifies_and_a_wrong_one_does_not() {
        let pw = NewPassword::parse("煤礦的春天 2026").unwrap();
        let phc = hash(&pw).await.unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify("煤礦的春天 2026", Some(phc.clone())).await.unwrap());
        assert!(!verify("煤礦的春天 2025", Some(phc)).await.unwrap());
    }

    #[tokio::test]
    async fn the_decoy_never_matches() {
        assert!(
            !verify("linli decoy password, never matches", None)
                .await
                .unwrap()
        );
    }
}
