//! A school's events, one event with its minutes (each opening audited by the store), the
//! printable sign-in sheet, and deletion after a confirmation.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shouhu_store::group_events::{self, EventFilter, EventRecord, EventSummary};
use shouhu_store::{classes, schools};

use super::{kind_label, parse_id};
use crate::auth::{CsrfForm, PageUser};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::pages::notice_key;
use crate::pages::places::{Choice, ConfirmPage};
use crate::state::AppState;

/// Blank lines at the end of a sign-in sheet, for those who come unlisted.
const BLANK_ROWS: usize = 8;

#[derive(Debug)]
struct Row {
    id: i64,
    date: String,
    kind: String,
    title: String,
    class_name: String,
    child_count: i64,
}

fn row(t: &Tr, s: EventSummary) -> Row {
    Row {
        id: s.id,
        kind: kind_label(t, &s.kind),
        date: s.event_date,
        title: s.title,
        class_name: s
            .class_name
            .unwrap_or_else(|| t.t("event.whole_school").to_owned()),
        child_count: s.child_count,
    }
}

#[derive(Template)]
#[template(path = "event_list.html")]
struct ListPage {
    t: Tr,
    frame: Frame,
    school_id: i64,
    school_name: String,
    rows: Vec<Row>,
    can_create: bool,
    /// Classes whose blank sign-in sheet may be printed before a meeting.
    classes: Vec<Choice>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    done: Option<String>,
}

/// `GET /schools/{id}/events`: newest first; no minutes are opened for the list.
pub async fn list(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let school_id = parse_id(&raw)?;
    let scope = user.scope.clone();
    let (school, events, class_list) = state
        .store
        .run(move |conn| {
            let school = schools::get(conn, &scope, school_id)?;
            let events = group_events::list(conn, &scope, school_id, &EventFilter::default())?;
            let class_list = classes::list(conn, &scope, school_id)?;
            Ok((school, events, class_list))
        })
        .await?;
    let page = ListPage {
        frame: Frame::for_user(&user).with_notice(notice_key(q.done.as_deref())),
        school_id,
        school_name: school.name,
        rows: events.into_iter().map(|e| row(&t, e)).collect(),
        can_create: group_events::may_write(user.scope.role),
        classes: class_list
            .into_iter()
            .map(|c| Choice {
                value: c.class.id.to_string(),
                label: c.class.name,
                selected: false,
            })
            .collect(),
        t,
    };
    Ok(render(page)?.into_response())
}

/// An event as its page and its sheet show it.
#[derive(Debug)]
struct EventView {
    id: i64,
    school_id: i64,
    school_name: String,
    kind: String,
    date: String,
    title: String,
    place: String,
    author: String,
    minutes: Vec<String>,
    guardians: Vec<(String, String)>,
    guardian_count: u32,
    children: Vec<(String, String)>,
    hidden_children: i64,
}

fn view(t: &Tr, r: EventRecord) -> EventView {
    let s = r.summary;
    EventView {
        id: s.id,
        school_id: s.school_id,
        school_name: r.school_name,
        kind: kind_label(t, &s.kind),
        date: s.event_date,
        title: s.title,
        place: s
            .class_name
            .unwrap_or_else(|| t.t("event.whole_school").to_owned()),
        author: s.author_name,
        minutes: r.body.minutes.lines().map(str::to_owned).collect(),
        guardians: r
            .body
            .guardians
            .into_iter()
            .map(|g| (g.name.as_str().to_owned(), g.relation))
            .collect(),
        guardian_count: r.body.guardian_count,
        children: r
            .children
            .into_iter()
            .map(|c| (c.name, c.class_name.unwrap_or_default()))
            .collect(),
        hidden_children: r.hidden_children,
    }
}

async fn open(state: &AppState, user: &PageUser, id: i64) -> AppResult<EventRecord> {
    let scope = user.scope.clone();
    let key = state.store.key();
    Ok(state
        .store
        .run(move |conn| group_events::get(conn, &scope, &key, id))
        .await?)
}

#[derive(Template)]
#[template(path = "event_show.html")]
struct ShowPage {
    t: Tr,
    frame: Frame,
    e: EventView,
    can_edit: bool,
}

/// `GET /events/{id}`: audited by the store as `group_event.view`.
pub async fn show(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let record = open(&state, &user, parse_id(&raw)?).await?;
    let school_wide = record.summary.class_id.is_none();
    let page = ShowPage {
        frame: Frame::for_user(&user).with_notice(notice_key(q.done.as_deref())),
        e: view(&t, record),
        can_edit: group_events::may_write(user.scope.role)
            && !(school_wide && user.scope.classes.is_some()),
        t,
    };
    Ok(render(page)?.into_response())
}

/// One line of the sign-in sheet.
#[derive(Debug)]
struct SheetRow {
    n: usize,
    child: String,
    class_name: String,
    guardian: String,
    relation: String,
}

#[derive(Template)]
#[template(path = "event_sheet.html")]
struct SheetPage {
    t: Tr,
    frame: Frame,
    e: EventView,
    rows: Vec<SheetRow>,
    /// Printed before the meeting: no event yet, only the children expected.
    blank: bool,
}

/// `GET /events/{id}/sheet`: the 签到表 to print, one line per attending child and per guardian
/// named without a child beside them, then blank lines.
pub async fn sheet(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    let record = open(&state, &user, parse_id(&raw)?).await?;
    let e = view(&t, record);
    let lines = e.children.len().max(e.guardians.len());
    let mut rows: Vec<SheetRow> = (0..lines)
        .map(|i| {
            let (child, class_name) = e.children.get(i).cloned().unwrap_or_default();
            let (guardian, relation) = e.guardians.get(i).cloned().unwrap_or_default();
            SheetRow {
                n: i + 1,
                child,
                class_name,
                guardian,
                relation,
            }
        })
        .collect();
    rows.extend((lines..lines + BLANK_ROWS).map(|i| SheetRow {
        n: i + 1,
        child: String::new(),
        class_name: String::new(),
        guardian: String::new(),
        relation: String::new(),
    }));
    let page = SheetPage {
        frame: Frame::for_user(&user),
        e,
        rows,
        blank: false,
        t,
    };
    Ok(render(page)?.into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ClassQuery {
    /// Empty for the whole school (the picker's first option).
    class_id: String,
}

/// `GET /schools/{id}/events/sheet[?class_id=]`: a sign-in sheet to print before a meeting,
/// one line per child on the roll of the school or class, the guardian to sign beside them.
pub async fn blank_sheet(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
    Query(q): Query<ClassQuery>,
) -> AppResult<Response> {
    let school_id = parse_id(&raw)?;
    let class_id: Option<i64> = q.class_id.parse().ok();
    let scope = user.scope.clone();
    let (school, class_name, children) = state
        .store
        .run(move |conn| {
            let school = schools::get(conn, &scope, school_id)?;
            let class_name = match class_id {
                Some(id) => Some(classes::get(conn, &scope, id)?.class.name),
                None => None,
            };
            let children = group_events::candidates(conn, &scope, school_id, class_id)?;
            Ok((school, class_name, children))
        })
        .await?;
    let mut rows: Vec<SheetRow> = children
        .into_iter()
        .enumerate()
        .map(|(i, c)| SheetRow {
            n: i + 1,
            child: c.name,
            class_name: c.class_name.unwrap_or_default(),
            guardian: String::new(),
            relation: String::new(),
        })
        .collect();
    let lines = rows.len();
    rows.extend((lines..lines + BLANK_ROWS).map(|i| SheetRow {
        n: i + 1,
        child: String::new(),
        class_name: String::new(),
        guardian: String::new(),
        relation: String::new(),
    }));
    let e = EventView {
        id: 0,
        school_id,
        school_name: school.name,
        kind: String::new(),
        date: String::new(),
        title: String::new(),
        place: class_name.unwrap_or_else(|| t.t("event.whole_school").to_owned()),
        author: String::new(),
        minutes: Vec::new(),
        guardians: Vec::new(),
        guardian_count: 0,
        children: Vec::new(),
        hidden_children: 0,
    };
    let page = SheetPage {
        frame: Frame::for_user(&user),
        e,
        rows,
        blank: true,
        t,
    };
    Ok(render(page)?.into_response())
}

fn confirm_page(t: Tr, user: &PageUser, e: &EventSummary, error: Option<String>) -> ConfirmPage {
    ConfirmPage {
        t,
        frame: Frame::for_user(user),
        title_key: "event.delete_title",
        question_key: "event.delete_question",
        button_key: "event.delete_confirm",
        subject: format!("{} {}", e.event_date, e.title),
        action: format!("/events/{}/delete?version={}", e.id, e.version),
        back: format!("/events/{}", e.id),
        error,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct VersionQuery {
    version: Option<i32>,
}

/// `GET /events/{id}/delete`.
pub async fn confirm_delete(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    if !group_events::may_write(user.scope.role) {
        return Err(AppError::forbidden("denied.group_event.edit"));
    }
    let record = open(&state, &user, parse_id(&raw)?).await?;
    confirm_page(t, &user, &record.summary, None).respond(StatusCode::OK)
}

/// `POST /events/{id}/delete?version=N`: the event stays on record, marked deleted.
pub async fn delete(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    Query(q): Query<VersionQuery>,
    CsrfForm { user, .. }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = parse_id(&raw)?;
    let version = q
        .version
        .ok_or_else(|| AppError::bad_request("error.bad_form"))?;
    let scope = user.scope.clone();
    let deleted = state
        .store
        .run(move |conn| group_events::delete(conn, &scope, id, version))
        .await;
    match deleted {
        Ok(school_id) => {
            let to = format!("/schools/{school_id}/events?done=deleted");
            Ok(Redirect::to(&to).into_response())
        }
        Err(shouhu_store::StoreError::Conflict { .. }) => {
            let record = open(&state, &user, id).await?;
            let error = Some("event.conflict".to_owned());
            confirm_page(t, &user, &record.summary, error).respond(StatusCode::CONFLICT)
        }
        Err(e) => Err(e.into()),
    }
}
