//! Help plan pages (帮扶计划): a child's plans by term with the form to write one, the plan with
//! its stage results, summary and the principal's sign-off, a printable copy, and the
//! principal's list of the school's key children with their plan for a term.

mod child;
mod form;
mod school;
mod show;

use axum::Router;
use axum::routing::{get, post};
use shouhu_domain::{PlanStatus, TermKey};

use crate::error::{AppError, AppResult};
use crate::i18n::Tr;

pub fn routes() -> Router<crate::state::AppState> {
    Router::new()
        .route("/children/{id}/plans", get(child::list).post(child::create))
        .route("/plans/{id}", get(show::show).post(form::update))
        .route("/plans/{id}/edit", get(form::edit_form))
        .route("/plans/{id}/stages", post(show::add_stage))
        .route("/plans/{id}/summary", post(show::summarise))
        .route("/plans/{id}/sign", post(show::sign))
        .route("/plans/{id}/reopen", post(show::reopen))
        .route("/plans/{id}/print", get(show::print))
        .route("/schools/{id}/plans", get(school::overview))
}

/// Ids in paths are numbers; anything else is simply not there.
fn parse_id(raw: &str) -> AppResult<i64> {
    raw.parse().map_err(|_| AppError::not_found())
}

/// `2026-2027 第一学期` in the reader's language.
fn term_label(t: &Tr, term: &str) -> String {
    match TermKey::parse(term) {
        Ok(k) => {
            let key = if k.number == 1 {
                "plan.term_1"
            } else {
                "plan.term_2"
            };
            format!("{} {}", k.school_year, t.t(key))
        }
        Err(_) => term.to_owned(),
    }
}

fn status_label(t: &Tr, code: &str) -> String {
    PlanStatus::parse(code).map_or_else(|_| code.to_owned(), |s| t.t(s.label_key()).to_owned())
}

fn new_key() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

#[cfg(test)]
mod tests {
    use crate::i18n::{Catalog, Locale};

    /// Keys written in this module's Rust code (the template test covers the templates).
    #[test]
    fn every_key_used_in_the_handlers_exists() {
        let catalog = Catalog::load().unwrap();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/pages/plans");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for piece in text.split('\u{22}').skip(1).step_by(2) {
                let is_key = ["plan.", "help_plan.", "denied.", "notice."]
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
