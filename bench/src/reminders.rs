//! (13) Reminders: a busy day's reminders handed to the SMS gateway. A community of its own
//! with `--residents` residents (20,000), every one of them asking for texts, and
//! `--signups` confirmed sign-ups (100,000) to 50 sessions starting a day and 20 to 30
//! seconds from now (just beyond where the clock has looked), seeded straight into the
//! database. The server's reminder clock finds them on its
//! next look and writes a day's reminder for each into the outbox; its webhook sender hands
//! them to a gateway this harness runs, which checks every call's signature and counts
//! every message.
//!
//! The server must be started pointing at the harness's gateway, looking often:
//! `LINLI_WEBHOOK_URL=http://127.0.0.1:18099/sms LINLI_WEBHOOK_SECRET=<--webhook-secret>
//! LINLI_REMINDER_EVERY_SECS=5`.
//!
//! Measured: the time from the seed's commit to the first and to the last message, the
//! messages per second between them, the server's RSS before and after; checked: none lost,
//! none twice, every signature good. The reference, in the same run: the harness sending
//! the same messages in the same batches to the same gateway itself, signed, one call
//! after another as the server's sender does (the floor of the gateway's side).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use hmac::{Hmac, Mac};
use sea_orm::{EntityTrait, IntoActiveModel};
use serde_json::{Value, json};
use uuid::Uuid;

use super::BenchArgs;
use super::seed::insert_residents;
use linli::config::DatabaseSettings;
use linli::entity::community;
use linli::features::notifications::entity::notification_setting;
use linli::features::schedule::entity::{series, signup, volunteer_group};
use linli::features::schedule::rules::recurrence::occurrence_id;
use linli::features::schedule::rules::signup::signup_id;
use linli::persistence;

/// Sessions of the busy day.
const SESSIONS: usize = 50;
/// Rows per insert while seeding.
const CHUNK: usize = 500;

/// What the gateway received.
#[derive(Default)]
struct Gateway {
    ids: Mutex<Vec<String>>,
    calls: Mutex<u64>,
    bad: Mutex<u64>,
    first: Mutex<Option<Instant>>,
    last: Mutex<Option<Instant>>,
}

fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn serve_gateway(bind: &str, secret: String) -> anyhow::Result<Arc<Gateway>> {
    use poem::web::Data;
    use poem::{EndpointExt, Request, Response, Route, handler, http::StatusCode};
    #[handler]
    async fn sms(
        req: &Request,
        body: poem::Body,
        g: Data<&Arc<Gateway>>,
        secret: Data<&Arc<String>>,
    ) -> Response {
        let Ok(body) = body.into_vec().await else {
            return StatusCode::BAD_REQUEST.into();
        };
        let header = |n: &str| {
            req.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        if header("X-Linli-Signature") != sign(&secret, &header("X-Linli-Timestamp"), &body) {
            *g.bad.lock().unwrap() += 1;
            return StatusCode::UNAUTHORIZED.into();
        }
        let Ok(v) = serde_json::from_slice::<Value>(&body) else {
            return StatusCode::BAD_REQUEST.into();
        };
        let now = Instant::now();
        g.first.lock().unwrap().get_or_insert(now);
        *g.last.lock().unwrap() = Some(now);
        *g.calls.lock().unwrap() += 1;
        g.ids.lock().unwrap().extend(
            v["messages"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m["id"].as_str().map(str::to_owned)),
        );
        StatusCode::OK.into()
    }
    let g = Arc::new(Gateway::default());
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("the gateway cannot listen on {bind}"))?;
    let acceptor = poem::listener::TcpAcceptor::from_tokio(listener)?;
    let route = Route::new().at(
        "/sms",
        poem::post(sms).data(g.clone()).data(Arc::new(secret)),
    );
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(route));
    Ok(g)
}

pub async fn reminders(args: &BenchArgs) -> anyhow::Result<()> {
    let residents = args.residents.max(1);
    let wanted = args.signups.max(1);
    println!(
        "\n(13) reminders: {wanted} confirmed sign-ups of {residents} residents to {SESSIONS} sessions tomorrow, every one reminded by text"
    );
    let gateway = serve_gateway(&args.webhook_bind, args.webhook_secret.clone()).await?;
    let db = persistence::connect(&DatabaseSettings::from(&args.database)).await?;
    let seeding = Instant::now();
    let run: u16 = rand::random::<u16>() % 1000;
    let town = Uuid::now_v7();
    community::Entity::insert(
        community::Model {
            id: town,
            slug: format!("reminder-day-{}", town.simple()),
            name: format!("提醒日{run}"),
            created_at: Utc::now(),
        }
        .into_active_model(),
    )
    .exec_without_returning(&db)
    .await?;
    let bar = indicatif::ProgressBar::new((residents + wanted) as u64)
        .with_message("seeding the busy day");
    bar.set_style(
        indicatif::ProgressStyle::with_template("[seed] {msg} {bar:40} {pos}/{len} {eta}")
            .expect("a fixed template"),
    );
    // Residents (one shared hash: nobody logs in), each asking for texts.
    let mut people = Vec::with_capacity(residents);
    let rows: Vec<(String, String)> = (0..residents)
        .map(|i| (format!("+861{run:03}{i:07}"), format!("居民{i}")))
        .collect();
    for chunk in rows.chunks(CHUNK) {
        let ids = insert_residents(&db, town, "not-a-password-hash", chunk).await?;
        let now = Utc::now();
        notification_setting::Entity::insert_many(ids.iter().map(|id| {
            notification_setting::Model {
                id: *id,
                community_id: town,
                resident_id: *id,
                push: false,
                sms: true,
                quiet_from: None,
                quiet_to: None,
                version: 1,
                created_at: now,
                deleted_at: None,
            }
            .into_active_model()
        }))
        .exec_without_returning(&db)
        .await?;
        people.extend(ids);
        bar.inc(chunk.len() as u64);
    }
    // One group, a contact, and 50 sessions starting 23 to 24 hours from now.
    let now = Utc::now();
    let group = Uuid::now_v7();
    volunteer_group::Entity::insert(
        volunteer_group::Model {
            id: group,
            community_id: town,
            name: "老年大學".into(),
            kind: "other".into(),
            description: String::new(),
            venue: "活動中心".into(),
            is_open: true,
            contact_leader_id: Some(people[0]),
            clocks: "{}".into(),
            version: 1,
            created_at: now,
            deleted_at: None,
        }
        .into_active_model(),
    )
    .exec_without_returning(&db)
    .await?;
    let mut sessions = Vec::with_capacity(SESSIONS);
    for k in 0..SESSIONS {
        let id = Uuid::now_v7();
        // Just beyond the day the clock has looked ahead to (it looks every few seconds),
        // so its next looks find them all.
        let start = now
            + chrono::Duration::hours(24)
            + chrono::Duration::milliseconds(20_000 + 200 * k as i64);
        series::Entity::insert(
            series::Model {
                id,
                community_id: town,
                group_id: group,
                title: format!("第{}課", k + 1),
                description: String::new(),
                location: format!("{}號教室", k % 10 + 1),
                start_local: start
                    .with_timezone(&chrono_tz::Asia::Shanghai)
                    .format("%Y-%m-%dT%H:%M")
                    .to_string(),
                timezone: "Asia/Shanghai".into(),
                rrule: None,
                duration_minutes: 60,
                capacity: None,
                signup_opens_days_before: None,
                signup_closes_minutes_before: 0,
                cancel_cutoff_minutes_before: 0,
                waitlist_limit: 0,
                notes: String::new(),
                clocks: "{}".into(),
                version: 1,
                created_at: now,
                deleted_at: None,
            }
            .into_active_model(),
        )
        .exec_without_returning(&db)
        .await?;
        sessions.push((id, occurrence_id(id, start), start));
    }
    // Sign-ups: resident i to sessions i, i+1, … (mod 50), confirmed two days ago.
    let per = wanted.div_ceil(residents);
    let made = now - chrono::Duration::days(2);
    let pairs: Vec<(Uuid, usize)> = people
        .iter()
        .enumerate()
        .flat_map(|(i, r)| (0..per).map(move |j| (*r, (i + j) % SESSIONS)))
        .take(wanted)
        .collect();
    for chunk in pairs.chunks(CHUNK) {
        signup::Entity::insert_many(chunk.iter().map(|(r, k)| {
            let (series, occ, start) = sessions[*k];
            signup::Model {
                id: signup_id(occ, *r),
                community_id: town,
                group_id: group,
                series_id: series,
                occurrence_id: occ,
                original_start: start,
                resident_id: *r,
                requested_by: *r,
                party_size: 1,
                status: "confirmed".into(),
                requested_version: 1,
                version: 1,
                created_at: made,
                updated_at: made,
                deleted_at: None,
            }
            .into_active_model()
        }))
        .exec_without_returning(&db)
        .await?;
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    let expected = pairs.len();
    println!(
        "  seeded in {:.1} s: {residents} residents asking for texts, {expected} sign-ups",
        seeding.elapsed().as_secs_f64()
    );
    let rss_before = args
        .server_pid
        .and_then(|p| super::scenarios::rss_mb(p).ok());

    // Wait for every message (at most 15 minutes), polling.
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs(900);
    loop {
        let n = gateway.ids.lock().unwrap().len();
        if n >= expected || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A moment more, for duplicates still in flight.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let ids = gateway.ids.lock().unwrap().clone();
    let unique: HashSet<&String> = ids.iter().collect();
    let first = gateway
        .first
        .lock()
        .unwrap()
        .context("no message arrived")?;
    let last = gateway.last.lock().unwrap().context("no message arrived")?;
    let span = last.duration_since(first).as_secs_f64().max(1e-3);
    let rss_after = args
        .server_pid
        .and_then(|p| super::scenarios::rss_mb(p).ok());
    println!(
        "  first text {:.1} s after the seed (the clock looks every LINLI_REMINDER_EVERY_SECS), last {:.1} s",
        first.duration_since(t0).as_secs_f64(),
        last.duration_since(t0).as_secs_f64()
    );
    println!(
        "  {} texts in {} calls, {:.0}/s from first to last; lost {}, twice {}, bad signatures {}",
        unique.len(),
        gateway.calls.lock().unwrap(),
        unique.len() as f64 / span,
        expected.saturating_sub(unique.len()),
        ids.len() - unique.len(),
        gateway.bad.lock().unwrap()
    );
    if let (Some(b), Some(a)) = (rss_before, rss_after) {
        println!("  server RSS {b:.1} MB before, {a:.1} MB after");
    }

    // The reference: the same messages in the same batches, sent by the harness itself.
    let client = reqwest::Client::new();
    let url = format!("http://{}/sms", args.webhook_bind);
    let started = Instant::now();
    let sent_before = gateway.ids.lock().unwrap().len();
    for batch in (0..expected)
        .collect::<Vec<_>>()
        .chunks(args.webhook_batch.max(1))
    {
        let messages: Vec<Value> = batch
            .iter()
            .map(|i| json!({"id": format!("reference-{i}"), "phone": format!("+861{run:03}{:07}", i % residents),
                "name": "居民", "kind": "reminder", "title": "明天：第1課",
                "body": "12月05日 09:30開始，地點：1號教室。有事請找居民0，電話 +8610000000000。", "urgent": false}))
            .collect();
        let body = serde_json::to_vec(&json!({ "messages": messages }))?;
        let ts = Utc::now().timestamp().to_string();
        let r = client
            .post(&url)
            .header("Content-Type", "application/json")
            .header("X-Linli-Timestamp", &ts)
            .header("X-Linli-Signature", sign(&args.webhook_secret, &ts, &body))
            .body(body)
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "the gateway refused the reference");
    }
    let floor = started.elapsed().as_secs_f64();
    let taken = gateway.ids.lock().unwrap().len() - sent_before;
    println!(
        "  reference: the harness sends the same {taken} in batches of {} itself: {:.1} s, {:.0}/s; the server's {:.1} s from first to last text is {:.1}× that",
        args.webhook_batch,
        floor,
        taken as f64 / floor,
        span,
        span / floor
    );
    anyhow::ensure!(unique.len() == expected, "reminders were lost");
    anyhow::ensure!(ids.len() == unique.len(), "reminders were sent twice");
    Ok(())
}
