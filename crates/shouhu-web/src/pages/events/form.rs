//! The event entry and edit form: one screen, today's date by default, attending children ticked
//! class by class; a refused save comes back with what was typed, a stale one says so, and a form
//! sent twice saves once through its one-time key.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use shouhu_domain::{
    EventBody, EventKind, guardian_lines, parse_event_title, parse_guardian_lines, today_shanghai,
};
use shouhu_store::group_events::{self, Attendee, EventInput, EventRecord};
use shouhu_store::{StoreError, classes, schools};

use super::{kind_choices, parse_id};
use crate::auth::{CsrfForm, PageUser};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::pages::places::{Choice, FieldErrors, Posted};
use crate::state::AppState;

/// The form as typed.
#[derive(Clone, Debug, Default)]
pub struct EventForm {
    pub kind: String,
    pub class_id: String,
    pub date: String,
    pub title: String,
    pub minutes: String,
    pub guardians: String,
    pub guardian_count: String,
    pub children: Vec<i64>,
}

impl EventForm {
    fn posted(p: &Posted) -> Self {
        Self {
            kind: p.get("kind"),
            class_id: p.get("class_id"),
            date: p.get("date"),
            title: p.get("title"),
            minutes: p.get("minutes"),
            guardians: p.get("guardians"),
            guardian_count: p.get("guardian_count"),
            children: p
                .all("child")
                .iter()
                .filter_map(|c| c.parse().ok())
                .collect(),
        }
    }

    fn of(r: &EventRecord) -> Self {
        let s = &r.summary;
        Self {
            kind: s.kind.clone(),
            class_id: s.class_id.map(|c| c.to_string()).unwrap_or_default(),
            date: s.event_date.clone(),
            title: s.title.clone(),
            minutes: r.body.minutes.clone(),
            guardians: guardian_lines(&r.body.guardians),
            guardian_count: r.body.guardian_count.to_string(),
            children: r.children.iter().map(|c| c.id).collect(),
        }
    }

    /// Checks every field at once; the store checks reach and attendees.
    fn parse(&self, school_id: i64) -> Result<EventInput, FieldErrors> {
        let mut errors = FieldErrors::default();
        let kind = EventKind::parse(&self.kind)
            .map_err(|e| errors.add(e.field(), e.code()))
            .ok();
        let class_id = match self.class_id.as_str() {
            "" => None,
            raw => match raw.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.add("class_id", "group_event.class_unknown");
                    None
                }
            },
        };
        let date = NaiveDate::parse_from_str(&self.date, "%Y-%m-%d")
            .map_err(|_| errors.add("date", "event.date_invalid"))
            .ok();
        let title = parse_event_title(&self.title)
            .map_err(|e| errors.add(e.field(), e.code()))
            .ok();
        let guardians = parse_guardian_lines(&self.guardians)
            .map_err(|e| errors.add(e.field(), e.code()))
            .ok();
        let count = match self.guardian_count.as_str() {
            "" => Ok(None),
            raw => raw.parse::<u32>().map(Some).map_err(|_| ()),
        };
        let count = count
            .map_err(|()| errors.add("guardian_count", "event.count_invalid"))
            .ok();
        let body = match (guardians, count) {
            (Some(g), Some(c)) => EventBody::new(&self.minutes, g, c)
                .map_err(|e| errors.add(e.field(), e.code()))
                .ok(),
            _ => None,
        };
        match (kind, date, title, body, errors.is_empty()) {
            (Some(kind), Some(date), Some(title), Some(body), true) => Ok(EventInput {
                school_id,
                class_id,
                kind,
                date,
                title,
                body,
                children: self.children.clone(),
            }),
            _ => Err(errors),
        }
    }
}

/// One class's children, folded away unless something in it is ticked.
#[derive(Debug)]
pub struct ClassGroup {
    pub label: String,
    pub open: bool,
    pub children: Vec<Pick>,
}

#[derive(Debug)]
pub struct Pick {
    pub id: i64,
    pub name: String,
    pub checked: bool,
}

fn groups(t: &Tr, candidates: Vec<Attendee>, ticked: &[i64], open_all: bool) -> Vec<ClassGroup> {
    let mut out: Vec<ClassGroup> = Vec::new();
    for c in candidates {
        let label = c
            .class_name
            .clone()
            .unwrap_or_else(|| t.t("event.no_class").to_owned());
        let pick = Pick {
            checked: ticked.contains(&c.id),
            id: c.id,
            name: c.name,
        };
        match out.last_mut() {
            Some(g) if g.label == label => g.children.push(pick),
            _ => out.push(ClassGroup {
                label,
                open: open_all,
                children: vec![pick],
            }),
        }
    }
    for g in &mut out {
        g.open = g.open || g.children.iter().any(|c| c.checked);
    }
    out
}

#[derive(Template)]
#[template(path = "event_form.html")]
struct FormPage {
    t: Tr,
    frame: Frame,
    title_key: &'static str,
    action: String,
    back: String,
    school_id: i64,
    school_name: String,
    form: EventForm,
    kinds: Vec<Choice>,
    classes: Vec<Choice>,
    /// Head teachers hold their own classes' events only.
    school_wide: bool,
    groups: Vec<ClassGroup>,
    errors: FieldErrors,
    version: Option<i32>,
    submit_key: String,
    only_class: Option<i64>,
}

struct Context {
    school_id: i64,
    action: String,
    back: String,
    title_key: &'static str,
    version: Option<i32>,
    submit_key: String,
    /// Only this class's children are offered (a link from a class).
    only_class: Option<i64>,
}

async fn form_page(
    state: &AppState,
    t: Tr,
    user: &PageUser,
    form: EventForm,
    errors: FieldErrors,
    ctx: Context,
    status: StatusCode,
) -> AppResult<Response> {
    let scope = user.scope.clone();
    let (school_id, only_class) = (ctx.school_id, ctx.only_class);
    let (school, class_list, candidates) = state
        .store
        .run(move |conn| {
            let school = schools::get(conn, &scope, school_id)?;
            let class_list = classes::list(conn, &scope, school_id)?;
            let candidates = group_events::candidates(conn, &scope, school_id, only_class)?;
            Ok((school, class_list, candidates))
        })
        .await?;
    let classes = class_list
        .into_iter()
        .map(|c| Choice {
            selected: c.class.id.to_string() == form.class_id,
            value: c.class.id.to_string(),
            label: c.class.name,
        })
        .collect();
    let groups = groups(&t, candidates, &form.children, only_class.is_some());
    let page = FormPage {
        frame: Frame::for_user(user),
        title_key: ctx.title_key,
        action: ctx.action,
        back: ctx.back,
        school_id,
        school_name: school.name,
        kinds: kind_choices(&t, &form.kind),
        classes,
        school_wide: user.scope.classes.is_none(),
        groups,
        form,
        errors,
        version: ctx.version,
        submit_key: ctx.submit_key,
        only_class,
        t,
    };
    Ok((status, render(page)?).into_response())
}

fn may_write(user: &PageUser) -> AppResult<()> {
    if group_events::may_write(user.scope.role) {
        Ok(())
    } else {
        Err(AppError::forbidden("denied.group_event.edit"))
    }
}

fn new_key() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    class_id: Option<i64>,
    kind: Option<String>,
}

fn new_context(school_id: i64, only_class: Option<i64>, submit_key: String) -> Context {
    Context {
        school_id,
        action: format!("/schools/{school_id}/events"),
        back: format!("/schools/{school_id}/events"),
        title_key: "event.new",
        version: None,
        submit_key,
        only_class,
    }
}

/// `GET /schools/{id}/events/new[?class_id=&kind=]`.
pub async fn new_form(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
    Query(q): Query<NewQuery>,
) -> AppResult<Response> {
    may_write(&user)?;
    let school_id = parse_id(&raw)?;
    let class_id = q.class_id.or_else(|| {
        // A head teacher of one class holds that class's events.
        user.scope
            .classes
            .as_ref()
            .filter(|c| c.len() == 1)
            .and_then(|c| c.first().copied())
    });
    let kind = q
        .kind
        .and_then(|k| EventKind::parse(&k).ok())
        .unwrap_or(if class_id.is_some() {
            EventKind::ClassMeeting
        } else {
            EventKind::GuardianMeeting
        });
    let form = EventForm {
        kind: kind.code().to_owned(),
        class_id: class_id.map(|c| c.to_string()).unwrap_or_default(),
        date: today_shanghai().to_string(),
        ..EventForm::default()
    };
    let ctx = new_context(school_id, class_id, new_key());
    form_page(
        &state,
        t,
        &user,
        form,
        FieldErrors::default(),
        ctx,
        StatusCode::OK,
    )
    .await
}

/// A store refusal beside its field; reach and permission stay errors for the whole request.
fn refusal(e: StoreError) -> AppResult<FieldErrors> {
    FieldErrors::from_store(e, "error.duplicate")
}

/// `POST /schools/{id}/events`.
pub async fn create(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    may_write(&user)?;
    let school_id = parse_id(&raw)?;
    let posted = Posted::new(form);
    let submit_key = posted.get("submit_key");
    let form = EventForm::posted(&posted);
    let only_class = posted.get("only_class").parse().ok();
    let errors = match form.parse(school_id) {
        Ok(input) => {
            let scope = user.scope.clone();
            let key = state.store.key();
            let sk = submit_key.clone();
            let saved = state
                .store
                .run(move |conn| {
                    let sk = (!sk.is_empty()).then_some(sk.as_str());
                    group_events::create(conn, &scope, &key, &input, sk)
                })
                .await;
            match saved {
                Ok(record) => {
                    let to = format!("/events/{}?done=created", record.summary.id);
                    return Ok(Redirect::to(&to).into_response());
                }
                Err(e) => refusal(e)?,
            }
        }
        Err(errors) => errors,
    };
    let ctx = new_context(school_id, only_class, submit_key);
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    form_page(&state, t, &user, form, errors, ctx, status).await
}

fn edit_context(id: i64, school_id: i64, version: i32) -> Context {
    Context {
        school_id,
        action: format!("/events/{id}"),
        back: format!("/events/{id}"),
        title_key: "event.edit",
        version: Some(version),
        submit_key: String::new(),
        only_class: None,
    }
}

/// `GET /events/{id}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    may_write(&user)?;
    let id = parse_id(&raw)?;
    let scope = user.scope.clone();
    let key = state.store.key();
    let record = state
        .store
        .run(move |conn| group_events::get(conn, &scope, &key, id))
        .await?;
    let ctx = edit_context(id, record.summary.school_id, record.summary.version);
    let form = EventForm::of(&record);
    form_page(
        &state,
        t,
        &user,
        form,
        FieldErrors::default(),
        ctx,
        StatusCode::OK,
    )
    .await
}

/// `POST /events/{id}`: saves the form over the event if nobody saved since it was read.
pub async fn update(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    may_write(&user)?;
    let id = parse_id(&raw)?;
    let posted = Posted::new(form);
    let version: i32 = posted
        .get("version")
        .parse()
        .map_err(|_| AppError::bad_request("error.bad_form"))?;
    let school_id: i64 = posted
        .get("school_id")
        .parse()
        .map_err(|_| AppError::bad_request("error.bad_form"))?;
    let form = EventForm::posted(&posted);
    let (errors, version, status) = match form.parse(school_id) {
        Ok(input) => {
            let scope = user.scope.clone();
            let key = state.store.key();
            let saved = state
                .store
                .run(move |conn| {
                    match group_events::update(conn, &scope, &key, id, version, &input) {
                        Err(StoreError::Conflict { current, .. }) => Ok(Err(Ok(current))),
                        Err(e) => Ok(Err(Err(e))),
                        Ok(r) => Ok(Ok(r)),
                    }
                })
                .await?;
            match saved {
                Ok(_) => {
                    return Ok(Redirect::to(&format!("/events/{id}?done=saved")).into_response());
                }
                // Saving again, knowing someone else saved meanwhile, is a deliberate overwrite.
                Err(Ok(current)) => {
                    let mut errors = FieldErrors::default();
                    errors.add("form", "event.conflict");
                    (errors, current, StatusCode::CONFLICT)
                }
                Err(Err(e)) => (refusal(e)?, version, StatusCode::UNPROCESSABLE_ENTITY),
            }
        }
        Err(errors) => (errors, version, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let ctx = edit_context(id, school_id, version);
    form_page(&state, t, &user, form, errors, ctx, status).await
}
