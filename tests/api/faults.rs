//! Faults: what a resident relies on when the server process dies mid-work.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use tokio::process::Command;
use uuid::Uuid;

use crate::helpers::{PASSWORD, TEST_SECRET, fresh_database, spawn_process, wait_until_within};

const BIN: &str = env!("CARGO_BIN_EXE_linli");
const PHONES: usize = 4;
pub(crate) const PER_PHONE: u64 = 300;
pub(crate) const BATCH: u64 = 5;

/// One phone's queue of offline edits, and what the server acknowledged of it.
pub(crate) struct Queue {
    pub(crate) client_id: Uuid,
    pub(crate) mutations: Vec<Value>,
    /// The results the server answered with, by mutation id.
    pub(crate) acked: std::collections::BTreeMap<u64, Value>,
    /// When each was first answered.
    pub(crate) acked_at: std::collections::BTreeMap<u64, std::time::Instant>,
    /// The server's `last_mutation_id` for this phone: every mutation up to it is
    /// acknowledged, with its result or, when the answer carrying the result was lost (the
    /// server died after committing), by this number alone, as the protocol says.
    pub(crate) through: u64,
}

impl Queue {
    pub(crate) fn new(phone: usize) -> Self {
        let mutations = (1..=PER_PHONE)
            .map(|id| {
                let hlc = format!("{}-{:04x}", Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ"), id);
                json!({"id": id, "name": "group.create", "hlc": hlc,
                       "args": {"id": Uuid::now_v7(), "name": format!("第{phone}組{id}")}})
            })
            .collect();
        Self {
            client_id: Uuid::now_v7(),
            mutations,
            acked: Default::default(),
            acked_at: Default::default(),
            through: 0,
        }
    }

    pub(crate) fn group_ids(&self) -> BTreeSet<String> {
        self.mutations
            .iter()
            .map(|m| m["args"]["id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Pushes from mutation `from` (1-based) to the end, `BATCH` at a time, until done or the
    /// server stops answering.
    async fn push_from(
        &mut self,
        base: &str,
        token: &str,
        from: u64,
        acks: &AtomicUsize,
    ) -> Result<(), String> {
        let client = reqwest::Client::new();
        let mut next = from;
        while next <= PER_PHONE {
            let last = (next + BATCH - 1).min(PER_PHONE);
            let batch = &self.mutations[(next - 1) as usize..last as usize];
            let resp = client
                .post(format!("{base}/api/v1/sync/push"))
                .bearer_auth(token)
                .json(
                    &json!({"client_id": self.client_id, "schema_version": 1, "mutations": batch}),
                )
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if resp.status() != 200 {
                return Err(format!("push answered {}", resp.status()));
            }
            let body: Value = resp.json().await.map_err(|e| e.to_string())?;
            let now = std::time::Instant::now();
            for r in body["results"].as_array().unwrap() {
                let id = r["id"].as_u64().unwrap();
                self.acked.insert(id, r.clone());
                self.acked_at.entry(id).or_insert(now);
            }
            acks.fetch_add(batch.len(), Ordering::Relaxed);
            self.through = self.through.max(body["last_mutation_id"].as_u64().unwrap());
            next = self.through + 1;
        }
        Ok(())
    }
}

pub(crate) async fn login(base: &str) -> String {
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"phone": "13800000000", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Starts `linli` on `url`, makes the committee's admin with the CLI beside it, and signs in.
/// A server for a storm: four phones of one resident pushing as fast as the server answers,
/// far beyond a person's rate, so the per-resident limits are off.
pub(crate) fn storm_env(url: &str) -> [(&'static str, &str); 4] {
    [
        ("DATABASE_URL", url),
        ("LINLI_JWT_SECRET", TEST_SECRET),
        ("LINLI_PUSHES_PER_MINUTE", "0"),
        ("LINLI_PULLS_PER_MINUTE", "0"),
    ]
}

pub(crate) async fn serve_with_admin(
    dir: &std::path::Path,
    url: &str,
) -> (tokio::process::Child, String, String) {
    let (server, base) = spawn_process(dir, &storm_env(url), &[]).await;
    let made = Command::new(BIN)
        .args([
            "user",
            "create",
            "--phone",
            "13800000000",
            "--name",
            "會長",
            "--admin",
        ])
        .env("DATABASE_URL", url)
        .env("LINLI_USER_PASSWORD", PASSWORD)
        .output()
        .await
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let token = login(&base).await;
    (server, base, token)
}

/// Every group the admin's phone receives, pulling from scratch.
pub(crate) async fn groups_seen(base: &str, token: &str) -> BTreeSet<String> {
    let client = reqwest::Client::new();
    let (mut cursor, mut seen) = (Value::Null, BTreeSet::new());
    loop {
        let page: Value = client
            .post(format!("{base}/api/v1/sync/pull"))
            .bearer_auth(token)
            .json(&json!({"client_id": Uuid::now_v7(), "schema_version": 1, "cursor": cursor, "limit": 200}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for c in page["changes"].as_array().unwrap() {
            if c["entity"] == "group" && c["op"] == "put" {
                seen.insert(c["id"].as_str().unwrap().to_owned());
            }
        }
        cursor = page["cursor"].clone();
        if page["has_more"] == false {
            return seen;
        }
    }
}

#[tokio::test]
async fn acknowledged_pushes_survive_kill_9_and_every_phone_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _guard) = fresh_database(dir.path()).await;
    let env = storm_env(&url);
    let (mut server, base, token) = serve_with_admin(dir.path(), &url).await;

    // A storm of pushes from four phones...
    let acks = Arc::new(AtomicUsize::new(0));
    let mut storm = Vec::new();
    for phone in 0..PHONES {
        let (base, token, acks) = (base.clone(), token.clone(), acks.clone());
        storm.push(tokio::spawn(async move {
            let mut q = Queue::new(phone);
            let _ = q.push_from(&base, &token, 1, &acks).await;
            q
        }));
    }
    // ...killed without warning once a good part of it was acknowledged.
    let acks_seen = acks.clone();
    wait_until_within(
        "the storm is under way",
        Duration::from_secs(30),
        move || acks_seen.load(Ordering::Relaxed) >= PHONES * PER_PHONE as usize / 4,
    )
    .await;
    let killed = Command::new("kill")
        .args(["-9", &server.id().unwrap().to_string()])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    server.wait().await.unwrap();
    let mut queues = Vec::new();
    for phone in storm {
        queues.push(phone.await.unwrap());
    }
    let acknowledged: Vec<(usize, u64)> = queues
        .iter()
        .enumerate()
        .flat_map(|(p, q)| q.acked.keys().map(move |id| (p, *id)))
        .collect();
    assert!(
        acknowledged.len() < PHONES * PER_PHONE as usize,
        "the kill came too late"
    );

    // Restarted on the same database, every phone re-sends its queue from a little before
    // what it knows was acknowledged (it may have lost answers), and gets to the end.
    let (mut server, base) = spawn_process(dir.path(), &env, &[]).await;
    let token = login(&base).await;
    let before: Vec<_> = queues.iter().map(|q| q.acked.clone()).collect();
    for q in &mut queues {
        let from = q
            .acked
            .keys()
            .next_back()
            .map_or(1, |last| last.saturating_sub(3).max(1));
        q.push_from(&base, &token, from, &AtomicUsize::new(0))
            .await
            .expect("a phone resumes after the restart without a wedge");
    }
    for (q, acked) in queues.iter().zip(&before) {
        // Every mutation is acknowledged: the server has processed the whole queue.
        assert_eq!(q.through, PER_PHONE);
        assert!(
            q.acked.values().all(|r| r["status"] == "applied"),
            "{:?}",
            q.acked
        );
        // What was acknowledged before the kill is answered again as it was.
        for (id, first) in acked {
            assert_eq!(
                &q.acked[id], first,
                "mutation {id} was answered differently"
            );
        }
    }
    // Every group is there, each once: the acknowledged ones survived the kill.
    let seen = groups_seen(&base, &token).await;
    let sent: BTreeSet<String> = queues.iter().flat_map(Queue::group_ids).collect();
    assert_eq!(seen, sent);
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().unwrap().to_string()])
        .status()
        .await;
    let _ = server.wait().await;
}

#[tokio::test]
async fn a_backup_taken_during_writes_restores_everything_acknowledged_before_it() {
    // `linli backup` is for the embedded SQLite database (PostgreSQL has pg_dump).
    let dir = tempfile::tempdir().unwrap();
    let live = format!("sqlite://{}", dir.path().join("live.db").display());
    let (mut server, base, token) = serve_with_admin(dir.path(), &live).await;
    let acks = Arc::new(AtomicUsize::new(0));
    let mut storm = Vec::new();
    for phone in 0..PHONES {
        let (base, token, acks) = (base.clone(), token.clone(), acks.clone());
        storm.push(tokio::spawn(async move {
            let mut q = Queue::new(phone);
            q.push_from(&base, &token, 1, &acks).await.unwrap();
            q
        }));
    }
    let acks_seen = acks.clone();
    wait_until_within(
        "the writes are under way",
        Duration::from_secs(30),
        move || acks_seen.load(Ordering::Relaxed) >= 100,
    )
    .await;
    // The backup, while the phones go on writing.
    let backup = dir.path().join("backup.db");
    let began = std::time::Instant::now();
    let done = Command::new(BIN)
        .args(["backup", "--to", backup.to_str().unwrap()])
        .env("DATABASE_URL", &live)
        .output()
        .await
        .unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let mut queues = Vec::new();
    for phone in storm {
        queues.push(phone.await.unwrap());
    }
    assert!(
        queues
            .iter()
            .flat_map(|q| q.acked_at.values())
            .any(|at| *at > began),
        "the phones had finished before the backup began"
    );
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().unwrap().to_string()])
        .status()
        .await;
    let _ = server.wait().await;

    let restored = format!("sqlite://{}", dir.path().join("restored.db").display());
    let done = Command::new(BIN)
        .args(["restore", "--from", backup.to_str().unwrap()])
        .env("DATABASE_URL", &restored)
        .output()
        .await
        .unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let env = [
        ("DATABASE_URL", restored.as_str()),
        ("LINLI_JWT_SECRET", TEST_SECRET),
    ];
    let (mut server, base) = spawn_process(dir.path(), &env, &[]).await;
    let seen = groups_seen(&base, &login(&base).await).await;
    for q in &queues {
        let ids: Vec<String> = q
            .mutations
            .iter()
            .map(|m| m["args"]["id"].as_str().unwrap().to_owned())
            .collect();
        // Every edit the phone was told about before the backup began is in it...
        for (id, at) in &q.acked_at {
            if *at < began {
                assert!(
                    seen.contains(&ids[(*id - 1) as usize]),
                    "mutation {id} is missing"
                );
            }
        }
        // ...and what it holds of each phone is a prefix of its queue: a consistent moment.
        let held = ids.iter().take_while(|g| seen.contains(*g)).count();
        assert!(
            ids[held..].iter().all(|g| !seen.contains(g)),
            "a hole after {held}"
        );
    }
    // A restore does not overwrite a database unless told to.
    let again = Command::new(BIN)
        .args(["restore", "--from", backup.to_str().unwrap()])
        .env("DATABASE_URL", &restored)
        .output()
        .await
        .unwrap();
    assert!(!again.status.success());
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().unwrap().to_string()])
        .status()
        .await;
    let _ = server.wait().await;
}
