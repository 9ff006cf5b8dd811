//! The storage layer's one error type. Callers map it to pages or JSON; database causes stay here.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// Absent, or outside the caller's scope: the two are deliberately indistinguishable.
    #[error("not found")]
    NotFound,
    /// The caller may not do this (e.g. create something above their own node).
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// A stale write: the row moved on to `current` since the caller read `expected`.
    #[error("version conflict: expected {expected}, current {current}")]
    Conflict { expected: i32, current: i32 },
    /// A unique value is taken; `field` names the form field.
    #[error("duplicate {field}")]
    Duplicate { field: &'static str },
    /// Another file for the same child exists: `id` when the caller may open it, `None` when it
    /// lies outside their scope and nothing of it may be said.
    #[error("child exists")]
    ChildExists { id: Option<i64> },
    /// A child file (JSON) that does not parse: `field` is its path (`father.phone`), `code` a
    /// message-catalog key.
    #[error("invalid file field {field}: {code}")]
    InvalidFile { field: String, code: String },
    /// Input that parses but breaks a rule; `code` is a message-catalog key.
    #[error("invalid {field}: {code}")]
    Invalid {
        field: &'static str,
        code: &'static str,
    },
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("connection pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    /// The deployment key is missing, malformed, or does not open a stored value.
    #[error("deployment key: {0}")]
    Key(String),
    /// A transaction undone on purpose (an import's preview); never returned to callers.
    #[error("rolled back")]
    RolledBack,
    #[error("internal: {0}")]
    Internal(String),
    #[error("seed data: {0}")]
    Seed(String),
}

impl StoreError {
    pub fn invalid(field: &'static str, code: &'static str) -> Self {
        Self::Invalid { field, code }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
