//! The JSON API under `/api/v1`: Bearer tokens, the same scope rules as the pages, errors as
//! `{"error": {"code", "message", "fields"}}`, and an OpenAPI document generated from the code.
//!
//! Every body, path and query goes through the extractors here, so that even a request axum
//! cannot parse is answered in the JSON error shape (the `render_errors` middleware writes it).

mod auth;
mod calendars;
mod care;
mod children;
mod classes;
pub mod dropout;
mod duties;
mod events;
mod me;
pub mod openapi;
mod plans;
mod regions;
mod rosters;
mod schools;

use std::collections::BTreeMap;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use shouhu_store::StoreError;

use crate::error::AppError;
use crate::pages::rosters::MAX_UPLOAD;
use crate::state::AppState;

pub use openapi::{ErrorBody, ErrorDetail};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi::document))
        .route("/auth/token", post(auth::token))
        .route("/me", get(me::show))
        .route("/regions", get(regions::list).post(regions::create))
        .route(
            "/regions/{code}",
            get(regions::show)
                .patch(regions::update)
                .delete(regions::delete),
        )
        .route("/schools", get(schools::list).post(schools::create))
        .route(
            "/schools/{id}",
            get(schools::show)
                .patch(schools::update)
                .delete(schools::delete),
        )
        .route("/schools/{id}/classes", get(classes::list))
        .route("/schools/{id}/calendar", get(calendars::school))
        .route(
            "/calendars",
            get(calendars::show)
                .put(calendars::put)
                .delete(calendars::delete),
        )
        .route("/classes", post(classes::create))
        .route(
            "/classes/{id}",
            get(classes::show)
                .patch(classes::update)
                .delete(classes::delete),
        )
        .route("/classes/{id}/cards.pdf", get(children::class_cards))
        .route("/children", get(children::list).post(children::create))
        .route(
            "/children/{id}",
            get(children::show).patch(children::update),
        )
        .route("/children/{id}/reveal", post(children::reveal))
        .route("/children/{id}/revisions", get(children::revisions))
        .route("/children/{id}/card.pdf", get(children::card))
        .route(
            "/children/{id}/records",
            get(care::list_records).post(care::create_record),
        )
        .route(
            "/records/{id}",
            get(care::show_record)
                .patch(care::update_record)
                .delete(care::delete_record),
        )
        .route(
            "/children/{id}/pairings",
            get(care::list_pairings).post(care::create_pairing),
        )
        .route("/pairings/{id}/end", post(care::end_pairing))
        .route("/pairings/coverage", get(care::coverage))
        .route("/classes/{id}/pairings", post(care::pair_class))
        .route(
            "/rosters/imports",
            post(rosters::import).layer(DefaultBodyLimit::max(MAX_UPLOAD)),
        )
        .route(
            "/schools/{id}/events",
            get(events::list).post(events::create),
        )
        .route(
            "/events/{id}",
            get(events::show)
                .patch(events::update)
                .delete(events::delete),
        )
        .route("/children/{id}/plans", get(plans::list).post(plans::create))
        .route("/plans/{id}", get(plans::show).patch(plans::update))
        .route("/plans/{id}/sign", post(plans::sign))
        .route("/plans/{id}/reopen", post(plans::reopen))
        .route("/tasks", get(duties::tasks))
        .route("/compliance", get(duties::compliance))
        .route("/duty-rules", get(duties::list_rules))
        .route("/duty-rules/{code}", axum::routing::put(duties::put_rule))
        .route("/rosters/export", get(rosters::export))
        .route("/rosters/template", get(rosters::template))
        .merge(dropout::routes())
        .fallback(|| async { AppError::not_found() })
        .method_not_allowed_fallback(|| async { method_not_allowed() })
}

fn method_not_allowed() -> AppError {
    let mut e = AppError::bad_request("api.method_not_allowed");
    e.status = StatusCode::METHOD_NOT_ALLOWED;
    e.code = "method_not_allowed";
    e
}

/// A 400 whose `details.reason` tells the client what the parser stumbled on.
fn bad_request(key: &str, reason: String) -> AppError {
    let mut e = AppError::bad_request(key);
    e.details = Some(serde_json::json!({ "reason": reason }));
    e
}

/// A JSON body; malformed JSON or a wrong type is a 400 in the API's error shape.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(JsonRejection::MissingJsonContentType(r)) => {
                let mut e = bad_request("api.json_content_type", r.body_text());
                e.status = StatusCode::UNSUPPORTED_MEDIA_TYPE;
                Err(e)
            }
            Err(r) => Err(bad_request("api.bad_json", r.body_text())),
        }
    }
}

/// Path parameters; an id that is not a number is a 400 in the API's error shape.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| Self(value))
            .map_err(|r| bad_request("api.bad_path", r.body_text()))
    }
}

/// Query parameters, rejected in the API's error shape.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| Self(value))
            .map_err(|r| bad_request("api.bad_query", r.body_text()))
    }
}

/// Gathers every field's error so the client learns all of them in one answer.
#[derive(Default)]
struct Fields(BTreeMap<String, String>);

impl Fields {
    /// The parsed value, or `None` with the error's catalog key noted under `field`.
    fn check<T>(&mut self, field: &str, parsed: Result<T, &'static str>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(key) => {
                self.0.insert(field.to_owned(), key.to_owned());
                None
            }
        }
    }

    fn into_error(self) -> AppError {
        AppError::invalid(self.0)
    }
}

/// A required line of text: trimmed, not empty, at most `max` characters, no control characters.
fn text(raw: &str, max: usize, too_long: &'static str) -> Result<String, &'static str> {
    let value = raw.trim();
    if value.is_empty() {
        Err("error.required")
    } else if value.chars().count() > max {
        Err(too_long)
    } else if value.chars().any(char::is_control) {
        Err("api.control_chars")
    } else {
        Ok(value.to_owned())
    }
}

/// An optional line of text; blank means none.
fn optional_text(
    raw: Option<&str>,
    max: usize,
    too_long: &'static str,
) -> Result<Option<String>, &'static str> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(value) => text(value, max, too_long).map(Some),
    }
}

/// Tells a field left out of a PATCH body (`None`) from one sent as `null` (`Some(None)`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Store errors whose field names differ from the API's (`region` → `region_code`).
fn renamed(e: StoreError, renames: &[(&str, &str)]) -> AppError {
    let mut e = AppError::from(e);
    e.fields = std::mem::take(&mut e.fields)
        .into_iter()
        .map(|(field, key)| {
            let field = renames
                .iter()
                .find(|(from, _)| *from == field)
                .map_or(field, |(_, to)| (*to).to_owned());
            (field, key)
        })
        .collect();
    e
}

/// A stored instant (UTC milliseconds) as the API shows it: RFC 3339 in UTC.
fn instant(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// `201 Created` with a `Location` header and the new resource.
fn created<T: serde::Serialize>(location: String, body: T) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        StatusCode::CREATED,
        [(axum::http::header::LOCATION, location)],
        Json(body),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(text("  梨树镇 ", 5, "k"), Ok("梨树镇".to_owned()));
        assert_eq!(text("   ", 5, "k"), Err("error.required"));
        assert_eq!(text("一二三四五六", 5, "k"), Err("k"));
        assert_eq!(text("a\nb", 5, "k"), Err("api.control_chars"));
        assert_eq!(optional_text(Some("  "), 5, "k"), Ok(None));
        assert_eq!(optional_text(None, 5, "k"), Ok(None));
    }

    #[test]
    fn store_fields_take_the_api_names() {
        let e = renamed(
            StoreError::invalid("region", "region.unknown"),
            &[("region", "region_code")],
        );
        assert_eq!(
            e.fields.get("region_code").map(String::as_str),
            Some("region.unknown")
        );
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
    }

    #[test]
    fn instants_are_utc_rfc3339() {
        let json = serde_json::to_string(&instant(1_795_000_000_123)).unwrap();
        assert_eq!(json, "\"2026-11-18T11:06:40.123Z\"");
    }
}
