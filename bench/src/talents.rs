//! (14) Talents: every resident with a phone on the election community (5,000) offers what
//! they can do, from `--phones` phones at once; then the president searches them as a
//! group leader or the committee would, by a skill, a tag and a free time.
//!
//! Measured: the `talent.offer` push (p50, p99, errors; checked: every offer applied, the
//! search finds them all); `GET /talents?skill=…` (one page of 50, and the count of all
//! matches read page by page) against the reference: the same rows by the same `LIKE` in
//! one plain SQL query over the bench's own connection.

use std::time::Instant;

use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;
use uuid::Uuid;

use super::announcements::{RUNS, median, timed};
use super::elections::seed_poll;
use super::load::{Stats, report};
use super::{Api, BenchArgs, mutation};
use linli::config::DatabaseSettings;
use linli::persistence;

const SKILLS: [&str; 8] = [
    "calligraphy",
    "singing",
    "repairing",
    "law",
    "nursing",
    "teaching",
    "cooking",
    "computers",
];
const TAGS: [&str; 5] = ["二胡", "太極拳", "修電動車", "量血壓", "剪紙"];
const TIMES: [&str; 3] = ["weekday_mornings", "weekend_afternoons", "weekday_evenings"];

pub async fn talents(api: &Api, args: &BenchArgs) -> anyhow::Result<()> {
    let offering = args.casting.min(args.voters);
    let phones = args.phones.clamp(1, offering.max(1));
    println!(
        "\n(14) talents: {offering} residents offer skills from {phones} phones, then the search"
    );
    let poll = seed_poll(api, args, offering).await?;

    let started = Instant::now();
    let per_phone = offering.div_ceil(phones);
    let sent: Vec<anyhow::Result<Vec<(u64, u64)>>> =
        futures_util::stream::iter(poll.voters.chunks(per_phone).enumerate())
            .map(|(family, voters)| async move {
                let mut samples = Vec::with_capacity(voters.len());
                for (k, voter) in voters.iter().enumerate() {
                    let i = family * per_phone + k;
                    let offer = mutation(
                        1,
                        "talent.offer",
                        json!({"skills": [SKILLS[i % SKILLS.len()], SKILLS[(i / 8) % SKILLS.len()]],
                               "tags": [TAGS[i % TAGS.len()]], "free": [TIMES[i % TIMES.len()]],
                               "note": "退休了，有空就來幫忙。",
                               "visibility": if i.is_multiple_of(3) { "residents" } else { "holders" }}),
                    );
                    let t0 = Instant::now();
                    let out = api.push(&voter.token, Uuid::now_v7(), &[offer]).await?;
                    let us = t0.elapsed().as_micros() as u64;
                    anyhow::ensure!(
                        out["results"][0]["status"] == "applied",
                        "{}'s offer was refused: {out}",
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
    report("talent.offer push", &pushes, None);
    anyhow::ensure!(errors == 0, "{errors} phones' offers were not all applied");

    // The search: one page, then every page of one skill (the president sees all offers).
    let skill = "calligraphy";
    let (page_ms, page) = timed(
        api,
        &poll.admin_token,
        "/api/v1/talents",
        &[("skill", skill.into())],
    )
    .await?;
    let mut all = 0;
    let mut offset = 0u64;
    let t0 = Instant::now();
    loop {
        let p = api
            .get_json(
                &poll.admin_token,
                "/api/v1/talents",
                &[
                    ("skill", skill.into()),
                    ("limit", "200".into()),
                    ("offset", offset.to_string()),
                ],
            )
            .await?;
        all += p["talents"].as_array().map_or(0, Vec::len);
        match p["next_offset"].as_u64() {
            Some(n) => offset = n,
            None => break,
        }
    }
    let all_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let (sql_ms, rows) = reference(args, skill).await?;
    anyhow::ensure!(
        all == rows,
        "the search found {all} offering {skill}, the plain SQL {rows}"
    );
    let (tagged_ms, _) = timed(
        api,
        &poll.admin_token,
        "/api/v1/talents",
        &[("tag", TAGS[0].into()), ("free", TIMES[0].into())],
    )
    .await?;
    println!(
        "  {:<34} p50 {page_ms:>8.2} ms  ({} shown of {rows})",
        format!("search ?skill={skill}, 50"),
        page["talents"].as_array().map_or(0, Vec::len)
    );
    println!(
        "  {:<34}     {all_ms:>8.2} ms  (pages of 200)",
        "every match, paged"
    );
    println!("  {:<34} p50 {tagged_ms:>8.2} ms", "search ?tag&free, 50");
    println!(
        "  {:<34} p50 {sql_ms:>8.2} ms  (ratio {:.1} for the page)",
        "plain SQL, every match (ref.)",
        page_ms / sql_ms.max(1e-6)
    );
    Ok(())
}

/// The reference: every live offer of the skill in the election community, by name, in one
/// plain query; its median time of [`RUNS`] and the rows.
async fn reference(args: &BenchArgs, skill: &str) -> anyhow::Result<(f64, usize)> {
    let db = persistence::connect(&DatabaseSettings::from(&args.database)).await?;
    let backend = db.get_database_backend();
    let p = |n: usize| match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    };
    let sql = format!(
        "SELECT t.id, t.name, t.skills, t.tags, t.note, t.availability FROM talent t \
         JOIN community c ON c.id = t.community_id \
         WHERE c.slug = {} AND t.deleted_at IS NULL AND t.skills LIKE {} ORDER BY t.name, t.id",
        p(1),
        p(2)
    );
    let mut times = Vec::with_capacity(RUNS);
    let mut rows = 0;
    for _ in 0..RUNS {
        let t0 = Instant::now();
        let r = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                &sql,
                [super::elections::SLUG.into(), format!("%|{skill}|%").into()],
            ))
            .await?;
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
        rows = r.len();
    }
    Ok((median(times), rows))
}
