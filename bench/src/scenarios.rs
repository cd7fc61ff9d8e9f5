//! The scenarios of `linli-bench`, each printed with the reference it is judged against.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use chrono_tz::Asia::Shanghai;
use futures_util::StreamExt;
use serde_json::{Value, json};
use uuid::Uuid;

use super::load::{Stats, closed_loop, report};
use super::seed::Town;
use super::{Api, BenchArgs, decode, mutation};

/// Logs in the first `n` residents, a few at a time (each login verifies an argon2id hash).
async fn sessions(api: &Api, town: &Town, n: usize) -> anyhow::Result<Vec<(Uuid, String)>> {
    let started = Instant::now();
    let phones: Vec<(Uuid, String)> = town.residents.iter().take(n).cloned().collect();
    let tokens: Vec<anyhow::Result<String>> = futures_util::stream::iter(phones.iter())
        .map(|(_, phone)| api.login(phone))
        .buffered(8)
        .collect()
        .await;
    let out = phones
        .into_iter()
        .zip(tokens)
        .map(|((id, _), token)| token.map(|t| (id, t)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    println!(
        "  ({} sessions in {:.1} s)",
        out.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(out)
}

/// Pulls from `cursor` until nothing more; returns the last cursor, changes and bytes.
async fn pull_all(
    api: &Api,
    token: &str,
    client: Uuid,
    mut cursor: Option<String>,
) -> anyhow::Result<(String, Vec<Value>, usize)> {
    let (mut changes, mut bytes) = (Vec::new(), 0);
    loop {
        let (page, size) = api.pull(token, client, cursor.as_deref()).await?;
        bytes += size;
        changes.extend(page["changes"].as_array().cloned().unwrap_or_default());
        cursor = page["cursor"].as_str().map(str::to_owned);
        if page["has_more"] != true {
            return Ok((cursor.context("a pull has a cursor")?, changes, bytes));
        }
    }
}

/// (1) "Anything new?": pulls at the head of the feed, against `/healthz`.
pub async fn nothing_new(api: &Api, town: &Town, args: &BenchArgs) -> anyhow::Result<()> {
    println!(
        "\n(1) \"anything new?\": {} phones at the head of the feed, {} s each",
        args.connections, args.seconds
    );
    let phones = sessions(api, town, args.connections).await?;
    let mut at_head = Vec::with_capacity(phones.len());
    for (_, token) in &phones {
        let client = Uuid::now_v7();
        let (cursor, _, _) = pull_all(api, token, client, None).await?;
        at_head.push((token.clone(), client, cursor));
    }
    let duration = Duration::from_secs(args.seconds);
    let probe = api.clone();
    let healthz = closed_loop(args.connections, duration, move |_| {
        let api = probe.clone();
        async move {
            let resp = api
                .http
                .get(api.url("/healthz"))
                .send()
                .await?
                .error_for_status()?;
            Ok(resp.bytes().await?.len())
        }
    })
    .await;
    let at_head = Arc::new(at_head);
    let probe = api.clone();
    let pulls = closed_loop(args.connections, duration, move |worker| {
        let (api, at_head) = (probe.clone(), at_head.clone());
        async move {
            let (token, client, cursor) = &at_head[worker];
            let (page, bytes) = api.pull(token, *client, Some(cursor)).await?;
            anyhow::ensure!(
                page["changes"].as_array().is_some_and(Vec::is_empty),
                "something new"
            );
            Ok(bytes)
        }
    })
    .await;
    report("GET /healthz (reference)", &healthz, None);
    report(
        "pull with nothing new",
        &pulls,
        Some(("/healthz", &healthz)),
    );
    Ok(())
}

/// (2) A phone's first sync of one resident's whole scope, against serialising the same rows.
/// The server's part ends when the last byte has arrived; the phone's JSON parsing is timed
/// apart, and the CouchDB comparison counts both. The floor is sampled between the syncs
/// (four samples after each), so both see the machine in the same state.
pub async fn first_sync(api: &Api, town: &Town, args: &BenchArgs) -> anyhow::Result<()> {
    let runs = args.first_sync_runs.max(1);
    println!("\n(2) first sync of one resident's whole scope ({runs} runs, medians)");
    let (_, phone) = town.residents.get(100).context("the town has residents")?;
    let token = api.login(phone).await?;
    let (mut served, mut parsed) = (Vec::new(), Vec::new());
    let (mut last, mut bytes, mut pages) = (Value::Null, 0, 0);
    let mut floor = Vec::new();
    // The reference: the same resident's scope with every day of the year, as phones were
    // sent it before the sync horizon (a phone may still ask for it).
    let (mut year_cursor, mut year_bytes, mut year_rows) = (None::<String>, 0, 0);
    let year_client = Uuid::now_v7();
    loop {
        let body = api
            .pull_bytes(&token, year_client, year_cursor.as_deref(), Some(3660))
            .await?;
        let page: Value = serde_json::from_slice(&body)?;
        year_bytes += body.len();
        year_rows += page["changes"].as_array().map_or(0, Vec::len);
        year_cursor = page["cursor"].as_str().map(str::to_owned);
        if page["has_more"] != true {
            break;
        }
    }
    println!(
        "  {:<34} {} rows, {:.1} MB on the wire (the reference for bytes)",
        "every day of the year, plain",
        year_rows,
        year_bytes as f64 / 1e6
    );
    for _ in 0..runs {
        let client = Uuid::now_v7();
        let (mut cursor, mut changes, mut size) = (None::<String>, Vec::new(), 0);
        let (mut wire, mut parse, mut n) = (Duration::ZERO, Duration::ZERO, 0);
        loop {
            let started = Instant::now();
            let body = api
                .pull_bytes(&token, client, cursor.as_deref(), None)
                .await?;
            wire += started.elapsed();
            let started = Instant::now();
            let page: Value = serde_json::from_slice(&body)?;
            parse += started.elapsed();
            (size, n) = (size + body.len(), n + 1);
            changes.extend(page["changes"].as_array().cloned().unwrap_or_default());
            cursor = page["cursor"].as_str().map(str::to_owned);
            if page["has_more"] != true {
                break;
            }
        }
        served.push(wire.as_micros() as u64);
        parsed.push((wire + parse).as_micros() as u64);
        let document = json!({"changes": changes});
        for _ in 0..4 {
            let started = Instant::now();
            let encoded = serde_json::to_vec(&document)?;
            std::hint::black_box(encoded);
            floor.push(started.elapsed().as_micros() as u64);
        }
        (last, bytes, pages) = (document, size, n);
    }
    let last: &[Value] = last["changes"].as_array().map_or(&[], Vec::as_slice);
    let served = Stats::from_samples(served, 0, 0, Duration::ZERO);
    let parsed = Stats::from_samples(parsed, 0, 0, Duration::ZERO);
    let floor = Stats::from_samples(floor, 0, 0, Duration::ZERO);
    println!(
        "  {:<34} {} rows, {:.1} MB on the wire, {pages} pages ({:.1}% of the year's)",
        "inside the horizon, plain",
        last.len(),
        bytes as f64 / 1e6,
        bytes as f64 * 100.0 / year_bytes.max(1) as f64
    );
    println!(
        "  {:<34} median {:>8.1} ms",
        "serialising the rows in memory",
        floor.quantile_ms(0.5),
    );
    println!(
        "  {:<34} median {:>8.1} ms  (ratio {:.1} to serialising: target at most 3)",
        "linli, to the last byte",
        served.quantile_ms(0.5),
        served.quantile_ms(0.5) / floor.quantile_ms(0.5).max(0.001)
    );
    println!(
        "  {:<34} median {:>8.1} ms",
        "linli, and parsed on the phone",
        parsed.quantile_ms(0.5),
    );
    // Compressed: each coding the server offers, as a phone that accepts it would fetch it.
    for coding in ["gzip", "br", "zstd"] {
        let (mut times, mut size) = (Vec::new(), 0);
        for _ in 0..runs {
            let client = Uuid::now_v7();
            let (mut cursor, mut wire, mut rows) = (None::<String>, 0, 0);
            let started = Instant::now();
            loop {
                let body = api
                    .pull_encoded(&token, client, cursor.as_deref(), coding)
                    .await?;
                wire += body.len();
                let page: Value = serde_json::from_slice(&decode(coding, &body)?)?;
                rows += page["changes"].as_array().map_or(0, Vec::len);
                cursor = page["cursor"].as_str().map(str::to_owned);
                if page["has_more"] != true {
                    break;
                }
            }
            times.push(started.elapsed().as_micros() as u64);
            anyhow::ensure!(
                rows == last.len(),
                "the {coding} first sync had {rows} rows, the plain one {}",
                last.len()
            );
            size = wire;
        }
        let times = Stats::from_samples(times, 0, 0, Duration::ZERO);
        println!(
            "  {:<34} {:>7.1} kB on the wire ({:.1}% of plain, {:.1}% of the year's plain: target at most 15), median {:.1} ms to the last byte, decoded and parsed",
            format!("the same, {coding}"),
            size as f64 / 1e3,
            size as f64 * 100.0 / bytes.max(1) as f64,
            size as f64 * 100.0 / year_bytes.max(1) as f64,
            times.quantile_ms(0.5),
        );
    }
    compressed_once_or_per_phone(api, town, last).await?;
    // Over a thin link (1 Mbit/s, 150 ms a request), plain and in each coding: the time
    // until the phone holds a usable replica (every page read, decoded and parsed).
    let (rate, latency) = (1e6, Duration::from_millis(150));
    for coding in [None, Some("gzip"), Some("br"), Some("zstd")] {
        let client = Uuid::now_v7();
        let (mut cursor, mut wire, mut rows) = (None::<String>, 0, 0);
        let started = Instant::now();
        loop {
            let body = api
                .pull_shaped(&token, client, cursor.as_deref(), coding, rate, latency)
                .await?;
            wire += body.len();
            let plain = match coding {
                Some(c) => decode(c, &body)?,
                None => body.to_vec(),
            };
            let page: Value = serde_json::from_slice(&plain)?;
            rows += page["changes"].as_array().map_or(0, Vec::len);
            cursor = page["cursor"].as_str().map(str::to_owned);
            if page["has_more"] != true {
                break;
            }
        }
        anyhow::ensure!(rows == last.len(), "a shaped first sync had {rows} rows");
        println!(
            "  {:<34} {:>7.1} s to a usable replica ({:.0} kB)",
            format!("1 Mbit/s + 150 ms, {}", coding.unwrap_or("plain")),
            started.elapsed().as_secs_f64(),
            wire as f64 / 1e3
        );
    }
    match couchdb_replication(&args.couchdb_dir, last).await {
        Ok(ms) => println!(
            "  {:<34} median {:>8.1} ms  (linli, parsed, is {:.1}x faster: target at least 10)",
            "pouchdb-server → PouchDB",
            ms,
            ms / parsed.quantile_ms(0.5).max(0.001)
        ),
        Err(e) => println!("  {:<34} not measured: {e:#}", "pouchdb-server → PouchDB"),
    }
    Ok(())
}

/// Whether the first sync's public rows should be kept compressed once per version (the
/// public feed's rows are the same for every phone) rather than each page compressed for
/// each phone: the server's own encoder on the rows of `mine`, split into the rows another
/// resident's first sync shares (public) and the rest (personal). Kept once per version, a
/// phone would cost only its personal part's compression, and the page would be two
/// frames (zstd and gzip frames concatenate; brotli's do not).
async fn compressed_once_or_per_phone(
    api: &Api,
    town: &Town,
    mine: &[Value],
) -> anyhow::Result<()> {
    use linli::http::compress::Coding;
    let (_, phone) = town.residents.get(101).context("the town has residents")?;
    let token = api.login(phone).await?;
    let (_, theirs, _) = pull_all(api, &token, Uuid::now_v7(), None).await?;
    let shared: std::collections::HashSet<String> = theirs.iter().map(Value::to_string).collect();
    let (public, personal): (Vec<&Value>, Vec<&Value>) =
        mine.iter().partition(|c| shared.contains(&c.to_string()));
    let whole = serde_json::to_vec(&json!({ "changes": mine }))?;
    let public = serde_json::to_vec(&public)?;
    let personal_rows = personal.len();
    let personal = serde_json::to_vec(&personal)?;
    let cpu = |bytes: &[u8], coding: Coding| -> anyhow::Result<(usize, f64)> {
        let mut times = Vec::new();
        let mut size = 0;
        for _ in 0..5 {
            let started = Instant::now();
            size = coding.encode(bytes)?.len();
            times.push(started.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        Ok((size, times[2]))
    };
    println!(
        "  {:<34} {} public rows shared with another resident, {personal_rows} personal",
        "compressed once per version?",
        mine.len() - personal_rows
    );
    for coding in [Coding::Zstd, Coding::Brotli, Coding::Gzip] {
        let (w, w_ms) = cpu(&whole, coding)?;
        let (p, p_ms) = cpu(&public, coding)?;
        let (q, q_ms) = cpu(&personal, coding)?;
        println!(
            "  {:<34} per phone {:.1} kB, {:.2} ms CPU a phone; once per version {:.1} kB ({:+.1}%), {:.2} ms a phone + {:.2} ms a version",
            format!("  {}", coding.token()),
            w as f64 / 1e3,
            w_ms,
            (p + q) as f64 / 1e3,
            (p + q) as f64 * 100.0 / w.max(1) as f64 - 100.0,
            q_ms,
            p_ms,
        );
    }
    Ok(())
}

/// The same rows as CouchDB documents (`_id` = entity:id), served by pouchdb-server and
/// replicated by PouchDB in Node into a fresh in-memory database, 5 times; the median in ms.
async fn couchdb_replication(dir: &std::path::Path, changes: &[Value]) -> anyhow::Result<f64> {
    use tokio::process::Command;
    let server_bin = dir.join("node_modules/.bin/pouchdb-server");
    anyhow::ensure!(
        server_bin.exists(),
        "run  npm ci --prefix {}  first",
        dir.display()
    );
    let (server_bin, dir) = (server_bin.canonicalize()?, dir.canonicalize()?);
    let docs: Vec<Value> = changes
        .iter()
        .filter_map(|c| {
            let mut doc = c["data"].as_object()?.clone();
            doc.insert(
                "_id".into(),
                json!(format!("{}:{}", c["entity"].as_str()?, c["id"].as_str()?)),
            );
            Some(Value::Object(doc))
        })
        .collect();
    let work = std::env::temp_dir().join(format!("linli-bench-couchdb-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let file = work.join("docs.json");
    std::fs::write(&file, serde_json::to_vec(&docs)?)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut server = Command::new(&server_bin)
        .args(["--in-memory", "--port", &port.to_string()])
        .current_dir(&work)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while http.get(&base).send().await.is_err() {
        anyhow::ensure!(Instant::now() < deadline, "pouchdb-server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let db = format!("{base}/linli");
    http.put(&db).send().await?.error_for_status()?;
    let script = dir.join("replicate.mjs");
    let node = |args: Vec<String>| {
        let script = script.clone();
        async move {
            let out = Command::new("node")
                .arg(&script)
                .args(args)
                .output()
                .await?;
            anyhow::ensure!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            anyhow::Ok(serde_json::from_slice::<Value>(&out.stdout)?)
        }
    };
    node(vec!["load".into(), db.clone(), file.display().to_string()]).await?;
    let result = node(vec!["sync".into(), db, "5".into()]).await?;
    server.kill().await.ok();
    std::fs::remove_dir_all(&work).ok();
    anyhow::ensure!(
        result["docs"].as_u64() == Some(docs.len() as u64),
        "PouchDB replicated {} of {} documents",
        result["docs"],
        docs.len()
    );
    let mut ms: Vec<f64> = result["ms"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_f64)
        .collect();
    ms.sort_by(f64::total_cmp);
    ms.get(ms.len() / 2)
        .copied()
        .context("PouchDB timed its runs")
}

/// (4) The sign-up rush: every phone asks for the same 40-seat session at once; then sign-ups
/// spread over many sessions. Fails if a seat is oversold or a request goes unanswered.
pub async fn rush(api: &Api, town: &Town, args: &BenchArgs) -> anyhow::Result<()> {
    println!(
        "\n(4) sign-up rush: {} phones, one 40-seat session",
        args.phones
    );
    let phones = sessions(api, town, args.phones).await?;
    server_memory(args, &format!("after {} logins", args.phones));
    // A new Saturday lecture for every run, so runs do not see each other's seats.
    let (group, series) = (Uuid::now_v7(), Uuid::now_v7());
    let saturday = next_saturday();
    let admin_client = Uuid::now_v7();
    let waitlist = 100;
    let out = api
        .push(&town.admin_token, admin_client, &[
            mutation(1, "group.create", json!({"id": group, "name": "週六法律講座", "kind": "legal_corner", "is_open": true})),
            mutation(2, "series.create", json!({"id": series, "group_id": group, "title": "法律講座",
                "start_local": format!("{saturday}T09:30:00"), "rrule": "FREQ=WEEKLY;COUNT=4",
                "duration_minutes": 90, "capacity": 40, "waitlist_limit": waitlist})),
        ])
        .await?;
    anyhow::ensure!(
        out["results"][1]["status"] == "applied",
        "the lecture was not created: {out}"
    );
    let start = linli::features::schedule::rules::recurrence::Schedule::parse(
        &format!("{saturday}T09:30:00"),
        "Asia/Shanghai",
        Some("FREQ=WEEKLY;COUNT=4"),
        90,
    )?
    .occurrences(Utc::now(), Utc::now() + chrono::Duration::days(8))
    .first()
    .copied()
    .context("the lecture has a session this week")?;
    let occurrence = linli::features::schedule::rules::recurrence::occurrence_id(series, start);

    let gate = Arc::new(tokio::sync::Barrier::new(phones.len() + 1));
    let mut tasks = Vec::with_capacity(phones.len());
    for (_, token) in &phones {
        let token = token.clone();
        let (api, gate) = (api.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            gate.wait().await;
            let t0 = Instant::now();
            let m = mutation(
                1,
                "signup.request",
                json!({"occurrence_id": occurrence, "series_id": series, "original_start": start}),
            );
            let result = api.push(&token, Uuid::now_v7(), &[m]).await;
            (t0.elapsed().as_micros() as u64, result)
        }));
    }
    let batches_before = push_batches(api).await;
    let started = Instant::now();
    gate.wait().await;
    let mut latencies = Vec::new();
    let (mut unanswered, mut outcomes) = (0, BTreeMap::<String, usize>::new());
    let mut positions = Vec::new();
    for task in tasks {
        let (us, result) = task.await?;
        latencies.push(us);
        match result {
            Ok(body) => {
                let r = &body["results"][0];
                let outcome = match (r["status"].as_str(), r["data"]["data"]["status"].as_str()) {
                    (Some("applied"), Some(s)) => s.to_owned(),
                    (Some(s), _) => format!("{s}:{}", r["code"].as_str().unwrap_or("")),
                    _ => "unreadable".to_owned(),
                };
                if outcome == "waitlisted" {
                    positions.push(r["data"]["data"]["waitlist_position"].as_u64().unwrap_or(0));
                }
                *outcomes.entry(outcome).or_default() += 1;
            }
            Err(_) => unanswered += 1,
        }
    }
    let rush = Stats::from_samples(latencies, 0, unanswered, started.elapsed());
    report("one session, all at once", &rush, None);
    println!(
        "  {:<34} {:?}, unanswered {unanswered}",
        "outcomes", outcomes
    );
    if let (Some(before), Some(after)) = (batches_before, push_batches(api).await) {
        let (batches, pushes) = (after.0 - before.0, after.1 - before.1);
        println!(
            "  {:<34} {pushes} pushes in {batches} write transactions ({:.1} per commit)",
            "group commit",
            pushes as f64 / batches.max(1) as f64
        );
    }
    positions.sort_unstable();
    let confirmed = outcomes.get("confirmed").copied().unwrap_or(0);
    let fifo = positions.iter().copied().eq(1..=positions.len() as u64);
    let tally = tally(api, &town.admin_token, group, occurrence).await?;
    println!(
        "  {:<34} confirmed {confirmed} of 40 seats, server tally {tally:?}, waitlist positions 1..{} each once: {fifo}",
        "check",
        positions.len()
    );
    anyhow::ensure!(unanswered == 0, "{unanswered} sign-ups got no answer");
    anyhow::ensure!(confirmed <= 40 && tally.0 <= 40, "seats were oversold");
    anyhow::ensure!(fifo, "the waitlist positions are not 1..n");
    anyhow::ensure!(
        tally == (confirmed as u64, positions.len() as u64),
        "the tally disagrees with the answers"
    );

    // Then sign-ups spread over the month's sessions, as many at a time as connections.
    let sessions_open = upcoming(api, &town.admin_token).await?;
    anyhow::ensure!(!sessions_open.is_empty(), "no sessions to sign up for");
    let phones = Arc::new(phones);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let probe = api.clone();
    let spread = closed_loop(args.connections, Duration::from_secs(args.seconds), move |_| {
        let (api, phones, sessions, next) = (probe.clone(), phones.clone(), sessions_open.clone(), next.clone());
        async move {
            let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let (_, token) = &phones[k % phones.len()];
            let (occurrence, series, start) = &sessions[k % sessions.len()];
            let m = mutation(1, "signup.request", json!({"occurrence_id": occurrence, "series_id": series, "original_start": start}));
            let body = api.push(token, Uuid::now_v7(), &[m]).await?;
            Ok(body.to_string().len())
        }
    })
    .await;
    report("spread over many sessions", &spread, None);
    server_memory(args, "after the rush");
    Ok(())
}

/// Prints the server's resident memory, when the bench knows its process.
pub(crate) fn server_memory(args: &BenchArgs, when: &str) {
    if let Some(rss) = args.server_pid.and_then(|pid| rss_mb(pid).ok()) {
        println!("  {:<34} {rss:>7.1} MB RSS", format!("server {when}"));
    }
}

/// (6) Morning load: phones syncing every 30 s, some editing or signing up.
pub async fn morning(api: &Api, town: &Town, args: &BenchArgs) -> anyhow::Result<()> {
    println!(
        "\n(6) morning load: {} phones pulling every 30 s for {} s, 3% also sign up, 2% join a group, 5% read the register, 10% a topic's thread",
        args.phones, args.morning_seconds
    );
    let register = super::deliberation::seed(api, town).await?;
    let topics = std::sync::Arc::new(register.topics);
    let phones = sessions(api, town, args.phones).await?;
    // Phones that synced last night: each starts from its own head cursor (a cursor
    // works only for the resident it was sent to), fetched before the morning starts.
    let synced_at = Instant::now();
    let heads: Vec<anyhow::Result<(String, Uuid, String)>> = futures_util::stream::iter(phones)
        .map(|(_, token)| async move {
            let client = Uuid::now_v7();
            let (cursor, _, _) = pull_all(api, &token, client, None).await?;
            Ok((token, client, cursor))
        })
        .buffered(8)
        .collect()
        .await;
    let phones = heads.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    println!(
        "  (their last night's syncs in {:.1} s)",
        synced_at.elapsed().as_secs_f64()
    );
    let sessions_open = upcoming(api, &town.admin_token).await?;
    let groups = groups(api, &town.admin_token).await?;
    let period = Duration::from_secs(30);
    let deadline = Instant::now() + Duration::from_secs(args.morning_seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (k, (token, client, cursor)) in phones.into_iter().enumerate() {
        let (api, sessions, groups, topics) = (
            api.clone(),
            sessions_open.clone(),
            groups.clone(),
            topics.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut cursor = cursor;
            let (mut latencies, mut errors, mut bytes, mut next_id) = (Vec::new(), 0u64, 0u64, 1u64);
            // The same answers' size decoded: what the wire would carry uncompressed.
            let mut plain = 0u64;
            let (mut reads, mut pulls) = (Vec::new(), Vec::new());
            let mut tick = 0usize;
            let mut first_error: Option<String> = None;
            // Spread the phones over the period, then every 30 s.
            let mut at = Instant::now() + period.mul_f64(k as f64 / 2000.0 % 1.0);
            while at < deadline {
                tokio::time::sleep_until(at.into()).await;
                at += period;
                let roll = (k * 7919 + next_id as usize * 104_729) % 100;
                let edit = match roll {
                    0..=2 => {
                        let (occurrence, series, start) = &sessions[(k + next_id as usize) % sessions.len()];
                        Some(mutation(next_id, "signup.request", json!({"occurrence_id": occurrence, "series_id": series, "original_start": start})))
                    }
                    3..=4 => Some(mutation(next_id, "group.join", json!({"group_id": groups[k % groups.len()]}))),
                    _ => None,
                };
                if let Some(m) = edit {
                    let t0 = Instant::now();
                    match api.push(&token, client, &[m]).await {
                        Ok(body) => {
                            latencies.push(t0.elapsed().as_micros() as u64);
                            bytes += body.to_string().len() as u64;
                            plain += body.to_string().len() as u64;
                            next_id += 1;
                        }
                        Err(e) => {
                            errors += 1;
                            first_error.get_or_insert(e.to_string());
                        }
                    }
                }
                // Residents reading without a replica: the register, a topic's thread.
                tick += 1;
                let read = match (k * 31 + tick * 17) % 100 {
                    0..=4 => Some("/api/v1/decisions".to_owned()),
                    5..=14 => Some(format!("/api/v1/topics/{}", topics[(k + tick) % topics.len()])),
                    _ => None,
                };
                if let Some(path) = read {
                    let t0 = Instant::now();
                    match api.get_counted(&token, &path).await {
                        Ok((wire, decoded)) => {
                            let took = t0.elapsed().as_micros() as u64;
                            latencies.push(took);
                            reads.push(took);
                            bytes += wire as u64;
                            plain += decoded as u64;
                        }
                        Err(e) => {
                            errors += 1;
                            first_error.get_or_insert(e.to_string());
                        }
                    }
                }
                let t0 = Instant::now();
                match api.pull_counted(&token, client, Some(&cursor)).await {
                    Ok((page, wire, decoded)) => {
                        let took = t0.elapsed().as_micros() as u64;
                        latencies.push(took);
                        pulls.push(took);
                        bytes += wire as u64;
                        plain += decoded as u64;
                        if let Some(c) = page["cursor"].as_str() {
                            cursor = c.to_owned();
                        }
                    }
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert(e.to_string());
                    }
                }
            }
            (latencies, errors, (bytes, plain), first_error, reads, pulls)
        }));
    }
    let (mut latencies, mut errors, mut bytes, mut first_error) = (Vec::new(), 0, 0, None);
    let (mut reads, mut pulls, mut plain) = (Vec::new(), Vec::new(), 0);
    for task in tasks {
        let (l, e, (b, p_bytes), first, r, p) = task.await?;
        plain += p_bytes;
        pulls.extend(p);
        latencies.extend(l);
        errors += e;
        bytes += b;
        first_error = first_error.or(first);
        reads.extend(r);
    }
    let elapsed = started.elapsed();
    let phone_minutes = args.phones as f64 * elapsed.as_secs_f64() / 60.0;
    let load = Stats::from_samples(latencies, bytes, errors, elapsed);
    report("pulls, pushes and reads", &load, None);
    println!(
        "  {:<34} {:.0} B on the wire per phone-minute ({}), {:.0} B plain: {:.1}% (target at most 50)",
        "bytes",
        bytes as f64 / phone_minutes.max(f64::EPSILON),
        api.accept.as_deref().unwrap_or("identity"),
        plain as f64 / phone_minutes.max(f64::EPSILON),
        bytes as f64 * 100.0 / (plain as f64).max(1.0)
    );
    // The reads against the pulls of the same phones in the same minutes.
    let reads = Stats::from_samples(reads, 0, 0, elapsed);
    let pulls = Stats::from_samples(pulls, 0, 0, elapsed);
    report("  pulls", &pulls, None);
    report("  register and threads", &reads, None);
    println!(
        "  {:<34} p50 {:.2}×, p99 {:.2}× the pulls'",
        "",
        reads.quantile_ms(0.5) / pulls.quantile_ms(0.5).max(f64::EPSILON),
        reads.quantile_ms(0.99) / pulls.quantile_ms(0.99).max(f64::EPSILON)
    );
    if let Some(e) = first_error {
        println!("  {:<34} {e}", "first error");
    }
    anyhow::ensure!(errors == 0, "{errors} requests failed in the morning load");
    Ok(())
}

/// (5) Idle pokes: the server's resident memory with many event streams open (each stream
/// is held after its first event, the poke sent on connecting).
pub async fn idle_pokes(api: &Api, town: &Town, args: &BenchArgs) -> anyhow::Result<()> {
    println!(
        "
(5) idle pokes: server memory with {:?} open event streams",
        args.streams
    );
    let Some(pid) = args.server_pid else {
        println!("  skipped: pass --server-pid to read the server's memory");
        return Ok(());
    };
    let token = api.login(&town.residents[0].1).await?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?;
    println!("  {:<34} {:>7.1} MB RSS", "no streams", rss_mb(pid)?);
    let mut open = Vec::new();
    for &target in &args.streams {
        let started = Instant::now();
        let wanted = target.saturating_sub(open.len());
        let opened: Vec<anyhow::Result<reqwest::Response>> = futures_util::stream::iter(0..wanted)
            .map(|_| {
                let (http, url, token) =
                    (http.clone(), api.url("/api/v1/sync/events"), token.clone());
                async move {
                    let mut resp = http
                        .get(url)
                        .bearer_auth(token)
                        .send()
                        .await?
                        .error_for_status()?;
                    // The poke sent on connecting: the stream is live.
                    resp.chunk().await?.context("the stream ended at once")?;
                    Ok(resp)
                }
            })
            .buffer_unordered(64)
            .collect()
            .await;
        for stream in opened {
            open.push(stream?);
        }
        println!(
            "  {:<34} {:>7.1} MB RSS  (opened in {:.1} s)",
            format!("{} streams", open.len()),
            rss_mb(pid)?,
            started.elapsed().as_secs_f64()
        );
    }
    drop(open);
    // The server notices a closed stream when its next heartbeat cannot be written. Wait for
    // that, polling its gauge with a deadline, so the scenarios after this one run on a
    // server that is not still reaping 10,000 connections.
    let closed = Instant::now();
    loop {
        let left = streams_open(api).await?;
        if left == 0 {
            break;
        }
        anyhow::ensure!(
            closed.elapsed() < Duration::from_secs(60),
            "{left} event streams still open on the server a minute after the phones closed them"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    println!(
        "  {:<34} {:>7.1} MB RSS  (all reaped {:.1} s after closing)",
        "streams closed",
        rss_mb(pid)?,
        closed.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The server's open event streams, from its `/metrics`.
async fn streams_open(api: &Api) -> anyhow::Result<u64> {
    metric(api, "sync_event_streams").await
}

/// One unlabelled figure from the server's `/metrics`.
async fn metric(api: &Api, name: &str) -> anyhow::Result<u64> {
    let text = api
        .http
        .get(api.url("/metrics"))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(|v| v as u64)
        .with_context(|| format!("{name} in /metrics"))
}

/// Write transactions and pushes the server has run so far (`None` from a server that does
/// not count them, such as one built before group commit).
pub(crate) async fn push_batches(api: &Api) -> Option<(u64, u64)> {
    Some((
        metric(api, "sync_push_batches_total").await.ok()?,
        metric(api, "sync_pushes_total").await.ok()?,
    ))
}

/// (3) Cost does not grow with history: a pull of 100 changes at the database's size now,
/// then after years of history (deleted groups, as a community's past leaves them) grow it
/// to 1,000,000 rows.
pub async fn history(api: &Api, town: &Town, args: &BenchArgs) -> anyhow::Result<()> {
    use sea_orm::{EntityTrait, PaginatorTrait};
    const TARGET_ROWS: u64 = 1_000_000;
    let db =
        linli::persistence::connect(&linli::config::DatabaseSettings::from(&args.database)).await?;
    let rows = |db: sea_orm::DatabaseConnection| async move {
        use linli::features::schedule::entity::*;
        anyhow::Ok(
            volunteer_group::Entity::find().count(&db).await?
                + series::Entity::find().count(&db).await?
                + membership::Entity::find().count(&db).await?
                + occurrence_override::Entity::find().count(&db).await?
                + occurrence_tally::Entity::find().count(&db).await?
                + signup::Entity::find().count(&db).await?
                + attendance::Entity::find().count(&db).await?,
        )
    };
    let before = rows(db.clone()).await?;
    println!(
        "
(3) a pull of 100 changes at {before} rows, then at {TARGET_ROWS}"
    );
    let small = hundred_changes(api, town).await?;
    report(&format!("at {before} rows"), &small, None);

    let started = Instant::now();
    let old = Utc::now() - chrono::Duration::days(3 * 365);
    let mut added = 0;
    while before + added < TARGET_ROWS {
        // 12 columns a row: 2,000 rows stay under SQLite's 32,766 bound variables.
        let n = (TARGET_ROWS - before - added).min(2_000);
        let chunk: Vec<linli::features::schedule::entity::volunteer_group::ActiveModel> = (0..n)
            .map(|k| {
                use sea_orm::ActiveValue::Set;
                linli::features::schedule::entity::volunteer_group::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    community_id: Set(town.community),
                    name: Set(format!("舊活動 {}", added + k)),
                    kind: Set("other".into()),
                    description: Set(String::new()),
                    venue: Set(String::new()),
                    is_open: Set(true),
                    contact_leader_id: Set(None),
                    clocks: Set("{}".into()),
                    version: Set(1),
                    created_at: Set(old),
                    deleted_at: Set(Some(old)),
                }
            })
            .collect();
        linli::features::schedule::entity::volunteer_group::Entity::insert_many(chunk)
            .exec_without_returning(&db)
            .await?;
        added += n;
    }
    let after = rows(db.clone()).await?;
    db.close().await?;
    println!(
        "  (history: {added} rows added in {:.1} s)",
        started.elapsed().as_secs_f64()
    );
    let big = hundred_changes(api, town).await?;
    report(&format!("at {after} rows"), &big, None);
    println!(
        "  {:<34} p50 ratio {:.2} (target at most 1.3), p99 ratio {:.2}",
        "",
        big.quantile_ms(0.5) / small.quantile_ms(0.5).max(0.001),
        big.quantile_ms(0.99) / small.quantile_ms(0.99).max(0.001)
    );
    Ok(())
}

/// 50 times: the president changes 100 rows (groups' venues, then series' locations), and a
/// phone at the head pulls them; the pulls are timed.
async fn hundred_changes(api: &Api, town: &Town) -> anyhow::Result<Stats> {
    let groups = groups(api, &town.admin_token).await?;
    let series = all_series(api, &town.admin_token, &groups).await?;
    let targets: Vec<(&str, Value)> = groups
        .iter()
        .map(|g| ("group.update", json!({"id": g})))
        .chain(series.iter().map(|s| ("series.update", json!({"id": s}))))
        .take(100)
        .collect();
    anyhow::ensure!(targets.len() == 100, "the town needs 100 groups and series");
    let (_, plain) = town.residents.last().context("the town has residents")?;
    let token = api.login(plain).await?;
    let client = Uuid::now_v7();
    let (mut cursor, _, _) = pull_all(api, &token, client, None).await?;
    let (admin, mut next) = (Uuid::now_v7(), 1u64);
    let (mut latencies, mut bytes) = (Vec::new(), 0u64);
    let started = Instant::now();
    for round in 0..200 {
        let edits: Vec<Value> = targets
            .iter()
            .map(|(name, target)| {
                let mut args = target.clone();
                let field = if *name == "group.update" {
                    "venue"
                } else {
                    "location"
                };
                args[field] = json!(format!("第{round}輪"));
                next += 1;
                mutation(next - 1, name, args)
            })
            .collect();
        api.push(&town.admin_token, admin, &edits).await?;
        let t0 = Instant::now();
        let (page, size) = api.pull(&token, client, Some(&cursor)).await?;
        latencies.push(t0.elapsed().as_micros() as u64);
        bytes += size as u64;
        let got = page["changes"].as_array().map_or(0, Vec::len);
        anyhow::ensure!(got == 100, "expected 100 changes, got {got}");
        cursor = page["cursor"]
            .as_str()
            .context("a pull has a cursor")?
            .to_owned();
    }
    Ok(Stats::from_samples(latencies, bytes, 0, started.elapsed()))
}

async fn all_series(api: &Api, token: &str, groups: &[Uuid]) -> anyhow::Result<Vec<Uuid>> {
    let mut all = Vec::new();
    for g in groups {
        let list = api
            .get_json(token, &format!("/api/v1/groups/{g}/series"), &[])
            .await?;
        all.extend(
            list.as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["id"].as_str()?.parse::<Uuid>().ok()),
        );
    }
    Ok(all)
}

/// A process's resident set size, from `/proc/<pid>/status`.
pub(crate) fn rss_mb(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("cannot read the memory of process {pid}"))?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .context("VmRSS in /proc/<pid>/status")?;
    Ok(kb / 1024.0)
}

/// The next Saturday, in Shanghai.
fn next_saturday() -> String {
    let mut day = (Utc::now() + chrono::Duration::days(1))
        .with_timezone(&Shanghai)
        .date_naive();
    while chrono::Datelike::weekday(&day) != chrono::Weekday::Sat {
        day = day.succ_opt().unwrap_or(day);
    }
    day.format("%Y-%m-%d").to_string()
}

/// (confirmed, waitlisted) of one session, as the REST read reports it.
async fn tally(
    api: &Api,
    token: &str,
    group: Uuid,
    occurrence: Uuid,
) -> anyhow::Result<(u64, u64)> {
    let query = [
        ("from", Utc::now().to_rfc3339()),
        ("days", "9".into()),
        ("group_id", group.to_string()),
    ];
    let list = api.get_json(token, "/api/v1/occurrences", &query).await?;
    let row = list
        .as_array()
        .and_then(|l| {
            l.iter()
                .find(|o| o["occurrence_id"] == occurrence.to_string())
        })
        .context("the lecture's session is listed")?;
    Ok((
        row["confirmed"].as_u64().unwrap_or(0),
        row["waitlisted"].as_u64().unwrap_or(0),
    ))
}

/// The next month's sessions: (occurrence, series, original start).
async fn upcoming(api: &Api, token: &str) -> anyhow::Result<Arc<Vec<(Uuid, Uuid, String)>>> {
    let query = [("from", Utc::now().to_rfc3339()), ("days", "30".into())];
    let list = api.get_json(token, "/api/v1/occurrences", &query).await?;
    Ok(Arc::new(
        list.as_array()
            .into_iter()
            .flatten()
            .filter(|o| o["cancelled"] != true)
            .filter_map(|o| {
                Some((
                    o["occurrence_id"].as_str()?.parse().ok()?,
                    o["series_id"].as_str()?.parse().ok()?,
                    o["original_start"].as_str()?.to_owned(),
                ))
            })
            .collect(),
    ))
}

async fn groups(api: &Api, token: &str) -> anyhow::Result<Arc<Vec<Uuid>>> {
    let list = api.get_json(token, "/api/v1/groups", &[]).await?;
    Ok(Arc::new(
        list.as_array()
            .into_iter()
            .flatten()
            .filter_map(|g| g["id"].as_str()?.parse().ok())
            .collect(),
    ))
}

/// Logged-out sessions the revocation scenario makes the server hold.
const REVOKED: usize = 10_000;

/// (7) What logout costs every other request: each access token's session is looked up in
/// the set of sessions logged out within the token lifetime. Pulls with nothing new (the
/// cheapest authenticated request) are measured with the set empty of the bench's own, then
/// holding 10,000 logged-out sessions (written to the database as logouts would, and read
/// by the server within its 2 s refresh); and the refresh query itself is timed over them.
pub async fn revocation(api: &Api, town: &Town, args: &BenchArgs) -> anyhow::Result<()> {
    use linli::config::DatabaseSettings;
    use linli::entity::refresh_token;
    use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

    println!(
        "\n(7) revocation: pulls with nothing new, {} phones, {} s each, before and with {REVOKED} logged-out sessions",
        args.connections, args.seconds
    );
    let phones = sessions(api, town, args.connections).await?;
    let mut at_head = Vec::with_capacity(phones.len());
    for (_, token) in &phones {
        let client = Uuid::now_v7();
        let (cursor, _, _) = pull_all(api, token, client, None).await?;
        at_head.push((token.clone(), client, cursor));
    }
    let at_head = Arc::new(at_head);
    let measure = || {
        let (api, at_head) = (api.clone(), at_head.clone());
        closed_loop(
            args.connections,
            Duration::from_secs(args.seconds),
            move |worker| {
                let (api, at_head) = (api.clone(), at_head.clone());
                async move {
                    let (token, client, cursor) = &at_head[worker];
                    let (_, bytes) = api.pull(token, *client, Some(cursor)).await?;
                    Ok(bytes)
                }
            },
        )
    };
    let before = measure().await;

    // Logouts, as the server records them: revoked refresh tokens of residents' families.
    let db = linli::persistence::connect(&DatabaseSettings::from(&args.database)).await?;
    let now = Utc::now();
    let bar = indicatif::ProgressBar::new(REVOKED as u64).with_message("logged-out sessions");
    for chunk in town
        .residents
        .iter()
        .cycle()
        .take(REVOKED)
        .collect::<Vec<_>>()
        .chunks(500)
    {
        let rows = chunk
            .iter()
            .map(|(resident, _)| refresh_token::ActiveModel {
                id: Set(Uuid::now_v7()),
                family_id: Set(Uuid::now_v7()),
                resident_id: Set(*resident),
                token_hash: Set(format!("bench-revoked-{}", Uuid::now_v7().simple())),
                created_at: Set(now),
                expires_at: Set(now + chrono::Duration::days(30)),
                rotated_at: Set(None),
                revoked_at: Set(Some(now)),
            });
        refresh_token::Entity::insert_many(rows).exec(&db).await?;
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    // The server reads them within its refresh period (2 s); give it two.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let with = measure().await;

    // The refresh query each server process runs every 2 s, over what it now returns.
    let since = Utc::now() - chrono::Duration::minutes(16);
    let mut times = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let rows: Vec<(Uuid, Option<chrono::DateTime<Utc>>)> = refresh_token::Entity::find()
            .select_only()
            .column(refresh_token::Column::FamilyId)
            .column(refresh_token::Column::RevokedAt)
            .filter(refresh_token::Column::RevokedAt.gt(since))
            .into_tuple()
            .all(&db)
            .await?;
        anyhow::ensure!(rows.len() >= REVOKED, "the logouts are not all there");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    // Leave nothing behind for the next run: the rows age out of the server's memory.
    refresh_token::Entity::delete_many()
        .filter(refresh_token::Column::TokenHash.starts_with("bench-revoked-"))
        .exec(&db)
        .await?;

    report(
        "pull with nothing new, no logouts (reference)",
        &before,
        None,
    );
    report(
        "pull with nothing new, 10,000 logouts held",
        &with,
        Some(("no logouts", &before)),
    );
    println!(
        "  refresh query over {REVOKED} logouts: median {:.1} ms, every 2 s per process",
        times[times.len() / 2]
    );
    Ok(())
}

/// (8) The territory: the committee's full roster imported (`linli import territory`, time
/// and peak memory of the process) against the same rows inserted by plain SQL in one
/// transaction; then a building leader's first sync of their whole scope (the community's
/// public rows and their building's roll) against a plain resident's, medians of 10.
pub async fn territory(api: &Api, town: &Town, args: &BenchArgs) -> anyhow::Result<()> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let households = args.households;
    println!(
        "\n(8) territory: the roster of {households} households imported, and a building leader's first sync"
    );
    let rows = linli::demo::territory::roster(households);
    let people = rows.iter().filter(|r| !r.name.is_empty()).count();
    let work = std::env::temp_dir().join(format!("linli-bench-territory-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let csv = work.join("roster.csv");
    std::fs::write(&csv, roster_csv(&rows))?;

    // The reference: the same rows, planned the same way, inserted by plain SQL into a fresh
    // SQLite database in one transaction (no sync, no checks, no versions).
    let scratch = work.join("plain.db");
    let plain = plain_inserts(&rows, &scratch).await?;

    // The import, as a subprocess on the server's own database.
    let (wall, peak_mb) = import_roster(args, &csv, super::seed::SLUG).await?;
    println!(
        "  {:<34} {:>8.1} s, peak {peak_mb:.0} MB ({} rows: {people} residents)",
        "linli import territory",
        wall.as_secs_f64(),
        rows.len()
    );
    println!(
        "  {:<34} {:>8.2} s  (import is {:.0}x the plain inserts)",
        "plain SQL inserts (reference)",
        plain.as_secs_f64(),
        wall.as_secs_f64() / plain.as_secs_f64().max(1e-9)
    );

    // A building leader of the first building, and a plain resident.
    let db =
        linli::persistence::connect(&linli::config::DatabaseSettings::from(&args.database)).await?;
    let building = linli::features::territory::entity::unit::Entity::find()
        .filter(linli::features::territory::entity::unit::Column::CommunityId.eq(town.community))
        .filter(linli::features::territory::entity::unit::Column::Kind.eq("building"))
        .one(&db)
        .await?
        .context("the import made no building")?;
    // Past the groups' leaders (the seed makes the first residents lead groups), so that the
    // building is the only difference between the two scopes.
    let (leader, plain_resident) = (
        &town.residents[args.groups + 1],
        &town.residents[args.groups + 2],
    );
    let assigned = api
        .push(
            &town.admin_token,
            Uuid::now_v7(),
            &[super::mutation(
                1,
                "position.assign",
                json!({"id": Uuid::now_v7(), "kind": "building_leader", "unit_id": building.id,
                       "resident_id": leader.0, "starts_on": "2026-01-01"}),
            )],
        )
        .await?;
    anyhow::ensure!(
        assigned["results"][0]["status"] == "applied"
            || assigned["results"][0]["code"] == "term_overlaps",
        "the building leader was not appointed: {assigned}"
    );
    let tokens = [
        api.login(&leader.1).await?,
        api.login(&plain_resident.1).await?,
    ];
    let mut times: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut sizes = [(0, 0); 2];
    for _ in 0..10 {
        for (who, token) in tokens.iter().enumerate() {
            let started = Instant::now();
            let (_, changes, bytes) = pull_all(api, token, Uuid::now_v7(), None).await?;
            times[who].push(started.elapsed().as_secs_f64() * 1000.0);
            sizes[who] = (changes.len(), bytes);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (lead, res) = (median(&mut times[0]), median(&mut times[1]));
    println!(
        "  {:<34} median {:>8.1} ms  ({} rows, {:.1} MB)",
        "first sync, a resident (reference)",
        res,
        sizes[1].0,
        sizes[1].1 as f64 / 1e6
    );
    println!(
        "  {:<34} median {:>8.1} ms  ({} rows, {:.1} MB; ratio {:.2})",
        "first sync, the building leader",
        lead,
        sizes[0].0,
        sizes[0].1 as f64 / 1e6,
        lead / res
    );
    std::fs::remove_dir_all(&work).ok();
    Ok(())
}

/// A roster as the committee's spreadsheet holds it: the CSV `linli import territory` reads.
pub(crate) fn roster_csv(rows: &[linli::features::territory::import::RosterRow]) -> String {
    let mut out = String::from("小區,片區,樓棟,網格,單元,樓層,房號,姓名,出生,關係\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            r.compound,
            r.area,
            r.building,
            r.cell,
            r.entrance,
            r.floor,
            r.room,
            r.name,
            r.born,
            r.relation
        ));
    }
    out
}

/// `linli import territory` of the roster at `csv` into the community `slug`, as a subprocess
/// on the server's own database (the `linli` binary beside this one); its wall time and peak
/// memory in MB.
pub(crate) async fn import_roster(
    args: &BenchArgs,
    csv: &std::path::Path,
    slug: &str,
) -> anyhow::Result<(Duration, f64)> {
    let linli = std::env::current_exe()?.with_file_name("linli");
    let started = Instant::now();
    let done = tokio::process::Command::new("/usr/bin/time")
        .args(["-f", "%e %M"])
        .arg(&linli)
        .args(["import", "territory"])
        .arg(csv)
        .args([
            "--community",
            slug,
            "--database-url",
            &args.database.database_url,
        ])
        .stdout(std::process::Stdio::null())
        .output()
        .await?;
    let wall = started.elapsed();
    let stderr = String::from_utf8_lossy(&done.stderr);
    anyhow::ensure!(done.status.success(), "linli import failed: {stderr}");
    let peak_mb = stderr
        .lines()
        .last()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0);
    Ok((wall, peak_mb))
}

/// The roster's rows inserted by plain SQL (multi-row inserts, one transaction) into a fresh
/// database at `path`; how long the inserts took. The same rows and columns; the ancestry a
/// household and a residency carry (compound, building) holds a placeholder id of the same
/// size, since plain SQL has no tree walk to find it.
async fn plain_inserts(
    rows: &[linli::features::territory::import::RosterRow],
    path: &std::path::Path,
) -> anyhow::Result<Duration> {
    use linli::features::territory::import;
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let _ = std::fs::remove_file(path);
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = linli::persistence::connect(&linli::config::DatabaseSettings {
        url,
        max_connections: 1,
    })
    .await?;
    linli::persistence::migrate(&db).await?;
    let community = Uuid::now_v7();
    db.execute_unprepared(&format!(
        "INSERT INTO community (id, slug, name, created_at) VALUES ('{community}', 'plain', 'plain', '2026-12-02T00:00:00Z')"
    ))
    .await?;
    let today = chrono::Utc::now().date_naive();
    let checked = import::check(rows, today).map_err(|e| anyhow::anyhow!("{}", e[0]))?;
    let lines: Vec<usize> = rows.iter().map(|r| r.line).collect();
    let mut existing = import::Existing::default();
    let (mutations, _) = import::plan(community, &checked, &mut existing, &lines)
        .map_err(|e| anyhow::anyhow!("{}", e[0]))?;
    // What each mutation would write, as rows of SQL values.
    let q = |v: &Value| match v {
        Value::Null => "NULL".to_owned(),
        Value::Number(n) => n.to_string(),
        other => format!(
            "'{}'",
            other.as_str().unwrap_or_default().replace('\'', "''")
        ),
    };
    let (mut cells, mut units, mut flats, mut people) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let ts = "'2026-12-02T00:00:00Z'";
    for (name, a) in &mutations {
        match *name {
            "cell.create" => cells.push(format!(
                "({},'{community}',{},1,{ts},NULL)",
                q(&a["id"]),
                q(&a["name"])
            )),
            "unit.create" => units.push(format!(
                "({},'{community}',{},{},{},NULL,1,{ts},NULL)",
                q(&a["id"]),
                q(&a["kind"]),
                q(&a["parent_id"]),
                q(&a["name"])
            )),
            "household.create" => flats.push(format!(
                "({},'{community}',{},{},NULL,{},{},{},1,{ts},NULL)",
                q(&a["id"]),
                q(&a["building_id"]),
                q(&a["building_id"]),
                q(&a["entrance"]),
                q(&a["floor"]),
                q(&a["room"])
            )),
            "residency.record" => people.push((a.clone(), q(&a["id"]))),
            _ => {}
        }
    }
    let started = Instant::now();
    let txn = db.begin().await?;
    let insert = |table: &str, columns: &str, values: &[String]| {
        values
            .chunks(500)
            .map(|c| format!("INSERT INTO {table} ({columns}) VALUES {}", c.join(",")))
            .collect::<Vec<_>>()
    };
    let mut statements = insert(
        "grid_cell",
        "id, community_id, name, version, created_at, deleted_at",
        &cells,
    );
    statements.extend(insert(
        "unit",
        "id, community_id, kind, parent_id, name, cell_id, version, created_at, deleted_at",
        &units,
    ));
    statements.extend(insert("household", "id, community_id, building_id, compound_id, area_id, entrance, floor, room, version, created_at, deleted_at", &flats));
    let residents: Vec<String> = people
        .iter()
        .map(|(a, id)| {
            format!(
                "({id},'{community}',{},{},NULL,{},NULL,NULL,{},{},{},'verified','2000-01-01',NULL,'{community}',NULL,1,{ts},NULL)",
                q(&a["household_id"]), q(&a["household_id"]), q(&a["household_id"]), q(&a["name"]), q(&a["born"]), q(&a["relation"])
            )
        })
        .collect();
    statements.extend(insert("residency", "id, community_id, household_id, building_id, area_id, compound_id, cell_id, resident_id, name, born, relation, status, moved_in, moved_out, recorded_by, decided_by, version, created_at, deleted_at", &residents));
    for s in statements {
        txn.execute_unprepared(&s).await?;
    }
    txn.commit().await?;
    let took = started.elapsed();
    db.close().await?;
    Ok(took)
}
