//! The frame around every page: who is signed in, the menu for their role, the form token.

use askama::Template;
use axum::response::Html;
use shouhu_domain::Role;

use crate::auth::PageUser;
use crate::error::{AppError, AppResult};

#[derive(Clone, Debug)]
pub struct NavUser {
    pub display_name: String,
    pub role_key: String,
}

#[derive(Clone, Debug)]
pub struct NavItem {
    pub href: &'static str,
    pub key: &'static str,
}

#[derive(Clone, Debug, Default)]
pub struct Frame {
    pub user: Option<NavUser>,
    pub nav: Vec<NavItem>,
    pub csrf: String,
    /// A one-line confirmation to show above the page, as a catalog key.
    pub notice: Option<&'static str>,
}

impl Frame {
    pub fn anonymous(csrf: String) -> Self {
        Self {
            csrf,
            ..Self::default()
        }
    }

    pub fn for_user(user: &PageUser) -> Self {
        let role = user.scope.role;
        let mut nav = vec![NavItem {
            href: "/",
            key: "nav.home",
        }];
        nav.push(NavItem {
            href: "/children",
            key: "nav.children",
        });
        crate::pages::tasks::add_nav(role, &mut nav);
        crate::pages::dropout::add_nav(role, &mut nav);
        if crate::pages::rosters::may_export(role) {
            nav.push(NavItem {
                href: "/rosters",
                key: "nav.rosters",
            });
        }
        if !matches!(
            role,
            Role::HeadTeacher | Role::Teacher | Role::Volunteer | Role::Principal
        ) {
            nav.push(NavItem {
                href: "/regions",
                key: "nav.regions",
            });
        }
        if role != Role::Volunteer {
            nav.push(NavItem {
                href: "/schools",
                key: "nav.schools",
            });
        }
        if crate::pages::calendars::in_menu(role) {
            nav.push(NavItem {
                href: "/calendars",
                key: "nav.calendars",
            });
        }
        if role.manages_classes() {
            nav.push(NavItem {
                href: "/transfers",
                key: "nav.transfers",
            });
        }
        if role.manages_users() {
            nav.push(NavItem {
                href: "/admin/users",
                key: "nav.users",
            });
            nav.push(NavItem {
                href: "/admin/audit",
                key: "nav.audit",
            });
        }
        Self {
            user: Some(NavUser {
                display_name: user.user.display_name.clone(),
                role_key: role.label_key().to_owned(),
            }),
            nav,
            csrf: user.csrf.clone(),
            notice: None,
        }
    }

    pub fn with_notice(mut self, notice: Option<&'static str>) -> Self {
        self.notice = notice;
        self
    }
}

pub fn render(page: impl Template) -> AppResult<Html<String>> {
    page.render().map(Html).map_err(AppError::internal)
}
