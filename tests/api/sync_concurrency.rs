//! Guarantees that need concurrency or several server processes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde_json::json;
use uuid::Uuid;

use crate::helpers::{TEST_SECRET, is_postgres, spawn_app_with, spawn_process, wait_until};
use crate::phone::Phone;
use crate::sync::{open_events, wait_for_event};

const WRITERS: usize = 6;
const GROUPS_PER_WRITER: usize = 20;
const PULLERS: usize = 3;

/// Writers commit concurrently while pullers pull in small pages; a cursor built on values
/// assigned before commit would step past a slow writer's change and never see it. Every
/// puller must end with every group.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_change_slips_behind_a_cursor_under_concurrent_writers() {
    // Pullers page as fast as the server answers, beyond any phone's rate.
    let app = spawn_app_with(|s| {
        s.database.max_connections = 16;
        s.sync_rates = linli::http::rate::SyncRates::OFF;
    })
    .await;
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        writers.push(Phone::new(
            &app,
            &app.admin(&format!("1380000000{w}"), &format!("委員{w}"))
                .await,
        ));
    }
    let mut pullers = Vec::new();
    for p in 0..PULLERS {
        pullers.push(Phone::new(
            &app,
            &app.resident(&format!("1390000000{p}"), &format!("居民{p}"))
                .await,
        ));
    }
    let done = Arc::new(AtomicBool::new(false));

    let puller_tasks: Vec<_> = pullers
        .into_iter()
        .map(|mut phone| {
            let done = done.clone();
            tokio::spawn(async move {
                let mut pulls = 0;
                while !done.load(Ordering::Acquire) {
                    phone.pull_page(Some(7)).await;
                    pulls += 1;
                }
                phone.pull().await;
                (phone, pulls)
            })
        })
        .collect();
    let writer_tasks: Vec<_> = writers
        .into_iter()
        .map(|mut phone| {
            tokio::spawn(async move {
                let mut created = Vec::new();
                for i in 0..GROUPS_PER_WRITER {
                    let id = Uuid::now_v7();
                    phone.mutate("group.create", json!({"id": id, "name": format!("組{i}")}));
                    let out = phone.push().await;
                    assert_eq!(out["results"][0]["status"], "applied");
                    created.push(id);
                }
                created
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in writer_tasks {
        all.extend(t.await.unwrap());
    }
    done.store(true, Ordering::Release);

    for t in puller_tasks {
        let (phone, pulls) = t.await.unwrap();
        assert!(pulls > 0);
        let missing: Vec<&Uuid> = all
            .iter()
            .filter(|id| phone.get("group", **id).is_none())
            .collect();
        assert!(
            missing.is_empty(),
            "a puller missed {} of {} groups after {pulls} pulls",
            missing.len(),
            all.len()
        );
    }
}

/// Pokes cross processes through PostgreSQL: a phone connected to one process hears about a
/// change pushed to another.
#[tokio::test]
async fn a_poke_reaches_phones_connected_to_another_server_process() {
    if !is_postgres() {
        eprintln!("skipped: pokes between processes need PostgreSQL (set LINLI_TEST_DATABASE_URL)");
        return;
    }
    let app = spawn_app_with(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let (_other, other_base) = spawn_process(
        dir.path(),
        &[
            ("DATABASE_URL", &app.database_url),
            ("LINLI_JWT_SECRET", TEST_SECRET),
        ],
        &[],
    )
    .await;
    let admin = app.admin("13800000000", "會長").await;
    let resident = app.resident("13812345678", "王阿姨").await;
    let mut events = open_events(&other_base, &app.client, &resident.access_token).await;
    assert!(
        wait_for_event(&mut events, |e, _| e == "poke").await,
        "the stream opens with a poke"
    );

    let mut phone = Phone::new(&app, &admin);
    phone.mutate(
        "group.create",
        json!({"id": Uuid::now_v7(), "name": "合唱團"}),
    );
    let pushed = Instant::now();
    phone.push().await;

    assert!(
        wait_for_event(&mut events, |e, d| e == "poke"
            && d["version"].as_u64().unwrap_or_default() >= 1)
        .await,
        "no poke reached the other process"
    );
    eprintln!(
        "poke crossed processes {:?} after the push",
        pushed.elapsed()
    );
}

/// A pull's statements must all read one snapshot. On PostgreSQL the pull's pool gets that
/// from session defaults set when each connection starts, not per transaction: check that
/// a transaction there is REPEATABLE READ and cannot write. (On SQLite the readers are the
/// main pool, whose read transactions are snapshots by themselves.)
#[tokio::test]
async fn pulls_read_from_snapshots_that_cannot_write() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
    if !is_postgres() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (url, _database) = crate::helpers::fresh_database(dir.path()).await;
    let settings = linli::config::DatabaseSettings {
        url,
        max_connections: 2,
    };
    let db = linli::persistence::connect(&settings).await.unwrap();
    let reader = linli::persistence::connect_reader(&settings, &db)
        .await
        .unwrap();
    let txn = reader.begin().await.unwrap();
    let show =
        |setting: &str| Statement::from_string(DbBackend::Postgres, format!("SHOW {setting}"));
    for (setting, expected) in [
        ("transaction_isolation", "repeatable read"),
        ("transaction_read_only", "on"),
    ] {
        let row = txn.query_one_raw(show(setting)).await.unwrap().unwrap();
        assert_eq!(row.try_get::<String>("", setting).unwrap(), expected);
    }
    let write = txn
        .execute_unprepared("CREATE TABLE pulls_never_write (id int)")
        .await;
    assert!(write.is_err(), "a snapshot reader wrote");
    txn.rollback().await.unwrap();
    let main = db.begin().await.unwrap();
    let row = main
        .query_one_raw(show("transaction_isolation"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.try_get::<String>("", "transaction_isolation").unwrap(),
        "read committed",
        "writes keep PostgreSQL's default isolation"
    );
    main.rollback().await.unwrap();
    reader.close().await.unwrap();
    db.close().await.unwrap();
}

/// On SQLite, a login's write and the push writer's batches take turns in arrival order:
/// while one holds the turn, the others wait in line in memory, not by polling the database's
/// lock (where a rush of pushes could keep a login out past its busy timeout).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_sqlite_logins_and_pushes_wait_their_turn_to_write() {
    if is_postgres() {
        // PostgreSQL queues lock waiters fairly itself; the gate lets everyone through.
        assert!(app_gate_is_open().await);
        return;
    }
    let app = spawn_app_with(|_| {}).await;
    let resident = app.resident("13812345678", "王阿姨").await;
    let mut phone = Phone::new(&app, &resident);
    phone.mutate("group.join", json!({"group_id": Uuid::now_v7()}));

    let held = app.write_gate.turn().await;
    assert!(held.is_some(), "SQLite writers take turns");
    let refresh = {
        let (address, client, token) = (
            app.address.clone(),
            app.client.clone(),
            resident.refresh_token.clone(),
        );
        tokio::spawn(async move {
            client
                .post(format!("{address}/api/v1/auth/refresh"))
                .json(&json!({"refresh_token": token}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    wait_until("the refresh waits for its turn", || {
        app.write_gate.waiting() == 1
    })
    .await;
    let push = tokio::spawn(async move { phone.push_queue_raw().await.status().as_u16() });
    wait_until("the push writer waits for its turn", || {
        app.write_gate.waiting() == 2
    })
    .await;
    assert!(!refresh.is_finished() && !push.is_finished());

    drop(held);
    assert_eq!(refresh.await.unwrap(), 200);
    assert_eq!(push.await.unwrap(), 200);
}

/// On PostgreSQL the gate never makes anyone wait.
async fn app_gate_is_open() -> bool {
    let app = spawn_app_with(|_| {}).await;
    let first = app.write_gate.turn().await;
    let second = app.write_gate.turn().await;
    first.is_none() && second.is_none()
}
