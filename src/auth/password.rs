//! Password hashing with argon2id (the crate's defaults: 19 MiB, 2 passes, 1 lane, the
//! OWASP recommendation). Hashing takes tens of milliseconds of CPU, so it never runs on
//! the request threads: it runs on its own threads, one per core, in arrival order.
//!
//! Why not the blocking pool: a morning of logins there ran one 19 MiB hash per blocking
//! thread, 64 at once, and each thread's allocator arena kept its 19 MiB afterwards. The
//! bench measured 1.3 GB resident after 2,000 logins, and no more logins per second than
//! with one hash per core (the cores were already busy).

use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, LazyLock, Mutex};

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

type Job = Box<dyn FnOnce() + Send>;

/// The queue of the hashing threads.
static HASHERS: LazyLock<mpsc::Sender<Job>> = LazyLock::new(|| {
    let (queue, jobs) = mpsc::channel::<Job>();
    let jobs = Arc::new(Mutex::new(jobs));
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    for n in 0..cores {
        let jobs = jobs.clone();
        std::thread::Builder::new()
            .name(format!("linli-hasher-{n}"))
            .spawn(move || hasher(&jobs))
            .expect("a hashing thread starts");
    }
    queue
});

fn hasher(jobs: &Mutex<Receiver<Job>>) {
    loop {
        // A job that panicked poisons nothing the queue relies on.
        let next = jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .recv();
        match next {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

/// Runs `work` on a hashing thread and waits for its answer.
async fn on_hasher<T: Send + 'static>(
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let (answer, answered) = tokio::sync::oneshot::channel();
    HASHERS
        .send(Box::new(move || {
            let _ = answer.send(work());
        }))
        .map_err(|_| anyhow::anyhow!("the hashing threads are gone"))?;
    answered
        .await
        .map_err(|_| anyhow::anyhow!("a hashing thread failed"))?
}

/// Hashes a new password to a PHC string (`$argon2id$v=19$…`).
pub async fn hash(password: &NewPassword) -> anyhow::Result<String> {
    let password = password.expose().to_owned();
    on_hasher(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password failed: {e}"))
    })
    .await
}

/// Checks `password` against a stored PHC string; with `None` checks against a decoy and
/// returns `false`, spending the same time.
pub async fn verify(password: &str, stored: Option<String>) -> anyhow::Result<bool> {
    let password = password.to_owned();
    on_hasher(move || {
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
    .await
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
