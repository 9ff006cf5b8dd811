//! The web side of dropout control (控辍保学): roll calls (`/rollcall`), persuasion cases
//! (`/dropout/cases`), ledgers, panels and monthly reports (`/dropout`), and the county's
//! settings and hand-overs. The store derives states and cases; these pages lay them out.

pub mod cases;
pub mod county;
pub mod ledgers;
pub mod rollcall;

use axum::Router;
use shouhu_domain::Role;

use crate::pages::frame::NavItem;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(rollcall::routes())
        .merge(cases::routes())
        .merge(ledgers::routes())
        .merge(county::routes())
}

/// Roll call for those who take it; dropout control for everyone but volunteers.
pub fn add_nav(role: Role, nav: &mut Vec<NavItem>) {
    if matches!(role, Role::HeadTeacher | Role::Teacher | Role::Principal) {
        nav.push(NavItem {
            href: "/rollcall",
            key: "nav.rollcall",
        });
    }
    if role != Role::Volunteer {
        nav.push(NavItem {
            href: "/dropout",
            key: "nav.dropout",
        });
    }
}
