//! Persistence for Shouhu: one diesel query path over SQLite and PostgreSQL.
//!
//! Repository functions take a connection and the caller's [`Scope`]; the web layer reaches them
//! through [`Store::run`], which runs blocking database work off the async runtime.

pub mod audit;
pub mod auth;
pub mod calendars;
pub mod care_records;
pub mod children;
pub mod classes;
mod clock;
mod connection;
pub mod crypto;
pub mod dropout;
pub mod duties;
mod error;
pub mod group_events;
pub mod help_plans;
pub mod pairings;
pub mod regions;
mod schema;
pub mod schools;
mod scope;
pub mod synthetic;
pub mod users;

pub use clock::now_ms;
pub use connection::{
    Conn, DatabaseUrl, establish, revert_migrations, run_migrations, sqlite_bulk_connection,
};
pub use error::{StoreError, StoreResult};
pub use scope::{Actor, Scope};

use connection::ConnPool;

/// A pool of connections to one database, migrated and ready.
#[derive(Clone)]
pub struct Store {
    pool: ConnPool,
    url: DatabaseUrl,
    key: std::sync::Arc<crypto::DeploymentKey>,
}

impl Store {
    /// Connects, creating a SQLite file if needed, and applies pending migrations.
    /// `key` seals and opens the sensitive fields of child files.
    pub fn open(
        url: &DatabaseUrl,
        max_connections: u32,
        key: crypto::DeploymentKey,
    ) -> StoreResult<Self> {
        let pool = connection::build_pool(url, max_connections)?;
        let mut conn = pool.get()?;
        let applied = run_migrations(&mut conn)?;
        if applied > 0 {
            tracing::info!(applied, "database migrated");
        }
        // Rules are data: a new deployment (or an upgrade adding a default) gets the defaults.
        duties::ensure_defaults(&mut conn)?;
        Ok(Self {
            pool,
            url: url.clone(),
            key: std::sync::Arc::new(key),
        })
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// The deployment key, to move into blocking work that opens sealed fields.
    pub fn key(&self) -> std::sync::Arc<crypto::DeploymentKey> {
        self.key.clone()
    }

    /// Runs `work` with a pooled connection on the current thread (CLI and tests).
    pub fn with_conn<T>(&self, work: impl FnOnce(&mut Conn) -> StoreResult<T>) -> StoreResult<T> {
        let mut conn = self.pool.get()?;
        work(&mut conn)
    }

    /// Runs blocking database `work` on the blocking thread pool, for async callers.
    pub async fn run<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> StoreResult<T> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio_block(move || {
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await
    }
}

async fn tokio_block<T: Send + 'static>(
    f: impl FnOnce() -> StoreResult<T> + Send + 'static,
) -> StoreResult<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(e) => Err(StoreError::Internal(format!("blocking task failed: {e}"))),
    }
}

/// Runs `work` in one transaction: all of it is stored, or none of it.
pub fn transaction<T>(
    conn: &mut Conn,
    work: impl FnOnce(&mut Conn) -> StoreResult<T>,
) -> StoreResult<T> {
    use diesel::Connection;
    conn.transaction(work)
}

/// Turns a unique-constraint failure into a `Duplicate` naming the form field.
pub(crate) fn unique_violation<T>(
    result: diesel::QueryResult<T>,
    field: &'static str,
) -> StoreResult<T> {
    use diesel::result::{DatabaseErrorKind, Error};
    match result {
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Err(StoreError::Duplicate { field })
        }
        other => Ok(other?),
    }
}
