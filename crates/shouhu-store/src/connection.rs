//! One connection type for both databases (diesel `MultiConnection`), its pool and its migrations.
//! This file and the two migration folders are the only places that know which dialect is in use.

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::StoreError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to either database; every query in this crate is written once against it.
#[derive(diesel::MultiConnection)]
pub enum Conn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

pub type ConnPool = Pool<ConnectionManager<Conn>>;

/// Where the data lives: a PostgreSQL URL, or a SQLite file path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::Postgres(url.to_owned())
        } else {
            Self::Sqlite(url.strip_prefix("sqlite://").unwrap_or(url).to_owned())
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }

    fn as_str(&self) -> &str {
        match self {
            Self::Postgres(s) | Self::Sqlite(s) => s,
        }
    }
}

/// SQLite needs per-connection settings: WAL lets readers run beside the single writer, and the busy
/// timeout makes a second writer wait instead of failing at once. A 32 MB page cache (more
/// during a bulk import, see [`begin_bulk`]) keeps a long transaction's pages from spilling to
/// the WAL half-done, and statement journals stay in memory instead of temporary files. Reads
/// map the file (up to SQLite's 2 GB cap) rather than copy each page out of the OS cache: a
/// county's export spent most of its reading thread on those copies.
#[derive(Debug)]
struct SqliteSettings;

impl CustomizeConnection<Conn, diesel::r2d2::Error> for SqliteSettings {
    fn on_acquire(&self, conn: &mut Conn) -> Result<(), diesel::r2d2::Error> {
        if let Conn::Sqlite(c) = conn {
            c.batch_execute(&format!(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                 PRAGMA cache_size = -{CACHE_KIB}; PRAGMA temp_store = MEMORY; \
                 PRAGMA mmap_size = {MMAP_BYTES};"
            ))
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

pub fn build_pool(url: &DatabaseUrl, max_size: u32) -> Result<ConnPool, StoreError> {
    // Establish once up front so a wrong URL fails with its own message, not a pool time-out.
    let mut first = establish(url)?;
    SqliteSettings
        .on_acquire(&mut first)
        .map_err(|e| StoreError::Connect(e.to_string()))?;
    drop(first);
    let manager = ConnectionManager::<Conn>::new(url.as_str());
    Pool::builder()
        .max_size(max_size)
        .connection_customizer(Box::new(SqliteSettings))
        .build(manager)
        .map_err(|e| StoreError::Connect(e.to_string()))
}

pub fn establish(url: &DatabaseUrl) -> Result<Conn, StoreError> {
    let conn = match url {
        DatabaseUrl::Postgres(u) => PgConnection::establish(u).map(Conn::Postgres),
        DatabaseUrl::Sqlite(p) => SqliteConnection::establish(p).map(Conn::Sqlite),
    };
    conn.map_err(|e| StoreError::Connect(e.to_string()))
}

pub fn run_migrations(conn: &mut Conn) -> Result<usize, StoreError> {
    let applied = match conn {
        Conn::Postgres(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
        Conn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
    };
    applied.map_err(|e| StoreError::Migration(e.to_string()))
}

/// Reverts every migration, newest first (tests use it to prove each `down.sql` undoes its `up.sql`).
pub fn revert_migrations(conn: &mut Conn) -> Result<usize, StoreError> {
    let reverted = match conn {
        Conn::Postgres(c) => c
            .revert_all_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
        Conn::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
    };
    reverted.map_err(|e| StoreError::Migration(e.to_string()))
}

/// Page cache of an ordinary connection, and of one running a bulk import (KiB, as SQLite's
/// negative `cache_size`).
const CACHE_KIB: i64 = 32_768;
const BULK_CACHE_KIB: i64 = 262_144;

/// How much of the file reads may map (SQLite caps it at its compile-time 2 GB default).
const MMAP_BYTES: i64 = 2_147_418_112;

/// Readies the connection for a bulk import, before its transaction begins. On SQLite: foreign
/// keys off, because SQLite keeps a statement journal for every statement that an immediate
/// foreign key could abort, and copying each touched page into it took a fifth of an import's
/// database time (`perf`, BENCHMARKS.md); the importer takes every school, class and region it
/// writes from rows it has just read in the same transaction, and each revision's child from
/// the insert itself. And a page cache large enough for a county's indexes, so the one
/// transaction does not spill and rewrite them in the WAL. PostgreSQL needs neither.
pub(crate) fn begin_bulk(conn: &mut Conn) -> Result<(), StoreError> {
    if let Conn::Sqlite(c) = conn {
        c.batch_execute(&format!(
            "PRAGMA foreign_keys = OFF; PRAGMA cache_size = -{BULK_CACHE_KIB};"
        ))?;
    }
    Ok(())
}

/// A SQLite connection set up as a bulk import's is: the pool's settings, then `begin_bulk`'s.
/// For benchmarks that time SQLite alone doing an import's writes, on equal terms.
pub fn sqlite_bulk_connection(path: &str) -> Result<SqliteConnection, StoreError> {
    let mut conn = establish(&DatabaseUrl::Sqlite(path.to_owned()))?;
    SqliteSettings
        .on_acquire(&mut conn)
        .map_err(|e| StoreError::Connect(e.to_string()))?;
    begin_bulk(&mut conn)?;
    match conn {
        Conn::Sqlite(c) => Ok(c),
        Conn::Postgres(_) => Err(StoreError::Internal("not a SQLite file".into())),
    }
}

/// Gives the connection back as [`SqliteSettings`] left it once the bulk import's transaction
/// has ended.
pub(crate) fn end_bulk(conn: &mut Conn) -> Result<(), StoreError> {
    if let Conn::Sqlite(c) = conn {
        c.batch_execute(&format!(
            "PRAGMA foreign_keys = ON; PRAGMA cache_size = -{CACHE_KIB};"
        ))?;
    }
    Ok(())
}

/// Runs one query, written once, on the inner connection. Diesel's multi-backend cannot yet
/// build batch inserts or `RETURNING` clauses, though both databases run them; this passes the
/// same query to whichever connection is in use.
macro_rules! on_inner {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::connection::Conn::Postgres($c) => $body,
            $crate::connection::Conn::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_inner;
