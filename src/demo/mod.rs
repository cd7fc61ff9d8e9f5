//! `linli demo`: fills an empty database with the Sun Village community, so the service can
//! be tried with realistic data: four compounds, the six volunteer groups with their leaders
//! and weekly schedules, a few hundred residents with accounts, memberships, and sign-ups with
//! a waitlist or two; then the ground ([`territory`]): areas, buildings, grid cells, 5,000
//! households and 20,000 residents on the roll, every position filled, claims confirmed and
//! waiting; and [`elections`]: one building's representative elected (on phones and on
//! paper), and the next building's leader election open for nominations; [`deliberation`]'s
//! parking plan; and [`grid`]: a grid worker's log, cases of each tier, a mediated dispute
//! and a reception day in 利民小區; [`announcements`]: an urgent notice to a building there,
//! half read; [`crowdfunding`]: flower pots and benches for its yard, with a public ledger. Everything after the accounts goes through the sync
//! engine's push, as phones would.

pub mod announcements;
pub mod crowdfunding;
pub mod deliberation;
pub mod elections;
pub mod grid;
pub mod talents;
pub mod territory;

use std::sync::Arc;

use anyhow::Context;
use chrono::{Duration, Utc};
use chrono_tz::Asia::Shanghai;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::tokens::{TokenKeys, generate_secret};
use crate::domain::permissions::{Grant, Role, Scope};
use crate::domain::resident::{DisplayName, NewPassword, PhoneNumber};
use crate::entity::{community, resident};
use crate::features::schedule::rules::recurrence::{Schedule, occurrence_id};
use crate::features::{Mutation, PushRequest};
use crate::http::AppState;
use crate::persistence;
use crate::sync::cursor::CursorKey;
use crate::sync::pokes::Poker;
use crate::sync::wire::PushedMutation;

/// Every demo account's password (printed when the demo is made).
pub const DEMO_PASSWORD: &str = "linli-demo-2026";
const COMPOUNDS: [&str; 4] = ["利民小區", "西苑", "南苑", "北苑"];
const SURNAMES: [&str; 20] = [
    "王", "李", "張", "劉", "陳", "楊", "趙", "黃", "周", "吳", "徐", "孫", "胡", "朱", "高", "林",
    "何", "郭", "馬", "羅",
];
const GIVEN: [&str; 15] = [
    "秀英", "桂英", "建國", "國強", "淑珍", "玉蘭", "志明", "春花", "德勝", "麗華", "文斌", "小紅",
    "永福", "鳳英", "海濤",
];

struct GroupPlan {
    name: &'static str,
    kind: &'static str,
    compound: usize,
    title: &'static str,
    rrule: &'static str,
    time: &'static str,
    minutes: u32,
    capacity: Option<u32>,
    members: usize,
    /// Sign-ups for the next session (more than the capacity makes a waitlist).
    signups: usize,
}

const GROUPS: [GroupPlan; 6] = [
    GroupPlan {
        name: "書畫社",
        kind: "calligraphy_painting",
        compound: 0,
        title: "書法與國畫",
        rrule: "FREQ=WEEKLY;BYDAY=TU,TH",
        time: "09:00",
        minutes: 120,
        capacity: Some(24),
        members: 30,
        signups: 20,
    },
    GroupPlan {
        name: "夕陽紅合唱團",
        kind: "choir",
        compound: 1,
        title: "合唱排練",
        rrule: "FREQ=WEEKLY;BYDAY=WE",
        time: "19:00",
        minutes: 90,
        capacity: Some(50),
        members: 45,
        signups: 40,
    },
    GroupPlan {
        name: "晨練健身隊",
        kind: "fitness",
        compound: 2,
        title: "廣場晨練",
        rrule: "FREQ=DAILY",
        time: "07:00",
        minutes: 60,
        capacity: None,
        members: 40,
        signups: 25,
    },
    GroupPlan {
        name: "廣場舞隊",
        kind: "dance",
        compound: 3,
        title: "廣場舞",
        rrule: "FREQ=DAILY",
        time: "19:30",
        minutes: 60,
        capacity: None,
        members: 60,
        signups: 35,
    },
    GroupPlan {
        name: "老幫老互助組",
        kind: "elder_mutual_aid",
        compound: 1,
        title: "上門探訪",
        rrule: "FREQ=WEEKLY;BYDAY=MO,FR",
        time: "14:00",
        minutes: 120,
        capacity: Some(6),
        members: 20,
        signups: 9,
    },
    GroupPlan {
        name: "週六法律講座",
        kind: "legal_corner",
        compound: 0,
        title: "法律諮詢講座",
        rrule: "FREQ=WEEKLY;BYDAY=SA",
        time: "09:30",
        minutes: 90,
        capacity: Some(40),
        members: 0,
        signups: 46,
    },
];

/// One resident's phone pushing mutations, one at a time, through the real push path.
struct DemoPhone {
    resident: Uuid,
    client: Uuid,
    next: u64,
}

impl DemoPhone {
    fn new(resident: Uuid) -> Self {
        Self {
            resident,
            client: Uuid::now_v7(),
            next: 1,
        }
    }

    async fn push(&mut self, state: &AppState, name: &str, args: Value) -> anyhow::Result<Value> {
        let m = json!({"id": self.next, "hlc": state.sync.clock.now().to_string(), "name": name, "args": args});
        self.next += 1;
        let mutation =
            <PushedMutation<Mutation> as poem_openapi::types::ParseFromJSON>::parse_from_json(
                Some(m),
            )
            .map_err(|e| anyhow::anyhow!("demo mutation: {}", e.into_message()))?;
        let actor = state
            .actor_by_id(self.resident)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let out = crate::http::sync::push_as(
            state,
            actor,
            PushRequest {
                client_id: self.client,
                schema_version: 1,
                mutations: vec![mutation],
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let result = poem_openapi::types::ToJSON::to_json(&out.results[0]).unwrap_or_default();
        Ok(result)
    }
}

pub async fn run(
    db: DatabaseConnection,
    residents_wanted: usize,
    households: usize,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        resident::Entity::find().count(&db).await? == 0,
        "linli demo fills an empty database, and this one has residents; point DATABASE_URL at a new file"
    );
    // The demo only writes, so pulls' snapshot readers are never used: share the pool.
    let state = AppState::new(
        db.clone(),
        db.clone(),
        TokenKeys::new(generate_secret().as_bytes(), "linli", "linli-app")?,
        CursorKey::derive(b"demo"),
        Arc::new(Poker::new()),
        std::time::Duration::from_secs(15),
    );
    let village = match persistence::communities::find_by_slug(&db, "sun-village").await? {
        Some(v) => v,
        None => {
            use sea_orm::{ActiveModelTrait, ActiveValue::Set};
            community::ActiveModel {
                id: Set(Uuid::now_v7()),
                slug: Set("sun-village".into()),
                name: Set("孫村 Sun Village".into()),
                created_at: Set(Utc::now()),
            }
            .insert(&db)
            .await?
        }
    };
    println!(
        "[1/4] community: {} ({}), compounds {}",
        village.name,
        village.slug,
        COMPOUNDS.join("、")
    );

    // Demo accounts share one password, so one hash serves them all.
    let hash = crate::auth::password::hash(&NewPassword::parse(DEMO_PASSWORD)?).await?;
    let mut people = Vec::with_capacity(residents_wanted + 1);
    let admin = create(&db, &village, "13800000000", "孫村會長", &hash).await?;
    persistence::roles::grant(
        &db,
        admin,
        Grant {
            role: Role::Admin,
            scope: Scope::Community(village.id),
        },
    )
    .await?;
    for i in 0..residents_wanted {
        let compound = COMPOUNDS[i % COMPOUNDS.len()];
        let name = format!(
            "{}{}（{compound}）",
            SURNAMES[i % SURNAMES.len()],
            GIVEN[(i / SURNAMES.len()) % GIVEN.len()]
        );
        people.push(create(&db, &village, &format!("139{i:08}"), &name, &hash).await?);
        if (i + 1) % 50 == 0 || i + 1 == residents_wanted {
            println!("[2/4] residents {}/{residents_wanted}", i + 1);
        }
    }

    let mut admin_phone = DemoPhone::new(admin);
    let mut waitlists = 0;
    for (g, plan) in GROUPS.iter().enumerate() {
        let (group, series) = (Uuid::now_v7(), Uuid::now_v7());
        let leader = people[g * 7 % people.len()];
        let venue = format!("{}活動室", COMPOUNDS[plan.compound]);
        admin_phone
            .push(&state, "group.create", json!({"id": group, "name": plan.name, "kind": plan.kind, "venue": venue, "is_open": true, "contact_leader_id": leader}))
            .await?;
        admin_phone
            .push(
                &state,
                "member.set_role",
                json!({"group_id": group, "resident_id": leader, "role": "leader"}),
            )
            .await?;
        let start_day = (Utc::now() + Duration::days(1))
            .with_timezone(&Shanghai)
            .date_naive();
        let start_local = format!("{}T{}", start_day.format("%Y-%m-%d"), plan.time);
        let mut leader_phone = DemoPhone::new(leader);
        leader_phone
            .push(&state, "series.create", json!({"id": series, "group_id": group, "title": plan.title, "start_local": start_local,
                "rrule": plan.rrule, "duration_minutes": plan.minutes, "capacity": plan.capacity, "waitlist_limit": 10,
                "signup_opens_days_before": 14, "cancel_cutoff_minutes_before": 120}))
            .await?;
        for k in 0..plan.members {
            let who = people[(g * 37 + k * 3) % people.len()];
            DemoPhone::new(who)
                .push(&state, "group.join", json!({"group_id": group}))
                .await?;
        }
        // The next session's sign-ups.
        let schedule = Schedule::parse(
            &start_local,
            "Asia/Shanghai",
            Some(plan.rrule),
            i32::try_from(plan.minutes)?,
        )?;
        let next = schedule
            .occurrences(
                Utc::now() + Duration::hours(3),
                Utc::now() + Duration::days(8),
            )
            .first()
            .copied()
            .context("a series with no occurrence this week")?;
        let occ = occurrence_id(series, next);
        for k in 0..plan.signups {
            let who = people[(g * 53 + k * 5) % people.len()];
            let out = DemoPhone::new(who)
                .push(
                    &state,
                    "signup.request",
                    json!({"occurrence_id": occ, "series_id": series, "original_start": next}),
                )
                .await?;
            if out["data"]["data"]["status"] == "waitlisted"
                && out["data"]["data"]["waitlist_position"] == 1
            {
                waitlists += 1;
            }
        }
        println!(
            "[3/4] group {}/{}: {} ({} members, {} sign-ups for {})",
            g + 1,
            GROUPS.len(),
            plan.name,
            plan.members,
            plan.signups,
            next.with_timezone(&Shanghai).format("%m-%d %H:%M")
        );
    }
    if households > 0 {
        let ground = territory::build(&state, village.id, admin, &people, households).await?;
        println!("[territory] {ground}");
        let polls = elections::build(&state, &village, admin, &hash).await?;
        println!("[elections] {polls}");
        let table = deliberation::build(&state, &village, admin, &hash).await?;
        println!("[deliberation] {table}");
        let grid = grid::build(&state, &village, admin, &hash).await?;
        println!("[grid] {grid}");
        let notices = announcements::build(&state, &village, admin).await?;
        println!("[announcements] {notices}");
        let fund = crowdfunding::build(&state, &village).await?;
        println!("[crowdfunding] {fund}");
        let talents = talents::build(&state, &village).await?;
        println!("[talents] {talents}");
    }
    println!(
        "[4/4] done: {} residents, {} groups, {waitlists} sessions with a waitlist",
        people.len() + 1,
        GROUPS.len()
    );
    println!(
        "log in as the president 13800000000 (or any resident 13900000000…), password {DEMO_PASSWORD}"
    );
    Ok(())
}

/// 利民小區 (Limin compound), where the demo's grid work, notices and campaign happen.
async fn limin(
    state: &AppState,
    village: &community::Model,
) -> anyhow::Result<crate::features::territory::entity::unit::Model> {
    use crate::features::territory::entity::unit;
    use sea_orm::{ColumnTrait, QueryFilter};
    unit::Entity::find()
        .filter(unit::Column::CommunityId.eq(village.id))
        .filter(unit::Column::Kind.eq("compound"))
        .filter(unit::Column::Name.eq(COMPOUNDS[0]))
        .one(&state.db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo has no {}", COMPOUNDS[0]))
}

/// Fails the demo, naming what, when a mutation it pushed was not applied.
fn applied(out: &Value, what: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        out["status"] == "applied",
        "the demo's {what} was refused: {out}"
    );
    Ok(())
}

async fn create(
    db: &DatabaseConnection,
    village: &community::Model,
    phone: &str,
    name: &str,
    hash: &str,
) -> anyhow::Result<Uuid> {
    let created = persistence::residents::create(
        db,
        village.id,
        &PhoneNumber::parse(phone)?,
        &DisplayName::parse(name)?,
        hash.to_owned(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(created.id)
}
