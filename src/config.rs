//! Configuration: the command line (with an environment-variable fallback for every flag)
//! and the resolved [`Settings`] the application is built from. Tests build `Settings`
//! directly.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// linli: the backend behind the residents' phone apps.
///
/// With no subcommand, `linli` runs `serve` on the embedded SQLite database `./linli.db`.
#[derive(Debug, Parser)]
#[command(name = "linli", version, about, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options for `serve` when no subcommand is given.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (applies pending migrations first).
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations, then exit.
    Migrate(DatabaseArgs),
    /// Print the OpenAPI document (JSON) to standard output.
    Openapi,
    /// Purge sync tombstones older than the retention period.
    Compact(CompactArgs),
    /// Fill an empty database with the Sun Village demo community.
    Demo(DemoArgs),
    /// Print a new VAPID key pair for Web Push (set the private one as
    /// `LINLI_VAPID_PRIVATE_KEY`; browsers get the public one from `GET /api/v1/push/key`).
    VapidKeys,
    /// Manage resident accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage the communities this deployment serves.
    #[command(subcommand)]
    Community(CommunityCommand),
    /// Copy the SQLite database, consistently, while the service runs (PostgreSQL: pg_dump).
    Backup(BackupArgs),
    /// Put a backup in place of a database the service is not running on.
    Restore(RestoreArgs),
    /// Bring data the committee keeps elsewhere into linli.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Write the census (each building's residents today) as an Excel workbook.
    Census(CensusArgs),
    /// Elections' published records.
    #[command(subcommand)]
    Election(ElectionCommand),
}

#[derive(Debug, Clone, Subcommand)]
pub enum ElectionCommand {
    /// Check an election's published record (saved from `GET /api/v1/elections/{id}/record`)
    /// from the file alone: the hash chain, every phone ballot's receipt, and the tally.
    Verify(VerifyArgs),
}

#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// The record's JSON file, or `-` for standard input.
    pub file: PathBuf,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ImportCommand {
    /// Compounds, buildings, grid cells, households and residents without accounts, from the
    /// committee's roster (xlsx, xls, ods or csv; see the README, "Territory and positions").
    /// Running it again changes nothing; rows already there are matched by their names.
    Territory(ImportArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The roster file.
    pub file: PathBuf,
    /// Community slug; defaults to the only community when there is exactly one.
    #[arg(long)]
    pub community: Option<String>,
    /// Check every row and say what would be added, writing nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CensusArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The workbook to write (.xlsx).
    #[arg(long)]
    pub out: PathBuf,
    /// Community slug; defaults to the only community when there is exactly one.
    #[arg(long)]
    pub community: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The backup file to write (must not exist yet).
    #[arg(long)]
    pub to: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The backup file made by `linli backup`.
    #[arg(long)]
    pub from: PathBuf,
    /// Replace the database if it exists (stop the service first).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum CommunityCommand {
    /// Create a community (a tenant: its residents, groups and data are its own).
    Create(CommunityCreateArgs),
}

#[derive(Debug, Clone, Args)]
pub struct CommunityCreateArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Short name for URLs and commands, like `sun-village`: lowercase letters, digits, `-`.
    #[arg(long)]
    pub slug: String,
    /// The name residents see, like `孫村`.
    #[arg(long)]
    pub name: String,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a resident account, optionally as an admin of its community.
    Create(UserCreateArgs),
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://FILE` (created if missing) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://linli.db")]
    pub database_url: String,
    /// Most database connections the pool opens.
    #[arg(long, env = "LINLI_DB_MAX_CONNECTIONS", default_value_t = 10)]
    pub db_max_connections: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "LINLI_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Secret that signs access tokens (at least 32 bytes). Required with PostgreSQL; with
    /// SQLite a random one is generated and kept next to the database file.
    #[arg(long, env = "LINLI_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// `iss` claim of access tokens.
    #[arg(long, env = "LINLI_JWT_ISSUER", default_value = "linli")]
    pub jwt_issuer: String,
    /// `aud` claim of access tokens.
    #[arg(long, env = "LINLI_JWT_AUDIENCE", default_value = "linli-app")]
    pub jwt_audience: String,
    /// Name of the community created on first start when there is none.
    #[arg(long, env = "LINLI_SEED_COMMUNITY_NAME", default_value = "鄰里社區")]
    pub seed_community_name: String,
    /// Slug of the community created on first start when there is none.
    #[arg(long, env = "LINLI_SEED_COMMUNITY_SLUG", default_value = "default")]
    pub seed_community_slug: String,
    /// Seconds to let in-flight requests finish after SIGTERM/SIGINT.
    #[arg(long, env = "LINLI_SHUTDOWN_TIMEOUT", default_value_t = 30)]
    pub shutdown_timeout: u64,
    /// Seconds between heartbeats on the sync event stream.
    #[arg(long, env = "LINLI_SSE_HEARTBEAT_SECS", default_value_t = 15)]
    pub sse_heartbeat: u64,
    /// Seconds a connection may take to send a request's headers, and may sit idle between
    /// requests, before it is closed (event streams are kept open by their heartbeats).
    #[arg(long, env = "LINLI_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout: u64,
    /// Most connections served at once; more wait to be accepted. Keep it below the
    /// process's open-file limit (each phone's event stream holds one).
    #[arg(long, env = "LINLI_MAX_CONNECTIONS", default_value_t = 16_000)]
    pub max_connections: usize,
    /// Addresses of reverse proxies whose `X-Forwarded-For` is believed (comma-separated);
    /// from anyone else the header is ignored, so a client cannot pick its own address.
    #[arg(long, env = "LINLI_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Sync pushes each resident may make per minute (half a minute's worth at once); `0`
    /// turns the limit off (for benchmarks).
    #[arg(long, env = "LINLI_PUSHES_PER_MINUTE", default_value_t = crate::http::rate::SyncRates::default().pushes_per_minute)]
    pub pushes_per_minute: u32,
    /// Sync pulls and event streams each resident may open per minute; `0` turns it off.
    #[arg(long, env = "LINLI_PULLS_PER_MINUTE", default_value_t = crate::http::rate::SyncRates::default().pulls_per_minute)]
    pub pulls_per_minute: u32,
    /// Log format (the level comes from `RUST_LOG`, default `info`).
    #[arg(long, env = "LINLI_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Where photos are stored: `s3://BUCKET[/PREFIX][?endpoint=…&region=…]` (credentials
    /// from `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`), or a folder (`file:///DIR`).
    /// Default: a folder next to the SQLite file (`linli.db.attachments`), or
    /// `./linli-attachments` with PostgreSQL.
    #[arg(long, env = "LINLI_ATTACHMENTS_URL")]
    pub attachments_url: Option<String>,
    /// The largest photo accepted, in bytes.
    #[arg(long, env = "LINLI_ATTACHMENT_MAX_BYTES", default_value_t = crate::features::attachments::store::DEFAULT_MAX_BYTES)]
    pub attachment_max_bytes: u64,
    /// Days before today for which phones hold rows bound to a day (an occurrence's
    /// overrides, tallies, sign-ups, attendance); older ones are read over REST.
    #[arg(long, env = "LINLI_SYNC_HORIZON_BACK_DAYS", default_value_t = crate::sync::horizon::DEFAULT_BACK_DAYS)]
    pub sync_horizon_back_days: u32,
    /// The same, after today.
    #[arg(long, env = "LINLI_SYNC_HORIZON_AHEAD_DAYS", default_value_t = crate::sync::horizon::DEFAULT_AHEAD_DAYS)]
    pub sync_horizon_ahead_days: u32,
    /// The VAPID private key for Web Push (base64url; `linli vapid-keys` makes a pair).
    /// Without it the server sends no Web Push (the in-app inbox always works).
    #[arg(long, env = "LINLI_VAPID_PRIVATE_KEY", hide_env_values = true)]
    pub vapid_private_key: Option<String>,
    /// Who runs this server, for push services: `mailto:…` or `https:…`.
    #[arg(
        long,
        env = "LINLI_VAPID_SUBJECT",
        default_value = "mailto:admin@localhost"
    )]
    pub vapid_subject: String,
    /// The SMS or voice gateway's webhook, for residents who chose texts or calls.
    #[arg(long, env = "LINLI_WEBHOOK_URL")]
    pub webhook_url: Option<String>,
    /// The secret the webhook's calls are signed with (HMAC-SHA256); needed with the URL.
    #[arg(long, env = "LINLI_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<String>,
    /// Messages per webhook call.
    #[arg(long, env = "LINLI_WEBHOOK_BATCH", default_value_t = 50)]
    pub webhook_batch: usize,
    /// How often the reminder clock looks ahead, in seconds.
    #[arg(long, env = "LINLI_REMINDER_EVERY_SECS", default_value_t = 60)]
    pub reminder_every_secs: u64,
}

/// How notifications leave the server beside the in-app inbox, as configured.
#[derive(Debug, Clone)]
pub struct NotificationSettings {
    pub vapid_private_key: Option<Secret>,
    pub vapid_subject: String,
    pub webhook_url: Option<String>,
    pub webhook_secret: Option<Secret>,
    pub webhook_batch: usize,
    pub webhook_timeout: Duration,
    /// How often the senders look for due deliveries.
    pub poll: Duration,
    /// How often the reminder clock looks ahead.
    pub reminder_every: Duration,
    /// Accept `http://` push endpoints (tests).
    pub allow_plain_http: bool,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            vapid_private_key: None,
            vapid_subject: "mailto:admin@localhost".into(),
            webhook_url: None,
            webhook_secret: None,
            webhook_batch: 50,
            webhook_timeout: Duration::from_secs(10),
            poll: Duration::from_millis(500),
            reminder_every: Duration::from_secs(60),
            allow_plain_http: false,
        }
    }
}

impl NotificationSettings {
    /// The senders' configuration, or what is wrong with it.
    pub fn config(&self) -> anyhow::Result<crate::features::notifications::Config> {
        let vapid = self
            .vapid_private_key
            .as_ref()
            .map(|k| {
                crate::features::notifications::channels::Vapid::new(
                    k.expose(),
                    &self.vapid_subject,
                )
            })
            .transpose()?;
        let webhook = match (&self.webhook_url, &self.webhook_secret) {
            (None, _) => None,
            (Some(url), Some(secret)) if secret.expose().len() >= 16 => {
                Some((url.clone(), secret.expose().to_owned()))
            }
            (Some(_), _) => anyhow::bail!(
                "LINLI_WEBHOOK_URL needs LINLI_WEBHOOK_SECRET (at least 16 bytes) to sign its calls"
            ),
        };
        Ok(crate::features::notifications::Config {
            vapid,
            webhook,
            webhook_batch: self.webhook_batch.max(1),
            webhook_timeout: self.webhook_timeout,
            poll: self.poll,
            reminder_every: self.reminder_every,
            allow_plain_http: self.allow_plain_http,
        })
    }
}

/// Where photos go, and the largest accepted.
#[derive(Debug, Clone)]
pub struct AttachmentSettings {
    /// `None`: next to the database (see [`AttachmentSettings::url_for`]).
    pub url: Option<String>,
    pub max_bytes: u64,
}

impl AttachmentSettings {
    /// The store's URL: the one set, or a folder next to the SQLite file, or
    /// `./linli-attachments` (PostgreSQL, or SQLite in memory).
    pub fn url_for(&self, engine: &crate::persistence::Engine) -> String {
        if let Some(url) = &self.url {
            return url.clone();
        }
        match engine {
            crate::persistence::Engine::Sqlite { file: Some(file) } => {
                format!("{}.attachments", file.display())
            }
            _ => "linli-attachments".into(),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct CompactArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Keep tombstones this many days; phones offline longer must resync from scratch.
    #[arg(long, env = "LINLI_TOMBSTONE_RETENTION_DAYS", default_value_t = 180)]
    pub retention_days: u32,
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// How many residents with an account to create.
    #[arg(long, default_value_t = 300)]
    pub residents: usize,
    /// How many households the roll has (about four residents each, most without an
    /// account); 0 leaves the territory out.
    #[arg(long, default_value_t = 5_000)]
    pub households: usize,
}

#[derive(Debug, Clone, Args)]
pub struct UserCreateArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Phone number (E.164, or a mainland mobile number).
    #[arg(long)]
    pub phone: String,
    /// Name shown to other residents.
    #[arg(long)]
    pub name: String,
    /// Community slug; defaults to the only community when there is exactly one.
    #[arg(long)]
    pub community: Option<String>,
    /// Make the resident an admin of the community.
    #[arg(long)]
    pub admin: bool,
    /// Password; read from standard input when absent (keeps it out of shell history).
    #[arg(long, env = "LINLI_USER_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
}

/// A secret that never appears in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
}

#[derive(Debug, Clone)]
pub struct JwtSettings {
    pub secret: Option<Secret>,
    pub issuer: String,
    pub audience: String,
}

/// Everything `Application::build` needs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: SocketAddr,
    pub database: DatabaseSettings,
    pub jwt: JwtSettings,
    pub seed_community_name: String,
    pub seed_community_slug: String,
    pub shutdown_timeout: Duration,
    pub sse_heartbeat: Duration,
    pub connections: ConnectionLimits,
    /// How long a used refresh token still answers a retry with the same successor.
    pub refresh_reuse_window: chrono::Duration,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Sync requests each resident may make per minute.
    pub sync_rates: crate::http::rate::SyncRates,
    pub attachments: AttachmentSettings,
    /// How far back and ahead phones hold rows bound to a day.
    pub sync_horizon: crate::sync::horizon::Horizon,
    pub notifications: NotificationSettings,
}

/// What one client may hold of the server's connections.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// To send a request's headers, and to sit idle between requests.
    pub header_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

impl From<&DatabaseArgs> for DatabaseSettings {
    fn from(args: &DatabaseArgs) -> Self {
        Self {
            url: args.database_url.clone(),
            max_connections: args.db_max_connections.max(1),
        }
    }
}

impl From<&ServeArgs> for Settings {
    fn from(args: &ServeArgs) -> Self {
        Self {
            bind: args.bind,
            database: DatabaseSettings::from(&args.database),
            jwt: JwtSettings {
                secret: args
                    .jwt_secret
                    .clone()
                    .filter(|s| !s.is_empty())
                    .map(Secret::new),
                issuer: args.jwt_issuer.clone(),
                audience: args.jwt_audience.clone(),
            },
            seed_community_name: args.seed_community_name.clone(),
            seed_community_slug: args.seed_community_slug.clone(),
            shutdown_timeout: Duration::from_secs(args.shutdown_timeout),
            sse_heartbeat: Duration::from_secs(args.sse_heartbeat.max(1)),
            connections: ConnectionLimits {
                header_timeout: Duration::from_secs(args.header_timeout.max(1)),
                max_connections: args.max_connections.max(1),
            },
            refresh_reuse_window: crate::auth::tokens::REFRESH_REUSE_WINDOW,
            trusted_proxies: args.trusted_proxies.clone(),
            sync_rates: crate::http::rate::SyncRates {
                pushes_per_minute: args.pushes_per_minute,
                pulls_per_minute: args.pulls_per_minute,
            },
            attachments: AttachmentSettings {
                url: args.attachments_url.clone(),
                max_bytes: args.attachment_max_bytes,
            },
            sync_horizon: crate::sync::horizon::Horizon {
                back_days: args
                    .sync_horizon_back_days
                    .min(crate::sync::horizon::MAX_DAYS),
                ahead_days: args
                    .sync_horizon_ahead_days
                    .min(crate::sync::horizon::MAX_DAYS),
            },
            notifications: NotificationSettings {
                vapid_private_key: args.vapid_private_key.clone().map(Secret::new),
                vapid_subject: args.vapid_subject.clone(),
                webhook_url: args.webhook_url.clone(),
                webhook_secret: args.webhook_secret.clone().map(Secret::new),
                webhook_batch: args.webhook_batch,
                reminder_every: Duration::from_secs(args.reminder_every_secs.max(1)),
                ..NotificationSettings::default()
            },
        }
    }
}

/// Where an auto-generated JWT secret is kept for a SQLite database file: beside it.
pub fn secret_path_for(database_file: &std::path::Path) -> PathBuf {
    database_file.with_extension("jwt-secret")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_arguments_means_serve_on_the_embedded_default() {
        let cli = Cli::try_parse_from(["linli"]).unwrap();
        assert!(cli.command.is_none());
        let settings = Settings::from(&cli.serve);
        assert_eq!(settings.bind.to_string(), "127.0.0.1:8080");
        // The environment may override DATABASE_URL; without it the default is SQLite.
        if std::env::var_os("DATABASE_URL").is_none() {
            assert_eq!(settings.database.url, "sqlite://linli.db");
        }
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "Secret(***)");
    }

    #[test]
    fn the_secret_file_sits_beside_the_database() {
        assert_eq!(
            secret_path_for(std::path::Path::new("data/linli.db")),
            PathBuf::from("data/linli.jwt-secret")
        );
    }
}
