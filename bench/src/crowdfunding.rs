//! (12) Crowdfunding at the election community's size: a campaign, a pledge from each of
//! its residents with a phone, the treasurer receiving every pledge, and the public ledger
//! read with its hash chain checked link by link (see `crowdfunding` below).

use std::time::Instant;

use anyhow::Context;
use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use super::announcements::{RUNS, median, timed};
use super::elections::seed_poll;
use super::load::{Stats, report};
use super::{Api, BenchArgs, mutation};
use linli::config::DatabaseSettings;
use linli::persistence;

/// (12) Crowdfunding: a campaign for the election community, a pledge from each of its
/// residents with a phone (`--phones` phones at once), the treasurer receiving every pledge
/// (pushes of 500, as a treasurer's phone catching up after a collection day), then the
/// public ledger read with its chain checked link by link, against the reference: the same
/// entries read by one plain SQL query. Checked: the ledger verifies, its balance is the sum
/// received, no pledge lost.
/// One pledge as sent: its latency (µs), the answer's bytes, its id and its fen.
type Pledged = (u64, u64, Uuid, i64);

pub async fn crowdfunding(api: &Api, args: &BenchArgs) -> anyhow::Result<()> {
    let givers = args.casting.min(args.voters);
    let phones = args.phones.clamp(1, givers.max(1));
    println!(
        "\n(12) crowdfunding: {givers} residents pledge on {phones} phones, the treasurer receives every pledge, the ledger is checked"
    );
    let poll = seed_poll(api, args, givers).await?;
    let treasurer = poll.voters.first().context("a treasurer")?;
    let campaign = Uuid::now_v7();
    let out = api
        .push(
            &poll.admin_token,
            Uuid::now_v7(),
            &[
                mutation(
                    1,
                    "campaign.create",
                    json!({"id": campaign, "title": "煤城花盆和長椅", "purpose": "院子添花盆和長椅。",
                           "treasurer_id": treasurer.resident, "goal_fen": 10_000_000,
                           "deadline": (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339()}),
                ),
                mutation(2, "campaign.open", json!({"campaign_id": campaign})),
            ],
        )
        .await?;
    for r in out["results"].as_array().context("results")? {
        anyhow::ensure!(r["status"] == "applied", "the campaign was refused: {r}");
    }

    // Every resident with a phone pledges 1 to 100 yuan.
    let started = Instant::now();
    let per_phone = givers.div_ceil(phones);
    let sent: Vec<anyhow::Result<Vec<Pledged>>> =
        futures_util::stream::iter(poll.voters.chunks(per_phone).enumerate())
            .map(|(k, family)| async move {
                let mut samples = Vec::with_capacity(family.len());
                for (i, voter) in family.iter().enumerate() {
                    let id = Uuid::now_v7();
                    let fen = 100 * (((k * 31 + i * 7) % 100) as i64 + 1);
                    let m = mutation(
                        1,
                        "pledge.make",
                        json!({"id": id, "campaign_id": campaign, "amount_fen": fen,
                               "anonymous": i % 5 == 0}),
                    );
                    let t0 = Instant::now();
                    let out = api.push(&voter.token, Uuid::now_v7(), &[m]).await?;
                    let us = t0.elapsed().as_micros() as u64;
                    anyhow::ensure!(
                        out["results"][0]["status"] == "applied",
                        "{}'s pledge was refused: {out}",
                        voter.phone
                    );
                    samples.push((us, out.to_string().len() as u64, id, fen));
                }
                Ok(samples)
            })
            .buffer_unordered(phones)
            .collect()
            .await;
    let (mut latencies, mut bytes, mut pledges) = (Vec::new(), 0, Vec::new());
    for phone in sent {
        for (us, b, id, fen) in phone? {
            latencies.push(us);
            bytes += b;
            pledges.push((id, fen));
        }
    }
    let pushes = Stats::from_samples(latencies, bytes, 0, started.elapsed());
    report("pledge.make push", &pushes, None);

    // The treasurer receives them all, 500 to a push.
    let t0 = Instant::now();
    let client = Uuid::now_v7();
    let mut next = 1u64;
    for chunk in pledges.chunks(500) {
        let batch: Vec<Value> = chunk
            .iter()
            .map(|(id, _)| {
                next += 1;
                mutation(
                    next - 1,
                    "ledger.receive",
                    json!({"id": Uuid::now_v7(), "pledge_id": id, "method": "cash"}),
                )
            })
            .collect();
        let out = api.push(&treasurer.token, client, &batch).await?;
        for r in out["results"].as_array().context("results")? {
            anyhow::ensure!(r["status"] == "applied", "a receipt was refused: {r}");
        }
    }
    let receiving = t0.elapsed();
    println!(
        "  {:<34} {:>8.2} s  ({} entries, {:.2} ms each)",
        "ledger.receive, all, 500 a push",
        receiving.as_secs_f64(),
        pledges.len(),
        receiving.as_secs_f64() * 1000.0 / pledges.len().max(1) as f64
    );

    let path = format!("/api/v1/campaigns/{campaign}/ledger");
    let (ledger_ms, answer) = timed(api, &treasurer.token, &path, &[]).await?;
    let total: i64 = pledges.iter().map(|(_, f)| f).sum();
    anyhow::ensure!(answer["verified"] == true, "the ledger does not verify");
    anyhow::ensure!(
        answer["campaign"]["balance_fen"].as_i64() == Some(total),
        "the balance is {}, the pledges {total}",
        answer["campaign"]["balance_fen"]
    );
    let entries = answer["entries"].as_array().map_or(0, Vec::len);
    anyhow::ensure!(
        entries == pledges.len(),
        "{entries} entries for {} pledges",
        pledges.len()
    );
    let sql_ms = plain_ledger(args, campaign).await?;
    println!(
        "  {:<34} p50 {ledger_ms:>8.2} ms  ({entries} entries checked, balance {:.2} yuan)",
        "GET ledger, verified",
        total as f64 / 100.0
    );
    println!(
        "  {:<34} p50 {sql_ms:>8.2} ms  (ratio {:.1})",
        "plain SQL SELECT of it (ref.)",
        ledger_ms / sql_ms.max(1e-6)
    );
    Ok(())
}

/// The reference for the ledger's read: its entries in order, one plain query, median of
/// [`RUNS`].
async fn plain_ledger(args: &BenchArgs, campaign: Uuid) -> anyhow::Result<f64> {
    let db = persistence::connect(&DatabaseSettings::from(&args.database)).await?;
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT * FROM ledger_entry WHERE campaign_id = $1 ORDER BY seq",
        _ => "SELECT * FROM ledger_entry WHERE campaign_id = ? ORDER BY seq",
    };
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let t0 = Instant::now();
        db.query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [sea_orm::Value::from(campaign)],
        ))
        .await?;
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    db.close().await?;
    Ok(median(times))
}
