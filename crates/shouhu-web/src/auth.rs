//! Who is calling: browser sessions (cookie), API tokens (Bearer), the client address and language,
//! and CSRF checks for every form post.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, OriginalUri, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::de::DeserializeOwned;
use shouhu_store::users::User;
use shouhu_store::{Scope, auth, now_ms, users};

use crate::error::AppError;
use crate::i18n::{Locale, Tr};
use crate::render::Caller;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "shouhu_session";
pub const PRE_SESSION_COOKIE: &str = "shouhu_pre";
pub const LANG_COOKIE: &str = "shouhu_lang";

/// The client's address, as the audit log and the sign-in throttle see it.
#[derive(Clone, Debug)]
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if state.config.behind_proxy {
            let forwarded = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok());
            if let Some(first) = forwarded.and_then(|v| v.split(',').next()) {
                return Ok(Self(first.trim().to_owned()));
            }
        }
        let addr = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        Ok(Self(addr.unwrap_or_else(|| "unknown".to_owned())))
    }
}

pub fn request_locale(headers: &HeaderMap) -> Locale {
    let jar = CookieJar::from_headers(headers);
    if let Some(locale) = jar.get(LANG_COOKIE).and_then(|c| Locale::parse(c.value())) {
        return locale;
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Locale::from_accept_language(accept)
}

impl FromRequestParts<AppState> for Tr {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        Ok(state.tr(request_locale(&parts.headers)))
    }
}

/// A signed-in browser user, with the scope built for this request.
#[derive(Clone, Debug)]
pub struct PageUser {
    pub user: User,
    pub scope: Scope,
    pub csrf: String,
    pub session_hash: String,
}

/// Like [`PageUser`], but also admits a user who still has to change their password.
#[derive(Clone, Debug)]
pub struct AnyPageUser(pub PageUser);

impl FromRequestParts<AppState> for AnyPageUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let jar = CookieJar::from_headers(&parts.headers);
        let cookie = jar
            .get(SESSION_COOKIE)
            .ok_or_else(AppError::unauthenticated)?;
        let hash = auth::hash_secret(cookie.value());
        let address = ClientAddr::from_request_parts(parts, state).await?.0;
        let policy = state.config.session;
        let session_hash = hash.clone();
        let found = state
            .store
            .run(move |conn| {
                let Some((session, user)) = auth::active_session(conn, &hash, now_ms(), policy)?
                else {
                    return Ok(None);
                };
                let scope = users::scope_for(conn, &user, Some(address))?;
                Ok(Some((session, user, scope)))
            })
            .await?;
        let (session, user, scope) = found.ok_or_else(AppError::unauthenticated)?;
        Caller::note(parts, &scope);
        Ok(Self(PageUser {
            user,
            scope,
            csrf: session.csrf_token,
            session_hash,
        }))
    }
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let AnyPageUser(user) = AnyPageUser::from_request_parts(parts, state).await?;
        if user.user.must_change_password {
            return Err(AppError::password_change_required());
        }
        Ok(user)
    }
}

/// An API caller identified by `Authorization: Bearer <token>`.
#[derive(Clone, Debug)]
pub struct ApiUser {
    pub user: User,
    pub scope: Scope,
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(AppError::unauthenticated)?;
        let hash = auth::hash_secret(token.trim());
        let address = ClientAddr::from_request_parts(parts, state).await?.0;
        let found = state
            .store
            .run(move |conn| {
                let Some(user) = auth::token_user(conn, &hash, now_ms())? else {
                    return Ok(None);
                };
                let scope = users::scope_for(conn, &user, Some(address))?;
                Ok(Some((user, scope)))
            })
            .await?;
        let (user, scope) = found.ok_or_else(AppError::unauthenticated)?;
        Caller::note(parts, &scope);
        // Routers nested under `/api/v1` see the path without that prefix; judge by the original.
        let path = parts
            .extensions
            .get::<OriginalUri>()
            .map_or(parts.uri.path(), |uri| uri.0.path());
        if user.must_change_password && path != "/api/v1/me" {
            return Err(AppError::password_change_required());
        }
        Ok(Self { user, scope })
    }
}

/// Refuses cross-site form posts by the Fetch Metadata and Origin headers; browsers too old to
/// send either are covered by the per-session form token that [`CsrfForm`] checks.
pub async fn cross_site_guard(request: Request, next: Next) -> Result<Response, AppError> {
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if unsafe_method {
        let headers = request.headers();
        let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        if site.is_some_and(|s| s != "same-origin" && s != "none") {
            return Err(AppError::forbidden("error.csrf"));
        }
        if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let origin_host = origin.split("://").nth(1).unwrap_or("");
            if origin != "null" && origin_host != host {
                return Err(AppError::forbidden("error.csrf"));
            }
        }
    }
    Ok(next.run(request).await)
}

#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// A form posted by a signed-in user, accepted only with the session's form token.
pub struct CsrfForm<T> {
    pub user: PageUser,
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, AppError> {
        let (mut parts, body) = request.into_parts();
        let user = match AnyPageUser::from_request_parts(&mut parts, state).await {
            Ok(AnyPageUser(user))
                if !user.user.must_change_password || parts.uri.path() == "/password" =>
            {
                user
            }
            Ok(_) => return Err(AppError::password_change_required()),
            Err(e) => return Err(e),
        };
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| AppError::bad_request("error.bad_form"))?;
        let token: CsrfField = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| AppError::bad_request("error.bad_form"))?;
        if !constant_time_eq(token.csrf.as_bytes(), user.csrf.as_bytes()) {
            return Err(AppError::forbidden("error.csrf"));
        }
        let form = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| AppError::bad_request("error.bad_form"))?;
        Ok(Self { user, form })
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A cookie with the project's flags: HttpOnly, SameSite=Lax, Secure when served over TLS.
pub fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .build()
}
