//! Signing in, shared by the login page and the token endpoint: throttling per user name and per
//! address, password verification off the async runtime, and audit rows for success and failure.

use shouhu_domain::verify_password;
use shouhu_store::users::User;
use shouhu_store::{audit, auth, now_ms, users};

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Argon2id (m=19456, t=2, p=1, the defaults `hash_password` uses) of a password nobody has.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$zWWHXS2NHQOnDWmQjwEmog$OF1PqtKIsefIv/r/FiXgcs7IBnoJBUmGRJoeUrF2nNs";

/// Checks the credentials; on success the user's earlier failures are forgiven.
pub async fn sign_in(
    state: &AppState,
    username: &str,
    password: &str,
    address: &str,
    via: &'static str,
) -> AppResult<User> {
    let username = username.trim().to_owned();
    let config = state.config.clone();
    let (name, addr) = (username.clone(), address.to_owned());
    let (found, throttled) = state
        .store
        .run(move |conn| {
            let since = now_ms() - config.throttle_window_ms;
            let (by_user, by_address) = auth::recent_failures(conn, &name, &addr, since)?;
            let throttled =
                by_user >= config.throttle_per_user || by_address >= config.throttle_per_address;
            if throttled {
                audit::record_anonymous(conn, &name, "login.throttled", via, Some(&addr))?;
            }
            Ok((users::find_for_login(conn, &name)?, throttled))
        })
        .await?;
    if throttled {
        return Err(AppError::throttled());
    }
    // An unknown name is checked against a dummy hash with the same parameters, so the answer
    // takes as long as for a real account and does not reveal which names exist.
    let hash = found
        .as_ref()
        .map_or(DUMMY_HASH.to_owned(), |u| u.password_hash.clone());
    let known = found.is_some();
    let plain = password.to_owned();
    // Argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    let verified = tokio::task::spawn_blocking(move || verify_password(&plain, &hash) && known)
        .await
        .map_err(AppError::internal)?;
    let user = found.filter(|u| verified && !u.disabled);
    let addr = address.to_owned();
    match user {
        Some(user) => {
            let name = user.username.clone();
            state
                .store
                .run(move |conn| {
                    auth::clear_failures(conn, &name)?;
                    audit::record_anonymous(conn, &name, "login.success", via, Some(&addr))
                })
                .await?;
            Ok(user)
        }
        None => {
            state
                .store
                .run(move |conn| {
                    auth::record_failure(conn, &username, &addr, now_ms())?;
                    audit::record_anonymous(conn, &username, "login.failure", via, Some(&addr))
                })
                .await?;
            Err(AppError {
                status: axum::http::StatusCode::UNAUTHORIZED,
                code: "bad_credentials",
                key: "login.bad_credentials".into(),
                fields: Default::default(),
                details: None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shouhu_domain::{Password, hash_password};

    #[test]
    fn the_dummy_hash_costs_what_a_real_one_does() {
        let real = hash_password(&Password::parse("abc12345").unwrap()).unwrap();
        let params = |phc: &str| phc.split('$').take(4).collect::<Vec<_>>().join("$");
        assert_eq!(params(DUMMY_HASH), params(&real));
        assert!(!verify_password("abc12345", DUMMY_HASH));
    }
}
