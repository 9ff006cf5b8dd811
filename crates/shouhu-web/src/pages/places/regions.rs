//! The region tree, one node at a time: its children, breadcrumbs up to the province, and for
//! officers the forms to add a sub-region, rename the node or delete it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shouhu_domain::{RegionCode, RegionLevel};
use shouhu_store::regions::{self, NewRegion, Region};

use super::{ConfirmPage, FieldErrors, Posted, too_long};
use crate::auth::{CsrfForm, PageUser};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::pages::notice_key;
use crate::state::AppState;

const NAME_MAX: usize = 40;

#[derive(Debug)]
struct Crumb {
    name: String,
    href: Option<String>,
}

#[derive(Debug)]
struct Node {
    code: String,
    name: String,
    level_key: &'static str,
    /// The leading digits every child code shares, as a hint for the add form.
    prefix: String,
}

#[derive(Debug)]
struct Row {
    code: String,
    name: String,
    level_key: &'static str,
    /// Sub-regions and schools under the row, when the page counts them (not for provinces).
    counts: Option<(i64, i64)>,
}

impl Row {
    /// Only something with nothing under it can go, so only that gets a delete link (users
    /// placed there are checked when deleting).
    fn empty(&self) -> bool {
        self.counts == Some((0, 0))
    }
}

#[derive(Template)]
#[template(path = "regions.html")]
struct RegionsPage {
    t: Tr,
    frame: Frame,
    crumbs: Vec<Crumb>,
    node: Option<Node>,
    rows: Vec<Row>,
    /// Offer the add form (an officer, on a node that can have children).
    can_add: bool,
    /// Offer rename and delete of the shown node (an officer, below their own root).
    can_change: bool,
    /// Offer delete links on the rows that have nothing under them.
    can_delete_rows: bool,
    /// Show the counts columns.
    counted: bool,
    add_code: String,
    add_name: String,
    rename: String,
    errors: FieldErrors,
    /// This month's duty compliance of the node, when the caller may see it.
    compliance: Option<crate::pages::tasks::ComplianceBox>,
}

/// What the forms of the page hold when it is shown again after a refused post.
#[derive(Default)]
struct Typed {
    add_code: String,
    add_name: String,
    rename: Option<String>,
    errors: FieldErrors,
}

fn level_key(level: &str) -> &'static str {
    RegionLevel::parse(level).map_or("places.region.level_other", RegionLevel::label_key)
}

/// Region codes in paths and queries: junk is simply not there.
fn parse_code(raw: &str) -> AppResult<RegionCode> {
    RegionCode::parse(raw).map_err(|_| AppError::not_found())
}

fn check_name(name: &str, field: &str, errors: &mut FieldErrors) {
    if name.is_empty() {
        errors.add(field, "places.region.name_empty");
    } else if too_long(name, NAME_MAX) {
        errors.add(field, "places.region.name_long");
    }
}

fn list_href(code: &str) -> String {
    format!("/regions?parent={code}")
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    parent: String,
    done: Option<String>,
}

/// `GET /regions?parent=CODE`: the children of a node, by default of the user's own root.
pub async fn list(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let node = match q.parent.as_str() {
        "" => user.scope.region.clone(),
        code => Some(parse_code(code)?),
    };
    let frame = Frame::for_user(&user).with_notice(notice_key(q.done.as_deref()));
    show(
        &state,
        t,
        &user,
        frame,
        node,
        Typed::default(),
        StatusCode::OK,
    )
    .await
}

async fn show(
    state: &AppState,
    t: Tr,
    user: &PageUser,
    frame: Frame,
    code: Option<RegionCode>,
    typed: Typed,
    status: StatusCode,
) -> AppResult<Response> {
    let scope = user.scope.clone();
    let lookup = code.clone();
    let (node, chain, children) = state
        .store
        .run(move |conn| {
            let Some(code) = lookup else {
                let top = regions::children(conn, &scope, None)?;
                let rows: Vec<(Region, Option<(i64, i64)>)> =
                    top.into_iter().map(|r| (r, None)).collect();
                return Ok((None, Vec::new(), rows));
            };
            let node = regions::get(conn, &scope, &code)?;
            let chain = regions::ancestry(conn, &code)?;
            let rows = regions::child_counts(conn, &scope, &code)?
                .into_iter()
                .map(|c| (c.region, Some((c.sub_regions, c.schools))))
                .collect();
            Ok((Some(node), chain, rows))
        })
        .await?;
    let scope = &user.scope;
    let mut crumbs = Vec::new();
    if scope.region.is_none() && code.is_some() {
        crumbs.push(Crumb {
            name: t.t("places.region.country").to_owned(),
            href: Some("/regions".to_owned()),
        });
    }
    for r in chain
        .iter()
        .filter(|r| Some(&r.code) != node.as_ref().map(|n| &n.code))
    {
        let reachable = RegionCode::parse(&r.code).is_ok_and(|c| scope.covers_region(&c));
        crumbs.push(Crumb {
            name: r.name.clone(),
            href: reachable.then(|| list_href(&r.code)),
        });
    }
    let manages = scope.role.manages_regions();
    let below_root = code.is_some() && scope.region != code;
    let is_village = code
        .as_ref()
        .is_some_and(|c| c.level() == RegionLevel::Village);
    let rows = children
        .into_iter()
        .map(|(r, counts): (Region, Option<(i64, i64)>)| Row {
            level_key: level_key(&r.level),
            code: r.code,
            name: r.name,
            counts,
        })
        .collect();
    let node = node.map(|n| Node {
        prefix: code
            .as_ref()
            .map(|c| c.prefix().to_owned())
            .unwrap_or_default(),
        level_key: level_key(&n.level),
        code: n.code,
        name: n.name,
    });
    let compliance = match &code {
        Some(c) => crate::pages::tasks::region_box(state, user, c).await?,
        None => None,
    };
    let page = RegionsPage {
        compliance,
        rename: typed
            .rename
            .or_else(|| node.as_ref().map(|n| n.name.clone()))
            .unwrap_or_default(),
        can_add: manages && node.is_some() && !is_village,
        can_change: manages && below_root,
        can_delete_rows: manages && node.is_some(),
        counted: node.is_some(),
        node,
        crumbs,
        rows,
        add_code: typed.add_code,
        add_name: typed.add_name,
        errors: typed.errors,
        t,
        frame,
    };
    Ok((status, render(page)?).into_response())
}

/// `POST /regions`: adds a sub-region directly under the node the form was shown on.
pub async fn create(
    State(state): State<AppState>,
    t: Tr,
    posted: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let CsrfForm { user, form } = posted;
    let form = Posted::new(form);
    if !user.scope.role.manages_regions() {
        return Err(AppError::forbidden("denied.region.manage"));
    }
    let parent = parse_code(&form.get("parent"))?;
    let (raw_code, name) = (form.get("code"), form.get("name"));
    let mut errors = FieldErrors::default();
    let code = match RegionCode::parse(&raw_code) {
        Ok(code) if code.parent().as_ref() != Some(&parent) => {
            errors.add("code", "places.region.not_child");
            None
        }
        Ok(code) => Some(code),
        Err(e) => {
            errors.add("code", e.code());
            None
        }
    };
    check_name(&name, "name", &mut errors);
    if let (Some(code), true) = (code, errors.is_empty()) {
        let scope = user.scope.clone();
        let new = NewRegion {
            code,
            name: name.clone(),
        };
        match state
            .store
            .run(move |conn| regions::create(conn, &scope, new))
            .await
        {
            Ok(_) => {
                let to = format!("{}&done=created", list_href(parent.as_str()));
                return Ok(Redirect::to(&to).into_response());
            }
            Err(e) => errors = FieldErrors::from_store(e, "places.region.code_taken")?,
        }
    }
    let typed = Typed {
        add_code: raw_code,
        add_name: name,
        rename: None,
        errors,
    };
    let frame = Frame::for_user(&user);
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    show(&state, t, &user, frame, Some(parent), typed, status).await
}

/// Refuses changes to the user's own root node: that is set by whoever placed the user there.
fn changeable(user: &PageUser, code: &RegionCode) -> AppResult<()> {
    if !user.scope.role.manages_regions() {
        return Err(AppError::forbidden("denied.region.manage"));
    }
    if user.scope.region.as_ref() == Some(code) {
        return Err(AppError::forbidden("denied.region.outside_scope"));
    }
    Ok(())
}

/// `POST /regions/{code}`: renames a node.
pub async fn rename(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    posted: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let CsrfForm { user, form } = posted;
    let form = Posted::new(form);
    let code = parse_code(&raw)?;
    changeable(&user, &code)?;
    let name = form.get("name");
    let mut errors = FieldErrors::default();
    check_name(&name, "rename", &mut errors);
    if errors.is_empty() {
        let (scope, target, new_name) = (user.scope.clone(), code.clone(), name.clone());
        state
            .store
            .run(move |conn| regions::rename(conn, &scope, &target, &new_name))
            .await?;
        let to = format!("{}&done=saved", list_href(code.as_str()));
        return Ok(Redirect::to(&to).into_response());
    }
    let typed = Typed {
        rename: Some(name),
        errors,
        ..Typed::default()
    };
    let frame = Frame::for_user(&user);
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    show(&state, t, &user, frame, Some(code), typed, status).await
}

fn confirm_page(t: Tr, user: &PageUser, region: &Region, error: Option<String>) -> ConfirmPage {
    ConfirmPage {
        t,
        frame: Frame::for_user(user),
        title_key: "places.region.delete_title",
        question_key: "places.region.delete_question",
        button_key: "places.delete_confirm",
        subject: format!("{}（{}）", region.name, region.code),
        action: format!("/regions/{}/delete", region.code),
        back: list_href(&region.code),
        error,
    }
}

/// `GET /regions/{code}/delete`: asks before deleting.
pub async fn confirm_delete(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    let code = parse_code(&raw)?;
    let scope = user.scope.clone();
    let region = state
        .store
        .run(move |conn| regions::get(conn, &scope, &code))
        .await?;
    changeable(&user, &parse_code(&region.code)?)?;
    confirm_page(t, &user, &region, None).respond(StatusCode::OK)
}

/// `POST /regions/{code}/delete`: deletes a node nothing hangs from yet.
pub async fn delete(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    posted: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let user = posted.user;
    let code = parse_code(&raw)?;
    changeable(&user, &code)?;
    let scope = user.scope.clone();
    let target = code.clone();
    let region = state
        .store
        .run(move |conn| regions::get(conn, &scope, &target))
        .await?;
    let scope = user.scope.clone();
    match state
        .store
        .run(move |conn| regions::delete(conn, &scope, &code))
        .await
    {
        Ok(()) => {
            let back = match &region.parent_code {
                Some(parent) if user.scope.covers_region(&parse_code(parent)?) => list_href(parent),
                _ => "/regions?".to_owned(),
            };
            Ok(Redirect::to(&format!("{back}&done=deleted")).into_response())
        }
        Err(e) => {
            let errors = FieldErrors::from_store(e, "error.duplicate")?;
            let key = errors.get("code").unwrap_or("error.invalid").to_owned();
            confirm_page(t, &user, &region, Some(key)).respond(StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}
