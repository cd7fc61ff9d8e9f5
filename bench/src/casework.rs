//! (10) Grid work and casework, at the size, on a community of its own
//! (`mining-town-grid`), so its cells, cases and disputes never show up in the town's
//! scenarios.
//!
//! **Photos over a thin link.** 200 grid workers, each with a cell of their own, write 10
//! log entries with a 2 MB photo each, as the app does: the entry (declaring the photo's id,
//! SHA-256 and size) is pushed, then its bytes go up in 1 MiB chunks with `Content-Range`.
//! The harness shapes each worker's link itself: every request waits the added latency
//! (150 ms) before it leaves, and a chunk's body trickles out at the link's rate (1 Mbit/s)
//! in 16 KiB pieces, so the server holds 200 slow uploads open at once, as it would on a
//! morning of patchy mobile data. Measured: the wall time against the link's floor (what
//! the shaped link alone takes), each photo's time from push to `ready`, and the server's
//! memory (peak RSS, sampled every 200 ms, against the bytes that can be in flight: one
//! chunk per worker) and CPU. Then the same photos again with the link unshaped, against
//! the reference of writing the same bytes to files on the same disk with the same
//! concurrency (no fsync, as `object_store`'s local store does not either), and the
//! server's CPU per photo against processing one photo in this process (sniff, decode,
//! strip, thumbnail: `photo::process`). Checked: every photo `ready`, none lost.
//!
//! **The committee's figures at 100×.** A year of 80 mediated disputes and 200 affairs,
//! a hundred times over: 20,000 cases (every category but disputes, tiers dealt round, one
//! in ten left reported, one in ten in progress, one in ten resolved but not yet confirmed,
//! the rest confirmed with a rating) and 8,000 disputes mediated (seven in ten agreed, two
//! failed, one withdrawn), all pushed through the same mutations the committee's phones
//! push. Measured: `GET /api/v1/casework/figures` for the year and for this month, and the
//! XLSX, against the plain SQL `GROUP BY`s of the same counts over the bench's own
//! connection. Checked: the figures' counts equal the `GROUP BY`'s.
//!
//! Seeding skips what is there already: accounts (written to the database directly, one
//! shared hash), the compound with a building and a cell per worker and the workers'
//! appointments (pushed by the admin), and the cases (pushed only while fewer are there
//! than asked for).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use chrono::{Datelike, Utc};
use chrono_tz::Asia::Shanghai;
use futures_util::{StreamExt, TryStreamExt};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, Statement,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use super::seed::insert_residents;
use super::{Api, BENCH_PASSWORD, BenchArgs, mutation};
use linli::config::DatabaseSettings;
use linli::domain::permissions::{Grant, Role, Scope};
use linli::domain::resident::NewPassword;
use linli::entity::{community, resident};
use linli::features::attachments::{entity as attachment, photo};
use linli::features::cases::entity::case_file;
use linli::features::territory::entity::position;
use linli::persistence;

/// The grid's community.
pub const SLUG: &str = "mining-town-grid";
const ADMIN_PHONE: &str = "+8613600000002";
const COMPOUND: &str = "利民小區";
/// The app's chunk: the most one upload request carries.
const CHUNK: usize = 1 << 20;
/// The shaped link's unit of pacing.
const PIECE: usize = 16 << 10;
/// Tries of one request before the run fails.
const MAX_ATTEMPTS: u32 = 5;
/// Runs of each figures read and of each plain `GROUP BY`.
const REFERENCE_RUNS: usize = 11;
/// Mutations in one push while seeding, and pushes in flight.
const BATCH: usize = 400;
const STREAMS: usize = 4;

fn worker_phone(w: usize) -> String {
    format!("+86137{w:08}")
}

/// The seeded grid: the admin, and each worker's session and cell.
struct Grid {
    community: Uuid,
    admin: Uuid,
    admin_token: String,
    workers: Vec<Worker>,
}

struct Worker {
    token: String,
    cell: Uuid,
    building: Uuid,
}

/// A worker's link: the latency added to every request, and the rate a body leaves at
/// (none: unshaped).
#[derive(Clone, Copy)]
struct Link {
    latency: Duration,
    bits_per_second: Option<f64>,
}

impl Link {
    /// What the link alone takes for `requests` requests carrying `bytes` bytes of body.
    fn floor(self, requests: usize, bytes: usize) -> Duration {
        self.latency * u32::try_from(requests).unwrap_or(u32::MAX)
            + self.bits_per_second.map_or(Duration::ZERO, |r| {
                Duration::from_secs_f64(bytes as f64 * 8.0 / r)
            })
    }
}

/// The photo every worker takes: a JPEG of about `target` bytes, its SHA-256.
struct Photo {
    bytes: Bytes,
    sha256: String,
}

pub async fn casework(api: &Api, args: &BenchArgs) -> anyhow::Result<()> {
    println!(
        "\n(10) grid work and casework: {} workers × {} log entries with a {} KiB photo over {} kbit/s + {} ms, then the figures of {} affairs and {} disputes",
        args.grid_workers,
        args.grid_entries,
        args.photo_kib,
        args.link_kbit,
        args.link_latency_ms,
        args.affairs,
        args.disputes
    );
    let grid = seed_grid(api, args).await?;
    let photo = make_photo(args.photo_kib * 1024)?;
    println!(
        "  (the photo: {} bytes of JPEG, 3000 × 2000)",
        photo.bytes.len()
    );
    photos(api, args, &grid, &photo).await?;
    figures(api, args, &grid).await?;
    Ok(())
}

/// Seeds (or finds) the grid's community: accounts, compound, cells, appointments.
async fn seed_grid(api: &Api, args: &BenchArgs) -> anyhow::Result<Grid> {
    let started = Instant::now();
    let db = persistence::connect(&DatabaseSettings::from(&args.database)).await?;
    let grid = match persistence::communities::find_by_slug(&db, SLUG).await? {
        Some(c) => c,
        None => {
            use sea_orm::ActiveValue::Set;
            community::ActiveModel {
                id: Set(Uuid::now_v7()),
                slug: Set(SLUG.into()),
                name: Set("利民網格 (bench)".into()),
                created_at: Set(Utc::now()),
            }
            .insert(&db)
            .await?
        }
    };
    let accounts = || async {
        anyhow::Ok(
            resident::Entity::find()
                .filter(resident::Column::CommunityId.eq(grid.id))
                .all(&db)
                .await?
                .into_iter()
                .map(|r| (r.phone, r.id))
                .collect::<BTreeMap<String, Uuid>>(),
        )
    };
    let mut have = accounts().await?;
    let missing: Vec<(String, String)> =
        std::iter::once((ADMIN_PHONE.to_owned(), "利民網格管理員".to_owned()))
            .chain((0..args.grid_workers).map(|w| (worker_phone(w), format!("網格員{w}"))))
            .filter(|(phone, _)| !have.contains_key(phone))
            .collect();
    if !missing.is_empty() {
        let hash = linli::auth::password::hash(&NewPassword::parse(BENCH_PASSWORD)?).await?;
        for chunk in missing.chunks(1000) {
            insert_residents(&db, grid.id, &hash, chunk).await?;
        }
        have = accounts().await?;
    }
    let admin = *have.get(ADMIN_PHONE).context("the grid's admin account")?;
    persistence::roles::grant(
        &db,
        admin,
        Grant {
            role: Role::Admin,
            scope: Scope::Community(grid.id),
        },
    )
    .await?;
    let appointed: HashSet<Uuid> = position::Entity::find()
        .filter(position::Column::CommunityId.eq(grid.id))
        .filter(position::Column::DeletedAt.is_null())
        .all(&db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    db.close().await?;

    let admin_token = api.login(ADMIN_PHONE).await?;
    let id = |key: String| Uuid::new_v5(&grid.id, key.as_bytes());
    let compound = id("compound".into());
    let mut seeds = Vec::new();
    let mediator = id("position/mediator".into());
    if !appointed.contains(&mediator) {
        seeds.push((
            "unit.create",
            json!({"id": compound, "kind": "compound", "parent_id": null, "name": COMPOUND}),
        ));
        seeds.push((
            "position.assign",
            json!({"id": mediator, "kind": "mediator", "unit_id": null,
            "resident_id": admin, "starts_on": "2026-01-01"}),
        ));
    }
    let mut workers = Vec::with_capacity(args.grid_workers);
    for w in 0..args.grid_workers {
        let (building, cell) = (id(format!("building/{w}")), id(format!("cell/{w}")));
        let post = id(format!("position/grid/{w}"));
        if !appointed.contains(&post) {
            let worker = *have.get(&worker_phone(w)).context("a worker's account")?;
            seeds.extend([
                ("unit.create", json!({"id": building, "kind": "building", "parent_id": compound, "name": format!("{}號樓", w + 1)})),
                ("cell.create", json!({"id": cell, "name": format!("{COMPOUND}第{}網格", w + 1)})),
                ("cell.assign", json!({"building_id": building, "cell_id": cell})),
                ("position.assign", json!({"id": post, "kind": "grid_worker", "unit_id": cell,
                    "resident_id": worker, "starts_on": "2026-01-01"})),
            ]);
        }
        workers.push((building, cell));
    }
    push_all(api, &admin_token, vec![seeds], 1).await?;
    let phones: Vec<String> = (0..args.grid_workers).map(worker_phone).collect();
    let tokens: Vec<String> = futures_util::stream::iter(phones.iter())
        .map(|phone| api.login(phone))
        .buffered(8)
        .try_collect()
        .await?;
    println!(
        "  (the grid: {} cells with their workers, seeded in {:.1} s)",
        args.grid_workers,
        started.elapsed().as_secs_f64()
    );
    Ok(Grid {
        community: grid.id,
        admin,
        admin_token,
        workers: tokens
            .into_iter()
            .zip(workers)
            .map(|(token, (building, cell))| Worker {
                token,
                cell,
                building,
            })
            .collect(),
    })
}

/// Pushes each group of `(name, args)` (one case's steps, in order) as one of `streams`
/// phones, `BATCH` mutations at a time with every stream's push in flight at once; the
/// groups are dealt round the streams whole, so each case's steps stay in order. Every one
/// must apply.
async fn push_all(
    api: &Api,
    token: &str,
    groups: Vec<Vec<(&'static str, Value)>>,
    streams: usize,
) -> anyhow::Result<()> {
    let streams = streams.max(1);
    let total: usize = groups.iter().map(Vec::len).sum();
    if total == 0 {
        return Ok(());
    }
    let mut parts: Vec<Vec<(&'static str, Value)>> = vec![Vec::new(); streams];
    for (k, group) in groups.into_iter().enumerate() {
        parts[k % streams].extend(group);
    }
    let progress = indicatif::ProgressBar::new(total as u64);
    progress.set_style(
        indicatif::ProgressStyle::with_template("  seeding {bar:40} {pos}/{len} mutations {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    futures_util::stream::iter(parts)
        .map(|part| {
            let progress = progress.clone();
            async move {
                let client = Uuid::now_v7();
                for (k, chunk) in part.chunks(BATCH).enumerate() {
                    let batch: Vec<Value> = chunk
                        .iter()
                        .enumerate()
                        .map(|(i, (name, a))| mutation((k * BATCH + i + 1) as u64, name, a.clone()))
                        .collect();
                    let out = api.push(token, client, &batch).await?;
                    for r in out["results"].as_array().context("push results")? {
                        anyhow::ensure!(
                            r["status"] == "applied",
                            "a casework seed was refused: {r}"
                        );
                    }
                    progress.inc(chunk.len() as u64);
                }
                anyhow::Ok(())
            }
        })
        .buffer_unordered(streams)
        .try_collect::<Vec<()>>()
        .await?;
    progress.finish_and_clear();
    Ok(())
}

/// A photo of about `target` bytes: a gradient with grain, its grain searched so the JPEG
/// lands near the size (a phone's 2 MB is mostly the grain of a real scene).
fn make_photo(target: usize) -> anyhow::Result<Photo> {
    let (w, h) = (3000u32, 2000u32);
    let encode = |grain: u32| -> anyhow::Result<Vec<u8>> {
        let mut seed = 0x9e37_79b9_u32;
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let noise = |s: u32| (s % (2 * grain + 1)) as i32 - grain as i32;
            let base = [
                (x * 255 / w) as i32,
                (y * 255 / h) as i32,
                ((x + y) % 256) as i32,
            ];
            image::Rgb([
                (base[0] + noise(seed)).clamp(0, 255) as u8,
                (base[1] + noise(seed >> 8)).clamp(0, 255) as u8,
                (base[2] + noise(seed >> 16)).clamp(0, 255) as u8,
            ])
        });
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80).encode_image(&img)?;
        Ok(out)
    };
    let (mut lo, mut hi) = (0u32, 64u32);
    let mut best = encode(hi)?;
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        let bytes = encode(mid)?;
        if bytes.len() >= target {
            hi = mid;
            best = bytes;
        } else {
            lo = mid;
        }
    }
    Ok(Photo {
        sha256: hex::encode(Sha256::digest(&best)),
        bytes: Bytes::from(best),
    })
}

/// A chunk's body, trickling out at the link's rate.
fn paced(bytes: Bytes, link: Link) -> reqwest::Body {
    let Some(rate) = link.bits_per_second else {
        return reqwest::Body::from(bytes);
    };
    let t0 = tokio::time::Instant::now();
    let stream = futures_util::stream::unfold(0usize, move |sent| {
        let bytes = bytes.clone();
        async move {
            if sent >= bytes.len() {
                return None;
            }
            let end = (sent + PIECE).min(bytes.len());
            tokio::time::sleep_until(t0 + Duration::from_secs_f64(end as f64 * 8.0 / rate)).await;
            Some((Ok::<_, std::io::Error>(bytes.slice(sent..end)), end))
        }
    });
    reqwest::Body::wrap_stream(stream)
}

/// One chunk up; the upload's state as the server answers it.
async fn put_chunk(
    api: &Api,
    token: &str,
    id: Uuid,
    photo: &Photo,
    start: usize,
    link: Link,
) -> anyhow::Result<Value> {
    let total = photo.bytes.len();
    let end = (start + CHUNK).min(total);
    tokio::time::sleep(link.latency).await;
    let resp = api
        .http
        .put(api.url(&format!("/api/v1/attachments/{id}")))
        .bearer_auth(token)
        .header("Content-Type", "application/octet-stream")
        // As a phone's HTTP stack sends a file's slice: its length known up front.
        .header("Content-Length", (end - start).to_string())
        .header(
            "Content-Range",
            format!("bytes {start}-{}/{total}", end - 1),
        )
        .body(paced(photo.bytes.slice(start..end), link))
        .send()
        .await?;
    let status = resp.status();
    let body: Value = resp.json().await?;
    anyhow::ensure!(status.is_success(), "an upload failed ({status}): {body}");
    Ok(body)
}

/// One worker's round: each entry pushed, then its photo's chunks; each photo's seconds
/// from the push to `ready`.
async fn round(
    api: &Api,
    worker: &Worker,
    photo: &Photo,
    entries: usize,
    link: Link,
) -> anyhow::Result<Vec<f64>> {
    let client = Uuid::now_v7();
    let day = Utc::now().with_timezone(&Shanghai).date_naive();
    let mut times = Vec::with_capacity(entries);
    for e in 0..entries {
        let t0 = Instant::now();
        let (entry, id) = (Uuid::now_v7(), Uuid::now_v7());
        tokio::time::sleep(link.latency).await;
        let m = mutation(
            e as u64 + 1,
            "log.write",
            json!({"id": entry, "cell_id": worker.cell, "day": day, "building_id": worker.building,
                "staircase": "2", "place": "樓梯口", "hat": "property", "found": "樓梯口有一堆垃圾",
                "done": "已清理", "home_visit": e.is_multiple_of(3), "status": "closed",
                "photos": [{"id": id, "sha256": photo.sha256, "size": photo.bytes.len()}]}),
        );
        let out = api.push(&worker.token, client, &[m]).await?;
        anyhow::ensure!(
            out["results"][0]["status"] == "applied",
            "a log entry was refused: {out}"
        );
        let mut start = 0;
        let mut state = String::new();
        while start < photo.bytes.len() {
            let mut attempt = 0;
            let answer = loop {
                attempt += 1;
                match put_chunk(api, &worker.token, id, photo, start, link).await {
                    Ok(v) => break v,
                    Err(e) if attempt >= MAX_ATTEMPTS => return Err(e),
                    Err(_) => {
                        // Where the upload stands, as the app asks after a drop.
                        let v = api
                            .get_json(&worker.token, &format!("/api/v1/attachments/{id}"), &[])
                            .await?;
                        start = v["received"].as_u64().unwrap_or(0) as usize;
                    }
                }
            };
            start = answer["received"].as_u64().context("received")? as usize;
            state = answer["photo"]["state"].as_str().unwrap_or("").to_owned();
        }
        anyhow::ensure!(state == "ready", "a photo did not settle ready but {state}");
        times.push(t0.elapsed().as_secs_f64());
    }
    Ok(times)
}

/// The server's resident memory (MB) and CPU seconds so far.
fn server_usage(pid: u32) -> Option<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command's `)`: state is the first field, utime the 12th, stime the 13th,
    // in clock ticks (USER_HZ, 100 on Linux).
    let rest: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = rest.get(11)?.parse::<f64>().ok()? + rest.get(12)?.parse::<f64>().ok()?;
    Some((rss_kb / 1024.0, ticks / 100.0))
}

/// The peak of the server's RSS while `work` runs, sampled every 200 ms.
async fn watching<T>(
    pid: Option<u32>,
    work: impl std::future::Future<Output = T>,
) -> (T, Option<f64>) {
    let Some(pid) = pid else {
        return (work.await, None);
    };
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn({
        let stop = stop.clone();
        async move {
            let mut peak = 0.0f64;
            while !stop.load(Ordering::Relaxed) {
                if let Some((rss, _)) = server_usage(pid) {
                    peak = peak.max(rss);
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            peak
        }
    });
    let out = work.await;
    stop.store(true, Ordering::Relaxed);
    (out, sampler.await.ok())
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Every worker's round at once over `link`; prints the figures.
async fn all_rounds(
    api: &Api,
    args: &BenchArgs,
    grid: &Grid,
    photo: &Photo,
    link: Link,
    label: &str,
) -> anyhow::Result<(Duration, f64)> {
    let before = args.server_pid.and_then(server_usage);
    let t0 = Instant::now();
    let (times, peak) = watching(
        args.server_pid,
        futures_util::future::try_join_all(
            grid.workers
                .iter()
                .map(|w| round(api, w, photo, args.grid_entries, link)),
        ),
    )
    .await;
    let wall = t0.elapsed();
    let after = args.server_pid.and_then(server_usage);
    let mut times: Vec<f64> = times?.into_iter().flatten().collect();
    times.sort_by(f64::total_cmp);
    let photos = times.len();
    let bytes = photos * photo.bytes.len();
    let chunks = photo.bytes.len().div_ceil(CHUNK);
    let floor = link.floor(
        args.grid_entries * (1 + chunks),
        args.grid_entries * photo.bytes.len(),
    );
    println!(
        "  {label:<34} {photos} photos ({:.0} MB) in {:.1} s: {:.1} MB/s, a photo p50 {:.2} s p99 {:.2} s",
        bytes as f64 / 1e6,
        wall.as_secs_f64(),
        bytes as f64 / 1e6 / wall.as_secs_f64(),
        quantile(&times, 0.5),
        quantile(&times, 0.99)
    );
    if link.bits_per_second.is_some() {
        println!(
            "  {:<34} the link's floor {:.1} s per worker: ratio {:.2}",
            "",
            floor.as_secs_f64(),
            wall.as_secs_f64() / floor.as_secs_f64().max(f64::EPSILON)
        );
    }
    let cpu = match (before, after) {
        (Some((rss0, cpu0)), Some((_, cpu1))) => {
            let in_flight = grid.workers.len() * CHUNK.min(photo.bytes.len());
            println!(
                "  {:<34} server RSS {rss0:.0} MB before, peak {:.0} MB (+{:.0} MB; one chunk per worker in flight is {:.0} MB); CPU {:.1} s, {:.0} ms a photo",
                "",
                peak.unwrap_or(rss0),
                peak.unwrap_or(rss0) - rss0,
                in_flight as f64 / (1 << 20) as f64,
                cpu1 - cpu0,
                (cpu1 - cpu0) * 1000.0 / photos.max(1) as f64
            );
            (cpu1 - cpu0) * 1000.0 / photos.max(1) as f64
        }
        _ => f64::NAN,
    };
    Ok((wall, cpu))
}

async fn photos(api: &Api, args: &BenchArgs, grid: &Grid, photo: &Photo) -> anyhow::Result<()> {
    let since = Utc::now();
    let shaped = Link {
        latency: Duration::from_millis(args.link_latency_ms),
        bits_per_second: Some(args.link_kbit as f64 * 1000.0),
    };
    all_rounds(api, args, grid, photo, shaped, "shaped link").await?;
    let open = Link {
        latency: Duration::ZERO,
        bits_per_second: None,
    };
    let (wall, cpu_per_photo) = all_rounds(api, args, grid, photo, open, "unshaped").await?;

    // The references: the same bytes to files, and one photo's processing here.
    let files = grid.workers.len() * args.grid_entries;
    let dir = std::env::temp_dir().join(format!("linli-bench-disk-{}", std::process::id()));
    tokio::fs::create_dir_all(&dir).await?;
    let t0 = Instant::now();
    futures_util::stream::iter(0..files)
        .map(|i| {
            let (dir, bytes) = (dir.clone(), photo.bytes.clone());
            async move {
                let mut f = tokio::fs::File::create(dir.join(i.to_string())).await?;
                f.write_all(&bytes).await?;
                f.flush().await?;
                anyhow::Ok(())
            }
        })
        .buffer_unordered(grid.workers.len().max(1))
        .try_collect::<Vec<()>>()
        .await?;
    let disk = t0.elapsed();
    tokio::fs::remove_dir_all(&dir).await.ok();
    println!(
        "  {:<34} {files} files in {:.1} s: the unshaped run takes {:.2}× the disk's time",
        "writing the same bytes to disk",
        disk.as_secs_f64(),
        wall.as_secs_f64() / disk.as_secs_f64().max(f64::EPSILON)
    );
    let mut ms = Vec::new();
    for _ in 0..5 {
        let bytes = photo.bytes.clone();
        let t0 = Instant::now();
        tokio::task::spawn_blocking(move || photo::process(&bytes, 320))
            .await?
            .map_err(|r| anyhow::anyhow!("the bench's photo was refused: {r}"))?;
        ms.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    println!(
        "  {:<34} {:.0} ms (sniff, decode, strip, thumbnail): the server's CPU a photo is {:.2}× it",
        "one photo processed in-process",
        quantile(&ms, 0.5),
        cpu_per_photo / quantile(&ms, 0.5)
    );

    let db = persistence::connect(&DatabaseSettings::from(&args.database)).await?;
    let expected = (2 * files) as u64;
    let ready = attachment::Entity::find()
        .filter(attachment::Column::CommunityId.eq(grid.community))
        .filter(attachment::Column::State.eq("ready"))
        .filter(attachment::Column::CreatedAt.gte(since))
        .count(&db)
        .await?;
    db.close().await?;
    anyhow::ensure!(
        ready == expected,
        "{ready} of this run's {expected} photos are ready"
    );
    println!(
        "  {:<34} every photo of this run stored and ready ({ready})",
        "checked"
    );
    Ok(())
}

const AFFAIRS: [&str; 6] = [
    "repair",
    "sanitation",
    "safety",
    "company",
    "property",
    "other",
];
const TIERS: [&str; 3] = ["red", "yellow", "blue"];

/// The `i`th affair's steps, all by the admin (who reports, handles and confirms).
fn affair(i: usize, building: Uuid, admin: Uuid) -> Vec<(&'static str, Value)> {
    let id = Uuid::now_v7();
    let mut steps = vec![(
        "case.report",
        json!({"id": id, "category": AFFAIRS[i % AFFAIRS.len()], "tier": TIERS[i % TIERS.len()],
            "unit_id": building, "description": "樓道燈不亮，晚上老人上下樓看不見"}),
    )];
    if i.is_multiple_of(10) {
        return steps;
    }
    steps.extend([
        ("case.accept", json!({"id": id})),
        (
            "case.assign",
            json!({"id": id, "kind": "resident", "to": admin}),
        ),
        ("case.start", json!({"id": id})),
    ]);
    if i % 10 == 1 {
        return steps;
    }
    steps.push(("case.resolve", json!({"id": id, "text": "已更換燈泡"})));
    if i % 10 == 2 {
        return steps;
    }
    steps.push(("case.confirm", json!({"id": id, "rating": 1 + i % 5})));
    steps
}

/// The `i`th dispute's steps, mediated by the admin (who holds the mediator's position).
fn dispute(i: usize, building: Uuid, admin: Uuid) -> Vec<(&'static str, Value)> {
    let id = Uuid::now_v7();
    let mut steps = vec![
        (
            "case.report",
            json!({"id": id, "category": "dispute", "unit_id": building,
                "description": "樓上衛生間漏水到樓下，兩家協商不成"}),
        ),
        (
            "mediation.open",
            json!({"case_id": id, "parties": [{"name": format!("甲方{i}")}, {"name": format!("乙方{i}")}],
                "mediators": [admin]}),
        ),
        (
            "mediation.session",
            json!({"case_id": id, "at": Utc::now(), "place": "社區調解室", "notes": "雙方陳述"}),
        ),
    ];
    let outcome = match i % 10 {
        0..=6 => {
            steps.extend([
                (
                    "mediation.agree",
                    json!({"case_id": id, "text": "樓上負責重做防水。"}),
                ),
                ("mediation.confirm", json!({"case_id": id, "party": 0})),
                ("mediation.confirm", json!({"case_id": id, "party": 1})),
            ]);
            "agreed"
        }
        7 | 8 => "failed",
        _ => "withdrawn",
    };
    steps.push((
        "mediation.close",
        json!({"case_id": id, "outcome": outcome}),
    ));
    steps
}

/// `(name, count)` pairs of a figures breakdown.
fn counts(v: &Value) -> BTreeMap<String, i64> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| Some((c["name"].as_str()?.to_owned(), c["count"].as_i64()?)))
        .collect()
}

async fn figures(api: &Api, args: &BenchArgs, grid: &Grid) -> anyhow::Result<()> {
    let db = persistence::connect(&DatabaseSettings::from(&args.database)).await?;
    let in_community = |c| {
        case_file::Entity::find()
            .filter(case_file::Column::CommunityId.eq(grid.community))
            .filter(c)
    };
    let disputes = in_community(case_file::Column::Category.eq("dispute"))
        .count(&db)
        .await? as usize;
    let affairs = in_community(case_file::Column::Category.ne("dispute"))
        .count(&db)
        .await? as usize;
    let started = Instant::now();
    let buildings: Vec<Uuid> = grid.workers.iter().map(|w| w.building).collect();
    let mut seeds = Vec::new();
    for i in affairs..args.affairs {
        seeds.push(affair(i, buildings[i % buildings.len()], grid.admin));
    }
    for i in disputes..args.disputes {
        seeds.push(dispute(i, buildings[i % buildings.len()], grid.admin));
    }
    if !seeds.is_empty() {
        let n: usize = seeds.iter().map(Vec::len).sum();
        push_all(api, &grid.admin_token, seeds, STREAMS).await?;
        println!(
            "  (the year: {} affairs and {} disputes, {n} mutations pushed in {:.1} s)",
            args.affairs.saturating_sub(affairs),
            args.disputes.saturating_sub(disputes),
            started.elapsed().as_secs_f64()
        );
    }

    let now = Utc::now().with_timezone(&Shanghai);
    let (year, month) = (now.year(), now.month());
    let report = |label: &str, ms: &mut Vec<f64>| {
        ms.sort_by(f64::total_cmp);
        let p50 = quantile(ms, 0.5);
        println!(
            "  {label:<34} p50 {p50:>8.2} ms  p99 {:>8.2} ms",
            quantile(ms, 0.99)
        );
        p50
    };
    let read = |query: Vec<(&'static str, String)>, path: &'static str| {
        let token = grid.admin_token.clone();
        async move {
            let mut ms = Vec::new();
            let mut last = Value::Null;
            for _ in 0..REFERENCE_RUNS {
                let t0 = Instant::now();
                if path.ends_with(".xlsx") {
                    api.get_bytes(&token, &format!("{path}?year={year}"))
                        .await?;
                } else {
                    last = api.get_json(&token, path, &query).await?;
                }
                ms.push(t0.elapsed().as_secs_f64() * 1000.0);
            }
            anyhow::Ok((ms, last))
        }
    };
    let (mut year_ms, figures) =
        read(vec![("year", year.to_string())], "/api/v1/casework/figures").await?;
    let (mut month_ms, _) = read(
        vec![("year", year.to_string()), ("month", month.to_string())],
        "/api/v1/casework/figures",
    )
    .await?;
    let (mut xlsx_ms, _) = read(Vec::new(), "/api/v1/casework/figures.xlsx").await?;
    let year_p50 = report("figures of the year", &mut year_ms);
    report("figures of this month", &mut month_ms);
    report("the year's workbook (XLSX)", &mut xlsx_ms);

    // The reference: the same counts by plain SQL over the bench's own connection.
    let backend = db.get_database_backend();
    let p = |n: usize| match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    };
    let by_category = format!(
        "SELECT category AS name, COUNT(*) AS n FROM case_file WHERE community_id = {} AND deleted_at IS NULL \
         AND state IN ('resolved', 'confirmed') AND resolved_at >= {} AND resolved_at < {} GROUP BY category",
        p(1),
        p(2),
        p(3)
    );
    let by_outcome = format!(
        "SELECT outcome AS name, COUNT(*) AS n FROM mediation WHERE community_id = {} \
         AND outcome <> 'open' AND closed_at >= {} AND closed_at < {} GROUP BY outcome",
        p(1),
        p(2),
        p(3)
    );
    let start = |y: i32| {
        chrono::TimeZone::with_ymd_and_hms(&Shanghai, y, 1, 1, 0, 0, 0)
            .single()
            .map(|t| t.to_utc())
            .context("new year in Shanghai")
    };
    let values = vec![
        sea_orm::Value::from(grid.community),
        sea_orm::Value::from(start(year)?),
        sea_orm::Value::from(start(year + 1)?),
    ];
    let mut sql_ms = Vec::new();
    let mut groups = (BTreeMap::new(), BTreeMap::new());
    for _ in 0..REFERENCE_RUNS {
        let t0 = Instant::now();
        let mut run = Vec::new();
        for sql in [&by_category, &by_outcome] {
            let rows = db
                .query_all_raw(Statement::from_sql_and_values(backend, sql, values.clone()))
                .await?;
            run.push(
                rows.iter()
                    .map(|r| Ok((r.try_get::<String>("", "name")?, r.try_get::<i64>("", "n")?)))
                    .collect::<anyhow::Result<BTreeMap<String, i64>>>()?,
            );
        }
        sql_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
        let outcome = run.pop().unwrap_or_default();
        groups = (run.pop().unwrap_or_default(), outcome);
    }
    db.close().await?;
    let sql_p50 = report("plain SQL GROUP BYs (reference)", &mut sql_ms);
    println!(
        "  {:<34} the year's figures take {:.1}× the plain GROUP BYs",
        "",
        year_p50 / sql_p50.max(f64::EPSILON)
    );
    anyhow::ensure!(
        counts(&figures["resolved_by_category"]) == groups.0,
        "the figures' affairs by category {} differ from the GROUP BY's {:?}",
        figures["resolved_by_category"],
        groups.0
    );
    anyhow::ensure!(
        counts(&figures["mediations_by_outcome"]) == groups.1,
        "the figures' disputes by outcome {} differ from the GROUP BY's {:?}",
        figures["mediations_by_outcome"],
        groups.1
    );
    println!(
        "  {:<34} the figures' counts equal the GROUP BY's ({} resolved, {} disputes mediated)",
        "checked", figures["resolved"], figures["disputes_mediated"]
    );
    Ok(())
}
