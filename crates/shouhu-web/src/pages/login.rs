//! Sign-in, sign-out, the forced password change and the language switch.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use shouhu_domain::{Password, hash_password};
use shouhu_store::{auth, now_ms, users};

use super::frame::{Frame, render};
use crate::auth::{
    AnyPageUser, ClientAddr, CsrfForm, LANG_COOKIE, PRE_SESSION_COOKIE, SESSION_COOKIE,
    constant_time_eq, cookie,
};
use crate::error::{AppError, AppResult};
use crate::i18n::{Locale, Tr};
use crate::login::sign_in;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: Tr,
    frame: Frame,
    username: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
}

/// Only paths on this site may follow a sign-in, never another host.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/"
    }
}

pub async fn show(
    State(state): State<AppState>,
    t: Tr,
    jar: CookieJar,
    Query(q): Query<LoginQuery>,
) -> AppResult<Response> {
    let (token, jar) = match jar.get(PRE_SESSION_COOKIE) {
        Some(c) => (c.value().to_owned(), jar),
        None => {
            let (token, _) = auth::new_secret();
            let jar = jar.add(cookie(
                PRE_SESSION_COOKIE,
                token.clone(),
                state.config.secure_cookies,
            ));
            (token, jar)
        }
    };
    let page = LoginPage {
        t,
        frame: Frame::anonymous(token),
        username: String::new(),
        next: q.next,
        error: None,
    };
    Ok((jar, render(page)?).into_response())
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

pub async fn submit(
    State(state): State<AppState>,
    t: Tr,
    jar: CookieJar,
    ClientAddr(address): ClientAddr,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let pre = jar
        .get(PRE_SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if pre.is_empty() || !constant_time_eq(pre.as_bytes(), form.csrf.as_bytes()) {
        return Err(AppError::forbidden("error.csrf"));
    }
    let user = match sign_in(&state, &form.username, &form.password, &address, "page").await {
        Ok(user) => user,
        Err(e) if e.code == "bad_credentials" || e.code == "throttled" => {
            let page = LoginPage {
                error: Some(t.t(&e.key).to_owned()),
                t,
                frame: Frame::anonymous(pre),
                username: form.username,
                next: form.next,
            };
            return Ok((e.status, render(page)?).into_response());
        }
        Err(e) => return Err(e),
    };
    let (session_id, session_hash) = auth::new_secret();
    let (csrf, _) = auth::new_secret();
    let policy = state.config.session;
    let user_id = user.id;
    state
        .store
        .run(move |conn| {
            auth::create_session(conn, user_id, &session_hash, &csrf, now_ms(), policy)
        })
        .await?;
    let secure = state.config.secure_cookies;
    let mut jar = jar
        .remove(PRE_SESSION_COOKIE)
        .add(cookie(SESSION_COOKIE, session_id, secure));
    if let Some(locale) = user.locale.as_deref().and_then(Locale::parse) {
        jar = jar.add(cookie(LANG_COOKIE, locale.code().to_owned(), secure));
    }
    let target = if user.must_change_password {
        "/password"
    } else {
        safe_next(&form.next)
    };
    Ok((jar, Redirect::to(target)).into_response())
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
    posted: CsrfForm<Empty>,
) -> AppResult<Response> {
    let hash = posted.user.session_hash.clone();
    let scope = posted.user.scope.clone();
    state
        .store
        .run(move |conn| {
            auth::end_session(conn, &hash)?;
            shouhu_store::audit::record(conn, &scope, "logout", scope.actor.name(), "", None)
        })
        .await?;
    Ok((jar.remove(SESSION_COOKIE), Redirect::to("/login")).into_response())
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    t: Tr,
    frame: Frame,
    forced: bool,
    error: Option<String>,
}

pub async fn password_form(t: Tr, AnyPageUser(user): AnyPageUser) -> AppResult<impl IntoResponse> {
    let forced = user.user.must_change_password;
    render(PasswordPage {
        t,
        frame: Frame::for_user(&user),
        forced,
        error: None,
    })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

pub async fn password_submit(
    State(state): State<AppState>,
    t: Tr,
    posted: CsrfForm<PasswordForm>,
) -> AppResult<Response> {
    let CsrfForm { user, form } = posted;
    let again = |t: Tr, key: &str| {
        let error = Some(t.t(key).to_owned());
        let page = PasswordPage {
            frame: Frame::for_user(&user),
            forced: user.user.must_change_password,
            error,
            t,
        };
        render(page)
            .map(|html| (axum::http::StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
    };
    if form.new != form.repeat {
        return again(t, "password.mismatch");
    }
    let new = match Password::parse(&form.new) {
        Ok(p) => p,
        Err(e) => return again(t, e.code()),
    };
    let (old_hash, current) = (user.user.password_hash.clone(), form.current.clone());
    let hashed = tokio::task::spawn_blocking(move || {
        if !shouhu_domain::verify_password(&current, &old_hash) {
            return Ok(None);
        }
        hash_password(&new).map(Some)
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::internal)?;
    let Some(hash) = hashed else {
        return again(t, "password.current_wrong");
    };
    let scope = user.scope.clone();
    state
        .store
        .run(move |conn| users::change_own_password(conn, &scope, &hash))
        .await?;
    Ok(Redirect::to("/?done=password").into_response())
}

pub async fn switch_language(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let locale = Locale::parse(&code).ok_or_else(AppError::not_found)?;
    let back = headers
        .get(axum::http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_owned()))
        .unwrap_or_else(|| "/".to_owned());
    // A signed-in user's choice is kept on the account, so it follows them to other devices.
    if let Some(session) = jar.get(SESSION_COOKIE) {
        let hash = auth::hash_secret(session.value());
        let policy = state.config.session;
        state
            .store
            .run(move |conn| {
                if let Some((_, user)) = auth::active_session(conn, &hash, now_ms(), policy)? {
                    let scope = users::scope_for(conn, &user, None)?;
                    users::set_locale(conn, &scope, locale.code())?;
                }
                Ok(())
            })
            .await?;
    }
    let jar = jar.add(cookie(
        LANG_COOKIE,
        locale.code().to_owned(),
        state.config.secure_cookies,
    ));
    Ok((jar, Redirect::to(safe_next(&back))).into_response())
}
