//! `POST /api/v1/auth/token`: trades a user name and password for a Bearer token, through the same
//! throttled and audited sign-in as the login page.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shouhu_store::{auth, now_ms};
use utoipa::ToSchema;

use super::{ApiJson, ErrorBody, instant};
use crate::auth::ClientAddr;
use crate::error::AppResult;
use crate::login::sign_in;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    #[schema(example = "teacher1")]
    pub username: String,
    #[schema(example = "shouhu2026")]
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    /// Send as `Authorization: Bearer <token>`. Shown once; the server keeps only its hash.
    pub token: String,
    /// When the token stops working (RFC 3339, UTC). Disabling the user ends it at once.
    pub expires_at: DateTime<Utc>,
}

/// Signs in and issues an API token.
#[utoipa::path(
    post,
    path = "/auth/token",
    operation_id = "create_token",
    tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "Wrong user name or password, or a disabled account (`bad_credentials`)", body = ErrorBody),
        (status = 429, description = "Too many failed attempts (`throttled`)", body = ErrorBody),
    )
)]
pub async fn token(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    ApiJson(body): ApiJson<TokenRequest>,
) -> AppResult<impl IntoResponse> {
    let user = sign_in(&state, &body.username, &body.password, &address, "api").await?;
    let (plain, hash) = auth::new_secret();
    let now = now_ms();
    let expires_at = now + state.config.token_ms;
    state
        .store
        .run(move |conn| auth::create_token(conn, user.id, &hash, now, expires_at))
        .await?;
    let body = TokenResponse {
        token: plain,
        expires_at: instant(expires_at),
    };
    // A credential: no cache may keep it (RFC 6749 §5.1).
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(body)))
}
