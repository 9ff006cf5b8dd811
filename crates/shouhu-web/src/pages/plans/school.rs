//! The principal's view: the school's key children and where each one's plan for a term stands
//! (none yet, draft, summarised, signed), with the plans waiting for sign-off first.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shouhu_domain::{PlanStatus, TermKey, today_shanghai};
use shouhu_store::{calendars, help_plans, schools};

use super::{parse_id, status_label, term_label};
use crate::auth::PageUser;
use crate::error::AppResult;
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::pages::places::Choice;
use crate::state::AppState;

#[derive(Debug)]
struct Row {
    child_id: i64,
    name: String,
    class_name: String,
    plan_id: Option<i64>,
    status: String,
    waiting: bool,
    signed: bool,
}

#[derive(Template)]
#[template(path = "plan_school.html")]
struct OverviewPage {
    t: Tr,
    frame: Frame,
    school_id: i64,
    school_name: String,
    term: String,
    terms: Vec<Choice>,
    rows: Vec<Row>,
    planned: usize,
    signed: usize,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TermQuery {
    term: Option<String>,
}

/// This term and the two before it.
fn recent_terms(now: TermKey) -> Vec<TermKey> {
    let mut out = vec![now];
    let mut k = now;
    for _ in 0..2 {
        k = if k.number == 2 {
            TermKey { number: 1, ..k }
        } else {
            TermKey {
                school_year: shouhu_domain::SchoolYear::new(k.school_year.start_year() - 1),
                number: 2,
            }
        };
        out.push(k);
    }
    out
}

/// `GET /schools/{id}/plans[?term=2026-2027-1]`.
pub async fn overview(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
    Query(q): Query<TermQuery>,
) -> AppResult<Response> {
    let school_id = parse_id(&raw)?;
    let asked = q.term.and_then(|k| TermKey::parse(&k).ok());
    let scope = user.scope.clone();
    let (school, list, now) = state
        .store
        .run(move |conn| {
            let school = schools::get(conn, &scope, school_id)?;
            let now = calendars::plan_term(conn, school_id, today_shanghai())?;
            let term = asked.unwrap_or(now);
            let list = help_plans::school_overview(conn, &scope, school_id, term)?;
            Ok((school, list, now))
        })
        .await?;
    let term = asked.unwrap_or(now);
    let mut rows: Vec<Row> = list
        .into_iter()
        .map(|k| Row {
            child_id: k.child.id,
            name: k.child.name,
            class_name: k.child.class_name.unwrap_or_default(),
            plan_id: k.plan.as_ref().map(|p| p.id),
            waiting: k
                .plan
                .as_ref()
                .is_some_and(|p| p.status == PlanStatus::Summarised.code()),
            signed: k
                .plan
                .as_ref()
                .is_some_and(|p| p.status == PlanStatus::Signed.code()),
            status: k.plan.as_ref().map_or_else(
                || t.t("plan.none_yet").to_owned(),
                |p| status_label(&t, &p.status),
            ),
        })
        .collect();
    // Plans waiting for the principal's signature come first; the sort keeps pinyin order.
    rows.sort_by_key(|r| !r.waiting);
    let planned = rows.iter().filter(|r| r.plan_id.is_some()).count();
    let signed = rows.iter().filter(|r| r.signed).count();
    let terms = recent_terms(now)
        .into_iter()
        .map(|k| Choice {
            selected: k == term,
            label: term_label(&t, &k.to_string()),
            value: k.to_string(),
        })
        .collect();
    let page = OverviewPage {
        frame: Frame::for_user(&user),
        school_id,
        school_name: school.name,
        term: term_label(&t, &term.to_string()),
        terms,
        rows,
        planned,
        signed,
        t,
    };
    Ok(render(page)?.into_response())
}
