//! `spawn_app()`: a running linli on its own port and its own database, plus typed request
//! helpers.

use std::time::Duration;

use linli::config::{DatabaseSettings, JwtSettings, Secret, Settings};
use linli::startup::Application;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use uuid::Uuid;

pub const TEST_SECRET: &str = "test-secret-for-linli-integration-tests-0123456789";
pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// The app's own pool (closing it simulates a database outage).
    pub db: DatabaseConnection,
    /// The app's sync engine: its poke hub (`poker.listeners()` is its open event streams)
    /// and its push writers (what is queued, being decided, and how many batches ran).
    pub sync: std::sync::Arc<linli::sync::SyncEngine<linli::features::App>>,
    /// Turns at writing (SQLite).
    pub write_gate: std::sync::Arc<linli::sync::write::WriteGate>,
    pub database_url: String,
    /// Kept for the test's lifetime: the SQLite file lives here.
    _dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    /// Dropped after the app: drops the test's PostgreSQL database.
    _postgres: Option<PostgresDatabase>,
}

/// A PostgreSQL database made for one test and dropped after it.
pub struct PostgresDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime, which cannot be blocked on; use a thread of
        // its own with its own runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(admin) = Database::connect(&admin_url).await {
                    let _ = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The database URL a test should use: a fresh PostgreSQL database when
/// `LINLI_TEST_DATABASE_URL` is set, else a SQLite file in `dir`.
pub async fn fresh_database(dir: &std::path::Path) -> (String, Option<PostgresDatabase>) {
    match std::env::var("LINLI_TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("linli_test_{}", Uuid::new_v4().simple());
            let admin = Database::connect(&admin_url)
                .await
                .expect("LINLI_TEST_DATABASE_URL is set but PostgreSQL cannot be reached");
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("cannot create a test database");
            admin.close().await.unwrap();
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b)
                .unwrap_or(&admin_url);
            (
                format!("{base}/{name}"),
                Some(PostgresDatabase { admin_url, name }),
            )
        }
        _ => (format!("sqlite://{}", dir.join("linli.db").display()), None),
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let (database_url, postgres) = fresh_database(dir.path()).await;
    start(dir, database_url, postgres, configure).await
}

async fn start(
    dir: tempfile::TempDir,
    database_url: String,
    postgres: Option<PostgresDatabase>,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    let mut settings = Settings {
        bind: "127.0.0.1:0".parse().unwrap(),
        database: DatabaseSettings {
            url: database_url.clone(),
            max_connections: 5,
        },
        jwt: JwtSettings {
            secret: Some(Secret::new(TEST_SECRET)),
            issuer: "linli".into(),
            audience: "linli-app".into(),
        },
        seed_community_name: "煤礦新村".into(),
        seed_community_slug: "meikuang".into(),
        shutdown_timeout: Duration::from_secs(5),
        sse_heartbeat: Duration::from_millis(300),
        connections: linli::config::ConnectionLimits {
            header_timeout: Duration::from_secs(10),
            max_connections: 1_000,
        },
        refresh_reuse_window: linli::auth::tokens::REFRESH_REUSE_WINDOW,
        trusted_proxies: Vec::new(),
        sync_rates: linli::http::rate::SyncRates::default(),
        attachments: linli::config::AttachmentSettings {
            url: Some(dir.path().join("attachments").display().to_string()),
            max_bytes: linli::features::attachments::store::DEFAULT_MAX_BYTES,
        },
        sync_horizon: linli::sync::horizon::Horizon::default(),
        notifications: linli::config::NotificationSettings {
            poll: Duration::from_millis(50),
            allow_plain_http: true,
            ..Default::default()
        },
    };
    configure(&mut settings);
    let app = Application::build(settings)
        .await
        .expect("the application builds");
    let address = format!("http://{}", app.addr());
    let db = app.db();
    let sync = app.sync();
    let write_gate = app.write_gate();
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        db,
        sync,
        write_gate,
        database_url,
        _dir: dir,
        shutdown: Some(tx),
        _postgres: postgres,
    }
}

/// A registered resident and their session.
#[derive(Debug, Clone)]
pub struct Resident {
    pub id: Uuid,
    pub phone: String,
    pub access_token: String,
    pub refresh_token: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// The generated SDK, signed out.
    pub fn sdk(&self) -> linli_client::Client {
        linli_client::Client::new_with_client(&self.address, self.client.clone())
    }

    /// The seeded community's id.
    pub async fn community_id(&self) -> Uuid {
        let list = self.sdk().list_communities().await.unwrap().into_inner();
        list[0].id
    }

    pub async fn register(&self, phone: &str, name: &str) -> reqwest::Response {
        let community = self.community_id().await;
        self.register_in(community, phone, name).await
    }

    pub async fn register_in(&self, community: Uuid, phone: &str, name: &str) -> reqwest::Response {
        self.post_json(
            "/api/v1/auth/register",
            &json!({"phone": phone, "display_name": name, "password": PASSWORD, "community_id": community}),
        )
        .await
    }

    /// Registers a resident who is an admin of the seeded community.
    pub async fn admin(&self, phone: &str, name: &str) -> Resident {
        let admin = self.resident(phone, name).await;
        let community = self.community_id().await;
        linli::persistence::roles::grant(
            &self.db,
            admin.id,
            linli::domain::permissions::Grant {
                role: linli::domain::permissions::Role::Admin,
                scope: linli::domain::permissions::Scope::Community(community),
            },
        )
        .await
        .unwrap();
        admin
    }

    /// Registers a resident (through the SDK) and returns their session; panics unless it
    /// worked.
    pub async fn resident(&self, phone: &str, name: &str) -> Resident {
        let form: linli_client::types::RegisterRequest = serde_json::from_value(json!({
            "phone": phone, "display_name": name, "password": PASSWORD,
            "community_id": self.community_id().await,
        }))
        .expect("a registration fits the SDK's types");
        let session = match self.sdk().register(&form).await {
            Ok(s) => s.into_inner(),
            Err(e) => panic!("registration failed: {}", crate::phone::describe(e)),
        };
        Resident {
            id: session.resident_id,
            phone: phone.to_owned(),
            access_token: session.access_token,
            refresh_token: session.refresh_token,
        }
    }

    pub async fn login(&self, phone: &str, password: &str) -> reqwest::Response {
        self.post_json(
            "/api/v1/auth/login",
            &json!({"phone": phone, "password": password}),
        )
        .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> reqwest::Response {
        self.post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": refresh_token}),
        )
        .await
    }
}

pub async fn session(resp: reqwest::Response, phone: &str) -> Resident {
    let body: Value = resp.json().await.unwrap();
    Resident {
        id: body["resident_id"].as_str().unwrap().parse().unwrap(),
        phone: phone.to_owned(),
        access_token: body["access_token"].as_str().unwrap().to_owned(),
        refresh_token: body["refresh_token"].as_str().unwrap().to_owned(),
    }
}

/// Asserts the response is an RFC 9457 problem with `status` and `code`, and returns it.
pub async fn assert_problem(resp: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(resp.status().as_u16(), status, "unexpected status");
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let request_id = resp.headers().get("x-request-id").cloned();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["type"], format!("urn:linli:problem:{code}"), "{body}");
    assert!(
        body["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    assert!(
        body["detail"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    assert_eq!(
        body["request_id"].as_str(),
        request_id.as_ref().and_then(|v| v.to_str().ok()),
        "the body's request id is the header's"
    );
    body
}

/// How long tests wait for a process or an event before failing.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// Starts the `linli` binary in `dir` on a free port with `env` set and `unset` removed;
/// returns it and its base URL once it logs that it is serving.
pub async fn spawn_process(
    dir: &std::path::Path,
    env: &[(&str, &str)],
    unset: &[&str],
) -> (tokio::process::Child, String) {
    let (child, base, _log) = spawn_process_logged(dir, env, unset).await;
    (child, base)
}

/// Like [`spawn_process`], also keeping every log line the process writes after it started.
pub async fn spawn_process_logged(
    dir: &std::path::Path,
    env: &[(&str, &str)],
    unset: &[&str],
) -> (
    tokio::process::Child,
    String,
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_linli"));
    command
        .current_dir(dir)
        .env("LINLI_BIND", "127.0.0.1:0")
        .env("LINLI_LOG_FORMAT", "json")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true);
    for (k, v) in env {
        command.env(k, v);
    }
    for k in unset {
        command.env_remove(k);
    }
    let mut child = command.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = tokio::time::timeout(DEADLINE, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let Ok(event) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if event["message"] == "linli is serving" {
                return event["addr"].as_str().unwrap().to_owned();
            }
        }
        panic!("linli exited before serving");
    })
    .await
    .expect("linli did not start in time");
    // Keep draining the log so the child never blocks on a full pipe.
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = log.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            kept.lock().unwrap().push(line);
        }
    });
    (child, format!("http://{addr}"), log)
}

pub fn is_postgres() -> bool {
    std::env::var("LINLI_TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty())
}

/// Polls `ready` every few milliseconds until it holds; fails the test after 4 s.
pub async fn wait_until(what: &str, ready: impl Fn() -> bool) {
    wait_until_within(what, Duration::from_secs(4), ready).await;
}

/// The same with a deadline of `within`: for work another process does, which a loaded CI
/// machine may slow many times over (the deadline bounds a failure; a pass waits no longer
/// than it takes).
pub async fn wait_until_within(what: &str, within: Duration, ready: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + within;
    while !ready() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
