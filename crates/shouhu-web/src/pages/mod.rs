//! Server-rendered pages. Every handler takes a signed-in [`crate::auth::PageUser`] (or shows the
//! login page), and every form post passes through [`crate::auth::CsrfForm`].

pub mod admin;
pub mod calendars;
pub mod care;
pub mod children;
pub mod dropout;
pub mod events;
pub mod frame;
pub mod home;
pub mod login;
pub mod places;
pub mod plans;
pub mod rosters;
pub mod tasks;

/// The `?done=…` query a page reads after a redirect (see [`notice_key`]).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct Done {
    pub done: Option<String>,
}

/// Confirmations a redirect may ask a page to show (`?done=saved`); a fixed list, so a link
/// cannot put arbitrary text on the page.
pub fn notice_key(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "saved" => Some("notice.saved"),
        "created" => Some("notice.created"),
        "deleted" => Some("notice.deleted"),
        "password" => Some("notice.password_changed"),
        "disabled" => Some("notice.user_disabled"),
        "enabled" => Some("notice.user_enabled"),
        "reset" => Some("notice.password_reset"),
        "transfer_requested" => Some("notice.transfer_requested"),
        "promoted" => Some("notice.promoted"),
        "graduated" => Some("notice.graduated"),
        "accepted" => Some("notice.transfer_accepted"),
        "declined" => Some("notice.transfer_declined"),
        _ => None,
    }
}
