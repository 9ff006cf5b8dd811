//! Moving children on: the year-end promotion of a class (asked, then confirmed), a transfer
//! request from the child's page, and the receiving school's list of requests to accept.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use shouhu_domain::{Grade, Role, SchoolYear};
use shouhu_store::children::{self, Incoming};
use shouhu_store::users::{self, UserFilter};
use shouhu_store::{StoreError, classes, schools};

use super::parse_id;
use crate::auth::{CsrfForm, PageUser};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::pages::places::{Choice, Posted};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "class_promote.html")]
struct PromotePage {
    t: Tr,
    frame: Frame,
    class_id: i64,
    class_name: String,
    next_year: String,
    new_name: String,
    graduating: bool,
    on_roll: usize,
    staff: Vec<Choice>,
    error: Option<String>,
}

/// 一年级（1）班 → 二年级（1）班: the grade in the name moves on with the class.
fn next_name(name: &str, grade: i32) -> String {
    let now = i8::try_from(grade).ok().and_then(|g| Grade::new(g).ok());
    match (now, now.and_then(Grade::next)) {
        (Some(now), Some(next)) => name.replacen(&now.to_string(), &next.to_string(), 1),
        _ => name.to_owned(),
    }
}

async fn promote_page(
    state: &AppState,
    t: Tr,
    user: &PageUser,
    class_id: i64,
    error: Option<String>,
) -> AppResult<Response> {
    if !user.scope.role.manages_classes() {
        return Err(AppError::forbidden("denied.class.promote"));
    }
    let scope = user.scope.clone();
    let (view, school, staff, on_roll) = state
        .store
        .run(move |conn| {
            let view = classes::get(conn, &scope, class_id)?;
            let school = schools::get(conn, &scope, view.class.school_id)?;
            let filter = UserFilter {
                role: None,
                school_id: Some(school.id),
            };
            let staff = users::list(conn, &scope, &filter).unwrap_or_default();
            let page = children::list(
                conn,
                &scope,
                &children::ChildFilter {
                    class_id: Some(class_id),
                    limit: Some(500),
                    ..Default::default()
                },
            )?;
            Ok((view, school, staff, page.items.len()))
        })
        .await?;
    let kind = shouhu_domain::SchoolKind::parse(&school.kind).ok();
    let graduating = i8::try_from(view.class.grade)
        .ok()
        .and_then(|g| Grade::new(g).ok())
        .and_then(Grade::next)
        .is_none_or(|g| kind.is_some_and(|k| !k.teaches(g)));
    let page = PromotePage {
        frame: Frame::for_user(user),
        class_id,
        next_year: SchoolYear::new(view.class.school_year + 1).to_string(),
        new_name: next_name(&view.class.name, view.class.grade),
        class_name: view.class.name,
        graduating,
        on_roll,
        staff: staff
            .into_iter()
            .filter(|u| !u.disabled && u.role().is_ok_and(|r| r != Role::Volunteer))
            .map(|u| Choice {
                value: u.id.to_string(),
                label: u.display_name,
                selected: false,
            })
            .collect(),
        error,
        t,
    };
    Ok(render(page)?.into_response())
}

/// `GET /classes/{id}/promote`: what will happen, and the new class's name and head teacher.
pub async fn promote_form(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    promote_page(&state, t, &user, parse_id(&raw)?, None).await
}

/// `POST /classes/{id}/promote`: the whole class in one transaction.
pub async fn promote(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let class_id = parse_id(&raw)?;
    let posted = Posted::new(form);
    let name = posted.get("name");
    let head_teachers: Vec<i64> = posted
        .all("head_teachers")
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    let scope = user.scope.clone();
    let key = state.store.key();
    let done = state
        .store
        .run(move |conn| {
            children::promote_class(conn, &scope, &key, class_id, &name, head_teachers)
        })
        .await;
    match done {
        Ok(p) => {
            let to = match p.new_class_id {
                Some(id) => format!("/classes/{id}?done=promoted"),
                None => format!("/classes/{class_id}?done=graduated"),
            };
            Ok(Redirect::to(&to).into_response())
        }
        Err(StoreError::Invalid { code, .. } | StoreError::Duplicate { field: code }) => {
            let key = if code == "name" {
                "places.class.name_taken"
            } else {
                code
            };
            let error = Some(t.t(key).to_owned());
            promote_page(&state, t, &user, class_id, error).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /children/{id}/transfer`: asks another school, by its code, to take the child.
pub async fn request(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = parse_id(&raw)?;
    let posted = Posted::new(form);
    let code = posted.get("school_code");
    let reason = posted.get("reason");
    let scope = user.scope.clone();
    let asked = state
        .store
        .run(move |conn| {
            let Some(to) = schools::id_by_code(conn, &code)? else {
                return Err(StoreError::invalid("school_code", "child.transfer_school"));
            };
            children::request_transfer(conn, &scope, id, to, &reason)
        })
        .await;
    let done = match asked {
        Ok(_) => "transfer_requested".to_owned(),
        Err(StoreError::Invalid { code, .. }) => format!("error&error={code}"),
        Err(e) => return Err(e.into()),
    };
    Ok(Redirect::to(&format!("/children/{id}?done={done}")).into_response())
}

#[derive(Debug)]
struct IncomingView {
    item: Incoming,
    classes: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "transfers.html")]
struct TransfersPage {
    t: Tr,
    frame: Frame,
    items: Vec<IncomingView>,
}

/// `GET /transfers`: requests waiting for the caller's school (or schools).
pub async fn incoming(State(state): State<AppState>, t: Tr, user: PageUser) -> AppResult<Response> {
    let scope = user.scope.clone();
    let (items, class_list) = state
        .store
        .run(move |conn| {
            let items = children::incoming(conn, &scope)?;
            let class_list = match scope.school {
                Some(school) => classes::list(conn, &scope, school)?,
                None => Vec::new(),
            };
            Ok((items, class_list))
        })
        .await?;
    let classes: Vec<Choice> = class_list
        .into_iter()
        .map(|c| Choice {
            value: c.class.id.to_string(),
            label: c.class.name,
            selected: false,
        })
        .collect();
    let page = TransfersPage {
        frame: Frame::for_user(&user),
        items: items
            .into_iter()
            .map(|item| IncomingView {
                item,
                classes: classes.clone(),
            })
            .collect(),
        t,
    };
    Ok(render(page)?.into_response())
}

/// `POST /transfers/{id}`: accept (into a class, or none yet) or decline.
pub async fn decide(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = parse_id(&raw)?;
    let posted = Posted::new(form);
    let accept = posted.get("decision") == "accept";
    let class_id = posted.get("class_id").parse().ok();
    let scope = user.scope.clone();
    let key = state.store.key();
    state
        .store
        .run(move |conn| children::decide_transfer(conn, &scope, &key, id, accept, class_id))
        .await?;
    let done = if accept { "accepted" } else { "declined" };
    Ok(Redirect::to(&format!("/transfers?done={done}")).into_response())
}
