//! Seeds the bench town: a coal-mining community at its real scale (see the module docs of
//! [`super`]). Seeding is skipped for what is already there, so one seeded database serves
//! many runs; start from an empty database for a clean one.

use std::time::Instant;

use anyhow::Context;
use chrono::{Duration, Utc};
use chrono_tz::Asia::Shanghai;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Api, BENCH_PASSWORD, BenchArgs, mutation};
use linli::config::DatabaseSettings;
use linli::domain::permissions::{Grant, Role, Scope};
use linli::domain::resident::NewPassword;
use linli::entity::{community, resident};
use linli::features::schedule::entity::volunteer_group;
use linli::features::schedule::rules::recurrence::{Schedule, occurrence_id};
use linli::persistence;

pub const SLUG: &str = "mining-town";
pub const ADMIN_PHONE: &str = "+8613600000000";
const COMPOUNDS: [&str; 4] = ["礦工新村", "東山小區", "南苑", "北苑"];
const HOUSEHOLD_SIZE: usize = 4;
const KINDS: [&str; 6] = [
    "calligraphy_painting",
    "choir",
    "fitness",
    "dance",
    "elder_mutual_aid",
    "legal_corner",
];
/// Mutations per push while seeding.
const BATCH: usize = 500;

/// The seeded town, as the scenarios need it.
pub struct Town {
    pub community: Uuid,
    pub admin_token: String,
    /// Resident ids and phone numbers, in seeding order (the admin is not among them).
    pub residents: Vec<(Uuid, String)>,
}

/// The `i`th resident's phone number.
pub fn phone(i: usize) -> String {
    format!("+86137{i:08}")
}

pub async fn seed(api: &Api, args: &BenchArgs) -> anyhow::Result<Town> {
    let db = persistence::connect(&DatabaseSettings::from(&args.database)).await?;
    let started = Instant::now();
    let town = match persistence::communities::find_by_slug(&db, SLUG).await? {
        Some(c) => c,
        None => {
            use sea_orm::{ActiveModelTrait, ActiveValue::Set};
            community::ActiveModel {
                id: Set(Uuid::now_v7()),
                slug: Set(SLUG.into()),
                name: Set("煤城社區 (bench)".into()),
                created_at: Set(Utc::now()),
            }
            .insert(&db)
            .await?
        }
    };

    // Accounts, straight into the database: one shared hash serves them all.
    let have = resident::Entity::find()
        .filter(resident::Column::CommunityId.eq(town.id))
        .count(&db)
        .await? as usize;
    if have < args.residents + 1 {
        let hash = linli::auth::password::hash(&NewPassword::parse(BENCH_PASSWORD)?).await?;
        if have == 0 {
            let admin = insert_residents(
                &db,
                town.id,
                &hash,
                &[(ADMIN_PHONE.into(), "煤城社區會長".into())],
            )
            .await?;
            persistence::roles::grant(
                &db,
                admin[0],
                Grant {
                    role: Role::Admin,
                    scope: Scope::Community(town.id),
                },
            )
            .await?;
        }
        let start = have.saturating_sub(1);
        for chunk_start in (start..args.residents).step_by(1000) {
            let rows: Vec<(String, String)> = (chunk_start
                ..(chunk_start + 1000).min(args.residents))
                .map(|i| (phone(i), display_name(i)))
                .collect();
            insert_residents(&db, town.id, &hash, &rows).await?;
            progress("residents", chunk_start + rows.len(), args.residents);
        }
    }
    let residents: Vec<(Uuid, String)> = resident::Entity::find()
        .filter(resident::Column::CommunityId.eq(town.id))
        .filter(resident::Column::Phone.ne(ADMIN_PHONE))
        .order_by_asc(resident::Column::Phone)
        .all(&db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.phone))
        .collect();

    let admin_token = api.login(ADMIN_PHONE).await?;
    let groups = volunteer_group::Entity::find()
        .filter(volunteer_group::Column::CommunityId.eq(town.id))
        .count(&db)
        .await? as usize;
    db.close().await?;
    if groups == 0 {
        schedules(api, &admin_token, &residents, args).await?;
    }
    // Seeding may have outlasted that token.
    let admin_token = api.login(ADMIN_PHONE).await?;
    println!(
        "seeded: {} residents in {} households, {} compounds ({:.1} s)",
        residents.len(),
        residents.len().div_ceil(HOUSEHOLD_SIZE),
        COMPOUNDS.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(Town {
        community: town.id,
        admin_token,
        residents,
    })
}

/// Groups with leaders, a year of weekly and daily series, overrides and sign-ups, all pushed
/// by the president's phone.
async fn schedules(
    api: &Api,
    admin: &str,
    residents: &[(Uuid, String)],
    args: &BenchArgs,
) -> anyhow::Result<()> {
    let mut phone = Pusher::new(api, admin);
    let start_day = (Utc::now() + Duration::days(1))
        .with_timezone(&Shanghai)
        .date_naive();
    let mut occurrences = Vec::new();
    for g in 0..args.groups {
        let group = Uuid::now_v7();
        let leader = residents[g % residents.len()].0;
        let compound = COMPOUNDS[g % COMPOUNDS.len()];
        phone.add("group.create", json!({"id": group, "name": format!("{}第{}組", KINDS[g % KINDS.len()], g + 1),
            "kind": KINDS[g % KINDS.len()], "venue": format!("{compound}活動室"), "is_open": true, "contact_leader_id": leader}));
        phone.add(
            "member.set_role",
            json!({"group_id": group, "resident_id": leader, "role": "leader"}),
        );
        let mut plans = vec![("FREQ=WEEKLY;COUNT=52", 40)];
        if g % 3 == 0 {
            plans.push(("FREQ=DAILY;COUNT=365", 30));
        }
        for (rule, capacity) in plans {
            let series = Uuid::now_v7();
            let start_local = format!("{}T{:02}:30:00", start_day.format("%Y-%m-%d"), 8 + g % 10);
            phone.add("series.create", json!({"id": series, "group_id": group, "title": format!("活動 {}", g + 1),
                "start_local": start_local, "rrule": rule, "duration_minutes": 90, "capacity": capacity,
                "waitlist_limit": 20, "location": format!("{compound}活動室")}));
            let schedule = Schedule::parse(&start_local, "Asia/Shanghai", Some(rule), 90)?;
            let starts = schedule.occurrences(Utc::now(), Utc::now() + Duration::days(370));
            // Overrides: the fifth session cancelled, the tenth moved to the hall.
            if let Some(t) = starts.get(4) {
                phone.add(
                    "occurrence.override",
                    json!({"series_id": series, "original_start": t, "cancelled": true}),
                );
            }
            if let Some(t) = starts.get(9) {
                phone.add(
                    "occurrence.override",
                    json!({"series_id": series, "original_start": t, "location": "社區禮堂"}),
                );
            }
            for (k, t) in starts.into_iter().enumerate() {
                if k != 4 {
                    occurrences.push((series, t, capacity));
                }
            }
        }
        phone.flush_if_full().await?;
    }
    phone.flush().await?;
    progress("groups and series", args.groups, args.groups);

    // Sign-ups, spread over the year's sessions, by the president on residents' behalf.
    let per_session = args.signups.div_ceil(occurrences.len().max(1));
    let mut made = 0;
    let mut next_resident = 0;
    'sessions: for (series, t, capacity) in &occurrences {
        for _ in 0..per_session.min(*capacity) {
            if made == args.signups {
                break 'sessions;
            }
            let who = residents[next_resident % residents.len()].0;
            next_resident += 7;
            phone.add(
                "signup.request",
                json!({"occurrence_id": occurrence_id(*series, *t), "series_id": series,
                "original_start": t, "on_behalf_of": who}),
            );
            made += 1;
            if phone.flush_if_full().await? {
                progress("sign-ups", made, args.signups);
            }
        }
    }
    phone.flush().await?;
    progress("sign-ups", made, args.signups);
    Ok(())
}

/// Queues mutations and pushes them in batches, failing on any rejection.
struct Pusher<'a> {
    api: &'a Api,
    token: String,
    /// When `token` was issued: seeding can outlast an access token on a slow machine.
    since: std::time::Instant,
    client: Uuid,
    next: u64,
    queue: Vec<Value>,
}

/// How long the pusher uses one access token before logging in again (tokens last 15 min).
const TOKEN_REUSE: std::time::Duration = std::time::Duration::from_secs(5 * 60);

impl<'a> Pusher<'a> {
    fn new(api: &'a Api, token: &str) -> Self {
        Self {
            api,
            token: token.to_owned(),
            since: std::time::Instant::now(),
            client: Uuid::now_v7(),
            next: 1,
            queue: Vec::new(),
        }
    }

    fn add(&mut self, name: &str, args: Value) {
        self.queue.push(mutation(self.next, name, args));
        self.next += 1;
    }

    async fn flush_if_full(&mut self) -> anyhow::Result<bool> {
        if self.queue.len() >= BATCH {
            self.flush().await?;
            return Ok(true);
        }
        Ok(false)
    }

    async fn flush(&mut self) -> anyhow::Result<()> {
        if self.queue.is_empty() {
            return Ok(());
        }
        if self.since.elapsed() > TOKEN_REUSE {
            self.token = self.api.login(ADMIN_PHONE).await?;
            self.since = std::time::Instant::now();
        }
        let out = self.api.push(&self.token, self.client, &self.queue).await?;
        for result in out["results"].as_array().context("a push has results")? {
            anyhow::ensure!(
                result["status"] == "applied",
                "seeding mutation rejected: {result}"
            );
        }
        self.queue.clear();
        Ok(())
    }
}

pub(crate) async fn insert_residents(
    db: &sea_orm::DatabaseConnection,
    community: Uuid,
    hash: &str,
    rows: &[(String, String)],
) -> anyhow::Result<Vec<Uuid>> {
    use sea_orm::ActiveValue::Set;
    let now = Utc::now();
    let ids: Vec<Uuid> = rows.iter().map(|_| Uuid::now_v7()).collect();
    let models = ids
        .iter()
        .zip(rows)
        .map(|(id, (phone, name))| resident::ActiveModel {
            id: Set(*id),
            community_id: Set(community),
            phone: Set(phone.clone()),
            display_name: Set(name.clone()),
            password_hash: Set(hash.to_owned()),
            created_at: Set(now),
            deleted_at: Set(None),
        });
    resident::Entity::insert_many(models)
        .exec_without_returning(db)
        .await?;
    Ok(ids)
}

/// A resident's name with their household: four residents to a household, households
/// spread over the compounds' buildings.
fn display_name(i: usize) -> String {
    const SURNAMES: [&str; 10] = ["王", "李", "張", "劉", "陳", "楊", "趙", "黃", "周", "吳"];
    const GIVEN: [&str; 8] = [
        "秀英", "建國", "淑珍", "志明", "春花", "德勝", "麗華", "永福",
    ];
    let household = i / HOUSEHOLD_SIZE;
    let compound = COMPOUNDS[household % COMPOUNDS.len()];
    format!(
        "{}{}（{compound}{}棟{}號）",
        SURNAMES[household % SURNAMES.len()],
        GIVEN[i % GIVEN.len()],
        household / 40 % 50 + 1,
        household % 40 + 1
    )
}

fn progress(what: &str, done: usize, total: usize) {
    println!("[seed] {what}: {done}/{total}");
}
