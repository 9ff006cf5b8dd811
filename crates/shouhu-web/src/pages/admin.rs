//! The user admin page (create, disable, reset, inside the manager's scope) and the audit log page.

use axum::Router;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
