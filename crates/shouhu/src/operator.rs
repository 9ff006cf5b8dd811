//! Commands run by the local operator on the server: full scope, audited as `local-operator`.

use std::path::Path;

use anyhow::{Context, bail};
use clap::Args;
use rand::Rng;
use shouhu_domain::{Password, RegionCode, Role, hash_password};
use shouhu_store::users::{self, UserInput};
use shouhu_store::{Scope, Store, regions};

use crate::cli::DbArgs;

/// Loads the shipped national province→township table into an empty database.
pub fn ensure_regions(store: &Store) -> anyhow::Result<()> {
    store.with_conn(|conn| {
        if regions::count(conn)? == 0 {
            let rows = regions::national_table(None)?;
            let counts = regions::upsert(conn, &Scope::local_operator(), rows, false)?;
            tracing::info!(regions = counts.added, "loaded the national region table");
        }
        Ok(())
    })?;
    Ok(())
}

#[derive(Args)]
pub struct NewUserArgs {
    /// Sign-in name.
    #[arg(long)]
    username: String,
    /// Name shown to others (defaults to the user name).
    #[arg(long)]
    name: Option<String>,
    /// One of: system_admin, bureau, civil_affairs, child_director, principal, head_teacher, teacher, volunteer.
    #[arg(long)]
    role: String,
    /// Home node: 6-, 9- or 12-digit region code.
    #[arg(long)]
    region: String,
    /// School id, for principals and teachers.
    #[arg(long)]
    school: Option<i64>,
    /// Initial password; generated and printed when absent.
    #[arg(long)]
    password: Option<String>,
    #[command(flatten)]
    db: DbArgs,
}

/// A readable random password that satisfies the policy (letters and digits, 12 characters).
pub fn generate_password() -> String {
    const LETTERS: &[u8] = b"abcdefghjkmnpqrstuvwxyz";
    const DIGITS: &[u8] = b"23456789";
    let mut rng = rand::thread_rng();
    let mut s: String = (0..8)
        .map(|_| LETTERS[rng.gen_range(0..LETTERS.len())] as char)
        .collect();
    s.extend((0..4).map(|_| DIGITS[rng.gen_range(0..DIGITS.len())] as char));
    s
}

fn hashed(password: &str) -> anyhow::Result<String> {
    let password = Password::parse(password).map_err(|e| anyhow::anyhow!("{e}"))?;
    hash_password(&password).map_err(|e| anyhow::anyhow!("{e}"))
}

pub fn add_user(args: NewUserArgs) -> anyhow::Result<()> {
    let store = args.db.open()?;
    let role = Role::parse(&args.role).map_err(|e| anyhow::anyhow!("{e}"))?;
    let region = RegionCode::parse(&args.region).map_err(|e| anyhow::anyhow!("{e}"))?;
    let generated = args.password.is_none();
    let password = args.password.unwrap_or_else(generate_password);
    let hash = hashed(&password)?;
    let input = UserInput {
        display_name: args.name.unwrap_or_else(|| args.username.clone()),
        username: args.username,
        role,
        region,
        school_id: args.school,
    };
    let user =
        store.with_conn(|conn| users::create(conn, &Scope::local_operator(), input, &hash))?;
    println!(
        "created user {} ({}) at {}",
        user.username, user.role, user.region_code
    );
    if generated {
        println!("password: {password}");
    }
    Ok(())
}

pub fn list_users(store: &Store) -> anyhow::Result<()> {
    let list =
        store.with_conn(|conn| users::list(conn, &Scope::local_operator(), &Default::default()))?;
    println!(
        "{:<20} {:<16} {:<14} {:<8} name",
        "username", "role", "region", "status"
    );
    for u in list {
        let status = if u.disabled { "disabled" } else { "active" };
        println!(
            "{:<20} {:<16} {:<14} {:<8} {}",
            u.username, u.role, u.region_code, status, u.display_name
        );
    }
    Ok(())
}

fn find(store: &Store, username: &str) -> anyhow::Result<users::User> {
    store
        .with_conn(|conn| users::find_for_login(conn, username))?
        .with_context(|| format!("no user named {username}"))
}

pub fn disable_user(store: &Store, username: &str) -> anyhow::Result<()> {
    let user = find(store, username)?;
    if user.disabled {
        bail!("{username} is already disabled");
    }
    store.with_conn(|conn| users::set_disabled(conn, &Scope::local_operator(), user.id, true))?;
    println!("disabled {username}");
    Ok(())
}

pub fn reset_password(
    store: &Store,
    username: &str,
    password: Option<String>,
) -> anyhow::Result<()> {
    let user = find(store, username)?;
    let generated = password.is_none();
    let password = password.unwrap_or_else(generate_password);
    let hash = hashed(&password)?;
    store
        .with_conn(|conn| users::reset_password(conn, &Scope::local_operator(), user.id, &hash))?;
    println!("password of {username} reset");
    if generated {
        println!("password: {password}");
    }
    Ok(())
}

pub fn import_regions(
    store: &Store,
    file: &Path,
    rename: bool,
) -> anyhow::Result<regions::ImportCounts> {
    let input =
        std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let rows = regions::read_csv(std::io::BufReader::new(input))?;
    let total = rows.len();
    let c =
        store.with_conn(|conn| regions::upsert(conn, &Scope::local_operator(), rows, rename))?;
    println!(
        "regions: {total} read, {} added, {} renamed, {} unchanged",
        c.added, c.renamed, c.unchanged
    );
    Ok(c)
}
