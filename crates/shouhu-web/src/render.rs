//! Turns an [`AppError`] left in a response into its body, in the caller's language: JSON
//! `{"error": {...}}` under `/api`, a redirect to sign in, or an error page.
//!
//! It is also where permission denials reach the audit log: every 403 answered to a signed-in
//! caller, page or API, whichever handler or store check refused, is recorded as `access.denied`.
//! The auth extractors leave who the caller is in a [`Caller`] slot that this layer put in the
//! request, since the error itself does not know the user.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};

use std::sync::{Arc, Mutex};

use axum::http::request::Parts;
use shouhu_store::{Scope, audit};

use crate::auth::request_locale;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: &'a Tr,
    status: u16,
    message: &'a str,
}

/// The signed-in caller of this request, once an auth extractor has found them.
#[derive(Clone, Default)]
pub(crate) struct Caller(Arc<Mutex<Option<Scope>>>);

impl Caller {
    /// Called by the auth extractors when they have identified the caller.
    pub(crate) fn note(parts: &Parts, scope: &Scope) {
        if let Some(Ok(mut slot)) = parts.extensions.get::<Caller>().map(|c| c.0.lock()) {
            *slot = Some(scope.clone());
        }
    }

    fn take(&self) -> Option<Scope> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }
}

pub async fn render_errors(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let path = request.uri().path().to_owned();
    let target = format!("{} {path}", request.method());
    let tr = state.tr(request_locale(request.headers()));
    let caller = Caller::default();
    request.extensions_mut().insert(caller.clone());
    let mut response = next.run(request).await;
    let Some(error) = response.extensions_mut().remove::<AppError>() else {
        return response;
    };
    if error.status == StatusCode::FORBIDDEN
        && error.code != "password_change_required"
        && let Some(scope) = caller.take()
    {
        record_denial(&state, scope, target, error.key.clone()).await;
    }
    if is_api {
        return api_body(&tr, &error);
    }
    match (error.status, error.code) {
        (StatusCode::UNAUTHORIZED, _) => {
            let next = if path == "/" || path.starts_with("/login") {
                String::new()
            } else {
                format!("?next={}", urlencode(&path))
            };
            Redirect::to(&format!("/login{next}")).into_response()
        }
        (_, "password_change_required") => Redirect::to("/password").into_response(),
        _ => {
            let page = ErrorPage {
                t: &tr,
                status: error.status.as_u16(),
                message: tr.t(&error.key),
            };
            match page.render() {
                Ok(html) => (error.status, Html(html)).into_response(),
                Err(e) => AppError::internal(e).status.into_response(),
            }
        }
    }
}

/// A failure to write the event is logged, not shown: the caller is refused either way.
async fn record_denial(state: &AppState, scope: Scope, target: String, key: String) {
    let written = state
        .store
        .run(move |conn| audit::record(conn, &scope, "access.denied", &target, &key, None))
        .await;
    if let Err(e) = written {
        tracing::error!(error = %e, "could not record a permission denial");
    }
}

fn api_body(tr: &Tr, error: &AppError) -> Response {
    let fields: serde_json::Map<String, serde_json::Value> = error
        .fields
        .iter()
        .map(|(field, key)| (field.clone(), tr.t(key).into()))
        .collect();
    let mut body = serde_json::json!({
        "code": error.code,
        "message": tr.t(&error.key),
        "fields": fields,
    });
    if let (Some(details), Some(obj)) = (&error.details, body.as_object_mut()) {
        obj.insert("details".to_owned(), details.clone());
    }
    (
        error.status,
        axum::Json(serde_json::json!({ "error": body })),
    )
        .into_response()
}

/// Only paths of our own are ever put in `next`, so a light encoding suffices.
fn urlencode(path: &str) -> String {
    path.replace('%', "%25")
        .replace('&', "%26")
        .replace('?', "%3F")
        .replace('#', "%23")
}
