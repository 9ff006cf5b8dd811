//! The dropout-control API: roll calls and absences, cases and attempts, ledgers, reports,
//! settings and hand-overs. Each part documents its own paths; [`doc`] gathers them.

mod cases;
mod county;
mod ledgers;
mod rollcall;

use axum::Router;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(rollcall::routes())
        .merge(cases::routes())
        .merge(ledgers::routes())
        .merge(county::routes())
}

/// The paths of every part, relative to `/api/v1`.
pub fn doc() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    let mut doc = rollcall::Doc::openapi();
    doc.merge(cases::Doc::openapi());
    doc.merge(ledgers::Doc::openapi());
    doc.merge(county::Doc::openapi());
    doc
}
