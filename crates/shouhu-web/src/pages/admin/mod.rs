//! The user admin pages (list, create, edit, disable, reset, inside the manager's scope) and the
//! audit log page. Only user managers (system administrators and the bureau) may open them; the
//! store checks scope and grantable roles again on every write.

mod audit;
mod user_form;
mod users;

use axum::Router;
use axum::routing::get;
use rand::Rng;

use crate::auth::PageUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users::list).post(users::create))
        .route("/admin/users/new", get(users::new_form))
        .route("/admin/users/{id}", get(users::show))
        .route(
            "/admin/users/{id}/edit",
            get(users::edit_form).post(users::edit),
        )
        .route(
            "/admin/users/{id}/disable",
            get(users::confirm_disable).post(users::disable),
        )
        .route(
            "/admin/users/{id}/enable",
            get(users::confirm_enable).post(users::enable),
        )
        .route(
            "/admin/users/{id}/reset",
            get(users::confirm_reset).post(users::reset),
        )
        .route("/admin/audit", get(audit::show))
}

/// Refuses anyone who does not manage users, with the given catalog key (a 403 page, audited).
fn require_manager(user: &PageUser, key: &'static str) -> AppResult<()> {
    if user.scope.role.manages_users() {
        Ok(())
    } else {
        Err(AppError::forbidden(key))
    }
}

/// A readable random password that satisfies the policy: 8 letters and 4 digits, leaving out
/// characters that are easily confused when read aloud or copied by hand (i, l, o, 0, 1).
fn generate_password() -> String {
    const LETTERS: &[u8] = b"abcdefghjkmnpqrstuvwxyz";
    const DIGITS: &[u8] = b"23456789";
    let mut rng = rand::thread_rng();
    let mut s: String = (0..8)
        .map(|_| char::from(LETTERS[rng.gen_range(0..LETTERS.len())]))
        .collect();
    s.extend((0..4).map(|_| char::from(DIGITS[rng.gen_range(0..DIGITS.len())])));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_pass_the_policy_and_differ() {
        let a = generate_password();
        let b = generate_password();
        assert_eq!(a.len(), 12);
        assert!(shouhu_domain::Password::parse(&a).is_ok());
        assert_ne!(a, b);
    }
}
