//! One child's plans by term, and the form to write this term's (key children only).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shouhu_domain::{HelpPlan, TermKey, may_write_plan, today_shanghai};
use shouhu_store::calendars;
use shouhu_store::children::ChildSummary;
use shouhu_store::help_plans::{self, PlanSummary};

use super::form::{PlanForm, refusal};
use super::{new_key, parse_id, status_label, term_label};
use crate::auth::{CsrfForm, PageUser};
use crate::error::AppResult;
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::pages::notice_key;
use crate::pages::places::{Choice, FieldErrors, Posted};
use crate::state::AppState;

#[derive(Debug)]
struct PlanRow {
    id: i64,
    term: String,
    status: String,
    author: String,
}

#[derive(Template)]
#[template(path = "plan_child.html")]
struct ChildPage {
    t: Tr,
    frame: Frame,
    child_id: i64,
    child_name: String,
    key_child: bool,
    rows: Vec<PlanRow>,
    /// Terms without a plan yet, offered to the form; empty when none can be written.
    terms: Vec<Choice>,
    form: PlanForm,
    errors: FieldErrors,
    submit_key: String,
}

/// This term and the one before it (a summary written late), less those already planned.
fn open_terms(t: &Tr, plans: &[PlanSummary], now: TermKey, chosen: &str) -> Vec<Choice> {
    let before = if now.number == 2 {
        TermKey { number: 1, ..now }
    } else {
        TermKey {
            school_year: shouhu_domain::SchoolYear::new(now.school_year.start_year() - 1),
            number: 2,
        }
    };
    [now, before]
        .into_iter()
        .map(|k| k.to_string())
        .filter(|k| !plans.iter().any(|p| &p.term_key == k))
        .map(|k| Choice {
            selected: k == chosen,
            label: term_label(t, &k),
            value: k,
        })
        .collect()
}

/// A child's plans and the term a plan written today belongs to, by the school's calendar.
async fn listing(
    state: &AppState,
    user: &PageUser,
    id: i64,
) -> AppResult<(ChildSummary, Vec<PlanSummary>, TermKey)> {
    let scope = user.scope.clone();
    Ok(state
        .store
        .run(move |conn| {
            let (child, plans) = help_plans::list_for_child(conn, &scope, id)?;
            let now = calendars::plan_term(conn, child.school_id, today_shanghai())?;
            Ok((child, plans, now))
        })
        .await?)
}

#[allow(clippy::too_many_arguments)]
fn page(
    t: Tr,
    user: &PageUser,
    child: ChildSummary,
    plans: Vec<PlanSummary>,
    form: PlanForm,
    errors: FieldErrors,
    now: TermKey,
    chosen: &str,
    submit_key: String,
    notice: Option<&'static str>,
    status: StatusCode,
) -> AppResult<Response> {
    let writable = child.key_child && may_write_plan(user.scope.role);
    let terms = if writable {
        open_terms(&t, &plans, now, chosen)
    } else {
        Vec::new()
    };
    let rows = plans
        .into_iter()
        .map(|p| PlanRow {
            id: p.id,
            term: term_label(&t, &p.term_key),
            status: status_label(&t, &p.status),
            author: p.author_name,
        })
        .collect();
    let page = ChildPage {
        frame: Frame::for_user(user).with_notice(notice),
        child_id: child.id,
        child_name: child.name,
        key_child: child.key_child,
        rows,
        terms,
        form,
        errors,
        submit_key,
        t,
    };
    Ok((status, render(page)?).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    done: Option<String>,
}

/// `GET /children/{id}/plans`: no plan is opened for the list.
pub async fn list(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let id = parse_id(&raw)?;
    let (child, plans, now) = listing(&state, &user, id).await?;
    let notice = notice_key(q.done.as_deref());
    let chosen = now.to_string();
    page(
        t,
        &user,
        child,
        plans,
        PlanForm::blank(),
        FieldErrors::default(),
        now,
        &chosen,
        new_key(),
        notice,
        StatusCode::OK,
    )
}

/// `POST /children/{id}/plans`: a form sent twice writes one plan.
pub async fn create(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    super::form::may_write(&user)?;
    let id = parse_id(&raw)?;
    let posted = Posted::new(form);
    let submit_key = posted.get("submit_key");
    let chosen = posted.get("term");
    let form = PlanForm::posted(&posted);
    let mut errors = FieldErrors::default();
    let term = TermKey::parse(&chosen)
        .map_err(|e| errors.add("term", e.code()))
        .ok();
    let content = form.parse().map_err(|e| errors = e).ok();
    if let (Some(term), Some((goals, measures)), true) = (term, content, errors.is_empty()) {
        let plan = HelpPlan::new(&goals, measures);
        let scope = user.scope.clone();
        let key = state.store.key();
        let sk = submit_key.clone();
        let saved = state
            .store
            .run(move |conn| {
                let plan = plan.map_err(|e| shouhu_store::StoreError::invalid(e.field(), e.code()));
                Ok(plan.and_then(|plan| {
                    let sk = (!sk.is_empty()).then_some(sk.as_str());
                    help_plans::create(conn, &scope, &key, id, term, &plan, sk)
                }))
            })
            .await?;
        match saved {
            Ok(record) => {
                let to = format!("/plans/{}?done=created", record.summary.id);
                return Ok(Redirect::to(&to).into_response());
            }
            Err(e) => errors = refusal(e)?,
        }
    }
    let (child, plans, now) = listing(&state, &user, id).await?;
    page(
        t,
        &user,
        child,
        plans,
        form,
        errors,
        now,
        &chosen,
        submit_key,
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}
