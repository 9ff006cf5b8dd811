//! Group event pages (监护人会议, 座谈会, 家长学校, 主题班会): a school's list, the entry form with
//! attending children ticked class by class, the event with its minutes, a printable sign-in
//! sheet (签到表), edits and deletion. The store decides what is in reach; these pages lay it out
//! for a phone and keep what was typed when a save is refused.

mod form;
mod show;

use axum::Router;
use axum::routing::get;
use shouhu_domain::EventKind;

use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::places::Choice;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/schools/{id}/events", get(show::list).post(form::create))
        .route("/schools/{id}/events/new", get(form::new_form))
        .route("/schools/{id}/events/sheet", get(show::blank_sheet))
        .route("/events/{id}", get(show::show).post(form::update))
        .route("/events/{id}/edit", get(form::edit_form))
        .route("/events/{id}/sheet", get(show::sheet))
        .route(
            "/events/{id}/delete",
            get(show::confirm_delete).post(show::delete),
        )
}

/// Ids in paths are numbers; anything else is simply not there.
fn parse_id(raw: &str) -> AppResult<i64> {
    raw.parse().map_err(|_| AppError::not_found())
}

/// The kind's label in the reader's language, whatever was stored.
fn kind_label(t: &Tr, code: &str) -> String {
    EventKind::parse(code).map_or_else(|_| code.to_owned(), |k| t.t(k.label_key()).to_owned())
}

fn kind_choices(t: &Tr, selected: &str) -> Vec<Choice> {
    EventKind::ALL
        .into_iter()
        .map(|k| Choice {
            value: k.code().to_owned(),
            label: t.t(k.label_key()).to_owned(),
            selected: k.code() == selected,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::i18n::{Catalog, Locale};

    /// Keys written in this module's Rust code (the template test covers the templates).
    #[test]
    fn every_key_used_in_the_handlers_exists() {
        let catalog = Catalog::load().unwrap();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/pages/events");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for piece in text.split('\u{22}').skip(1).step_by(2) {
                let is_key = ["event.", "group_event.", "denied.", "notice."]
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
        assert!(missing.is_empty(), "keys missing: {missing:?}");
    }
}
