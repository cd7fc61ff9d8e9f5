//! Building and running the application: connect and migrate the database, resolve the
//! signing secret, bind the listener, serve until a shutdown signal, then drain and close.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use sea_orm::DatabaseConnection;

use crate::auth::tokens::{self, TokenKeys};
use crate::config::{self, Settings};
use crate::features::App;
use crate::http::{self, AppState};
use crate::persistence::{self, Engine};
use crate::sync::SyncEngine;
use crate::sync::cursor::CursorKey;
use crate::sync::pokes::{self, Poker};
use crate::sync::write::WriteGate;

/// A built application, bound to its port and ready to serve.
pub struct Application {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    state: AppState,
    settings: Settings,
    /// Forwards PostgreSQL notifications to local event streams.
    poke_listener: Option<tokio::task::JoinHandle<()>>,
}

impl Application {
    /// Connects, migrates, seeds, and binds `settings.bind` (port 0 picks a free port, as the
    /// tests do).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let engine = Engine::of(&settings.database.url)?;
        let secret = resolve_jwt_secret(&settings, &engine)?;
        let db = persistence::connect(&settings.database).await?;
        persistence::migrate(&db).await?;
        persistence::communities::ensure_seeded(
            &db,
            &settings.seed_community_name,
            &settings.seed_community_slug,
        )
        .await
        .context("seeding the first community failed")?;
        let reader = persistence::connect_reader(&settings.database, &db).await?;
        let tokens = TokenKeys::new(
            secret.as_bytes(),
            &settings.jwt.issuer,
            &settings.jwt.audience,
        )?;
        let listener = tokio::net::TcpListener::bind(settings.bind.to_string())
            .await
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let addr = listener
            .local_addr()
            .context("the listener has no address")?;
        let poker = Arc::new(Poker::new());
        let poke_listener = match engine {
            Engine::Postgres => Some(
                pokes::listen(&settings.database.url, poker.clone())
                    .await
                    .context("cannot listen for sync notifications on PostgreSQL")?,
            ),
            Engine::Sqlite { .. } => None,
        };
        let mut state = AppState::new(
            db,
            reader,
            tokens,
            CursorKey::derive(secret.as_bytes()),
            poker,
            settings.sse_heartbeat,
        );
        state.refresh_reuse_window = settings.refresh_reuse_window;
        state.trusted_proxies = Arc::new(settings.trusted_proxies.clone());
        state.sync_limits = Arc::new(http::rate::SyncLimits::new(settings.sync_rates));
        Arc::get_mut(&mut state.sync)
            .expect("the sync engine is not shared before the server starts")
            .horizon = settings.sync_horizon;
        let attachments = settings.attachments.url_for(&engine);
        state.attachments = Arc::new(
            crate::features::attachments::Store::open(&attachments, settings.attachments.max_bytes)
                .context("cannot open the attachments store (LINLI_ATTACHMENTS_URL)")?,
        );
        tracing::info!(store = %state.attachments.described, "photos are kept in");
        state.notifications = Arc::new(
            settings
                .notifications
                .config()
                .context("the notification channels are misconfigured")?,
        );
        Ok(Self {
            listener,
            addr,
            state,
            settings,
            poke_listener,
        })
    }

    /// The address actually bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The database pool (tests use it to simulate outages).
    pub fn db(&self) -> DatabaseConnection {
        self.state.db.clone()
    }

    /// Turns at writing (tests watch writers wait for theirs).
    pub fn write_gate(&self) -> Arc<WriteGate> {
        self.state.write_gate.clone()
    }

    /// The sync engine: tests watch pushes queue and share commits, and count event streams.
    pub fn sync(&self) -> Arc<SyncEngine<App>> {
        self.state.sync.clone()
    }

    /// Serves until `shutdown` completes; then stops accepting, lets in-flight requests
    /// finish (up to the configured timeout) and closes the pool.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Self {
            listener,
            addr,
            state,
            settings,
            poke_listener,
        } = self;
        // Touch the recorder so /metrics works from the first request.
        crate::telemetry::metrics();
        tracing::info!(%addr, docs = %format!("http://{addr}/docs"), "linli is serving");
        let (db, reader) = (state.db.clone(), state.sync.reader.clone());
        // Learn of sessions other instances logged out.
        let revocations = state.revoked.clone().keep_fresh(db.clone());
        let buckets = state.sync_limits.clone().keep_lean();
        let elections = crate::features::elections::clock::keep_time(state.clone());
        let cases = crate::features::cases::clock::keep_time(state.clone());
        let statistics = persistence::statistics::keep_fresh(db.clone());
        let notifications = crate::features::notifications::start(&state);
        http::serve::serve(
            listener,
            http::routes(state),
            shutdown,
            settings.shutdown_timeout,
            settings.connections,
        )
        .await?;
        if let Some(listener) = poke_listener {
            listener.abort();
        }
        revocations.abort();
        buckets.abort();
        elections.abort();
        cases.abort();
        statistics.abort();
        for task in notifications {
            task.abort();
        }
        // On SQLite the reader is the same pool: closing it twice is harmless.
        reader.close().await?;
        db.close().await?;
        tracing::info!("stopped; database pools closed");
        Ok(())
    }
}

/// A future that completes on SIGTERM or SIGINT (Ctrl-C).
///
/// The handlers are installed when this is called, before the server says it is serving,
/// not when the future is first polled: the accept loop polls it only between connections,
/// and on a loaded machine a SIGTERM sent just after the first answer (an orchestrator's, or
/// CI's) could otherwise arrive before any handler existed and kill the process outright,
/// without draining requests or closing the database.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (mut terminate, mut interrupt) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    #[cfg(not(unix))]
    let ctrl_c = tokio::signal::ctrl_c();
    async move {
        #[cfg(unix)]
        {
            let terminate = async {
                match terminate.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let interrupt = async {
                match interrupt.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = terminate => {},
                () = interrupt => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = ctrl_c.await;
        }
        tracing::info!("shutdown signal received; finishing in-flight requests");
    }
}

/// The access-token signing secret: the configured one; or, for a SQLite file, one kept
/// beside the database (generated with mode 0600 on first start); or for in-memory SQLite a
/// throwaway one. PostgreSQL deployments must configure it: several instances share one
/// database and must share the secret too.
fn resolve_jwt_secret(settings: &Settings, engine: &Engine) -> anyhow::Result<String> {
    if let Some(secret) = &settings.jwt.secret {
        anyhow::ensure!(
            secret.expose().len() >= tokens::MIN_SECRET_BYTES,
            "LINLI_JWT_SECRET must be at least {} bytes",
            tokens::MIN_SECRET_BYTES
        );
        return Ok(secret.expose().to_owned());
    }
    match engine {
        Engine::Postgres => anyhow::bail!(
            "LINLI_JWT_SECRET (or --jwt-secret) is required with PostgreSQL; generate one with `openssl rand -base64 48`"
        ),
        Engine::Sqlite { file: None } => {
            tracing::warn!("in-memory database and no JWT secret: using a throwaway one");
            Ok(tokens::generate_secret())
        }
        Engine::Sqlite {
            file: Some(db_file),
        } => {
            let path = config::secret_path_for(db_file);
            match std::fs::read_to_string(&path) {
                Ok(existing) if existing.trim().len() >= tokens::MIN_SECRET_BYTES => {
                    Ok(existing.trim().to_owned())
                }
                Ok(_) => anyhow::bail!(
                    "{} is too short to be a JWT secret; delete it to regenerate",
                    path.display()
                ),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let secret = tokens::generate_secret();
                    write_private(&path, &secret).with_context(|| {
                        format!("cannot write the JWT secret to {}", path.display())
                    })?;
                    tracing::info!(path = %path.display(), "generated a JWT secret and stored it with mode 0600");
                    Ok(secret)
                }
                Err(e) => {
                    Err(e).with_context(|| format!("cannot read the JWT secret {}", path.display()))
                }
            }
        }
    }
}

/// Creates `path` readable by its owner only, failing if it already exists.
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}
