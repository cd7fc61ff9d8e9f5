//! The `linli` command: parses the command line and runs the chosen subcommand.

use std::io::BufRead;

use anyhow::Context;
use clap::Parser;

use crate::config::{
    Cli, Command, CommunityCommand, CommunityCreateArgs, DatabaseSettings, ElectionCommand,
    ImportCommand, Settings, UserCommand, UserCreateArgs,
};
use crate::domain::permissions::{Grant, Role, Scope};
use crate::domain::resident::{DisplayName, NewPassword, PhoneNumber};
use crate::persistence::{self, residents::CreateError};
use crate::startup::{Application, shutdown_signal};
use crate::{auth, http, telemetry};

pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        None => serve(&cli.serve).await,
        Some(Command::Serve(args)) => serve(&args).await,
        Some(Command::Migrate(args)) => {
            telemetry::init_logging(Default::default());
            let db = persistence::connect(&DatabaseSettings::from(&args)).await?;
            persistence::migrate(&db).await?;
            db.close().await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Some(Command::Openapi) => {
            print!("{}", http::spec_json());
            Ok(())
        }
        Some(Command::User(UserCommand::Create(args))) => create_user(args).await,
        Some(Command::Community(CommunityCommand::Create(args))) => create_community(args).await,
        Some(Command::VapidKeys) => {
            let (private, public) = crate::features::notifications::channels::Vapid::generate();
            println!("LINLI_VAPID_PRIVATE_KEY={private}");
            println!("# the public key, which GET /api/v1/push/key serves: {public}");
            Ok(())
        }
        Some(Command::Backup(args)) => crate::backup::backup(&args).await,
        Some(Command::Restore(args)) => crate::backup::restore(&args).await,
        Some(Command::Demo(args)) => {
            let db = persistence::connect(&DatabaseSettings::from(&args.database)).await?;
            persistence::migrate(&db).await?;
            crate::demo::run(db.clone(), args.residents, args.households).await?;
            db.close().await?;
            Ok(())
        }
        Some(Command::Import(ImportCommand::Territory(args))) => {
            let db = persistence::connect(&DatabaseSettings::from(&args.database)).await?;
            persistence::migrate(&db).await?;
            let done = crate::features::territory::import::run(
                db.clone(),
                args.community.as_deref(),
                &args.file,
                args.dry_run,
            )
            .await;
            db.close().await?;
            done.map(|_| ())
        }
        Some(Command::Census(args)) => {
            let db = persistence::connect(&DatabaseSettings::from(&args.database)).await?;
            persistence::migrate(&db).await?;
            let done = crate::features::territory::census::write(
                &db,
                args.community.as_deref(),
                &args.out,
            )
            .await;
            db.close().await?;
            done
        }
        Some(Command::Election(ElectionCommand::Verify(args))) => verify_election(&args.file),
        Some(Command::Compact(args)) => {
            telemetry::init_logging(Default::default());
            let db = persistence::connect(&DatabaseSettings::from(&args.database)).await?;
            persistence::migrate(&db).await?;
            let cutoff =
                chrono::Utc::now() - chrono::Duration::days(i64::from(args.retention_days));
            let done = crate::sync::compact::compact::<crate::features::App>(&db, cutoff).await?;
            db.close().await?;
            println!(
                "purged {} tombstones and {} stored push results older than {cutoff}",
                done.tombstones, done.results
            );
            Ok(())
        }
    }
}

/// `linli election verify FILE`: prints what checks out, or every problem and fails.
fn verify_election(file: &std::path::Path) -> anyhow::Result<()> {
    use poem_openapi::types::ParseFromJSON;

    use crate::features::elections::{http::ElectionRecord, verify};
    let text = if file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("cannot read standard input")?
    } else {
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?
    };
    let json: serde_json::Value = serde_json::from_str(&text)
        .context("the file is not JSON: save the body of GET /api/v1/elections/{id}/record")?;
    let record = ElectionRecord::parse_from_json(Some(json)).map_err(|e| {
        anyhow::anyhow!(
            "the file is not an election record ({}): save the body of GET /api/v1/elections/{{id}}/record",
            e.message()
        )
    })?;
    match verify::verify(&record) {
        Ok(v) => {
            println!("記錄核驗通過 the record checks out: {}", record.title);
            println!("  chain: {} events, head {}", v.events, record.chain_head);
            println!(
                "  ballots: {} ({} phone receipts recomputed)",
                v.ballots, v.phone_receipts
            );
            match v.tally {
                Some(t) => println!(
                    "  tally: recomputed and equal; {} of {} voted, {} ballots, {}",
                    t.voted,
                    t.roll_size,
                    t.ballots_cast,
                    if t.valid {
                        "valid"
                    } else {
                        "not valid (turnout)"
                    }
                ),
                None => println!("  tally: not counted yet"),
            }
            Ok(())
        }
        Err(problems) => {
            for p in &problems {
                eprintln!("✗ {p}");
            }
            anyhow::bail!(
                "記錄核驗失敗 the record does not check out ({} problem(s)); tell the election officers",
                problems.len()
            )
        }
    }
}

async fn serve(args: &crate::config::ServeArgs) -> anyhow::Result<()> {
    telemetry::init_logging(args.log_format);
    let app = Application::build(Settings::from(args)).await?;
    app.run_until(shutdown_signal()).await
}

async fn create_community(args: CommunityCreateArgs) -> anyhow::Result<()> {
    let slug = args.slug.trim();
    anyhow::ensure!(
        !slug.is_empty()
            && slug.len() <= 40
            && slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
        "--slug must be 1 to 40 lowercase letters, digits or '-', like sun-village"
    );
    let name = DisplayName::parse(&args.name)?;
    let db = persistence::connect(&DatabaseSettings::from(&args.database)).await?;
    persistence::migrate(&db).await?;
    let created = persistence::communities::create(&db, slug, name.as_str()).await;
    db.close().await?;
    let community = created?;
    println!("{}", community.id);
    eprintln!("created community {} ({})", community.name, community.slug);
    Ok(())
}

async fn create_user(args: UserCreateArgs) -> anyhow::Result<()> {
    let phone = PhoneNumber::parse(&args.phone)?;
    let name = DisplayName::parse(&args.name)?;
    let password = match args.password {
        Some(p) => p,
        None => {
            eprintln!("password for {}:", phone.as_str());
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("cannot read the password")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let password = NewPassword::parse(&password)?;

    let db = persistence::connect(&DatabaseSettings::from(&args.database)).await?;
    persistence::migrate(&db).await?;
    let community = persistence::communities::pick(&db, args.community.as_deref()).await?;
    let hash = auth::password::hash(&password).await?;
    let resident = match persistence::residents::create(&db, community.id, &phone, &name, hash)
        .await
    {
        Ok(r) => r,
        Err(CreateError::PhoneTaken) => anyhow::bail!("{} is already registered", phone.as_str()),
        Err(CreateError::Db(e)) => return Err(e.into()),
    };
    if args.admin {
        persistence::roles::grant(
            &db,
            resident.id,
            Grant {
                role: Role::Admin,
                scope: Scope::Community(community.id),
            },
        )
        .await?;
    }
    db.close().await?;
    println!("{}", resident.id);
    eprintln!(
        "created {} ({}) in {}{}",
        name.as_str(),
        phone.as_str(),
        community.slug,
        if args.admin { " as admin" } else { "" }
    );
    Ok(())
}
