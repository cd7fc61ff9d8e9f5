//! `linli-bench`: measures a running linli over real HTTP at the seed community's scale. A
//! client of the service, kept out of the server's tree: it reaches the server through its
//! API, and its database only to seed accounts and history fast.
//!
//! - [`seed`] fills the server's database with a coal-mining town: 20,000 residents in 5,000
//!   households across four compounds, about 60 volunteer groups with leaders, a year of
//!   weekly and daily series with overrides, and about 100,000 sign-ups. Accounts are written
//!   to the database directly (20,000 argon2id hashes would take minutes and measure nothing);
//!   everything else goes through `POST /api/v1/sync/push` as the committee's phones would.
//! - [`load`] is the load generator: many simulated phones, each a loop of requests, with
//!   latencies, bytes and errors recorded.
//! - [`scenarios`] are the measurements, each printed with its reference from the same run;
//!   [`elections`] is the community-wide election, [`casework`] the grid's photos and the
//!   committee's figures, each on a community of its own, and [`announcements`] an urgent
//!   notice read across the election's community and [`crowdfunding`] a campaign's ledger
//!   there.
//!
//! Benchmarks are not tests: nothing here asserts a time. Correctness checks (seats never
//! oversold, every request answered) do fail the run.

mod announcements;
mod casework;
mod crowdfunding;
mod deliberation;
mod elections;
mod load;
mod reminders;
mod scenarios;
mod seed;
mod talents;

use std::time::Duration;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use serde_json::{Value, json};

use linli::config::DatabaseArgs;

/// Every bench account's password.
pub const BENCH_PASSWORD: &str = "linli-bench-2026";

/// Measures a running linli over real HTTP.
#[derive(Debug, Clone, Parser)]
#[command(name = "linli-bench", version)]
pub struct BenchArgs {
    /// The running server to measure.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// The server's database, for seeding accounts (the same URL the server was started with).
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Residents to seed.
    #[arg(long, default_value_t = 20_000)]
    pub residents: usize,
    /// Volunteer groups to seed.
    #[arg(long, default_value_t = 60)]
    pub groups: usize,
    /// Sign-ups to seed across the year's sessions.
    #[arg(long, default_value_t = 100_000)]
    pub signups: usize,
    /// The `Accept-Encoding` the morning load's phones send (`identity`: plain).
    #[arg(long, default_value = "zstd, br, gzip")]
    pub accept_encoding: String,
    /// Concurrent connections for the throughput scenarios.
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// First syncs of scenario (2), each followed by four samples of its floor.
    #[arg(long, default_value_t = 30)]
    pub first_sync_runs: usize,
    /// Seconds each throughput measurement runs.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Households in the territory scenario's roster (about four residents each).
    #[arg(long, default_value_t = 5_000)]
    pub households: usize,
    /// Phones in the sign-up rush, in the morning load and in the election (where a phone
    /// casts for several voters in turn, each with their own account).
    #[arg(long, default_value_t = 2_000)]
    pub phones: usize,
    /// Voters on the election's roll: every one a verified adult of the election's own
    /// community, recorded by the committee's roster.
    #[arg(long, default_value_t = 16_000)]
    pub voters: usize,
    /// Voters who cast on phones, each with an account linked to their roster entry.
    #[arg(long, default_value_t = 5_000)]
    pub casting: usize,
    /// Seconds over which the phones start casting (the issue's last ten minutes before the
    /// close); 0 starts every phone at once.
    #[arg(long, default_value_t = 600)]
    pub casting_seconds: u64,
    /// Seconds between the expected end of the casting and the close of the polls.
    #[arg(long, default_value_t = 90)]
    pub close_margin: u64,
    /// Seconds the morning load runs.
    #[arg(long, default_value_t = 120)]
    pub morning_seconds: u64,
    /// The server's process id, to read its memory (`/proc/<pid>/status`) in the idle-pokes
    /// scenario.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Open event streams to hold in the idle-pokes scenario, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [1_000, 10_000])]
    pub streams: Vec<usize>,
    /// The reference CouchDB-protocol setup (pouchdb-server and PouchDB), after
    /// `npm ci --prefix bench/couchdb`.
    #[arg(long, default_value = "bench/couchdb")]
    pub couchdb_dir: std::path::PathBuf,
    /// Grid workers in the casework scenario, each with a cell of their own.
    #[arg(long, default_value_t = 200)]
    pub grid_workers: usize,
    /// Log entries each grid worker writes, each with one photo.
    #[arg(long, default_value_t = 10)]
    pub grid_entries: usize,
    /// The photo's size in KiB.
    #[arg(long, default_value_t = 2048)]
    pub photo_kib: usize,
    /// Each grid worker's link: its rate in kbit/s ...
    #[arg(long, default_value_t = 1000)]
    pub link_kbit: u64,
    /// ... and the latency it adds to each request, in ms.
    #[arg(long, default_value_t = 150)]
    pub link_latency_ms: u64,
    /// Affairs (cases that are not disputes) in the casework scenario's year: 100× the 200+.
    #[arg(long, default_value_t = 20_000)]
    pub affairs: usize,
    /// Disputes mediated in the casework scenario's year: 100× the 80.
    #[arg(long, default_value_t = 8_000)]
    pub disputes: usize,
    /// Where the reminders scenario's SMS gateway listens (start the server with
    /// `LINLI_WEBHOOK_URL=http://<this>/sms`).
    #[arg(long, default_value = "127.0.0.1:18099")]
    pub webhook_bind: String,
    /// The secret the gateway checks signatures with (the server's `LINLI_WEBHOOK_SECRET`).
    #[arg(long, default_value = "bench-webhook-secret-0123456789")]
    pub webhook_secret: String,
    /// Messages per webhook call (the server's `LINLI_WEBHOOK_BATCH`), for the reference.
    #[arg(long, default_value_t = 50)]
    pub webhook_batch: usize,
    /// Which scenarios to run, comma-separated, in order. Idle pokes comes first by default:
    /// it measures memory, best read on a freshly started server.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Scenario::IdlePokes, Scenario::NothingNew, Scenario::FirstSync, Scenario::Rush, Scenario::Morning])]
    pub scenarios: Vec<Scenario>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// Authenticated pulls with nothing to return, against `/healthz`.
    NothingNew,
    /// One resident's whole scope, against serialising the same rows in memory.
    FirstSync,
    /// Phones requesting the same 40-seat session at once, then seats spread over sessions.
    Rush,
    /// Phones syncing every 30 s with occasional edits and sign-ups.
    Morning,
    /// The server's memory with many open event streams.
    IdlePokes,
    /// A pull of 100 changes now, and again after history grows the database to 1,000,000
    /// rows (run on a small seed: see the README).
    History,
    /// What logout's revocation costs: pulls with nothing new while the server holds 10,000
    /// logged-out sessions, against the same pulls before; and the query each process runs
    /// every 2 s to learn of them.
    Revocation,
    /// The committee's roster imported (time, peak memory) against plain SQL inserts, and a
    /// building leader's first sync against a resident's.
    Territory,
    /// A community-wide election: phones casting ballots (p50/p99 of the push; none lost, none
    /// counted twice), and the count against a plain SQL `GROUP BY` over the same ballots.
    Elections,
    /// Grid workers' photos over a shaped link (time and memory against writing the same
    /// bytes to disk), and the committee's figures at 100× a year against plain SQL.
    Casework,
    /// An urgent notice to the election community's roll, read on its phones (p50/p99 of the
    /// receipt's push, none lost), and "who has not read it" against one plain SQL query.
    Announcements,
    /// A campaign on the election community: every resident with a phone pledges, the
    /// treasurer receives it all, the public ledger is read with its chain checked, against
    /// one plain SQL `SELECT` of the same entries.
    Crowdfunding,
    /// A busy day's reminders (20,000 residents, 100,000 confirmed sign-ups, all asking for
    /// texts) handed to a gateway the harness runs: time, memory, none lost, none twice,
    /// against the harness sending the same batches itself.
    Reminders,
    /// Every resident with a phone on the election community offers skills (p50/p99 of the
    /// push), then the search by skill, tag and free time against one plain SQL query.
    Talents,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(BenchArgs::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("linli-bench: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections.max(args.phones))
        // Below the server's idle timeout (10 s by default), as a phone's client should be.
        .pool_idle_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(60))
        .build()?;
    let api = Api {
        base: args.url.trim_end_matches('/').to_owned(),
        http,
        accept: (args.accept_encoding != "identity").then(|| args.accept_encoding.clone()),
    };
    api.http
        .get(api.url("/readyz"))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .with_context(|| format!("no linli is ready at {}", api.base))?;
    println!("linli-bench against {} ({})", api.base, machine());
    // The election and the casework run on communities of their own: the town is seeded
    // for the others only.
    let own = [
        Scenario::Elections,
        Scenario::Casework,
        Scenario::Announcements,
        Scenario::Crowdfunding,
        Scenario::Reminders,
        Scenario::Talents,
    ];
    let town = if args.scenarios.iter().any(|s| !own.contains(s)) {
        Some(seed::seed(&api, &args).await?)
    } else {
        None
    };
    for scenario in &args.scenarios {
        if *scenario == Scenario::Elections {
            elections::elections(&api, &args).await?;
            continue;
        }
        if *scenario == Scenario::Casework {
            casework::casework(&api, &args).await?;
            continue;
        }
        if *scenario == Scenario::Announcements {
            announcements::announcements(&api, &args).await?;
            continue;
        }
        if *scenario == Scenario::Crowdfunding {
            crowdfunding::crowdfunding(&api, &args).await?;
            continue;
        }
        if *scenario == Scenario::Talents {
            talents::talents(&api, &args).await?;
            continue;
        }
        if *scenario == Scenario::Reminders {
            reminders::reminders(&args).await?;
            continue;
        }
        let town = town.as_ref().context("the town is seeded")?;
        match scenario {
            Scenario::NothingNew => scenarios::nothing_new(&api, town, &args).await?,
            Scenario::FirstSync => scenarios::first_sync(&api, town, &args).await?,
            Scenario::Rush => scenarios::rush(&api, town, &args).await?,
            Scenario::Morning => scenarios::morning(&api, town, &args).await?,
            Scenario::IdlePokes => scenarios::idle_pokes(&api, town, &args).await?,
            Scenario::History => scenarios::history(&api, town, &args).await?,
            Scenario::Revocation => scenarios::revocation(&api, town, &args).await?,
            Scenario::Territory => scenarios::territory(&api, town, &args).await?,
            Scenario::Elections
            | Scenario::Casework
            | Scenario::Announcements
            | Scenario::Crowdfunding
            | Scenario::Reminders
            | Scenario::Talents => {}
        }
    }
    Ok(())
}

/// The server, over HTTP.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
    /// The `Accept-Encoding` the phones of the load scenarios send (`None`: plain).
    pub accept: Option<String>,
}

/// A body as it crossed the wire, decoded by its `Content-Encoding`.
pub fn decode(coding: &str, bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    match coding {
        "gzip" => {
            flate2::read::GzDecoder::new(bytes).read_to_end(&mut out)?;
        }
        "br" => {
            brotli::Decompressor::new(bytes, 4096).read_to_end(&mut out)?;
        }
        "zstd" => out = zstd::stream::decode_all(bytes)?,
        "" | "identity" => out = bytes.to_vec(),
        _ => anyhow::bail!("no decoder for {coding}"),
    }
    Ok(out)
}

/// A response's body, decoded, and its size on the wire.
async fn counted(resp: reqwest::Response) -> anyhow::Result<(reqwest::StatusCode, Vec<u8>, usize)> {
    let status = resp.status();
    let coding = coding_of(&resp);
    let wire = resp.bytes().await?;
    Ok((status, decode(&coding, &wire)?, wire.len()))
}

/// The response's `Content-Encoding` ("" when plain).
fn coding_of(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

impl Api {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A REST read as JSON.
    pub async fn get_json(
        &self,
        token: &str,
        path: &str,
        query: &[(&str, String)],
    ) -> anyhow::Result<Value> {
        Ok(self
            .http
            .get(self.url(path))
            .bearer_auth(token)
            .query(query)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }

    /// Logs a resident in; returns the access token.
    pub async fn login(&self, phone: &str) -> anyhow::Result<String> {
        let resp = self
            .http
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"phone": phone, "password": BENCH_PASSWORD}))
            .send()
            .await?;
        let status = resp.status();
        let body: Value = resp.json().await?;
        anyhow::ensure!(status.is_success(), "login of {phone} failed: {body}");
        body["access_token"]
            .as_str()
            .map(str::to_owned)
            .context("a session has an access token")
    }

    /// Pushes mutations as one phone; returns the response body.
    pub async fn push(
        &self,
        token: &str,
        client: uuid::Uuid,
        mutations: &[Value],
    ) -> anyhow::Result<Value> {
        let resp = self
            .http
            .post(self.url("/api/v1/sync/push"))
            .bearer_auth(token)
            .json(&json!({"client_id": client, "schema_version": 1, "mutations": mutations}))
            .send()
            .await?;
        let status = resp.status();
        let body: Value = resp.json().await?;
        anyhow::ensure!(status.is_success(), "push failed ({status}): {body}");
        Ok(body)
    }

    /// A REST read as a phone accepting [`Api::accept`] makes it: its size on the wire and
    /// decoded.
    pub async fn get_counted(&self, token: &str, path: &str) -> anyhow::Result<(usize, usize)> {
        let mut req = self.http.get(self.url(path)).bearer_auth(token);
        if let Some(a) = &self.accept {
            req = req.header("accept-encoding", a);
        }
        let (status, plain, wire) = counted(req.send().await?).await?;
        anyhow::ensure!(status.is_success(), "GET {path} failed ({status})");
        Ok((wire, plain.len()))
    }

    /// A pull as a phone accepting [`Api::accept`] makes it: the page, and its size on the
    /// wire and decoded.
    pub async fn pull_counted(
        &self,
        token: &str,
        client: uuid::Uuid,
        cursor: Option<&str>,
    ) -> anyhow::Result<(Value, usize, usize)> {
        let mut req = self
            .http
            .post(self.url("/api/v1/sync/pull"))
            .bearer_auth(token)
            .json(
                &json!({"client_id": client, "schema_version": 1, "cursor": cursor, "limit": 5000}),
            );
        if let Some(a) = &self.accept {
            req = req.header("accept-encoding", a);
        }
        let (status, plain, wire) = counted(req.send().await?).await?;
        anyhow::ensure!(
            status.is_success(),
            "pull failed ({status}): {}",
            String::from_utf8_lossy(&plain)
        );
        Ok((serde_json::from_slice(&plain)?, wire, plain.len()))
    }

    /// A REST read; returns its size on the wire.
    pub async fn get_bytes(&self, token: &str, path: &str) -> anyhow::Result<usize> {
        let body = self
            .http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        Ok(body.len())
    }

    /// One pull; returns the body and its size on the wire.
    pub async fn pull(
        &self,
        token: &str,
        client: uuid::Uuid,
        cursor: Option<&str>,
    ) -> anyhow::Result<(Value, usize)> {
        let bytes = self.pull_bytes(token, client, cursor, None).await?;
        Ok((serde_json::from_slice(&bytes)?, bytes.len()))
    }

    /// A pull's body as it crossed the wire in `coding` (`gzip`, `br`, `zstd`), undecoded.
    pub async fn pull_encoded(
        &self,
        token: &str,
        client: uuid::Uuid,
        cursor: Option<&str>,
        coding: &str,
    ) -> anyhow::Result<bytes::Bytes> {
        let resp = self
            .http
            .post(self.url("/api/v1/sync/pull"))
            .bearer_auth(token)
            .header("accept-encoding", coding)
            .json(
                &json!({"client_id": client, "schema_version": 1, "cursor": cursor, "limit": 5000}),
            )
            .send()
            .await?;
        let status = resp.status();
        let got = coding_of(&resp);
        let bytes = resp.bytes().await?;
        anyhow::ensure!(status.is_success(), "pull failed ({status})");
        anyhow::ensure!(
            got == coding,
            "asked for {coding}, the pull came as {got:?}"
        );
        Ok(bytes)
    }

    /// A pull over a shaped link: the request waits `latency` before it leaves, and the
    /// answer is read no faster than `bits_per_second` (the harness paces its own reads, so
    /// the server's socket backs up as it would behind a thin mobile link). In `coding`
    /// when given; the body as it crossed the wire.
    pub async fn pull_shaped(
        &self,
        token: &str,
        client: uuid::Uuid,
        cursor: Option<&str>,
        coding: Option<&str>,
        bits_per_second: f64,
        latency: Duration,
    ) -> anyhow::Result<bytes::Bytes> {
        use futures_util::StreamExt;
        tokio::time::sleep(latency).await;
        let mut req = self
            .http
            .post(self.url("/api/v1/sync/pull"))
            .bearer_auth(token)
            .json(
                &json!({"client_id": client, "schema_version": 1, "cursor": cursor, "limit": 5000}),
            );
        if let Some(c) = coding {
            req = req.header("accept-encoding", c);
        }
        let resp = req.send().await?;
        anyhow::ensure!(
            resp.status().is_success(),
            "pull failed ({})",
            resp.status()
        );
        let t0 = tokio::time::Instant::now();
        let mut body = bytes::BytesMut::new();
        let mut stream = resp.bytes_stream();
        while let Some(piece) = stream.next().await {
            body.extend_from_slice(&piece?);
            tokio::time::sleep_until(
                t0 + Duration::from_secs_f64(body.len() as f64 * 8.0 / bits_per_second),
            )
            .await;
        }
        Ok(body.freeze())
    }

    /// A pull's body as it arrived (pages of up to 5,000 changes), unparsed; with `days`,
    /// asking for rows bound to a day that many days back and ahead.
    pub async fn pull_bytes(
        &self,
        token: &str,
        client: uuid::Uuid,
        cursor: Option<&str>,
        days: Option<u32>,
    ) -> anyhow::Result<bytes::Bytes> {
        let resp = self
            .http
            .post(self.url("/api/v1/sync/pull"))
            .bearer_auth(token)
            .json(
                &json!({"client_id": client, "schema_version": 1, "cursor": cursor, "limit": 5000,
                "horizon_days_back": days, "horizon_days_ahead": days}),
            )
            .send()
            .await?;
        let status = resp.status();
        let bytes = resp.bytes().await?;
        anyhow::ensure!(
            status.is_success(),
            "pull failed ({status}): {}",
            String::from_utf8_lossy(&bytes)
        );
        Ok(bytes)
    }
}

/// A mutation in the wire form, stamped with a fresh clock reading.
pub fn mutation(id: u64, name: &str, args: Value) -> Value {
    let now_ms = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or_default();
    let hlc = linli::domain::hlc::tick(linli::domain::hlc::Hlc::ZERO, now_ms);
    json!({"id": id, "hlc": hlc.to_string(), "name": name, "args": args})
}

/// What the figures were measured on.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cores} cores, {model}")
}
