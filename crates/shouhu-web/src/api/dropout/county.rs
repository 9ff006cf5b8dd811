//! (being written)

use axum::Router;
use utoipa::OpenApi;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}

/// This part's paths, relative to `/api/v1`.
#[derive(OpenApi)]
#[openapi()]
pub struct Doc;
