//! Region, school and class pages (list, create, edit, delete with confirmation), inside the user's
//! scope. The store decides what is in reach; this module adds which roles may change what, so that
//! forms are offered only to those who can use them, and turns rejected input into field errors.

mod classes;
mod regions;
mod schools;

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use shouhu_store::StoreError;

use super::frame::{Frame, render};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/regions", get(regions::list).post(regions::create))
        .route("/regions/{code}", post(regions::rename))
        .route(
            "/regions/{code}/delete",
            get(regions::confirm_delete).post(regions::delete),
        )
        .route("/schools", get(schools::list).post(schools::create))
        .route("/schools/new", get(schools::new_form))
        .route("/schools/{id}", get(schools::show).post(schools::update))
        .route("/schools/{id}/edit", get(schools::edit_form))
        .route(
            "/schools/{id}/delete",
            get(schools::confirm_delete).post(schools::delete),
        )
        .route("/schools/{id}/classes", post(classes::create))
        .route("/schools/{id}/classes/new", get(classes::new_form))
        .route("/classes/{id}", get(classes::show).post(classes::update))
        .route("/classes/{id}/edit", get(classes::edit_form))
        .route(
            "/classes/{id}/delete",
            get(classes::confirm_delete).post(classes::delete),
        )
}

/// A form as posted: name/value pairs in order, so a group of checkboxes may repeat a name.
#[derive(Debug, Default)]
pub struct Posted(Vec<(String, String)>);

impl Posted {
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        Self(pairs)
    }

    /// The first value of `name`, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && !v.is_empty())
    }
}

/// Field name → message-catalog key, for re-rendering a form next to what was typed.
#[derive(Clone, Debug, Default)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    /// Records the first problem of a field; later ones wait until that one is fixed.
    pub fn add(&mut self, field: &str, key: &str) {
        self.0
            .entry(field.to_owned())
            .or_insert_with(|| key.to_owned());
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A store refusal that belongs next to a field (bad or duplicate value) becomes a field
    /// error; anything else (not found, forbidden, conflict) stays an error for the whole request.
    /// `duplicate_key` names the message for a taken unique value of this form.
    pub fn from_store(e: StoreError, duplicate_key: &str) -> Result<Self, AppError> {
        let mut errors = Self::default();
        match e {
            StoreError::Invalid { field, code } => errors.add(field, code),
            StoreError::Duplicate { field } => errors.add(field, duplicate_key),
            other => return Err(other.into()),
        }
        Ok(errors)
    }
}

/// One entry of a drop-down or a group of checkboxes.
#[derive(Clone, Debug)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// "Are you sure?" before a destructive act: the GET shows it, the POST to `action` does it.
/// Shared by every area that deletes something.
#[derive(Template)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub t: Tr,
    pub frame: Frame,
    /// Catalog keys of the heading, the question and the button.
    pub title_key: &'static str,
    pub question_key: &'static str,
    pub button_key: &'static str,
    /// What is about to go, as the user knows it (a name, with its code).
    pub subject: String,
    pub action: String,
    /// Where "cancel" leads.
    pub back: String,
    /// Why the act was refused, as a catalog key, when the POST could not do it.
    pub error: Option<String>,
}

impl ConfirmPage {
    /// The page with `status` (200 for the question, 422 or 409 when the act was refused).
    pub fn respond(self, status: StatusCode) -> AppResult<Response> {
        Ok((status, render(self)?).into_response())
    }
}

/// Ids in paths are numbers; anything else is simply not there.
fn parse_id(raw: &str) -> AppResult<i64> {
    raw.parse().map_err(|_| AppError::not_found())
}

/// Text fields longer than this many characters are refused.
fn too_long(s: &str, max: usize) -> bool {
    s.chars().count() > max
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Catalog, Locale};

    /// Keys written in this module's Rust code (the template test covers the templates).
    #[test]
    fn every_key_used_in_the_handlers_exists() {
        let catalog = Catalog::load().unwrap();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/pages/places");
        let prefixes = [
            "places.", "denied.", "class.", "school.", "region.", "error.",
        ];
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            // Odd pieces are the string literals (a quote character literal would upset that).
            for piece in text.split('\u{22}').skip(1).step_by(2) {
                let is_key = prefixes.iter().any(|p| piece.starts_with(p))
                    && !piece.contains(' ')
                    && !piece.ends_with('.');
                if is_key && catalog.text(Locale::ZhCn, piece) == piece {
                    missing.push(piece.to_owned());
                }
            }
        }
        assert!(missing.is_empty(), "keys missing: {missing:?}");
    }

    #[test]
    fn posted_forms_keep_repeated_names() {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str("name=%20A%20&t=1&t=2&box=").unwrap();
        let p = Posted::new(pairs);
        assert_eq!(p.get("name"), "A");
        assert_eq!(p.all("t"), ["1", "2"]);
        assert!(!p.has("box") && !p.has("none") && p.has("t"));
    }

    #[test]
    fn store_refusals_become_field_errors_or_stay_errors() {
        let e = FieldErrors::from_store(StoreError::invalid("code", "region.in_use"), "x").unwrap();
        assert_eq!(e.get("code"), Some("region.in_use"));
        let e = FieldErrors::from_store(StoreError::Duplicate { field: "name" }, "dup").unwrap();
        assert_eq!(e.get("name"), Some("dup"));
        let e = FieldErrors::from_store(StoreError::NotFound, "dup").unwrap_err();
        assert_eq!(e.status, StatusCode::NOT_FOUND);
    }
}
