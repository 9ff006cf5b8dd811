//! The command line: `serve`, `migrate`, `user …`, `regions import`, `roster generate`,
//! `import roster`, `export roster`, `jobs run`, `bench children`. Every command that touches a deployment's data takes the same database
//! options and runs as the local operator, with full scope, audited as such; benchmarks and the
//! roster generator make their own data.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use shouhu_store::crypto::DeploymentKey;
use shouhu_store::{DatabaseUrl, Store};

use crate::{bench, calendar_cli, demo, jobs, operator, roster, roster_io};

#[derive(Parser)]
#[command(
    name = "shouhu",
    version,
    about = "守护 Shouhu: care-service management for left-behind children"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web server (pages and API).
    Serve(ServeArgs),
    /// Create or upgrade the database schema and load the national region table.
    Migrate(DbArgs),
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage the region tree.
    #[command(subcommand)]
    Regions(RegionsCommand),
    /// Roster (花名册) sheets: a synthetic one for tests and benchmarks.
    #[command(subcommand)]
    Roster(roster::RosterCommand),
    /// Import data into the database.
    #[command(subcommand)]
    Import(roster_io::ImportCommand),
    /// Export data from the database.
    #[command(subcommand)]
    Export(roster_io::ExportCommand),
    /// School calendars (校历): import a sheet, show the calendar in force, write a template.
    #[command(subcommand)]
    Calendar(calendar_cli::CalendarCommand),
    /// Run a background job now (the server runs them by itself).
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Benchmarks on a fresh database of synthetic data.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

/// Where the data lives; the same for every command.
#[derive(Args, Clone)]
pub struct DbArgs {
    /// Directory for the SQLite database and other local files.
    #[arg(long, env = "SHOUHU_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// PostgreSQL URL (postgres://…); when absent, SQLite under --data-dir is used.
    #[arg(long, env = "SHOUHU_DATABASE_URL")]
    database_url: Option<String>,
}

impl DbArgs {
    pub fn url(&self) -> anyhow::Result<DatabaseUrl> {
        if let Some(url) = &self.database_url {
            return Ok(DatabaseUrl::parse(url));
        }
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("cannot create data directory {}", self.data_dir.display()))?;
        Ok(DatabaseUrl::Sqlite(
            self.data_dir.join("shouhu.sqlite3").display().to_string(),
        ))
    }

    /// Opens and migrates the database, loading the national region table into an empty one.
    pub fn open(&self) -> anyhow::Result<Store> {
        let key = self.key()?;
        let store = Store::open(&self.url()?, 8, key).context("cannot open the database")?;
        operator::ensure_regions(&store)?;
        Ok(store)
    }

    /// The deployment key that seals sensitive fields: `SHOUHU_KEY` (64 hex digits) if set, else
    /// `shouhu.key` in the data directory, created (mode 0600) on first start.
    pub fn key(&self) -> anyhow::Result<DeploymentKey> {
        if let Ok(hex) = std::env::var("SHOUHU_KEY") {
            return DeploymentKey::from_hex(&hex).context("SHOUHU_KEY");
        }
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("cannot create data directory {}", self.data_dir.display()))?;
        DeploymentKey::load_or_create(&self.data_dir.join("shouhu.key")).context("deployment key")
    }
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SHOUHU_BIND", default_value = "127.0.0.1:8080")]
    bind: String,
    /// Load a demo county with one account per role into an empty database.
    #[arg(long)]
    demo: bool,
    /// Mark cookies Secure (set this when users reach the server over https).
    #[arg(long, env = "SHOUHU_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Trust X-Forwarded-For from a reverse proxy for client addresses.
    #[arg(long, env = "SHOUHU_BEHIND_PROXY")]
    behind_proxy: bool,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; prints a generated password unless --password is given.
    Add(operator::NewUserArgs),
    /// List users.
    List(DbArgs),
    /// Disable a user; their sessions end at once.
    Disable {
        username: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Set a new password (printed) for a user.
    ResetPassword {
        username: String,
        /// The new password; generated when absent.
        #[arg(long)]
        password: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Run one job.
    #[command(subcommand)]
    Run(JobName),
}

#[derive(Subcommand)]
enum JobName {
    /// Re-derive the left-behind calibers and hardship tags in force as of a date.
    Calibers {
        /// The date to derive for (YYYY-MM-DD); today in Asia/Shanghai when absent.
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Close overdue duties and open the periods that begin (the 02:00 nightly run); catches up
    /// on any days since the last run.
    Duties {
        /// The date to run for (YYYY-MM-DD); today in Asia/Shanghai when absent.
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
        /// Re-derive every duty from this date on from the records instead (a rebuild).
        #[arg(long)]
        rebuild_from: Option<chrono::NaiveDate>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Let suspicions of dropout lapse into 辍学 (part of the nightly run), or re-derive every
    /// child's enrolment state from the roll calls, absences and decisions (`--rebuild`).
    Dropout {
        /// The date to run for (YYYY-MM-DD); today in Asia/Shanghai when absent.
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
        #[arg(long)]
        rebuild: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum RegionsCommand {
    /// Add or rename regions from a CSV file (code,name,level,parent_code[,urban_rural]).
    Import {
        file: PathBuf,
        /// Also rename regions whose code is known but whose name differs in the file.
        #[arg(long)]
        rename: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Serve(args) => serve(args).await,
            Command::Migrate(db) => {
                let store = db.open()?;
                println!("database ready: {}", describe(store.url()));
                Ok(())
            }
            Command::User(UserCommand::Add(args)) => operator::add_user(args),
            Command::User(UserCommand::List(db)) => operator::list_users(&db.open()?),
            Command::User(UserCommand::Disable { username, db }) => {
                operator::disable_user(&db.open()?, &username)
            }
            Command::User(UserCommand::ResetPassword {
                username,
                password,
                db,
            }) => operator::reset_password(&db.open()?, &username, password),
            Command::Regions(RegionsCommand::Import { file, rename, db }) => {
                operator::import_regions(&db.open()?, &file, rename).map(|_| ())
            }
            Command::Jobs(JobsCommand::Run(JobName::Calibers { date, db })) => {
                let store = db.open()?;
                let date = date.unwrap_or_else(shouhu_domain::today_shanghai);
                let changed = jobs::refresh_calibers(&store, date)?;
                println!("calibers as of {date}: {changed} files re-derived");
                Ok(())
            }
            Command::Jobs(JobsCommand::Run(JobName::Duties {
                date,
                rebuild_from,
                db,
            })) => {
                let store = db.open()?;
                let date = date.unwrap_or_else(shouhu_domain::today_shanghai);
                match rebuild_from {
                    Some(from) => jobs::rebuild_duties(&store, from, date),
                    None => jobs::run_duties(&store, date),
                }
            }
            Command::Jobs(JobsCommand::Run(JobName::Dropout { date, rebuild, db })) => {
                let store = db.open()?;
                let date = date.unwrap_or_else(shouhu_domain::today_shanghai);
                jobs::run_dropout(&store, date, rebuild)
            }
            Command::Roster(command) => roster::run(command),
            Command::Calendar(command) => calendar_cli::run(command),
            Command::Import(roster_io::ImportCommand::Roster(args)) => roster_io::import(args),
            Command::Export(roster_io::ExportCommand::Roster(args)) => roster_io::export(args),
            Command::Bench(command) => bench::run(command),
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let store = args.db.open()?;
    if args.demo {
        demo::load_if_empty(&store)?;
    }
    let config = shouhu_web::WebConfig {
        secure_cookies: args.secure_cookies,
        behind_proxy: args.behind_proxy,
        ..Default::default()
    };
    let app = shouhu_web::Application::build(store.clone(), config, &args.bind)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let addr = app.local_addr()?;
    tokio::spawn(jobs::daily(store.clone()));
    println!(
        "守护 Shouhu listening on http://{addr} ({})",
        describe(store.url())
    );
    app.run_until_stopped().await?;
    Ok(())
}

/// Names the database without its password.
fn describe(url: &DatabaseUrl) -> String {
    match url {
        DatabaseUrl::Sqlite(path) => format!("SQLite {path}"),
        DatabaseUrl::Postgres(u) => {
            let host = u.rsplit('@').next().unwrap_or(u);
            format!("PostgreSQL {host}")
        }
    }
}
