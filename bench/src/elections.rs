//! (9) Elections: a community-wide election at the size. 16,000 voters are on the
//! roll, and 5,000 of them cast from 2,000 phones in the last ten minutes before the close.
//! Measured: the p99 of the `ballot.cast` push, and the count's time against a plain SQL
//! `GROUP BY` over the same ballots. Checked: 0 lost, 0 counted twice.
//!
//! It runs on a community of its own (`mining-town-poll`), so its roll is exactly the
//! voters asked for, and its elections never show up in the town's scenarios. Seeding skips
//! what is already there, like the town's:
//! - the committee's admin and the casting voters' accounts are written to the database
//!   directly, with one shared hash, as the town's are;
//! - the roster goes through `linli import territory`, as in scenario (8). Its people are
//!   all adults with full birth dates, four to a household, so each of them is on the roll;
//! - each casting voter's account is linked to their roster entry as the app links it: the
//!   voter's phone claims the recorded row (`residency.claim` with `takes_over`), and the
//!   admin confirms it (`residency.decide`).
//!
//! The election is the president's (community-wide, one seat, three candidates nominated in
//! the committee's name). Nominations close and voting opens a few seconds after it is
//! called, by the server's clock. Voting closes `--close-margin` seconds after the casting
//! is due to end, since its windows cannot be moved once called. Each phone starts at its
//! own time, spread over `--casting-seconds`, and casts for its voters in turn (a family
//! passing the phone round), each with their own session, client id and one `ballot.cast`
//! push. A push that fails is sent again unchanged, as the app would. After the casting,
//! one voter in ten re-sends the same push (the stored result must come back) and tries a
//! second ballot (it must be refused). Once the server's clock has closed the polls, the
//! plain `GROUP BY` runs on the database, and then the admin pushes `election.count`.
//! At the size (5,000 of 16,000 vote) the quorum is not met, so nobody is elected:
//! the count tallies and publishes all the same, and runs leave no office-holders behind.
//! The count's time is the push's, as the admin's phone waits for it (HTTP, the write
//! transaction with the record of every ballot, its commit); the reference is the bare query
//! over the bench's own connection.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use futures_util::StreamExt;
use reqwest::StatusCode;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, Statement,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::load::{Stats, report};
use super::scenarios::{import_roster, push_batches, roster_csv, server_memory};
use super::seed::insert_residents;
use super::{Api, BENCH_PASSWORD, BenchArgs, mutation};
use linli::config::DatabaseSettings;
use linli::domain::permissions::{Grant, Role, Scope};
use linli::domain::resident::NewPassword;
use linli::entity::{community, resident};
use linli::features::elections::rules::{self as election_rules, Ballot, Mark};
use linli::features::territory::entity::residency;
use linli::features::territory::import::RosterRow;
use linli::persistence;

/// The election's community.
pub const SLUG: &str = "mining-town-poll";
const ADMIN_PHONE: &str = "+8613600000001";
const COMPOUNDS: [&str; 4] = ["礦工新村", "東山小區", "南苑", "北苑"];
const PER_HOUSEHOLD: usize = 4;
/// Four entrances of six floors, two flats a floor.
const FLATS_PER_BUILDING: usize = 48;
const CANDIDATES: usize = 3;
/// From calling the election to the close of nominations (the roll freezes, voting opens).
const LEAD_SECONDS: i64 = 10;
/// Tries of one push before its voter counts as unanswered.
const MAX_ATTEMPTS: u32 = 5;
/// Runs of the plain `GROUP BY`.
const REFERENCE_RUNS: usize = 11;

/// The `v`th voter's phone number (voters with accounts are the roster's first).
fn voter_phone(v: usize) -> String {
    format!("+86139{v:08}")
}

/// The `v`th voter's name: unique in the community, so the roster entry is found by it.
fn voter_name(v: usize) -> String {
    const SURNAMES: [&str; 10] = ["王", "李", "張", "劉", "陳", "楊", "趙", "黃", "周", "吳"];
    const GIVEN: [&str; 8] = [
        "秀英", "建國", "淑珍", "志明", "春花", "德勝", "麗華", "永福",
    ];
    let household = v / PER_HOUSEHOLD;
    format!(
        "{}{}{v}",
        SURNAMES[household % SURNAMES.len()],
        GIVEN[v % GIVEN.len()]
    )
}

/// The `v`th voter's birth date: a full date between 1940 and 1997, so they are of age and
/// never left off the roll for a year-only birth.
fn voter_born(v: usize) -> String {
    format!("{}-{:02}-{:02}", 1940 + v * 7 % 58, v % 12 + 1, v % 28 + 1)
}

/// The election's roster: `voters` adults, four to a household, 48 households to a building,
/// the buildings dealt round the four compounds. A voter's row does not depend on `voters`,
/// so a larger roster only adds to a smaller one.
fn roster(voters: usize) -> Vec<RosterRow> {
    (0..voters)
        .map(|v| {
            let household = v / PER_HOUSEHOLD;
            let building = household / FLATS_PER_BUILDING;
            let flat = household % FLATS_PER_BUILDING;
            let floor = (flat % 12) / 2 + 1;
            RosterRow {
                line: v + 2,
                compound: COMPOUNDS[building % COMPOUNDS.len()].to_owned(),
                building: format!("{}號樓", building / COMPOUNDS.len() + 1),
                entrance: (flat / 12 + 1).to_string(),
                floor: floor.to_string(),
                room: format!("{floor}0{}", flat % 2 + 1),
                name: voter_name(v),
                born: voter_born(v),
                relation: if v % PER_HOUSEHOLD == 0 {
                    "戶主"
                } else {
                    "家屬"
                }
                .to_owned(),
                ..RosterRow::default()
            }
        })
        .collect()
}

/// Who the `v`th voter votes for: a candidate (half, three in ten, the rest), or a blank
/// ballot (three in a hundred).
fn choice_of(v: usize) -> Option<usize> {
    match (v as u64).wrapping_mul(2_654_435_761) % 1_000 / 10 {
        0..=2 => None,
        3..=52 => Some(0),
        53..=82 => Some(1),
        _ => Some(2),
    }
}

/// A casting voter, with their session.
pub(crate) struct Voter {
    pub(crate) resident: Uuid,
    pub(crate) phone: String,
    pub(crate) token: String,
}

/// The seeded election community.
pub(crate) struct Poll {
    pub(crate) admin_token: String,
    /// The casting voters, in roster order.
    pub(crate) voters: Vec<Voter>,
}

/// Seeds (or finds) the election's community: admin, accounts, roster, links.
pub(crate) async fn seed_poll(api: &Api, args: &BenchArgs, casting: usize) -> anyhow::Result<Poll> {
    let started = Instant::now();
    let db = persistence::connect(&DatabaseSettings::from(&args.database)).await?;
    let poll = match persistence::communities::find_by_slug(&db, SLUG).await? {
        Some(c) => c,
        None => {
            use sea_orm::ActiveValue::Set;
            community::ActiveModel {
                id: Set(Uuid::now_v7()),
                slug: Set(SLUG.into()),
                name: Set("煤城選區 (bench)".into()),
                created_at: Set(Utc::now()),
            }
            .insert(&db)
            .await?
        }
    };

    // Accounts, straight into the database: one shared hash serves them all.
    let poll_id = poll.id;
    let accounts = |db: sea_orm::DatabaseConnection| async move {
        anyhow::Ok(
            resident::Entity::find()
                .filter(resident::Column::CommunityId.eq(poll_id))
                .all(&db)
                .await?
                .into_iter()
                .map(|r| (r.phone, r.id))
                .collect::<HashMap<String, Uuid>>(),
        )
    };
    let mut have = accounts(db.clone()).await?;
    let missing: Vec<(String, String)> =
        std::iter::once((ADMIN_PHONE.to_owned(), "煤城選區會長".to_owned()))
            .chain((0..casting).map(|v| (voter_phone(v), voter_name(v))))
            .filter(|(phone, _)| !have.contains_key(phone))
            .collect();
    if !missing.is_empty() {
        let hash = linli::auth::password::hash(&NewPassword::parse(BENCH_PASSWORD)?).await?;
        for chunk in missing.chunks(1000) {
            insert_residents(&db, poll.id, &hash, chunk).await?;
        }
        have = accounts(db.clone()).await?;
    }
    let admin = *have.get(ADMIN_PHONE).context("the poll's admin account")?;
    persistence::roles::grant(
        &db,
        admin,
        Grant {
            role: Role::Admin,
            scope: Scope::Community(poll.id),
        },
    )
    .await?;

    // The roster, through the committee's import.
    let verified = residency::Entity::find()
        .filter(residency::Column::CommunityId.eq(poll.id))
        .filter(residency::Column::DeletedAt.is_null())
        .filter(residency::Column::Status.eq("verified"))
        .count(&db)
        .await? as usize;
    anyhow::ensure!(
        verified <= args.voters,
        "the election's community ({SLUG}) already has {verified} voters, more than --voters {}: \
         pass --voters {verified}, or start from a fresh database",
        args.voters
    );
    if verified < args.voters {
        let rows = roster(args.voters);
        let work = std::env::temp_dir().join(format!("linli-bench-poll-{}", std::process::id()));
        std::fs::create_dir_all(&work)?;
        let csv = work.join("roster.csv");
        std::fs::write(&csv, roster_csv(&rows))?;
        let (wall, peak_mb) = import_roster(args, &csv, SLUG).await?;
        std::fs::remove_dir_all(&work).ok();
        println!(
            "  (roster: {} voters in {} households imported by `linli import territory` in {:.1} s, peak {peak_mb:.0} MB)",
            args.voters,
            args.voters.div_ceil(PER_HOUSEHOLD),
            wall.as_secs_f64()
        );
    }

    // Sessions: every casting voter's phone is logged in before the polls open.
    let logins = Instant::now();
    let phones: Vec<String> = (0..casting).map(voter_phone).collect();
    let tokens: Vec<anyhow::Result<String>> = futures_util::stream::iter(phones.iter())
        .map(|phone| api.login(phone))
        .buffered(8)
        .collect()
        .await;
    let mut voters = Vec::with_capacity(casting);
    for (phone, token) in phones.into_iter().zip(tokens) {
        let resident = *have.get(&phone).context("a voter's account")?;
        voters.push(Voter {
            resident,
            phone,
            token: token?,
        });
    }
    println!(
        "  ({casting} sessions in {:.1} s)",
        logins.elapsed().as_secs_f64()
    );

    // Each account linked to its roster entry: the voter claims it, the admin confirms.
    let rows = residency::Entity::find()
        .filter(residency::Column::CommunityId.eq(poll.id))
        .filter(residency::Column::DeletedAt.is_null())
        .all(&db)
        .await?;
    db.close().await?;
    let recorded: HashMap<&str, &residency::Model> = rows
        .iter()
        .filter(|r| r.status == "verified")
        .map(|r| (r.name.as_str(), r))
        .collect();
    let pending: HashMap<Uuid, Uuid> = rows
        .iter()
        .filter(|r| r.status == "pending")
        .filter_map(|r| Some((r.resident_id?, r.id)))
        .collect();
    let (mut to_claim, mut to_confirm) = (Vec::new(), Vec::new());
    for (v, voter) in voters.iter().enumerate() {
        let name = voter_name(v);
        let row = recorded
            .get(name.as_str())
            .with_context(|| format!("{name} is not on the imported roster"))?;
        match row.resident_id {
            Some(r) if r == voter.resident => {}
            Some(r) => anyhow::bail!("{name}'s roster entry belongs to another account ({r})"),
            None => match pending.get(&voter.resident) {
                Some(claim) => to_confirm.push(*claim),
                None => to_claim.push((v, row.id, row.household_id)),
            },
        }
    }
    if !to_claim.is_empty() || !to_confirm.is_empty() {
        let linking = Instant::now();
        let claims: Vec<anyhow::Result<Uuid>> = futures_util::stream::iter(to_claim)
            .map(|(v, recorded, household)| {
                let token = &voters[v].token;
                async move {
                    let id = Uuid::now_v7();
                    let relation = if v % PER_HOUSEHOLD == 0 {
                        "owner"
                    } else {
                        "family"
                    };
                    let claim = mutation(
                        1,
                        "residency.claim",
                        json!({"id": id, "household_id": household, "relation": relation,
                               "born": voter_born(v), "takes_over": recorded}),
                    );
                    let out = api.push(token, Uuid::now_v7(), &[claim]).await?;
                    anyhow::ensure!(
                        out["results"][0]["status"] == "applied",
                        "a claim was refused: {out}"
                    );
                    Ok(id)
                }
            })
            .buffer_unordered(32)
            .collect()
            .await;
        for claim in claims {
            to_confirm.push(claim?);
        }
        for chunk in to_confirm.chunks(500) {
            let decisions: Vec<Value> = chunk
                .iter()
                .enumerate()
                .map(|(k, id)| {
                    mutation(
                        k as u64 + 1,
                        "residency.decide",
                        json!({"id": id, "verdict": "confirm"}),
                    )
                })
                .collect();
            let admin_token = api.login(ADMIN_PHONE).await?;
            let out = api.push(&admin_token, Uuid::now_v7(), &decisions).await?;
            for r in out["results"].as_array().context("a push has results")? {
                anyhow::ensure!(r["status"] == "applied", "a claim was not confirmed: {r}");
            }
        }
        println!(
            "  ({} accounts linked to their roster entries, claimed and confirmed, in {:.1} s)",
            to_confirm.len(),
            linking.elapsed().as_secs_f64()
        );
    }
    println!(
        "  (the election's community ready in {:.1} s)",
        started.elapsed().as_secs_f64()
    );
    Ok(Poll {
        admin_token: api.login(ADMIN_PHONE).await?,
        voters,
    })
}

/// One voter's ballot, as their phone sends it.
struct Cast {
    client: Uuid,
    mutation: Value,
    choice: Option<usize>,
    receipt: String,
}

/// A `ballot.cast`'s arguments for `choice`, with a fresh nonce, and the receipt the phone
/// computes for it.
fn ballot_args(election: Uuid, candidates: &[Uuid], choice: Option<usize>) -> (Value, String) {
    let nonce = format!("bench-{}", Uuid::new_v4().simple());
    let ballot = Ballot {
        marks: choice
            .map(|c| (candidates[c], Mark::For))
            .into_iter()
            .collect(),
        ..Ballot::default()
    };
    let marks: Vec<Value> = choice
        .map(|c| json!({"candidate_id": candidates[c], "mark": "for"}))
        .into_iter()
        .collect();
    (
        json!({"election_id": election, "marks": marks, "write_ins": [], "nonce": nonce}),
        election_rules::receipt(election, &ballot, &nonce),
    )
}

/// What one push got, after its retries.
#[derive(Default)]
struct Sent {
    /// The mutation's result, once a push was answered.
    result: Option<Value>,
    /// Each answered request's latency, in µs.
    latencies: Vec<u64>,
    bytes: u64,
    /// Requests that failed (network, 5xx, 429): sent again unchanged.
    errors: u64,
    relogins: u64,
    error: Option<String>,
}

/// Pushes `mutations` as the app would: a failed request (network, 5xx, 429) is sent again
/// unchanged after a pause; an expired session logs in again.
async fn push_as_phone(
    api: &Api,
    phone: &str,
    token: &mut String,
    client: Uuid,
    mutations: &[Value],
) -> Sent {
    let mut sent = Sent::default();
    let body = json!({"client_id": client, "schema_version": 1, "mutations": mutations});
    for attempt in 1..=MAX_ATTEMPTS {
        let t0 = Instant::now();
        let answer = async {
            let resp = api
                .http
                .post(api.url("/api/v1/sync/push"))
                .bearer_auth(&*token)
                .json(&body)
                .send()
                .await?;
            let status = resp.status();
            anyhow::Ok((status, resp.bytes().await?))
        }
        .await;
        match answer {
            Ok((status, bytes)) if status.is_success() => {
                sent.latencies.push(t0.elapsed().as_micros() as u64);
                sent.bytes += bytes.len() as u64;
                match serde_json::from_slice::<Value>(&bytes) {
                    Ok(v) => sent.result = Some(v["results"][0].clone()),
                    Err(e) => sent.error = Some(format!("an unreadable answer: {e}")),
                }
                return sent;
            }
            Ok((StatusCode::UNAUTHORIZED, _)) => {
                // The access token ran out (15 minutes): the app would refresh it.
                sent.relogins += 1;
                match api.login(phone).await {
                    Ok(t) => *token = t,
                    Err(e) => sent.error = Some(format!("{e:#}")),
                }
                continue;
            }
            Ok((status, bytes)) => {
                sent.errors += 1;
                sent.error = Some(format!("{status}: {}", String::from_utf8_lossy(&bytes)));
                if !(status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS) {
                    return sent;
                }
            }
            Err(e) => {
                sent.errors += 1;
                sent.error = Some(format!("{e:#}"));
            }
        }
        if attempt < MAX_ATTEMPTS {
            tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt))).await;
        }
    }
    sent
}

/// Polls the election until it is in `state`; its view (`{election, candidates}`).
async fn wait_for(
    api: &Api,
    token: &str,
    election: Uuid,
    state: &str,
    deadline: Instant,
) -> anyhow::Result<Value> {
    loop {
        let view = api
            .get_json(token, &format!("/api/v1/elections/{election}"), &[])
            .await?;
        let now = &view["election"]["state"];
        if now == state {
            return Ok(view);
        }
        anyhow::ensure!(
            !["failed", "cancelled", "done"].contains(&now.as_str().unwrap_or("")),
            "the election went {now} while waiting for {state}: {view}"
        );
        anyhow::ensure!(
            Instant::now() < deadline,
            "the election never reached {state}: {view}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Votes for each candidate, and blank ballots, from choices and how many made each.
fn tally_of(choices: impl IntoIterator<Item = (Option<usize>, u64)>) -> ([u64; CANDIDATES], u64) {
    let (mut votes, mut blank) = ([0; CANDIDATES], 0);
    for (choice, n) in choices {
        match choice {
            Some(c) => votes[c] += n,
            None => blank += n,
        }
    }
    (votes, blank)
}

/// A stored ballot's choice, as an index into `candidates` (`None`: blank).
fn choice_in(ballot: &Ballot, candidates: &[Uuid]) -> anyhow::Result<Option<usize>> {
    anyhow::ensure!(
        ballot.write_ins.is_empty() && ballot.marks.len() <= 1,
        "a ballot the phones did not send: {ballot:?}"
    );
    match ballot.marks.iter().next() {
        None => Ok(None),
        Some((c, Mark::For)) => Ok(Some(
            candidates
                .iter()
                .position(|x| x == c)
                .context("a vote for someone not standing")?,
        )),
        Some((_, Mark::Against)) => anyhow::bail!("a vote against, which no phone sent"),
    }
}

pub async fn elections(api: &Api, args: &BenchArgs) -> anyhow::Result<()> {
    let casting = args.casting.min(args.voters);
    anyhow::ensure!(
        casting >= CANDIDATES,
        "--casting must be at least {CANDIDATES}: the candidates are casting voters"
    );
    let phones = args.phones.clamp(1, casting);
    println!(
        "\n(9) elections: a community-wide election, {} voters on the roll, {casting} casting from {phones} phones {}",
        args.voters,
        if args.casting_seconds == 0 {
            "all at once".to_owned()
        } else {
            format!("over {} s", args.casting_seconds)
        }
    );
    let poll = seed_poll(api, args, casting).await?;
    let called = call(api, args, &poll).await?;
    let casting = cast(api, args, &poll, &called, phones).await?;
    let again = send_again(api, &poll, &called, &casting).await;

    // The close, by the server's clock.
    let last_push = Instant::now();
    let deadline = Instant::now()
        + (called.closes - Utc::now()).to_std().unwrap_or_default()
        + Duration::from_secs(60);
    wait_for(api, &poll.admin_token, called.id, "counting", deadline).await?;
    println!(
        "  {:<34} polls closed by the server's clock {:.1} s after the last push",
        "close",
        last_push.elapsed().as_secs_f64()
    );

    let reference = group_by(args, &called).await?;
    // The count, as the admin's phone asks for it.
    let admin_token = api.login(ADMIN_PHONE).await?;
    let t0 = Instant::now();
    let out = api
        .push(
            &admin_token,
            Uuid::now_v7(),
            &[mutation(1, "election.count", json!({"id": called.id}))],
        )
        .await?;
    let count_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let r = &out["results"][0];
    anyhow::ensure!(r["status"] == "applied", "the count was refused: {r}");
    println!(
        "  {:<34} median {:>8.2} ms  (first {:.2} ms; {} rows over {} ballots, {REFERENCE_RUNS} runs)",
        "plain SQL GROUP BY (reference)",
        reference.median_ms,
        reference.first_ms,
        reference.rows,
        reference.ballots
    );
    println!(
        "  {:<34}        {count_ms:>8.2} ms  (ratio {:.0} to the GROUP BY; the push as the admin's phone waits for it)",
        "election.count push",
        count_ms / reference.median_ms.max(1e-6)
    );
    let result = &r["data"]["data"]["result"];
    check(
        api,
        &admin_token,
        &called,
        &casting,
        &again,
        &reference,
        result,
    )
    .await
}

/// The election as called.
struct Called {
    id: Uuid,
    candidates: Arc<Vec<Uuid>>,
    closes: chrono::DateTime<Utc>,
    roll_size: u64,
}

/// Calls the president's election: nominations close (the roll freezes) and voting opens in
/// a few seconds; voting closes when the casting is due to be over, and a margin after. The
/// committee nominates the first casting voters, who accept. Returns once voting is open.
async fn call(api: &Api, args: &BenchArgs, poll: &Poll) -> anyhow::Result<Called> {
    let window = Duration::from_secs(args.casting_seconds);
    let opens = Utc::now() + chrono::Duration::seconds(LEAD_SECONDS);
    let closes =
        opens + chrono::Duration::from_std(window + Duration::from_secs(args.close_margin))?;
    let election = Uuid::now_v7();
    let candidates: Vec<Uuid> = (0..CANDIDATES).map(|_| Uuid::now_v7()).collect();
    let term_starts = (Utc::now() + chrono::Duration::days(60))
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    let mut setup = vec![mutation(
        1,
        "election.create",
        json!({"id": election, "title": "社區居委會主任選舉 (bench)", "position": "president",
               "unit_id": null, "seats": 1, "term_starts_on": term_starts,
               "nominations_close": opens, "voting_opens": opens, "voting_closes": closes}),
    )];
    for (k, c) in candidates.iter().enumerate() {
        setup.push(mutation(
            k as u64 + 2,
            "candidate.nominate",
            json!({"id": c, "election_id": election, "resident_id": poll.voters[k].resident,
                   "by_committee": true}),
        ));
    }
    let out = api.push(&poll.admin_token, Uuid::now_v7(), &setup).await?;
    for r in out["results"].as_array().context("a push has results")? {
        anyhow::ensure!(r["status"] == "applied", "the election was not set up: {r}");
    }
    for (k, c) in candidates.iter().enumerate() {
        let answer = mutation(
            1,
            "candidate.respond",
            json!({"candidate_id": c, "accept": true, "statement": format!("第{}號候選人", k + 1)}),
        );
        let out = api
            .push(&poll.voters[k].token, Uuid::now_v7(), &[answer])
            .await?;
        anyhow::ensure!(
            out["results"][0]["status"] == "applied",
            "a candidate could not accept: {out}"
        );
    }
    anyhow::ensure!(
        Utc::now() < opens,
        "nominations closed before the candidates accepted: the setup took more than {LEAD_SECONDS} s"
    );
    let view = wait_for(
        api,
        &poll.admin_token,
        election,
        "voting",
        Instant::now() + Duration::from_secs(LEAD_SECONDS as u64 + 120),
    )
    .await?;
    let roll_size = view["election"]["roll_size"].as_u64().unwrap_or(0);
    let standing = view["candidates"]
        .as_array()
        .map_or(0, |c| c.iter().filter(|c| c["standing"] == true).count());
    let frozen_after = (Utc::now() - opens).num_milliseconds() as f64 / 1000.0;
    anyhow::ensure!(
        roll_size == args.voters as u64,
        "the roll has {roll_size} voters, not {}",
        args.voters
    );
    anyhow::ensure!(
        standing == CANDIDATES,
        "{standing} candidates stand: {view}"
    );
    println!(
        "  {:<34} president, community-wide, 1 seat, {standing} standing ({}); roll of {roll_size} frozen, seen {frozen_after:.1} s after nominations closed",
        "election",
        view["election"]["mode"].as_str().unwrap_or("?")
    );
    println!(
        "  {:<34} opened {}, closes {} (server time): the casting's planned end + {} s",
        "voting",
        opens.format("%H:%M:%S"),
        closes.format("%H:%M:%S"),
        args.close_margin
    );
    Ok(Called {
        id: election,
        candidates: Arc::new(candidates),
        closes,
        roll_size,
    })
}

/// What the casting did.
struct Casting {
    /// Each voter's ballot as their phone sent it.
    casts: Arc<Vec<Cast>>,
    /// The voters told `applied`.
    applied: Vec<usize>,
    /// The first answer each voter got, by voter.
    answers: HashMap<usize, Value>,
    outcomes: BTreeMap<String, usize>,
    unanswered: usize,
    /// Each voter's session, renewed if it ran out.
    tokens: Vec<String>,
}

/// The casting: each phone starts at its own time, spread over the window (or all at once),
/// and casts for its voters in turn, one push each. Prints the pushes' figures.
async fn cast(
    api: &Api,
    args: &BenchArgs,
    poll: &Poll,
    called: &Called,
    phones: usize,
) -> anyhow::Result<Casting> {
    let casting = poll.voters.len();
    let window = Duration::from_secs(args.casting_seconds);
    let casts: Vec<Cast> = (0..casting)
        .map(|v| {
            let choice = choice_of(v);
            let (ballot, receipt) = ballot_args(called.id, &called.candidates, choice);
            Cast {
                client: Uuid::now_v7(),
                mutation: mutation(1, "ballot.cast", ballot),
                choice,
                receipt,
            }
        })
        .collect();
    let casts = Arc::new(casts);
    let gate = Arc::new(tokio::sync::Barrier::new(phones + 1));
    let mut tasks = Vec::with_capacity(phones);
    for p in 0..phones {
        // The phones share the voters in roster order: a household's phone, passed round.
        let mine: Vec<(usize, String, String)> = (p * casting / phones..(p + 1) * casting / phones)
            .map(|v| {
                (
                    v,
                    poll.voters[v].phone.clone(),
                    poll.voters[v].token.clone(),
                )
            })
            .collect();
        // Each phone's start, spread evenly (and unordered) over the window.
        let offset = window.mul_f64((p as f64 * 0.618_033_988_749_895).fract());
        let (api, gate, casts) = (api.clone(), gate.clone(), casts.clone());
        tasks.push(tokio::spawn(async move {
            gate.wait().await;
            tokio::time::sleep(offset).await;
            let mut out = Vec::with_capacity(mine.len());
            for (v, phone, mut token) in mine {
                let cast = &casts[v];
                let sent = push_as_phone(
                    &api,
                    &phone,
                    &mut token,
                    cast.client,
                    std::slice::from_ref(&cast.mutation),
                )
                .await;
                out.push((v, token, sent));
            }
            out
        }));
    }
    let batches_before = push_batches(api).await;
    let started = Instant::now();
    gate.wait().await;
    let mut sent_by_voter: Vec<Option<Sent>> = (0..casting).map(|_| None).collect();
    let mut tokens: Vec<String> = poll.voters.iter().map(|v| v.token.clone()).collect();
    for task in tasks {
        for (v, token, sent) in task.await? {
            tokens[v] = token;
            sent_by_voter[v] = Some(sent);
        }
    }
    let elapsed = started.elapsed();
    let batches_after = push_batches(api).await;
    let (mut latencies, mut bytes, mut errors, mut relogins) = (Vec::new(), 0, 0, 0);
    let (mut outcomes, mut answers) = (BTreeMap::<String, usize>::new(), HashMap::new());
    let (mut applied, mut unanswered, mut first_error) = (Vec::new(), 0, None);
    for (v, sent) in sent_by_voter.into_iter().enumerate() {
        let sent = sent.context("every voter's phone reported")?;
        latencies.extend(sent.latencies);
        bytes += sent.bytes;
        errors += sent.errors;
        relogins += sent.relogins;
        if first_error.is_none() {
            first_error = sent.error.clone();
        }
        match sent.result {
            Some(r) => {
                let outcome = match r["status"].as_str() {
                    Some("applied") => "applied".to_owned(),
                    Some(s) => format!("{s}:{}", r["code"].as_str().unwrap_or("")),
                    None => "unreadable".to_owned(),
                };
                if outcome == "applied" {
                    applied.push(v);
                }
                *outcomes.entry(outcome).or_default() += 1;
                answers.insert(v, r);
            }
            None => unanswered += 1,
        }
    }
    let load = Stats::from_samples(latencies, bytes, errors, elapsed);
    report("ballot.cast pushes", &load, None);
    println!(
        "  {:<34} max {:.1} ms; {casting} ballots from {phones} phones in {:.1} s; {errors} requests sent again, {relogins} sessions renewed",
        "",
        load.quantile_ms(1.0),
        elapsed.as_secs_f64()
    );
    println!(
        "  {:<34} {:?}, unanswered {unanswered}",
        "outcomes", outcomes
    );
    if let Some(e) = &first_error {
        println!("  {:<34} {e}", "first error");
    }
    if let (Some(before), Some(after)) = (batches_before, batches_after) {
        let (batches, pushes) = (after.0 - before.0, after.1 - before.1);
        println!(
            "  {:<34} {pushes} pushes in {batches} write transactions ({:.1} per commit)",
            "group commit",
            pushes as f64 / batches.max(1) as f64
        );
    }
    server_memory(args, "after the casting");
    Ok(Casting {
        casts,
        applied,
        answers,
        outcomes,
        unanswered,
        tokens,
    })
}

/// What sending again got.
struct Again {
    sample: usize,
    /// Re-sent pushes answered `applied` from the stored result.
    stored: usize,
    /// Second ballots' answers, by code.
    seconds: BTreeMap<String, usize>,
}

/// Lost answers, as phones have them: one voter in ten sends the same push again (same
/// client, same mutation id), then tries a second ballot with the next id, while the polls
/// are still open. Prints what they got.
async fn send_again(api: &Api, poll: &Poll, called: &Called, casting: &Casting) -> Again {
    let sample: Vec<usize> = casting
        .applied
        .iter()
        .copied()
        .filter(|v| v % 10 == 0)
        .collect();
    let checked: Vec<(bool, bool, String)> = futures_util::stream::iter(sample.iter().copied())
        .map(|v| {
            let (cast, phone) = (&casting.casts[v], &poll.voters[v].phone);
            let (mut token, first) = (casting.tokens[v].clone(), casting.answers.get(&v));
            async move {
                let again = push_as_phone(
                    api,
                    phone,
                    &mut token,
                    cast.client,
                    std::slice::from_ref(&cast.mutation),
                )
                .await;
                let stored = again
                    .result
                    .as_ref()
                    .is_some_and(|r| r["status"] == "applied");
                let identical = again.result.is_some() && again.result.as_ref() == first;
                let other = Some(cast.choice.map_or(0, |c| (c + 1) % CANDIDATES));
                let (second_args, _) = ballot_args(called.id, &called.candidates, other);
                let second = push_as_phone(
                    api,
                    phone,
                    &mut token,
                    cast.client,
                    &[mutation(2, "ballot.cast", second_args)],
                )
                .await;
                let code = match &second.result {
                    Some(r) if r["status"] == "applied" => "applied".to_owned(),
                    Some(r) => r["code"].as_str().unwrap_or("?").to_owned(),
                    None => format!("unanswered: {}", second.error.unwrap_or_default()),
                };
                (stored && identical, stored, code)
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let stored = checked.iter().filter(|c| c.1).count();
    let identical = checked.iter().filter(|c| c.0).count();
    let mut seconds = BTreeMap::<String, usize>::new();
    for (_, _, code) in &checked {
        *seconds.entry(code.clone()).or_default() += 1;
    }
    println!(
        "  {:<34} {}: {stored} answered applied from the stored result ({identical} identical to the first answer)",
        "re-sent (same client, same id)",
        sample.len()
    );
    println!(
        "  {:<34} {}: {:?}",
        "second ballots (next id)",
        sample.len(),
        seconds
    );
    Again {
        sample: sample.len(),
        stored,
        seconds,
    }
}

/// The reference's figures.
struct Reference {
    median_ms: f64,
    first_ms: f64,
    rows: usize,
    ballots: i64,
    /// Votes for each candidate, and blank ballots, as the `GROUP BY` gives them.
    tally: ([u64; CANDIDATES], u64),
}

/// The reference: a plain `GROUP BY` over the same ballots, run on the same database once
/// the polls have closed, `REFERENCE_RUNS` times.
async fn group_by(args: &BenchArgs, called: &Called) -> anyhow::Result<Reference> {
    let db = persistence::connect(&DatabaseSettings::from(&args.database)).await?;
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT choices, COUNT(*) AS n FROM ballot WHERE election_id = $1 GROUP BY choices"
        }
        _ => "SELECT choices, COUNT(*) AS n FROM ballot WHERE election_id = ? GROUP BY choices",
    };
    let (mut times, mut groups) = (Vec::new(), Vec::new());
    for _ in 0..REFERENCE_RUNS {
        let t0 = Instant::now();
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [sea_orm::Value::from(called.id)],
            ))
            .await?;
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
        groups = rows
            .iter()
            .map(|r| {
                Ok((
                    r.try_get::<String>("", "choices")?,
                    r.try_get::<i64>("", "n")?,
                ))
            })
            .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    }
    db.close().await?;
    let first_ms = times[0];
    times.sort_by(f64::total_cmp);
    let grouped = groups
        .iter()
        .map(|(choices, n)| {
            let ballot: Ballot = serde_json::from_str(choices)?;
            Ok((choice_in(&ballot, &called.candidates)?, *n as u64))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Reference {
        median_ms: times[times.len() / 2],
        first_ms,
        rows: groups.len(),
        ballots: groups.iter().map(|(_, n)| n).sum(),
        tally: tally_of(grouped),
    })
}

/// What the phones sent and were told was applied, against the count's `result`, the
/// published ballots (each receipt once, with its choice) and the `GROUP BY`. Prints the
/// check and fails the run on any difference.
async fn check(
    api: &Api,
    admin_token: &str,
    called: &Called,
    casting: &Casting,
    again: &Again,
    reference: &Reference,
    result: &Value,
) -> anyhow::Result<()> {
    let candidates = &called.candidates;
    let n = |k: &str| result[k].as_u64().unwrap_or(u64::MAX);
    let mut counted = ([0; CANDIDATES], n("blank"));
    for c in result["counts"].as_array().into_iter().flatten() {
        if let Some(k) = candidates
            .iter()
            .position(|x| c["candidate_id"] == x.to_string())
        {
            counted.0[k] = c["votes_for"].as_u64().unwrap_or(0);
        }
    }
    let applied = &casting.applied;
    let sent = tally_of(applied.iter().map(|v| (casting.casts[*v].choice, 1)));
    let record = api
        .get_json(
            admin_token,
            &format!("/api/v1/elections/{}/record", called.id),
            &[],
        )
        .await?;
    let mut published: HashMap<String, Vec<Ballot>> = HashMap::new();
    let mut phone_ballots = 0;
    for b in record["ballots"].as_array().into_iter().flatten() {
        if b["source"] == "phone" {
            phone_ballots += 1;
        }
        let ballot = Ballot {
            marks: b["marks"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| {
                    let mark = match m["mark"].as_str()? {
                        "for" => Mark::For,
                        _ => Mark::Against,
                    };
                    Some((m["candidate_id"].as_str()?.parse().ok()?, mark))
                })
                .collect(),
            ..Ballot::default()
        };
        published
            .entry(b["receipt"].as_str().unwrap_or("").to_owned())
            .or_default()
            .push(ballot);
    }
    let found_once = applied
        .iter()
        .filter(|v| {
            let cast = &casting.casts[**v];
            published.get(&cast.receipt).is_some_and(|found| {
                found.len() == 1 && choice_in(&found[0], candidates).ok() == Some(cast.choice)
            })
        })
        .count();
    let applied_n = applied.len() as u64;
    let lost = applied_n.saturating_sub(n("voted").min(n("ballots_cast")))
        + (applied.len() - found_once) as u64;
    let double = n("ballots_cast").saturating_sub(applied_n)
        + n("voted").saturating_sub(applied_n)
        + (phone_ballots as u64).saturating_sub(applied_n);
    println!(
        "  {:<34} applied {applied_n}, voted {}, ballots_cast {}, receipts found once with their choice {found_once}, phone ballots published {phone_ballots}",
        "check",
        n("voted"),
        n("ballots_cast"),
    );
    println!(
        "  {:<34} for each candidate and blank: sent {:?} {}, counted {:?} {}, GROUP BY {:?} {}; quorum {}",
        "",
        sent.0,
        sent.1,
        counted.0,
        counted.1,
        reference.tally.0,
        reference.tally.1,
        if result["valid"] == true {
            "met".to_owned()
        } else {
            format!("not met ({} of {} voted)", n("voted"), called.roll_size)
        }
    );
    println!("  {:<34} lost {lost}, double counted {double}", "");
    anyhow::ensure!(
        casting.unanswered == 0,
        "{} voters' ballots got no answer",
        casting.unanswered
    );
    anyhow::ensure!(
        applied.len() == casting.casts.len(),
        "not every ballot was applied: {:?} (if voting_closed, raise --close-margin)",
        casting.outcomes
    );
    anyhow::ensure!(
        again.stored == again.sample && !again.seconds.contains_key("applied"),
        "a re-sent push was applied again, or a second ballot was taken"
    );
    anyhow::ensure!(lost == 0, "{lost} ballots lost");
    anyhow::ensure!(double == 0, "{double} ballots counted twice");
    anyhow::ensure!(
        counted == sent && reference.tally == sent,
        "the count disagrees with the ballots sent"
    );
    Ok(())
}
