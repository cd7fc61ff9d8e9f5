//! `linli backup` and `linli restore` for the embedded SQLite database.
//!
//! A backup is taken while the service runs: `VACUUM INTO` copies the database as one read
//! transaction sees it, so the copy holds every write committed before the backup began (and
//! so every mutation a phone was told about) and none half-done. The access-token secret kept
//! beside the database is copied with it, so sessions survive a restore. On PostgreSQL the
//! database's own tools do this (`pg_dump -Fc` while serving, `pg_restore` into an empty
//! database); the commands say so.
//!
//! A restore puts the backup in place of the database (refusing to overwrite one unless
//! `--force`, for which the service must be stopped), then checks its integrity and applies
//! any newer migrations.

use std::path::{Path, PathBuf};

use anyhow::Context;
use sea_orm::{ConnectionTrait, Statement};

use crate::config::{BackupArgs, DatabaseSettings, RestoreArgs, secret_path_for};
use crate::persistence::{self, Engine};

const ON_POSTGRES: &str = "on PostgreSQL, back up with  pg_dump -Fc -f linli.dump DATABASE_URL  (it runs while the service does) and restore into an empty database with  pg_restore -d DATABASE_URL linli.dump";

fn sqlite_file(url: &str) -> anyhow::Result<PathBuf> {
    match Engine::of(url)? {
        Engine::Sqlite { file: Some(file) } => Ok(file),
        Engine::Sqlite { file: None } => {
            anyhow::bail!("an in-memory database has nothing to back up or restore")
        }
        Engine::Postgres => anyhow::bail!("{ON_POSTGRES}"),
    }
}

/// Copies the database, consistently, to `args.to`.
pub async fn backup(args: &BackupArgs) -> anyhow::Result<()> {
    let file = sqlite_file(&args.database.database_url)?;
    anyhow::ensure!(
        !args.to.exists(),
        "{} exists already; choose a new file for the backup",
        args.to.display()
    );
    anyhow::ensure!(file.exists(), "there is no database at {}", file.display());
    let db = persistence::connect(&DatabaseSettings::from(&args.database)).await?;
    let target = args
        .to
        .to_str()
        .context("the backup's path must be valid UTF-8")?;
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "VACUUM INTO ?",
        [target.into()],
    ))
    .await
    .with_context(|| format!("backing up to {} failed", args.to.display()))?;
    db.close().await?;
    copy_secret(&file, &args.to)?;
    eprintln!("backed up {} to {}", file.display(), args.to.display());
    Ok(())
}

/// Puts the backup `args.from` in place of the database.
pub async fn restore(args: &RestoreArgs) -> anyhow::Result<()> {
    let file = sqlite_file(&args.database.database_url)?;
    anyhow::ensure!(
        args.from.is_file(),
        "there is no backup at {}",
        args.from.display()
    );
    if file.exists() {
        anyhow::ensure!(
            args.force,
            "{} exists; stop the service and pass --force to replace it",
            file.display()
        );
        for stale in [file.clone(), wal_of(&file, "-wal"), wal_of(&file, "-shm")] {
            match std::fs::remove_file(&stale) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(e).with_context(|| format!("cannot remove {}", stale.display()));
                }
                _ => {}
            }
        }
    }
    std::fs::copy(&args.from, &file)
        .with_context(|| format!("cannot copy the backup to {}", file.display()))?;
    copy_secret(&args.from, &file)?;
    let db = persistence::connect(&DatabaseSettings::from(&args.database)).await?;
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "PRAGMA integrity_check",
        ))
        .await?
        .context("the integrity check said nothing")?;
    let verdict: String = row.try_get_by_index(0)?;
    anyhow::ensure!(
        verdict == "ok",
        "the restored database is damaged: {verdict}"
    );
    persistence::migrate(&db).await?;
    db.close().await?;
    eprintln!("restored {} from {}", file.display(), args.from.display());
    Ok(())
}

fn wal_of(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Copies the access-token secret kept beside `from`'s database, if there is one.
fn copy_secret(from: &Path, to: &Path) -> anyhow::Result<()> {
    let (src, dst) = (secret_path_for(from), secret_path_for(to));
    if src.exists() {
        std::fs::copy(&src, &dst)
            .with_context(|| format!("cannot copy the secret to {}", dst.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_is_backed_up_with_its_own_tools() {
        let err = sqlite_file("postgres://postgres@127.0.0.1/linli").unwrap_err();
        assert!(err.to_string().contains("pg_dump"), "{err}");
        assert!(sqlite_file("sqlite::memory:").is_err());
        assert_eq!(
            sqlite_file("sqlite://data/linli.db").unwrap(),
            PathBuf::from("data/linli.db")
        );
    }
}
