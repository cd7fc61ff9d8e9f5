//! Outages of what the server stands on: PostgreSQL stopped for half a minute under load, and
//! SQLite's disk filling up. Each test makes its own (a PostgreSQL cluster on its own port, a
//! small tmpfs), so nothing else on the machine is disturbed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use uuid::Uuid;

use crate::faults::{BATCH, PER_PHONE, Queue, groups_seen, login, serve_with_admin, storm_env};
use crate::helpers::{is_postgres, spawn_process};
use crate::sync::wait_for_event;

/// What a phone saw while pushing: each status, with the `Retry-After` and `code` of refusals.
#[derive(Debug, Default)]
struct Seen {
    answers: Vec<(u16, Option<String>, Option<String>)>,
}

/// Pushes the whole queue as a phone would: `BATCH` at a time, pacing itself, and on `503` or
/// a dropped connection waiting (at most `Retry-After`) and sending the same batch again.
async fn push_through(q: &mut Queue, base: &str, token: &str, seen: &Mutex<Seen>, pace: Duration) {
    let client = reqwest::Client::new();
    let mut next = 1;
    let give_up = Instant::now() + Duration::from_secs(120);
    while next <= PER_PHONE {
        assert!(Instant::now() < give_up, "the phone never got through");
        let last = (next + BATCH - 1).min(PER_PHONE);
        let batch = &q.mutations[(next - 1) as usize..last as usize];
        let sent = client
            .post(format!("{base}/api/v1/sync/push"))
            .bearer_auth(token)
            .timeout(Duration::from_secs(15))
            .json(&json!({"client_id": q.client_id, "schema_version": 1, "mutations": batch}))
            .send()
            .await;
        let resp = match sent {
            Ok(resp) => resp,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        let code = body["code"].as_str().map(str::to_owned);
        seen.lock()
            .unwrap()
            .answers
            .push((status, retry_after.clone(), code));
        match status {
            200 => {
                for r in body["results"].as_array().unwrap() {
                    q.acked.insert(r["id"].as_u64().unwrap(), r.clone());
                }
                // Acknowledged through here, results or not (see `Queue::through`).
                q.through = q.through.max(body["last_mutation_id"].as_u64().unwrap());
                next = q.through + 1;
                tokio::time::sleep(pace).await;
            }
            503 => {
                let wait: u64 = retry_after.and_then(|s| s.parse().ok()).unwrap_or(1);
                tokio::time::sleep(Duration::from_secs(wait).min(Duration::from_secs(2))).await;
            }
            other => panic!("a push answered {other}: {body}"),
        }
    }
}

/// A PostgreSQL cluster of the test's own, on a free port, in a temporary directory.
struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

impl Cluster {
    fn create() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's server binaries are installed (/usr/lib/postgresql)")
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .filter(|p| p.join("initdb").exists())
            .max()
            .expect("an initdb under /usr/lib/postgresql/*/bin");
        let dir = tempfile::tempdir().unwrap();
        let cluster = Self {
            port: std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port(),
            dir,
            bin,
        };
        if is_root() {
            // PostgreSQL refuses to run as root: the cluster belongs to `postgres`.
            let ok = std::process::Command::new("chown")
                .args(["postgres:postgres", cluster.dir.path().to_str().unwrap()])
                .status()
                .unwrap();
            assert!(ok.success());
        }
        cluster.run(
            "initdb",
            &[
                "-D",
                &cluster.data(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        cluster.start();
        cluster
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// One of PostgreSQL's tools, run as `postgres` when the test runs as root.
    fn command(&self, tool: &str) -> std::process::Command {
        let program = self.bin.join(tool);
        if is_root() {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            std::process::Command::new(&program)
        }
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let out = self.command(tool).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{tool} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-o",
                &options,
                "-l",
                &log,
                "-w",
                "start",
            ],
        );
    }

    /// Stops it as a crash would: no checkpoint, every connection cut.
    fn crash(&self) {
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args(["-D", &self.data(), "-m", "immediate", "stop"])
            .output();
    }
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

async fn status_of(url: &str) -> Option<u16> {
    reqwest::Client::new()
        .get(url)
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()
        .map(|r| r.status().as_u16())
}

/// Polls `url` until it answers `status`; returns how long that took, or fails at `limit`.
async fn until_status(url: &str, status: u16, limit: Duration) -> Duration {
    let began = Instant::now();
    while status_of(url).await != Some(status) {
        assert!(
            began.elapsed() < limit,
            "{url} did not answer {status} within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    began.elapsed()
}

/// PostgreSQL crashes and stays down for 30 seconds while two phones push: pushes get `503`
/// with `Retry-After` (never a `500`), `/readyz` says not ready, the service is serving again
/// within 5 seconds of the database's return, every acknowledged mutation is there exactly
/// once, and a second instance's event stream is poked again (its LISTEN reconnected).
#[tokio::test]
async fn postgres_down_for_30_seconds_refuses_with_503_and_loses_nothing() {
    if !is_postgres() {
        eprintln!("skipped: PostgreSQL only (set LINLI_TEST_DATABASE_URL)");
        return;
    }
    let cluster = Cluster::create();
    let url = cluster.url();
    let work = tempfile::tempdir().unwrap();
    let (_server, base, token) = serve_with_admin(work.path(), &url).await;
    // A second instance on the same database, where a resident's phone listens.
    let (_other, other_base) = spawn_process(work.path(), &storm_env(&url), &[]).await;
    let other_token = login(&other_base).await;
    let client = reqwest::Client::new();
    let mut events = client
        .get(format!("{other_base}/api/v1/sync/events"))
        .bearer_auth(&other_token)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    let mut before = 0;
    assert!(
        wait_for_event(&mut events, |e, d| {
            before = d["version"].as_u64().unwrap_or(before);
            e == "poke"
        })
        .await
    );

    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut phones = Vec::new();
    for phone in 0..2 {
        let (base, token, seen) = (base.clone(), token.clone(), seen.clone());
        phones.push(tokio::spawn(async move {
            let mut q = Queue::new(phone);
            push_through(&mut q, &base, &token, &seen, Duration::from_millis(60)).await;
            q
        }));
    }
    let acked = || {
        seen.lock()
            .unwrap()
            .answers
            .iter()
            .filter(|a| a.0 == 200)
            .count()
    };
    let began = Instant::now();
    while acked() < 10 {
        assert!(
            began.elapsed() < Duration::from_secs(30),
            "the phones never got going"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    cluster.crash();
    let down_at = Instant::now();
    until_status(&format!("{base}/readyz"), 503, Duration::from_secs(10)).await;
    let outage = Duration::from_secs(30);
    // The outage's length is what this test is about: the phones go on trying meanwhile.
    tokio::time::sleep(outage.saturating_sub(down_at.elapsed())).await;
    assert_eq!(
        status_of(&format!("{base}/readyz")).await,
        Some(503),
        "ready with the database down"
    );
    cluster.start();
    let back = until_status(&format!("{base}/readyz"), 200, Duration::from_secs(5)).await;
    eprintln!("serving {back:?} after PostgreSQL came back");

    let mut queues = Vec::new();
    for phone in phones {
        queues.push(phone.await.unwrap());
    }
    let answers = std::mem::take(&mut seen.lock().unwrap().answers);
    let refusals: Vec<_> = answers.iter().filter(|a| a.0 == 503).collect();
    assert!(
        !refusals.is_empty(),
        "no push was refused during the outage"
    );
    for (_, retry_after, code) in &refusals {
        assert!(retry_after.is_some(), "a 503 without Retry-After");
        assert_eq!(code.as_deref(), Some("service_unavailable"));
    }
    for q in &queues {
        assert_eq!(q.through, PER_PHONE);
        assert!(q.acked.values().all(|r| r["status"] == "applied"));
    }
    let sent: BTreeSet<String> = queues.iter().flat_map(Queue::group_ids).collect();
    assert_eq!(groups_seen(&base, &token).await, sent);
    // The other instance heard of the writes made after the outage.
    assert!(
        wait_for_event(&mut events, |e, d| e == "poke"
            && d["version"].as_u64().unwrap_or(0) > before)
        .await,
        "no poke on the other instance after the outage"
    );
}

/// A tmpfs of `size` mounted on `dir`, unmounted when dropped.
struct SmallDisk {
    dir: PathBuf,
}

impl SmallDisk {
    fn mount(dir: &Path, size: &str) -> Self {
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "this test mounts a small tmpfs and needs root: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self {
            dir: dir.to_owned(),
        }
    }

    fn grow(&self, size: &str) {
        let ok = std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.dir)
            .status()
            .unwrap();
        assert!(ok.success());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .args(["-l"])
            .arg(&self.dir)
            .status();
    }
}

/// SQLite's disk fills up: writes are refused with `503 storage_full` and `Retry-After`
/// (never a `500`), reads go on, and once space is freed the refused writes go through and
/// everything acknowledged before is there.
#[tokio::test]
async fn a_full_disk_refuses_writes_clearly_and_keeps_reads_and_what_was_acknowledged() {
    if is_postgres() {
        eprintln!("skipped: the embedded SQLite database only");
        return;
    }
    if !is_root() {
        // Mounting a small filesystem needs root (CI runs as root, and runs it).
        eprintln!("skipped: mounting a small tmpfs needs root");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let disk_dir = work.path().join("disk");
    std::fs::create_dir(&disk_dir).unwrap();
    let disk = SmallDisk::mount(&disk_dir, "4m");
    let url = format!("sqlite://{}?mode=rwc", disk_dir.join("linli.db").display());
    let (_server, base, token) = serve_with_admin(work.path(), &url).await;
    let client = reqwest::Client::new();

    // A phone pushes groups with long descriptions until the disk is full.
    let client_id = Uuid::now_v7();
    let filler = "孫村社區活動記錄".repeat(240);
    let (mut acked, mut refused, mut id) = (Vec::new(), None, 0u64);
    while refused.is_none() {
        id += 1;
        assert!(id < 5_000, "the disk never filled");
        let group = Uuid::now_v7();
        let resp = client
            .post(format!("{base}/api/v1/sync/push"))
            .bearer_auth(&token)
            .json(&json!({"client_id": client_id, "schema_version": 1, "mutations": [
                {"id": id, "name": "group.create", "hlc": format!("2026-12-02T00:00:00.000Z-{id:04x}"),
                 "args": {"id": group, "name": format!("第{id}組"), "description": filler}}]}))
            .send()
            .await
            .unwrap();
        match resp.status().as_u16() {
            200 => {
                let body: Value = resp.json().await.unwrap();
                assert_eq!(body["results"][0]["status"], "applied", "{body}");
                acked.push(group.to_string());
            }
            503 => refused = Some((group, resp)),
            other => panic!(
                "a push on a full disk answered {other}: {}",
                resp.text().await.unwrap()
            ),
        }
    }
    let (unsaved, resp) = refused.unwrap();
    assert!(resp.headers().contains_key("retry-after"));
    let problem: Value = resp.json().await.unwrap();
    assert_eq!(problem["code"], "storage_full", "{problem}");
    assert!(!acked.is_empty(), "the disk was full from the start");
    eprintln!("the disk filled after {} groups", acked.len());

    // Reads go on: the phone sees every acknowledged group, and who it is.
    let seen = groups_seen(&base, &token).await;
    for g in &acked {
        assert!(seen.contains(g), "acknowledged group {g} is missing");
    }
    assert!(!seen.contains(&unsaved.to_string()));
    let me = client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);

    // Space is freed: the same push, sent again, is applied.
    disk.grow("64m");
    let resp = client
        .post(format!("{base}/api/v1/sync/push"))
        .bearer_auth(&token)
        .json(
            &json!({"client_id": client_id, "schema_version": 1, "mutations": [
            {"id": id, "name": "group.create", "hlc": format!("2026-12-02T00:00:00.000Z-{id:04x}"),
             "args": {"id": unsaved, "name": format!("第{id}組"), "description": filler}}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["results"][0]["status"], "applied", "{body}");
    let seen = groups_seen(&base, &token).await;
    assert!(seen.contains(&unsaved.to_string()));
    assert_eq!(seen.len(), acked.len() + 1);
}
