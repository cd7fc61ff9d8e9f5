//! Persistence: connecting to SQLite or PostgreSQL, migrating, and the queries each part of
//! the service needs, grouped by what they are about. Queries take any
//! [`ConnectionTrait`](sea_orm::ConnectionTrait) so callers choose whether they run in a
//! transaction.
//!
//! SQLite runs in WAL mode with `synchronous = FULL`: an acknowledged write survives the
//! process being killed and the machine losing power.

pub mod audit;
pub mod communities;
pub mod residents;
pub mod roles;
pub mod sessions;
pub mod statistics;

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr, SqlErr};

use crate::config::DatabaseSettings;

/// Which engine a database URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Engine {
    /// SQLite; `file` is `None` for an in-memory database.
    Sqlite {
        file: Option<PathBuf>,
    },
    Postgres,
}

impl Engine {
    pub fn of(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Engine::Postgres);
        }
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .with_context(|| format!("invalid SQLite URL {url:?}"))?;
            let file = opts.get_filename();
            let in_memory = url.contains(":memory:")
                || url.contains("mode=memory")
                || file.as_os_str().is_empty();
            return Ok(Engine::Sqlite {
                file: (!in_memory).then(|| file.to_path_buf()),
            });
        }
        anyhow::bail!("unsupported database URL {url:?}: use sqlite://FILE or postgres://…")
    }
}

/// Opens the connection pool.
pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<DatabaseConnection> {
    let options = options(settings)?;
    Database::connect(options)
        .await
        .with_context(|| format!("cannot connect to the database ({})", redact(&settings.url)))
}

/// The pool pulls read their snapshots from. On PostgreSQL, its own pool whose sessions
/// default to REPEATABLE READ, READ ONLY (set when each connection starts): a snapshot is
/// then one `BEGIN`, where `SET TRANSACTION` after it was a second round trip on every page.
/// On SQLite, where a read transaction is already one snapshot, the same pool as `db`.
pub async fn connect_reader(
    settings: &DatabaseSettings,
    db: &DatabaseConnection,
) -> anyhow::Result<DatabaseConnection> {
    if !matches!(Engine::of(&settings.url)?, Engine::Postgres) {
        return Ok(db.clone());
    }
    let mut options = options(settings)?;
    options.map_sqlx_postgres_opts(|o| {
        o.options([
            ("default_transaction_isolation", "repeatable read"),
            ("default_transaction_read_only", "on"),
        ])
    });
    Database::connect(options).await.with_context(|| {
        format!(
            "cannot connect the snapshot readers to the database ({})",
            redact(&settings.url)
        )
    })
}

fn options(settings: &DatabaseSettings) -> anyhow::Result<ConnectOptions> {
    let engine = Engine::of(&settings.url)?;
    let mut options = ConnectOptions::new(settings.url.clone());
    options
        .max_connections(settings.max_connections)
        .min_connections(0)
        .connect_timeout(Duration::from_secs(5))
        // A request waits at most this long for a connection before it gets a 503.
        .acquire_timeout(Duration::from_secs(5))
        // Ping only a connection that sat idle (it may have been cut meanwhile): pinging on
        // every acquire cost a round trip per query, a third of a first-sync page on
        // PostgreSQL.
        .test_before_acquire_if_idle_for(Duration::from_secs(30))
        // `LINLI_LOG_SQL=1` logs every statement with its time (at `info`, target `sqlx`), to
        // find which query a slow request spends its time in.
        .sqlx_logging(std::env::var_os("LINLI_LOG_SQL").is_some())
        .sqlx_logging_level(tracing::log::LevelFilter::Info)
        .map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
        });
    if matches!(engine, Engine::Sqlite { file: None }) {
        // Each connection to `:memory:` is its own database; keep exactly one.
        options
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None);
    }
    Ok(options)
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("applying database migrations failed")
}

/// The URL without its password, for logs and error messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}://{}@{}", &url[..scheme], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// True when `err` is a unique-constraint violation (a duplicate phone number, role, …).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// The database's disk is full: SQLite's `SQLITE_FULL` (13, also with its extended codes),
/// PostgreSQL's `disk_full` (53100). The write was rolled back; reads go on.
pub fn is_storage_full(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as Sqlx;
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e.as_ref() {
                Sqlx::Database(db) => db.code().is_some_and(|code| {
                    code == "53100" || code.parse::<i32>().is_ok_and(|c| c & 0xff == 13)
                }),
                _ => false,
            }
        }
        DbErr::Conn(RuntimeErr::SqlxError(e)) => {
            matches!(e.as_ref(), Sqlx::Database(db) if db.code().as_deref() == Some("13"))
        }
        _ => false,
    }
}

/// Database errors a client should retry: the database is down, unreachable, restarting,
/// or (SQLite) briefly locked by another writer.
pub fn is_transient(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as Sqlx;
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e.as_ref() {
                Sqlx::Io(_) | Sqlx::PoolClosed | Sqlx::PoolTimedOut | Sqlx::WorkerCrashed => true,
                Sqlx::Database(db) => matches!(
                    db.code().as_deref(),
                    // PostgreSQL: admin shutdown, crash shutdown, cannot connect now, database gone;
                    // SQLite: SQLITE_BUSY, SQLITE_LOCKED.
                    Some("57P01" | "57P02" | "57P03" | "3D000" | "5" | "6")
                ),
                _ => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_are_recognised_from_their_urls() {
        assert_eq!(
            Engine::of("sqlite://linli.db").unwrap(),
            Engine::Sqlite {
                file: Some(PathBuf::from("linli.db"))
            }
        );
        assert_eq!(
            Engine::of("sqlite://data/x.db?mode=rwc").unwrap(),
            Engine::Sqlite {
                file: Some(PathBuf::from("data/x.db"))
            }
        );
        assert_eq!(
            Engine::of("sqlite::memory:").unwrap(),
            Engine::Sqlite { file: None }
        );
        assert_eq!(
            Engine::of("postgres://postgres@127.0.0.1/linli").unwrap(),
            Engine::Postgres
        );
        assert!(Engine::of("mysql://root@localhost/x").is_err());
    }

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact("postgres://linli:s3cret@db:5432/linli"),
            "postgres://linli@db:5432/linli"
        );
        assert_eq!(redact("sqlite://linli.db"), "sqlite://linli.db");
    }
}
