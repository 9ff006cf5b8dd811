//! The county's side of dropout control: its settings (`/dropout/settings`), 送教上门 totals
//! (`/dropout/teaching`) and the hand-over (移交) of cases between counties
//! (`/dropout/handovers`, `/dropout/cases/{id}/handover`).

pub(crate) mod handovers;
pub(crate) mod settings;
pub(crate) mod teaching;

use axum::Router;
use axum::routing::get;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/dropout/settings",
            get(settings::show).post(settings::save),
        )
        .route("/dropout/teaching", get(teaching::show))
        .route("/dropout/handovers", get(handovers::list))
        .route(
            "/dropout/handovers/{id}/accept",
            get(handovers::confirm_accept).post(handovers::accept),
        )
        .route(
            "/dropout/handovers/{id}/decline",
            get(handovers::confirm_decline).post(handovers::decline),
        )
        .route(
            "/dropout/cases/{id}/handover",
            get(handovers::form).post(handovers::request),
        )
}

/// Ids in paths are numbers; anything else is simply not there.
fn parse_id(raw: &str) -> AppResult<i64> {
    raw.parse().map_err(|_| AppError::not_found())
}

#[cfg(test)]
mod tests {
    use crate::i18n::{Catalog, Locale};

    /// Keys written in this module's Rust code (the template test covers the templates).
    #[test]
    fn every_key_used_in_the_handlers_exists() {
        let catalog = Catalog::load().unwrap();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/pages/dropout/county");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for piece in text.split('\u{22}').skip(1).step_by(2) {
                let is_key = ["dcounty.", "denied.", "dropout."]
                    .iter()
                    .any(|p| piece.starts_with(p))
                    && !piece.contains(' ')
                    && !piece.contains('{')
                    && !piece.ends_with('.');
                if is_key && catalog.text(Locale::ZhCn, piece) == piece {
                    missing.push(piece.to_owned());
                }
            }
        }
        assert!(missing.is_empty(), "missing keys: {missing:?}");
    }
}
