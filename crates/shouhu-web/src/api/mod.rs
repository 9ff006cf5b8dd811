//! The JSON API under `/api/v1`: Bearer tokens, the same scope rules as the pages, errors as
//! `{"error": {"code", "message", "fields"}}`, and an OpenAPI document generated from the code.

use axum::Router;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
