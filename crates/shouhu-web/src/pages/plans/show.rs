//! A plan (each opening audited by the store), with the forms of the term's work on it: a stage
//! result, the summary, the principal's sign-off and reopening; and the plan to print.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use shouhu_domain::{PlanStatus, StageResult, may_sign_plan, may_write_plan, today_shanghai};
use shouhu_store::help_plans::{self, PlanChange, PlanRecord};
use shouhu_store::{Scope, StoreError};

use super::form::may_write;
use super::{new_key, parse_id, status_label, term_label};
use crate::auth::{CsrfForm, PageUser};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::pages::notice_key;
use crate::pages::places::{FieldErrors, Posted};
use crate::state::AppState;

#[derive(Debug)]
struct MeasureView {
    what: String,
    who: String,
    by: String,
}

#[derive(Debug)]
struct StageView {
    date: String,
    note: Vec<String>,
    author: String,
}

/// A plan as its page and its print show it.
#[derive(Debug)]
struct PlanView {
    id: i64,
    child_id: i64,
    child_name: String,
    class_name: String,
    school_id: i64,
    school_name: String,
    term: String,
    status_code: String,
    status: String,
    author: String,
    signed_by: String,
    signed_at: String,
    goals: Vec<String>,
    measures: Vec<MeasureView>,
    stages: Vec<StageView>,
    summary: Vec<String>,
    summary_text: String,
    reopenings: Vec<(String, String, String)>,
    version: i32,
}

fn shanghai_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| {
            d.with_timezone(&shouhu_domain::shanghai())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

fn lines(s: &str) -> Vec<String> {
    s.lines().map(str::to_owned).collect()
}

fn view(t: &Tr, r: PlanRecord) -> PlanView {
    let s = r.summary;
    let summary_text = r.plan.summary.clone().unwrap_or_default();
    PlanView {
        id: s.id,
        child_id: s.child_id,
        child_name: r.child_name,
        class_name: r.class_name.unwrap_or_default(),
        school_id: s.school_id,
        school_name: r.school_name,
        term: term_label(t, &s.term_key),
        status: status_label(t, &s.status),
        status_code: s.status,
        author: s.author_name,
        signed_by: s.signed_by.unwrap_or_default(),
        signed_at: s.signed_at.map(shanghai_time).unwrap_or_default(),
        goals: lines(&r.plan.goals),
        measures: r
            .plan
            .measures
            .into_iter()
            .map(|m| MeasureView {
                what: m.what,
                who: m.who,
                by: m.by.to_string(),
            })
            .collect(),
        stages: r
            .plan
            .stage_results
            .into_iter()
            .map(|st| StageView {
                date: st.date.to_string(),
                note: lines(&st.note),
                author: st.author,
            })
            .collect(),
        summary: lines(&summary_text),
        summary_text,
        reopenings: r
            .reopenings
            .into_iter()
            .map(|o| (shanghai_time(o.at), o.by, o.reason))
            .collect(),
        version: s.version,
    }
}

#[derive(Template)]
#[template(path = "plan_show.html")]
struct ShowPage {
    t: Tr,
    frame: Frame,
    p: PlanView,
    can_write: bool,
    can_sign: bool,
    can_reopen: bool,
    today: String,
    submit_key: String,
    /// What a refused form typed, and its error (catalog key) beside it.
    stage_note: String,
    stage_date: String,
    summary_draft: Option<String>,
    errors: FieldErrors,
}

/// What a refused action brings back to the page.
#[derive(Default)]
struct Typed {
    stage_note: String,
    stage_date: String,
    summary: Option<String>,
    errors: FieldErrors,
}

fn show_page(
    t: Tr,
    user: &PageUser,
    record: PlanRecord,
    typed: Typed,
    notice: Option<&'static str>,
    status: StatusCode,
) -> AppResult<Response> {
    let role = user.scope.role;
    let p = view(&t, record);
    let open = p.status_code != PlanStatus::Signed.code();
    let today = today_shanghai().to_string();
    let page = ShowPage {
        frame: Frame::for_user(user).with_notice(notice),
        can_write: open && may_write_plan(role),
        can_sign: may_sign_plan(role) && p.status_code == PlanStatus::Summarised.code(),
        can_reopen: may_sign_plan(role) && !open,
        stage_date: if typed.stage_date.is_empty() {
            today.clone()
        } else {
            typed.stage_date
        },
        today,
        submit_key: new_key(),
        stage_note: typed.stage_note,
        summary_draft: typed.summary,
        errors: typed.errors,
        p,
        t,
    };
    Ok((status, render(page)?).into_response())
}

async fn open(state: &AppState, scope: &Scope, id: i64) -> AppResult<PlanRecord> {
    let scope = scope.clone();
    let key = state.store.key();
    Ok(state
        .store
        .run(move |conn| help_plans::get(conn, &scope, &key, id))
        .await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ShowQuery {
    done: Option<String>,
}

/// Confirmations only these pages give, after their own redirects.
fn plan_notice(done: Option<&str>) -> Option<&'static str> {
    match done {
        Some("stage") => Some("plan.notice_stage"),
        Some("summarised") => Some("plan.notice_summarised"),
        Some("signed") => Some("plan.notice_signed"),
        Some("reopened") => Some("plan.notice_reopened"),
        other => notice_key(other),
    }
}

/// `GET /plans/{id}`: audited by the store as `help_plan.view`.
pub async fn show(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
    Query(q): Query<ShowQuery>,
) -> AppResult<Response> {
    let record = open(&state, &user.scope, parse_id(&raw)?).await?;
    let notice = plan_notice(q.done.as_deref());
    show_page(t, &user, record, Typed::default(), notice, StatusCode::OK)
}

#[derive(Template)]
#[template(path = "plan_print.html")]
struct PrintPage {
    t: Tr,
    frame: Frame,
    p: PlanView,
}

/// `GET /plans/{id}/print`: the plan on paper, with lines for the signatures.
pub async fn print(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    let record = open(&state, &user.scope, parse_id(&raw)?).await?;
    let page = PrintPage {
        frame: Frame::for_user(&user),
        p: view(&t, record),
        t,
    };
    Ok(render(page)?.into_response())
}

fn version_of(p: &Posted) -> AppResult<i32> {
    p.get("version")
        .parse()
        .map_err(|_| AppError::bad_request("error.bad_form"))
}

/// Runs one action on the plan; a refusal comes back as the plan page with the error beside
/// its form and what was typed, a stale version as the plan as it now is.
async fn act<F>(
    state: &AppState,
    t: Tr,
    user: &PageUser,
    id: i64,
    mut typed: Typed,
    done: &str,
    work: F,
) -> AppResult<Response>
where
    F: FnOnce(&mut shouhu_store::Conn, &Scope) -> shouhu_store::StoreResult<PlanRecord>
        + Send
        + 'static,
{
    let scope = user.scope.clone();
    let result = state.store.run(move |conn| Ok(work(conn, &scope))).await?;
    let status = match result {
        Ok(_) => return Ok(Redirect::to(&format!("/plans/{id}?done={done}")).into_response()),
        Err(StoreError::Conflict { .. }) => {
            typed.errors.add("form", "plan.conflict");
            StatusCode::CONFLICT
        }
        Err(e) => {
            typed.errors = FieldErrors::from_store(e, "plan.duplicate")?;
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    let record = open(state, &user.scope, id).await?;
    show_page(t, user, record, typed, None, status)
}

/// `POST /plans/{id}/stages`: a dated stage result; a form sent twice adds it once.
pub async fn add_stage(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    may_write(&user)?;
    let id = parse_id(&raw)?;
    let p = Posted::new(form);
    let version = version_of(&p)?;
    let typed = Typed {
        stage_note: p.get("note"),
        stage_date: p.get("date"),
        ..Typed::default()
    };
    let stage = match NaiveDate::parse_from_str(&typed.stage_date, "%Y-%m-%d") {
        Ok(date) => StageResult::parse(date, &typed.stage_note, today_shanghai())
            .map_err(|e| StoreError::invalid(e.field(), e.code())),
        Err(_) => Err(StoreError::invalid("stage_date", "plan.date_invalid")),
    };
    let submit_key = p.get("submit_key");
    let key = state.store.key();
    act(&state, t, &user, id, typed, "stage", move |conn, scope| {
        let change = PlanChange {
            stage: Some(stage?),
            ..PlanChange::default()
        };
        let sk = (!submit_key.is_empty()).then_some(submit_key.as_str());
        help_plans::update(conn, scope, &key, id, version, &change, sk)
    })
    .await
}

/// `POST /plans/{id}/summary`: writes the end-of-term summary; a draft becomes summarised.
pub async fn summarise(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    may_write(&user)?;
    let id = parse_id(&raw)?;
    let p = Posted::new(form);
    let version = version_of(&p)?;
    let summary = p.get("summary");
    let typed = Typed {
        summary: Some(summary.clone()),
        ..Typed::default()
    };
    let key = state.store.key();
    act(
        &state,
        t,
        &user,
        id,
        typed,
        "summarised",
        move |conn, scope| {
            let change = PlanChange {
                summary: Some(summary),
                ..PlanChange::default()
            };
            help_plans::update(conn, scope, &key, id, version, &change, None)
        },
    )
    .await
}

/// `POST /plans/{id}/sign`: the principal's sign-off.
pub async fn sign(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    if !may_sign_plan(user.scope.role) {
        return Err(AppError::forbidden("denied.help_plan.sign"));
    }
    let id = parse_id(&raw)?;
    let version = version_of(&Posted::new(form))?;
    let key = state.store.key();
    act(
        &state,
        t,
        &user,
        id,
        Typed::default(),
        "signed",
        move |conn, scope| help_plans::sign(conn, scope, &key, id, version),
    )
    .await
}

/// `POST /plans/{id}/reopen`: takes a signed plan back for correction, with a reason.
pub async fn reopen(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    if !may_sign_plan(user.scope.role) {
        return Err(AppError::forbidden("denied.help_plan.sign"));
    }
    let id = parse_id(&raw)?;
    let p = Posted::new(form);
    let version = version_of(&p)?;
    let reason = p.get("reason");
    let key = state.store.key();
    act(
        &state,
        t,
        &user,
        id,
        Typed::default(),
        "reopened",
        move |conn, scope| help_plans::reopen(conn, scope, &key, id, version, &reason),
    )
    .await
}
