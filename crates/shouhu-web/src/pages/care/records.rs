//! A care record's pages: the one-screen entry form (date prefilled with today, only the chosen
//! kind's fields, a one-time key so a double tap saves once, everything typed shown again
//! beside its error), a record's view, its edit form, its deletion after a confirmation, and a
//! child's list of records with their pairings.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shouhu_domain::{
    CareBody, CareFieldErrors, CareKind, ContactChannel, ContactDirection, ContactReporter,
    HealthCheckKind, Mood, parse_record_date, today_shanghai,
};
use shouhu_store::StoreError;
use shouhu_store::care_records::{self, RecordQuery};
use shouhu_store::pairings::{self as repo, ChildHead, may_pair};

use super::{
    KindLink, PairingRow, RecordRow, pairing_row, parse_id, record_row, same_site, writable,
};
use crate::auth::{CsrfForm, PageUser};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::pages::notice_key;
use crate::pages::places::{Choice, ConfirmPage, Posted};
use crate::state::AppState;

/// One input of the entry form.
#[derive(Clone, Debug)]
pub struct Widget {
    pub name: &'static str,
    pub label: String,
    /// `text`, `area`, `number` or `radio`.
    pub kind: &'static str,
    pub required: bool,
    pub value: String,
    pub options: Vec<Choice>,
    pub error: Option<String>,
}

fn widget_kind(field: &str) -> &'static str {
    match field {
        "mood" | "channel" | "direction" | "reported_by" | "check" => "radio",
        "minutes" | "periods" => "number",
        "met" | "subject" => "text",
        _ => "area",
    }
}

/// The choices of a radio field, as (code, label key).
fn options(field: &str) -> Vec<(&'static str, &'static str)> {
    fn of<T: Copy>(
        all: &[T],
        code: fn(T) -> &'static str,
        key: fn(T) -> &'static str,
    ) -> Vec<(&'static str, &'static str)> {
        all.iter().map(|v| (code(*v), key(*v))).collect()
    }
    match field {
        "mood" => of(&Mood::ALL, Mood::code, Mood::label_key),
        "channel" => of(
            &ContactChannel::ALL,
            ContactChannel::code,
            ContactChannel::label_key,
        ),
        "direction" => of(
            &ContactDirection::ALL,
            ContactDirection::code,
            ContactDirection::label_key,
        ),
        "reported_by" => of(
            &ContactReporter::ALL,
            ContactReporter::code,
            ContactReporter::label_key,
        ),
        "check" => of(
            &HealthCheckKind::ALL,
            HealthCheckKind::code,
            HealthCheckKind::label_key,
        ),
        _ => Vec::new(),
    }
}

fn field_label(field: &str) -> String {
    format!("care.field.{field}")
}

/// The kind's widgets, filled with `value(field)` and marked with `errors`.
fn widgets(
    t: &Tr,
    kind: CareKind,
    value: impl Fn(&str) -> String,
    errors: &CareFieldErrors,
) -> Vec<Widget> {
    kind.fields()
        .iter()
        .map(|&(name, required)| {
            let current = value(name);
            // A choice typed by its label or an alias is shown selected by its code.
            let options = options(name)
                .into_iter()
                .map(|(code, key)| Choice {
                    selected: current == code || current == t.t(key),
                    value: code.to_owned(),
                    label: t.t(key).to_owned(),
                })
                .collect();
            Widget {
                name,
                label: t.t(&field_label(name)).to_owned(),
                kind: widget_kind(name),
                required,
                value: current,
                options,
                error: errors.get(name).map(|e| t.t(e.code()).to_owned()),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "care_form.html")]
struct FormPage {
    t: Tr,
    frame: Frame,
    child_id: i64,
    child_name: String,
    title: String,
    action: String,
    kind: &'static str,
    /// Other kinds to switch to (new records only).
    kinds: Vec<KindLink>,
    date: String,
    today: String,
    date_error: Option<String>,
    widgets: Vec<Widget>,
    submit_key: String,
    version: Option<i32>,
    duty: String,
    return_to: String,
    back: String,
    form_error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    kind: Option<String>,
    duty: Option<String>,
    #[serde(rename = "return")]
    return_to: Option<String>,
}

fn new_key() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// Where "cancel" and a saved record lead: the `return` path if it is ours, else the child.
fn back_to(child: &ChildHead, return_to: &str) -> String {
    match same_site(return_to) {
        Some(path) => path.to_owned(),
        // A child reached only through a pairing has no file page to go back to.
        None if child.by_pairing => format!("/children/{}/records", child.id),
        None => format!("/children/{}", child.id),
    }
}

/// Duty ids are numbers; anything else is dropped rather than echoed.
fn clean_duty(raw: &str) -> String {
    if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) && raw.len() < 20 {
        raw.to_owned()
    } else {
        String::new()
    }
}

fn kind_of(raw: Option<&str>) -> AppResult<CareKind> {
    match raw.filter(|k| !k.is_empty()) {
        None => Ok(CareKind::Talk),
        Some(k) => CareKind::parse(k).map_err(|_| AppError::not_found()),
    }
}

/// `GET /children/{id}/records/new?kind=talk[&duty=ID][&return=/path]`.
pub async fn new_form(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
    Query(q): Query<NewQuery>,
) -> AppResult<Response> {
    let child_id = parse_id(&raw)?;
    let kind = kind_of(q.kind.as_deref())?;
    let scope = user.scope.clone();
    let child = state
        .store
        .run(move |conn| care_records::child_for_entry(conn, &scope, child_id, kind))
        .await?;
    let return_to = q
        .return_to
        .as_deref()
        .and_then(same_site)
        .unwrap_or_default()
        .to_owned();
    let today = today_shanghai().to_string();
    let page = FormPage {
        frame: Frame::for_user(&user),
        title: t.t(kind.label_key()).to_owned(),
        action: format!("/children/{child_id}/records/new"),
        kind: kind.code(),
        kinds: writable(&t, user.scope.role),
        date: today.clone(),
        today,
        date_error: None,
        widgets: widgets(&t, kind, |_| String::new(), &CareFieldErrors::new()),
        submit_key: new_key(),
        version: None,
        duty: clean_duty(q.duty.as_deref().unwrap_or_default()),
        back: back_to(&child, &return_to),
        return_to,
        form_error: None,
        child_id,
        child_name: child.name,
        t,
    };
    Ok(render(page)?.into_response())
}

/// What a posted form says: the date and body, or every error found.
struct Parsed {
    date: Result<chrono::NaiveDate, String>,
    body: Result<CareBody, CareFieldErrors>,
}

fn parse_posted(posted: &Posted, kind: CareKind) -> Parsed {
    let date = parse_record_date(&posted.get("record_date"), today_shanghai())
        .map_err(|e| e.code().to_owned());
    let values: Vec<(&'static str, String)> = kind
        .fields()
        .iter()
        .map(|&(f, _)| (f, posted.get(f)))
        .collect();
    let body = CareBody::parse(kind, |f| {
        values
            .iter()
            .find(|(name, _)| *name == f)
            .map(|(_, v)| v.as_str())
    });
    Parsed { date, body }
}

/// A store refusal that belongs beside a field, or the whole request's error.
fn field_refusal(e: StoreError) -> AppResult<(Option<String>, Option<String>)> {
    match e {
        StoreError::Invalid {
            field: "record_date",
            code,
        } => Ok((Some(code.to_owned()), None)),
        StoreError::Invalid { code, .. } => Ok((None, Some(code.to_owned()))),
        other => Err(other.into()),
    }
}

/// `POST /children/{id}/records/new`.
pub async fn create(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let child_id = parse_id(&raw)?;
    let posted = Posted::new(form);
    let kind = CareKind::parse(&posted.get("kind"))
        .map_err(|_| AppError::bad_request("error.bad_form"))?;
    let scope = user.scope.clone();
    let child = state
        .store
        .run(move |conn| care_records::child_for_entry(conn, &scope, child_id, kind))
        .await?;
    let return_to = same_site(&posted.get("return"))
        .unwrap_or_default()
        .to_owned();
    let submit_key = posted.get("submit_key");
    let parsed = parse_posted(&posted, kind);
    let mut refusal: (Option<String>, Option<String>) = (None, None);
    if let (Ok(date), Ok(body)) = (&parsed.date, &parsed.body) {
        let (scope, key) = (user.scope.clone(), state.store.key());
        let (date, body, sk) = (*date, body.clone(), submit_key.clone());
        let saved = state
            .store
            .run(move |conn| {
                let sk = (!sk.is_empty()).then(|| format!("form:{sk}"));
                care_records::create(conn, &scope, &key, child_id, date, &body, sk.as_deref())
            })
            .await;
        match saved {
            Ok(_) => {
                let to = match same_site(&return_to) {
                    Some(path) => path.to_owned(),
                    None => format!("{}?done=created", back_to(&child, "")),
                };
                return Ok(Redirect::to(&to).into_response());
            }
            Err(e) => refusal = field_refusal(e)?,
        }
    }
    let errors = parsed.body.err().unwrap_or_default();
    let date_error = parsed.date.err().or(refusal.0);
    let page = FormPage {
        frame: Frame::for_user(&user),
        title: t.t(kind.label_key()).to_owned(),
        action: format!("/children/{child_id}/records/new"),
        kind: kind.code(),
        kinds: writable(&t, user.scope.role),
        date: posted.get("record_date"),
        today: today_shanghai().to_string(),
        date_error: date_error.map(|k| t.t(&k).to_owned()),
        widgets: widgets(&t, kind, |f| posted.get(f), &errors),
        submit_key,
        version: None,
        duty: clean_duty(&posted.get("duty")),
        back: back_to(&child, &return_to),
        return_to,
        form_error: Some(
            t.t(refusal.1.as_deref().unwrap_or("error.invalid"))
                .to_owned(),
        ),
        child_id,
        child_name: child.name,
        t,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
}

#[derive(Debug)]
struct FieldRow {
    label: String,
    value: String,
}

#[derive(Template)]
#[template(path = "care_show.html")]
struct ShowPage {
    t: Tr,
    frame: Frame,
    id: i64,
    child_id: i64,
    child_name: String,
    child_link: String,
    kind: String,
    date: String,
    entered_on: String,
    author: String,
    rows: Vec<FieldRow>,
    withheld: bool,
    editable: bool,
}

/// `GET /records/{id}`: audited by the store as `care.view`.
pub async fn show(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
    Query(q): Query<crate::pages::Done>,
) -> AppResult<Response> {
    let id = parse_id(&raw)?;
    let (scope, key) = (user.scope.clone(), state.store.key());
    let (record, child) = state
        .store
        .run(move |conn| {
            let record = care_records::get(conn, &scope, &key, id)?;
            let child = repo::child_in_reach(conn, &scope, record.child_id)?;
            Ok((record, child))
        })
        .await?;
    let rows = match &record.body {
        None => Vec::new(),
        Some(body) => {
            let values = body.form_values();
            record
                .kind
                .fields()
                .iter()
                .filter_map(|&(f, _)| {
                    let v = values.get(f)?;
                    let shown = options(f)
                        .into_iter()
                        .find(|(code, _)| code == v)
                        .map_or_else(|| v.clone(), |(_, key)| t.t(key).to_owned());
                    Some(FieldRow {
                        label: t.t(&field_label(f)).to_owned(),
                        value: shown,
                    })
                })
                .collect()
        }
    };
    let page = ShowPage {
        frame: Frame::for_user(&user).with_notice(notice_key(q.done.as_deref())),
        id,
        child_id: child.id,
        child_link: back_to(&child, ""),
        child_name: child.name,
        kind: t.t(record.kind.label_key()).to_owned(),
        date: record.record_date.to_string(),
        entered_on: record.entered_on.to_string(),
        author: record.author_name,
        rows,
        withheld: record.body.is_none(),
        editable: record.editable,
        t,
    };
    Ok(render(page)?.into_response())
}

/// `GET /records/{id}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&raw)?;
    let (scope, key) = (user.scope.clone(), state.store.key());
    let (record, child) = state
        .store
        .run(move |conn| {
            let record = care_records::get(conn, &scope, &key, id)?;
            let child = repo::child_in_reach(conn, &scope, record.child_id)?;
            Ok((record, child))
        })
        .await?;
    let (Some(body), true) = (&record.body, record.editable) else {
        return Err(AppError::forbidden("denied.care.edit"));
    };
    let values = body.form_values();
    let page = FormPage {
        frame: Frame::for_user(&user),
        title: t.t(record.kind.label_key()).to_owned(),
        action: format!("/records/{id}"),
        kind: record.kind.code(),
        kinds: Vec::new(),
        date: record.record_date.to_string(),
        today: today_shanghai().to_string(),
        date_error: None,
        widgets: widgets(
            &t,
            record.kind,
            |f| values.get(f).cloned().unwrap_or_default(),
            &CareFieldErrors::new(),
        ),
        submit_key: String::new(),
        version: Some(record.version),
        duty: String::new(),
        return_to: String::new(),
        back: format!("/records/{id}"),
        form_error: None,
        child_id: child.id,
        child_name: child.name,
        t,
    };
    Ok(render(page)?.into_response())
}

/// `POST /records/{id}`: saves the form if nobody saved the record since it was read.
pub async fn update(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = parse_id(&raw)?;
    let posted = Posted::new(form);
    let kind = CareKind::parse(&posted.get("kind"))
        .map_err(|_| AppError::bad_request("error.bad_form"))?;
    let mut version: i32 = posted
        .get("version")
        .parse()
        .map_err(|_| AppError::bad_request("error.bad_form"))?;
    let (scope, key) = (user.scope.clone(), state.store.key());
    let record = state
        .store
        .run(move |conn| care_records::get(conn, &scope, &key, id))
        .await?;
    let scope = user.scope.clone();
    let child = state
        .store
        .run(move |conn| repo::child_in_reach(conn, &scope, record.child_id))
        .await?;
    let parsed = parse_posted(&posted, kind);
    let mut refusal: (Option<String>, Option<String>) = (None, None);
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if let (Ok(date), Ok(body)) = (&parsed.date, &parsed.body) {
        let (scope, key) = (user.scope.clone(), state.store.key());
        let (date, body) = (*date, body.clone());
        let saved = state
            .store
            .run(move |conn| care_records::update(conn, &scope, &key, id, version, date, &body))
            .await;
        match saved {
            Ok(_) => return Ok(Redirect::to(&format!("/records/{id}?done=saved")).into_response()),
            // Saving again, knowing someone else saved meanwhile, is a deliberate overwrite.
            Err(StoreError::Conflict { current, .. }) => {
                version = current;
                status = StatusCode::CONFLICT;
                refusal.1 = Some("care.changed_meanwhile".to_owned());
            }
            Err(e) => refusal = field_refusal(e)?,
        }
    }
    let errors = parsed.body.err().unwrap_or_default();
    let date_error = parsed.date.err().or(refusal.0);
    let page = FormPage {
        frame: Frame::for_user(&user),
        title: t.t(kind.label_key()).to_owned(),
        action: format!("/records/{id}"),
        kind: kind.code(),
        kinds: Vec::new(),
        date: posted.get("record_date"),
        today: today_shanghai().to_string(),
        date_error: date_error.map(|k| t.t(&k).to_owned()),
        widgets: widgets(&t, kind, |f| posted.get(f), &errors),
        submit_key: String::new(),
        version: Some(version),
        duty: String::new(),
        return_to: String::new(),
        back: format!("/records/{id}"),
        form_error: Some(
            t.t(refusal.1.as_deref().unwrap_or("error.invalid"))
                .to_owned(),
        ),
        child_id: child.id,
        child_name: child.name,
        t,
    };
    Ok((status, render(page)?).into_response())
}

fn confirm(t: Tr, user: &PageUser, id: i64, subject: String, error: Option<String>) -> ConfirmPage {
    ConfirmPage {
        t,
        frame: Frame::for_user(user),
        title_key: "care.delete_title",
        question_key: "care.delete_question",
        button_key: "care.delete_button",
        subject,
        action: format!("/records/{id}/delete"),
        back: format!("/records/{id}"),
        error,
    }
}

/// `GET /records/{id}/delete`: asks first.
pub async fn confirm_delete(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&raw)?;
    let (scope, key) = (user.scope.clone(), state.store.key());
    let record = state
        .store
        .run(move |conn| care_records::get(conn, &scope, &key, id))
        .await?;
    if !record.editable {
        return Err(AppError::forbidden("denied.care.delete"));
    }
    let subject = format!("{} {}", record.record_date, t.t(record.kind.label_key()));
    confirm(t, &user, id, subject, None).respond(StatusCode::OK)
}

/// `POST /records/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    CsrfForm { user, .. }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = parse_id(&raw)?;
    let (scope, key) = (user.scope.clone(), state.store.key());
    let child = state
        .store
        .run(move |conn| {
            let record = care_records::get(conn, &scope, &key, id)?;
            let child = repo::child_in_reach(conn, &scope, record.child_id)?;
            care_records::delete(conn, &scope, id, None)?;
            Ok(child)
        })
        .await?;
    let to = format!("/children/{}/records?done=deleted", child.id);
    Ok(Redirect::to(&to).into_response())
}

#[derive(Template)]
#[template(path = "care_list.html")]
struct ListPage {
    t: Tr,
    frame: Frame,
    child_id: i64,
    child_name: String,
    by_pairing: bool,
    records: Vec<RecordRow>,
    next: Option<String>,
    pairings: Vec<PairingRow>,
    kinds: Vec<KindLink>,
    can_pair: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    kind: Option<String>,
    after: Option<String>,
    done: Option<String>,
}

/// `GET /children/{id}/records[?kind=&after=]`: the listing is audited as `care.view`.
pub async fn list(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let child_id = parse_id(&raw)?;
    let kind = match q.kind.as_deref().filter(|k| !k.is_empty()) {
        Some(k) => Some(CareKind::parse(k).map_err(|_| AppError::not_found())?),
        None => None,
    };
    let query = RecordQuery {
        kind,
        after: q.after,
        limit: Some(50),
    };
    let (scope, key) = (user.scope.clone(), state.store.key());
    let (child, page, history) = state
        .store
        .run(move |conn| {
            let child = repo::child_in_reach(conn, &scope, child_id)?;
            let page = care_records::list_for_child(conn, &scope, &key, child_id, &query)?;
            Ok((child, page, repo::history(conn, &scope, child_id)?))
        })
        .await?;
    let role = user.scope.role;
    let page = ListPage {
        frame: Frame::for_user(&user).with_notice(notice_key(q.done.as_deref())),
        child_id,
        child_name: child.name,
        by_pairing: child.by_pairing,
        records: page.items.iter().map(|r| record_row(&t, r)).collect(),
        next: page.next,
        pairings: history.iter().map(|p| pairing_row(&t, role, p)).collect(),
        kinds: writable(&t, role),
        can_pair: !child.by_pairing
            && shouhu_domain::PairingKind::ALL
                .into_iter()
                .any(|k| may_pair(role, k)),
        t,
    };
    Ok(render(page)?.into_response())
}
