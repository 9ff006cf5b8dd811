//! The web layer's one error type. Handlers return it; the `render_errors` middleware turns it into
//! a JSON error for `/api` or a page otherwise, in the request's language. Internal causes are logged
//! here and never shown.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use shouhu_store::StoreError;

#[derive(Clone, Debug)]
pub struct AppError {
    pub status: StatusCode,
    /// Stable machine code for API clients, e.g. `not_found`.
    pub code: &'static str,
    /// Message-catalog key of the human message.
    pub key: String,
    /// Field name → message-catalog key.
    pub fields: BTreeMap<String, String>,
    /// Extra facts for the client, e.g. both versions on a conflict.
    pub details: Option<serde_json::Value>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    fn new(status: StatusCode, code: &'static str, key: impl Into<String>) -> Self {
        Self {
            status,
            code,
            key: key.into(),
            fields: BTreeMap::new(),
            details: None,
        }
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "error.not_found")
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "error.unauthenticated",
        )
    }

    pub fn forbidden(key: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", key)
    }

    pub fn bad_request(key: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", key)
    }

    /// A signed-in user who must choose a new password before anything else.
    pub fn password_change_required() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "password_change_required",
            "password.change_required",
        )
    }

    pub fn throttled() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "throttled",
            "login.throttled",
        )
    }

    /// Input that failed validation, field by field.
    pub fn invalid(fields: BTreeMap<String, String>) -> Self {
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "error.invalid");
        e.fields = fields;
        e
    }

    pub fn invalid_field(field: &str, key: &str) -> Self {
        Self::invalid(BTreeMap::from([(field.to_owned(), key.to_owned())]))
    }

    pub fn conflict(expected: i32, current: i32) -> Self {
        let mut e = Self::new(StatusCode::CONFLICT, "conflict", "error.conflict");
        e.details =
            Some(serde_json::json!({ "your_version": expected, "current_version": current }));
        e
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "error.internal",
        )
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::not_found(),
            StoreError::Forbidden(key) => Self::forbidden(format!("denied.{key}")),
            StoreError::Conflict { expected, current } => Self::conflict(expected, current),
            StoreError::Duplicate { field } => {
                let mut e = Self::invalid_field(field, "error.duplicate");
                e.status = StatusCode::CONFLICT;
                e.code = "duplicate";
                e
            }
            StoreError::Invalid { field, code } => Self::invalid_field(field, code),
            StoreError::InvalidFile { field, code } => Self::invalid_field(&field, &code),
            StoreError::ChildExists { id } => {
                let key = if id.is_some() {
                    "child.exists"
                } else {
                    "child.exists_elsewhere"
                };
                let mut e = Self::invalid_field("id_number", key);
                e.status = StatusCode::CONFLICT;
                e.code = "duplicate";
                e.details = id.map(|id| serde_json::json!({ "existing_id": id }));
                e
            }
            other => Self::internal(other),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}
