//! Region, school and class pages (list, create, edit), inside the user's scope.

use axum::Router;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
