//! What the sync engine is told, checked rather than remembered: every synced table the
//! migrations make is registered with it, and an app speaking an older sync schema never
//! receives an entity newer than it, until it upgrades and gets them all.

use std::collections::BTreeSet;

use chrono::Utc;
use linli::auth::tokens::Claims;
use linli::domain::permissions::{Actor, Grant};
use linli::features::schedule::{changes, entity::occurrence_tally, rank, wire};
use linli::features::{App, Change, Mutation, MutationCode};
use linli::sync::feed::{Audience, Encode, FeedTable, Table};
use linli::sync::registry::{AppMutation, Ctx, Outcome};
use linli::sync::scope::SyncScope;
use linli::sync::wire::PullRequest;
use linli::sync::{SyncApp, SyncEngine, pull};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Resident, spawn_app};
use crate::phone::{Phone, assert_all_applied};

/// Tables with a `community_id` and a `version` column, as the migrations made them.
async fn versioned_tables(db: &sea_orm::DatabaseConnection) -> BTreeSet<String> {
    let backend = db.get_database_backend();
    let sql = if backend == sea_orm::DbBackend::Postgres {
        "SELECT table_name AS t FROM information_schema.columns \
         WHERE table_schema = current_schema() AND column_name IN ('community_id', 'version') \
         GROUP BY table_name HAVING COUNT(*) = 2"
    } else {
        "SELECT m.name AS t FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND p.name IN ('community_id', 'version') \
         GROUP BY m.name HAVING COUNT(*) = 2"
    };
    db.query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.try_get::<String>("", "t").unwrap())
        .collect()
}

#[tokio::test]
async fn every_synced_table_the_migrations_make_is_registered() {
    let app = spawn_app().await;
    let migrated = versioned_tables(&app.db).await;
    let mut registered: BTreeSet<String> = App::tables().iter().map(|t| t.table()).collect();
    // The engine's own: each community's version counter.
    registered.insert("sync_version".into());
    assert_eq!(
        migrated, registered,
        "a migrated table with community_id and version is not registered with the sync \
         engine (or a registered one is not migrated): register it in its capability's tables()"
    );
}

/// linli's app as it would be if seat tallies had arrived in sync schema 2: the same tables,
/// the tallies declared `since(2)`.
struct TalliesLater;

impl SyncApp for TalliesLater {
    type Mutation = Mutation;
    type Change = Change;
    type Code = MutationCode;
    const SCHEMA_VERSION: u32 = 2;
    const MIN_SCHEMA_VERSION: u32 = 1;

    fn tables() -> Vec<Box<dyn FeedTable<Self>>> {
        let mut tables: Vec<_> = linli::features::schedule::tables::<Self>()
            .into_iter()
            .filter(|t| t.name() != "occurrence_tally")
            .collect();
        tables.push(Box::new(
            Table::<occurrence_tally::Entity, Self>::new(
                "occurrence_tally",
                rank::TALLY,
                Audience::Public,
                Encode::Each(changes::tally),
                |id| Change::OccurrenceTally(wire::OccurrenceTallyChange::gone(id)),
            )
            .since(2),
        ));
        tables
    }

    fn scope_of(actor: &Actor) -> SyncScope {
        App::scope_of(actor)
    }

    async fn grants_of<C: ConnectionTrait>(conn: &C, resident: Uuid) -> Result<Vec<Grant>, DbErr> {
        App::grants_of(conn, resident).await
    }

    fn entity_of(change: &Change) -> &'static str {
        change.entity()
    }
}

/// This test only pulls.
impl AppMutation<TalliesLater> for Mutation {
    fn changes_roles(&self) -> bool {
        false
    }

    async fn apply<'a>(
        &'a self,
        _txn: &'a DatabaseTransaction,
        _ctx: &'a Ctx<'a>,
    ) -> Result<Outcome<TalliesLater>, DbErr> {
        Err(DbErr::Custom("this app only pulls".into()))
    }
}

fn claims(who: &Resident, community: Uuid) -> Claims {
    let now = Utc::now().timestamp();
    Claims {
        sub: who.id,
        iss: "linli".into(),
        aud: "linli-app".into(),
        exp: now + 900,
        iat: now,
        jti: Uuid::now_v7(),
        cid: community,
        sid: None,
    }
}

/// Pulls to the head at `schema`, from `cursor`; the entities received, by name and id.
async fn pull_all(
    engine: &SyncEngine<TalliesLater>,
    claims: &Claims,
    client: Uuid,
    schema: u32,
    cursor: &mut Option<String>,
) -> BTreeSet<(String, Uuid)> {
    let mut got = BTreeSet::new();
    loop {
        let req = PullRequest {
            client_id: client,
            schema_version: schema,
            cursor: cursor.clone(),
            limit: Some(3),
            horizon_days_back: None,
            horizon_days_ahead: None,
        };
        let page = match pull::from_memory(engine, claims, &req) {
            Some(page) => page,
            None => pull::pull(engine, claims, req).await.unwrap(),
        };
        let body: Value = serde_json::from_slice(&page.to_json()).unwrap();
        for change in body["changes"].as_array().unwrap() {
            let id = change["id"].as_str().unwrap().parse().unwrap();
            got.insert((change["entity"].as_str().unwrap().to_owned(), id));
        }
        *cursor = Some(page.cursor);
        if !page.has_more {
            return got;
        }
    }
}

#[tokio::test]
async fn an_older_app_never_receives_a_newer_entity_and_gets_them_all_when_it_upgrades() {
    let app = spawn_app().await;
    let admin = app.admin("13800000000", "會長").await;
    let mut phone = Phone::new(&app, &admin);
    let (group, series) = (Uuid::now_v7(), Uuid::now_v7());
    phone.mutate(
        "group.create",
        json!({"id": group, "name": "太極拳隊", "is_open": true}),
    );
    phone.mutate("series.create", json!({"id": series, "group_id": group, "title": "晨練",
        "start_local": (Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%dT07:00").to_string(),
        "rrule": "FREQ=DAILY;COUNT=5", "duration_minutes": 60, "capacity": 10}));
    phone.push().await;
    // Sign-ups for three mornings make three seat tallies.
    phone.pull().await;
    let mornings: Vec<Value> = linli::features::schedule::rules::recurrence::Schedule::parse(
        phone.get("series", series).unwrap()["start_local"]
            .as_str()
            .unwrap(),
        "Asia/Shanghai",
        Some("FREQ=DAILY;COUNT=5"),
        60,
    )
    .unwrap()
    .occurrences(Utc::now(), Utc::now() + chrono::Duration::days(10))
    .into_iter()
    .take(3)
    .map(|t| {
        let id = linli::features::schedule::rules::recurrence::occurrence_id(series, t);
        json!({"occurrence_id": id, "series_id": series, "original_start": t})
    })
    .collect();
    for args in &mornings {
        phone.mutate("signup.request", args.clone());
    }
    let out = phone.push().await;
    assert_all_applied(&out);

    let engine = SyncEngine::<TalliesLater>::new(
        app.db.clone(),
        app.db.clone(),
        Default::default(),
        std::sync::Arc::new(linli::sync::cursor::CursorKey::derive(b"test")),
        // The server's: it learns of every commit, so "anything new?" is answered truly.
        app.sync.poker.clone(),
        std::sync::Arc::new(linli::sync::write::WriteGate::for_backend(
            app.db.get_database_backend(),
        )),
    );
    let claims = claims(&admin, app.community_id().await);
    let tallies = |got: &BTreeSet<(String, Uuid)>| {
        got.iter()
            .filter(|(entity, _)| entity == "occurrence_tally")
            .count()
    };

    // A schema-2 app's first sync has the three tallies: the reference.
    let fresh = pull_all(&engine, &claims, Uuid::now_v7(), 2, &mut None).await;
    assert_eq!(tallies(&fresh), 3, "{fresh:?}");

    // A schema-1 app gets everything else, in pages, and no tally.
    let (client, mut cursor) = (Uuid::now_v7(), None);
    let old = pull_all(&engine, &claims, client, 1, &mut cursor).await;
    assert_eq!(tallies(&old), 0, "{old:?}");
    assert!(old.contains(&("group".into(), group)) && old.contains(&("series".into(), series)));
    // ... nor later ones.
    phone.mutate("signup.cancel", mornings[0].clone());
    phone.push().await;
    let later = pull_all(&engine, &claims, client, 1, &mut cursor).await;
    assert_eq!(tallies(&later), 0, "{later:?}");
    assert!(
        !later.is_empty(),
        "the cancelled sign-up reaches the old app"
    );

    // Upgraded, the same phone gets every tally it could not read before, at once, and
    // then has what a schema-2 phone has.
    let upgraded = pull_all(&engine, &claims, client, 2, &mut cursor).await;
    assert_eq!(tallies(&upgraded), 3, "{upgraded:?}");
    let mut all = old;
    all.extend(later);
    all.extend(upgraded);
    let fresh_now = pull_all(&engine, &claims, Uuid::now_v7(), 2, &mut None).await;
    assert!(
        fresh_now.is_subset(&all),
        "missing after the upgrade: {:?}",
        fresh_now.difference(&all)
    );
    // And at the head, nothing more.
    let again = pull_all(&engine, &claims, client, 2, &mut cursor).await;
    assert!(again.is_empty(), "{again:?}");
}
