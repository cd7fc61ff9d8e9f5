//! The `linli` binary itself: the README's run command, shutdown, `user create`, `migrate`.

use std::os::unix::fs::PermissionsExt;

use migration::{Migrator, MigratorTrait};
use sea_orm::Database;
use serde_json::Value;
use tokio::process::{Child, Command};

use crate::helpers::{DEADLINE, PASSWORD, fresh_database, spawn_app, spawn_process_logged};

const BIN: &str = env!("CARGO_BIN_EXE_linli");

/// Starts `linli` with no arguments in `dir`, on a free port, on the embedded default.
async fn start_default(dir: &std::path::Path) -> (Child, String, Log) {
    spawn_process_logged(dir, &[], &["DATABASE_URL", "LINLI_JWT_SECRET"]).await
}

type Log = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// SIGTERM, then asserts that linli stopped on its own with success (its log tells why not).
async fn terminate_cleanly(child: &mut Child, log: &Log) {
    let status = terminate(child).await;
    assert!(
        status.success(),
        "linli ended with {status} after SIGTERM; its log:\n{}",
        log.lock().unwrap().join("\n")
    );
}

async fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let pid = child.id().unwrap().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    tokio::time::timeout(DEADLINE, child.wait())
        .await
        .expect("linli did not stop after SIGTERM")
        .unwrap()
}

#[tokio::test]
async fn the_readme_run_command_serves_on_embedded_sqlite_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, base, log) = start_default(dir.path()).await;
    let client = reqwest::Client::new();

    assert_eq!(
        client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        client
            .get(format!("{base}/docs"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let communities: Value = client
        .get(format!("{base}/api/v1/communities"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let community = communities[0]["id"].as_str().unwrap().to_owned();
    let session: Value = client
        .post(format!("{base}/api/v1/auth/register"))
        .json(&serde_json::json!({"phone": "13812345678", "display_name": "王阿姨", "password": PASSWORD, "community_id": community}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = session["access_token"].as_str().unwrap().to_owned();

    let secret = dir.path().join("linli.jwt-secret");
    assert!(dir.path().join("linli.db").exists());
    assert_eq!(
        std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777,
        0o600
    );

    terminate_cleanly(&mut child, &log).await;

    // Restarted, it keeps its secret: a token issued before the restart still works.
    let (mut child, base, log) = start_default(dir.path()).await;
    let me = client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    terminate_cleanly(&mut child, &log).await;
}

#[tokio::test]
async fn a_personal_calendar_token_never_reaches_the_access_log() {
    let dir = tempfile::tempdir().unwrap();
    let (_child, base, log) = crate::helpers::spawn_process_logged(
        dir.path(),
        &[],
        &["DATABASE_URL", "LINLI_JWT_SECRET"],
    )
    .await;
    let token = "c2VjcmV0LWNhbGVuZGFyLXRva2Vu";
    let resp = reqwest::get(format!("{base}/api/v1/calendar/{token}.ics"))
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    // The request's own line is written once it is answered.
    let logged = |l: &String| l.contains("/api/v1/calendar/");
    crate::helpers::wait_until("the request is logged", || {
        log.lock().unwrap().iter().any(logged)
    })
    .await;
    let lines = log.lock().unwrap().clone();
    assert!(
        lines.iter().all(|l| !l.contains(token)),
        "the token is in the log: {lines:?}"
    );
}

#[tokio::test]
async fn postgres_without_a_jwt_secret_refuses_to_start() {
    let output = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/linli")
        .env_remove("LINLI_JWT_SECRET")
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("LINLI_JWT_SECRET"));
}

#[tokio::test]
async fn user_create_makes_a_community_admin() {
    let app = spawn_app().await;
    let output = Command::new(BIN)
        .args([
            "user",
            "create",
            "--phone",
            "13800000000",
            "--name",
            "會長",
            "--admin",
        ])
        .env("DATABASE_URL", &app.database_url)
        .env("LINLI_USER_PASSWORD", PASSWORD)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let created = String::from_utf8_lossy(&output.stdout).trim().to_owned();

    let resp = app.login("13800000000", PASSWORD).await;
    let session = crate::helpers::session(resp, "13800000000").await;
    let me: Value = app
        .get("/api/v1/me", Some(&session.access_token))
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(me["id"], created);
    assert_eq!(me["roles"][0]["role"], "admin");
}

#[tokio::test]
async fn a_new_deployment_creates_its_community_then_its_first_admin() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _guard) = fresh_database(dir.path()).await;
    let linli = |args: &[&str]| {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .env("DATABASE_URL", &url)
            .env("LINLI_USER_PASSWORD", PASSWORD);
        async move { command.output().await.unwrap() }
    };
    assert!(linli(&["migrate"]).await.status.success());
    let admin = [
        "user",
        "create",
        "--phone",
        "13800000000",
        "--name",
        "會長",
        "--admin",
    ];

    // No community yet: the error says how to make one.
    let refused = linli(&admin).await;
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("linli community create"), "{said}");

    let created = linli(&[
        "community",
        "create",
        "--slug",
        "sun-village",
        "--name",
        "孫村",
    ])
    .await;
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let again = linli(&[
        "community",
        "create",
        "--slug",
        "sun-village",
        "--name",
        "孫村",
    ])
    .await;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let bad = linli(&[
        "community",
        "create",
        "--slug",
        "Sun Village",
        "--name",
        "孫村",
    ])
    .await;
    assert!(!bad.status.success());

    let made = linli(&admin).await;
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    assert!(String::from_utf8_lossy(&made.stderr).contains("in sun-village as admin"));
}

#[tokio::test]
async fn migrate_applies_every_migration_to_an_empty_database_and_is_repeatable() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _guard) = fresh_database(dir.path()).await;

    for _ in 0..2 {
        let status = Command::new(BIN)
            .args(["migrate", "--database-url", &url])
            .status()
            .await
            .unwrap();
        assert!(status.success());
    }

    let db = Database::connect(&url).await.unwrap();
    let applied = Migrator::get_applied_migrations(&db).await.unwrap();
    assert_eq!(applied.len(), Migrator::migrations().len());
    assert!(
        Migrator::get_pending_migrations(&db)
            .await
            .unwrap()
            .is_empty()
    );
    // Every migration can be rolled back and applied again.
    Migrator::down(&db, None).await.unwrap();
    assert_eq!(
        Migrator::get_pending_migrations(&db).await.unwrap().len(),
        Migrator::migrations().len()
    );
    Migrator::up(&db, None).await.unwrap();
    db.close().await.unwrap();
}

#[tokio::test]
async fn compact_purges_old_tombstones_and_old_cursors_must_resync() {
    use crate::phone::Phone;
    use serde_json::json;

    let app = spawn_app().await;
    let admin = app.admin("13800000000", "會長").await;
    let mut phone = Phone::new(&app, &admin);
    let group = uuid::Uuid::now_v7();
    phone.mutate("group.create", json!({"id": group, "name": "法律講座"}));
    phone.sync().await;
    let before_delete = phone.cursor.clone();
    phone.mutate("group.delete", json!({"id": group}));
    phone.sync().await;

    let output = Command::new(BIN)
        .args(["compact", "--retention-days", "0"])
        .env("DATABASE_URL", &app.database_url)
        .output()
        .await
        .unwrap();

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("purged 1 tombstones"));
    let resp = phone.pull_raw(before_delete.as_deref(), None).await;
    crate::helpers::assert_problem(resp, 410, "resync_required").await;
    // The cursor taken after the delete is still good.
    assert!(phone.pull().await.is_empty());
}

#[tokio::test]
async fn demo_fills_an_empty_database_with_sun_village() {
    let app = spawn_app().await;
    let output = Command::new(BIN)
        .args(["demo", "--residents", "60", "--households", "48"])
        .env("DATABASE_URL", &app.database_url)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        printed.contains("[4/4] done: 61 residents, 6 groups"),
        "{printed}"
    );
    // The ground: 48 flats in 4 buildings of the four compounds, each building with its
    // leader, and claims both confirmed and waiting.
    assert!(
        printed.contains("[territory] ") && printed.contains("48 households"),
        "{printed}"
    );

    let session = crate::helpers::session(
        app.login("13800000000", linli::demo::DEMO_PASSWORD).await,
        "13800000000",
    )
    .await;
    let groups: Value = app
        .get("/api/v1/groups", Some(&session.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(groups.as_array().unwrap().len(), 6);
    // Sun Village is 孫村, the Sun family's village.
    let communities: Value = app
        .get("/api/v1/communities", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        communities
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"].as_str().unwrap().starts_with("孫村")),
        "{communities}"
    );
    // Every position is filled: the president, and a leader for each building.
    let positions: Value = app
        .get("/api/v1/positions", Some(&session.access_token))
        .await
        .json()
        .await
        .unwrap();
    let held = |kind: &str| {
        positions
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["kind"] == kind)
            .count()
    };
    assert_eq!(
        (held("president"), held("building_leader")),
        (1, 4),
        "{positions}"
    );
    // One election counted, with its record checking out, and one open for nominations.
    let elections: Value = app
        .get("/api/v1/elections", Some(&session.access_token))
        .await
        .json()
        .await
        .unwrap();
    let states: Vec<&str> = elections
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    assert_eq!(states.len(), 2, "{elections}");
    assert!(
        states.contains(&"done") && states.contains(&"nominating"),
        "{elections}"
    );
    let done = elections
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["state"] == "done")
        .unwrap();
    assert_eq!(done["result"]["valid"], true, "{done}");
    let record = app
        .get(
            &format!("/api/v1/elections/{}/record", done["id"].as_str().unwrap()),
            Some(&session.access_token),
        )
        .await
        .text()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("record.json");
    std::fs::write(&file, record).unwrap();
    let verified = Command::new(BIN)
        .args(["election", "verify"])
        .arg(&file)
        .output()
        .await
        .unwrap();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    // The parking problem: the plan adopted unanimously, its tasks done, rated.
    let register: Value = app
        .get("/api/v1/decisions", Some(&session.access_token))
        .await
        .json()
        .await
        .unwrap();
    let plan = &register[0];
    assert_eq!(plan["decision"]["title"], "停車方案", "{register}");
    assert_eq!(plan["decision"]["against"], 0);
    assert!(plan["decision"]["agree"].as_u64().unwrap() >= 4, "{plan}");
    assert_eq!(plan["decision"]["done"], true);
    assert_eq!(plan["decision"]["satisfied"], 2);
    assert!(
        plan["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["task"]["status"] == "done"),
        "{plan}"
    );
    let topic = plan["decision"]["topic_id"].as_str().unwrap();
    let thread: Value = app
        .get(
            &format!("/api/v1/topics/{topic}"),
            Some(&session.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(thread["topic"]["state"], "decided", "{thread}");
    assert_eq!(thread["topic"]["supports"], 2);
    assert!(printed.contains("[deliberation] "), "{printed}");
    // The grid's chapter: 劉華's week in 利民小區, the cases, the mediated dispute.
    assert!(printed.contains("[grid] "), "{printed}");
    let liu = crate::helpers::session(
        app.login("13710000100", linli::demo::DEMO_PASSWORD).await,
        "13710000100",
    )
    .await;
    let log: Value = app
        .get("/api/v1/grid/log", Some(&liu.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        log["entry_count"].as_u64().unwrap() >= 1 && log["home_visits"].as_u64().unwrap() <= 2,
        "{log}"
    );
    let cases: Value = app
        .get("/api/v1/cases", Some(&session.access_token))
        .await
        .json()
        .await
        .unwrap();
    let tiers: std::collections::BTreeSet<&str> = cases
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["case"]["tier"].as_str().unwrap())
        .collect();
    assert_eq!(tiers.len(), 3, "a case of each tier: {cases}");
    assert!(
        cases
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["case"]["source"] == "grid_log"),
        "{cases}"
    );
    let figures: Value = app
        .get("/api/v1/casework/figures", Some(&session.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(figures["disputes_mediated"], 1, "{figures}");
    // The flower-pot campaign's ledger verifies; six residents offer talents, and the
    // president, who looks for talent, sees them all.
    let campaigns: Value = app
        .get("/api/v1/campaigns", Some(&session.access_token))
        .await
        .json()
        .await
        .unwrap();
    let campaign = campaigns[0]["id"].as_str().unwrap();
    let ledger: Value = app
        .get(
            &format!("/api/v1/campaigns/{campaign}/ledger"),
            Some(&session.access_token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ledger["verified"], true, "{ledger}");
    let talents: Value = app
        .get("/api/v1/talents", Some(&session.access_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(talents["talents"].as_array().unwrap().len(), 6, "{talents}");
    // The Saturday lecture has more requests than seats: a waitlist.
    let mut phone = crate::phone::Phone::new(&app, &session);
    phone.pull().await;
    let tallies: Vec<&Value> = phone
        .replica
        .iter()
        .filter(|((e, _), _)| e == "occurrence_tally")
        .map(|(_, v)| v)
        .collect();
    assert!(
        tallies
            .iter()
            .any(|t| t["waitlisted"].as_u64().unwrap() > 0),
        "{tallies:?}"
    );
    assert!(tallies.iter().all(|t| {
        t.get("capacity")
            .is_none_or(|c| t["confirmed"].as_u64() <= c.as_u64())
    }));
    // It refuses to run twice.
    let again = Command::new(BIN)
        .args(["demo"])
        .env("DATABASE_URL", &app.database_url)
        .output()
        .await
        .unwrap();
    assert!(!again.status.success());
}
