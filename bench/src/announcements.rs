//! (11) Announcements: the president's urgent notice to the whole election community
//! (16,000 residents on the roll, 5,000 of them with an account linked), read on the 5,000
//! phones, then "who has not read it" asked at that size.
//!
//! It reuses the election's community ([`super::elections::seed_poll`]), so its roll is
//! exactly the residents asked for and nothing else of the town's is counted. Measured:
//! - the `announcement.read` push, from `--phones` phones at once, each reading for its
//!   residents in turn (a family passing the phone round), each with their own session: p50
//!   and p99, errors; checked: every receipt applied, none lost (the readers' count equals
//!   the receipts sent);
//! - `GET /announcements/{id}/readers` as the president (the whole roll: counts by building
//!   and the first 500 unread named by building, entrance, floor and room) and as one
//!   building's leader would ask it (`building_id`), against the reference: the same answer
//!   (every member of the audience with where they live and whether they read it) as one
//!   plain SQL query over the bench's own connection.

use std::time::Instant;

use anyhow::Context;
use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use super::elections::seed_poll;
use super::load::{Stats, report};
use super::{Api, BenchArgs, mutation};
use linli::config::DatabaseSettings;
use linli::persistence;

/// Runs of each read and of the reference.
pub(crate) const RUNS: usize = 11;

pub async fn announcements(api: &Api, args: &BenchArgs) -> anyhow::Result<()> {
    let readers = args.casting.min(args.voters);
    let phones = args.phones.clamp(1, readers.max(1));
    println!(
        "\n(11) announcements: an urgent notice to {} residents on the roll, read by {readers} on {phones} phones",
        args.voters
    );
    let poll = seed_poll(api, args, readers).await?;

    let notice = Uuid::now_v7();
    let out = api
        .push(
            &poll.admin_token,
            Uuid::now_v7(),
            &[mutation(
                1,
                "announcement.post",
                json!({"id": notice, "title": "明早停暖檢修", "importance": "urgent",
                       "body": "明天早上8:00至11:00暖氣管道檢修，停暖三小時。"}),
            )],
        )
        .await?;
    anyhow::ensure!(
        out["results"][0]["status"] == "applied",
        "the notice was refused: {out}"
    );

    // Every resident with a phone reads it: the phones at once, each for its residents.
    let started = Instant::now();
    let per_phone = readers.div_ceil(phones);
    let sent: Vec<anyhow::Result<Vec<(u64, u64)>>> =
        futures_util::stream::iter(poll.voters.chunks(per_phone))
            .map(|family| async move {
                let mut samples = Vec::with_capacity(family.len());
                for voter in family {
                    let read = mutation(1, "announcement.read", json!({"announcement_id": notice}));
                    let t0 = Instant::now();
                    let out = api.push(&voter.token, Uuid::now_v7(), &[read]).await?;
                    let us = t0.elapsed().as_micros() as u64;
                    anyhow::ensure!(
                        out["results"][0]["status"] == "applied",
                        "{}'s receipt was refused: {out}",
                        voter.phone
                    );
                    samples.push((us, out.to_string().len() as u64));
                }
                Ok(samples)
            })
            .buffer_unordered(phones)
            .collect()
            .await;
    let (mut latencies, mut bytes, mut errors) = (Vec::new(), 0, 0);
    for phone in sent {
        match phone {
            Ok(samples) => {
                for (us, b) in samples {
                    latencies.push(us);
                    bytes += b;
                }
            }
            Err(e) => {
                errors += 1;
                eprintln!("  a phone failed: {e:#}");
            }
        }
    }
    let pushes = Stats::from_samples(latencies, bytes, errors, started.elapsed());
    report("announcement.read push", &pushes, None);
    anyhow::ensure!(
        errors == 0,
        "{errors} phones' receipts were not all applied"
    );

    // Who has not read it: the president's whole roll, then one building's.
    let path = format!("/api/v1/announcements/{notice}/readers");
    let (whole_ms, answer) = timed(api, &poll.admin_token, &path, &[]).await?;
    let audience = answer["audience"].as_u64().unwrap_or(0);
    anyhow::ensure!(
        answer["read"].as_u64() == Some(readers as u64),
        "receipts lost: {readers} read it, the readers say {}",
        answer["read"]
    );
    anyhow::ensure!(
        audience as usize == args.voters,
        "the audience is {audience}, the roll {}",
        args.voters
    );
    let building = answer["buildings"][0]["building_id"]
        .as_str()
        .context("the readers name buildings")?
        .to_owned();
    let in_building = answer["buildings"][0]["audience"].as_u64().unwrap_or(0);
    let (one_ms, _) = timed(
        api,
        &poll.admin_token,
        &path,
        &[("building_id", building.clone())],
    )
    .await?;

    let (sql_ms, rows, unread) = reference(args, notice, None).await?;
    anyhow::ensure!(
        rows as u64 == audience && unread as u64 == audience - readers as u64,
        "the plain SQL found {rows} residents, {unread} unread; the readers {audience}, {}",
        answer["unread_count"]
    );
    let (sql_one_ms, _, _) = reference(args, notice, Some(&building)).await?;
    println!(
        "  {:<34} p50 {whole_ms:>8.2} ms  ({audience} residents, {} unread, {} named)",
        "readers, the whole roll",
        answer["unread_count"],
        answer["unread"].as_array().map_or(0, Vec::len)
    );
    println!(
        "  {:<34} p50 {sql_ms:>8.2} ms  (ratio {:.1})",
        "plain SQL, the whole roll (ref.)",
        whole_ms / sql_ms.max(1e-6)
    );
    println!(
        "  {:<34} p50 {one_ms:>8.2} ms  ({in_building} residents)",
        "readers, one building",
    );
    println!(
        "  {:<34} p50 {sql_one_ms:>8.2} ms  (ratio {:.1})",
        "plain SQL, one building (ref.)",
        one_ms / sql_one_ms.max(1e-6)
    );
    Ok(())
}

/// The median of [`RUNS`] reads of `path`, and the last answer.
pub(crate) async fn timed(
    api: &Api,
    token: &str,
    path: &str,
    query: &[(&str, String)],
) -> anyhow::Result<(f64, Value)> {
    let mut times = Vec::with_capacity(RUNS);
    let mut answer = Value::Null;
    for _ in 0..RUNS {
        let t0 = Instant::now();
        answer = api.get_json(token, path, query).await?;
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    Ok((median(times), answer))
}

pub(crate) fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The reference: every member of the audience (the community's verified residents, or one
/// building's) with their building, flat and whether they read the notice, ordered as the
/// readers' list is, in one plain query. Its median time of [`RUNS`], the rows, the unread.
async fn reference(
    args: &BenchArgs,
    notice: Uuid,
    building: Option<&str>,
) -> anyhow::Result<(f64, usize, usize)> {
    let db = persistence::connect(&DatabaseSettings::from(&args.database)).await?;
    let backend = db.get_database_backend();
    let p = |n: usize| match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    };
    let sql = format!(
        "SELECT r.name, u.name AS building, h.entrance, h.floor, h.room, a.id IS NOT NULL AS has_read \
         FROM announcement n \
         JOIN residency r ON r.community_id = n.community_id \
         JOIN household h ON h.id = r.household_id \
         JOIN unit u ON u.id = r.building_id \
         LEFT JOIN announcement_read a ON a.announcement_id = n.id AND a.resident_id = r.resident_id \
              AND a.deleted_at IS NULL \
         WHERE n.id = {} AND r.deleted_at IS NULL AND r.status = 'verified' AND r.moved_out IS NULL {} \
         ORDER BY u.name, h.entrance, h.floor, h.room, r.name",
        p(1),
        if building.is_some() {
            format!("AND r.building_id = {}", p(2))
        } else {
            String::new()
        }
    );
    let mut values = vec![sea_orm::Value::from(notice)];
    if let Some(b) = building {
        values.push(sea_orm::Value::from(Uuid::parse_str(b)?));
    }
    let (mut times, mut rows, mut unread) = (Vec::new(), 0, 0);
    for _ in 0..RUNS {
        let t0 = Instant::now();
        let got = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                &sql,
                values.clone(),
            ))
            .await?;
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
        rows = got.len();
        unread = got
            .iter()
            .filter(|r| !r.try_get::<bool>("", "has_read").unwrap_or(false))
            .count();
    }
    db.close().await?;
    Ok((median(times), rows, unread))
}
