//! The home page, one per role: where the user stands in the tree and what they can open from here.
//! Panels for children, duties and dropouts arrive with those modules.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use shouhu_store::{regions, schools};

use super::frame::{Frame, render};
use super::notice_key;
use crate::auth::PageUser;
use crate::error::AppResult;
use crate::i18n::Tr;
use crate::pages::Done;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    t: Tr,
    frame: Frame,
    node_name: String,
    school_count: usize,
    school_name: Option<String>,
    class_count: usize,
    role_intro_key: String,
    /// "My tasks", or compliance for county and township staff.
    duty_link: Option<(&'static str, &'static str, &'static str)>,
}

pub async fn show(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Query(q): Query<Done>,
) -> AppResult<impl IntoResponse> {
    let scope = user.scope.clone();
    let (node_name, school_list, class_count) = state
        .store
        .run(move |conn| {
            let node = match &scope.region {
                Some(code) => regions::ancestry(conn, code)?
                    .into_iter()
                    .map(|r| r.name)
                    .collect::<Vec<_>>()
                    .join(" / "),
                None => String::new(),
            };
            let list = schools::list(conn, &scope, &schools::SchoolFilter::default())?;
            let classes = match (scope.school, &scope.classes) {
                (_, Some(own)) => own.len(),
                (Some(id), None) => shouhu_store::classes::list(conn, &scope, id)?.len(),
                (None, None) => 0,
            };
            Ok((node, list, classes))
        })
        .await?;
    let role = user.scope.role;
    let school_name = user.scope.school.and_then(|id| {
        school_list
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.name.clone())
    });
    let frame = Frame::for_user(&user).with_notice(notice_key(q.done.as_deref()));
    render(HomePage {
        t,
        frame,
        node_name,
        school_count: school_list.len(),
        school_name,
        class_count,
        role_intro_key: format!("home.intro.{}", role.code()),
        duty_link: crate::pages::tasks::home_link(role),
    })
}
