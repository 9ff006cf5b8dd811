//! `/dropout/teaching`: 送教上门 periods by child, per term and for the school year, against
//! the county's target. One table, fit to print.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shouhu_domain::{RegionCode, SchoolYear, today_shanghai};
use shouhu_store::Scope;
use shouhu_store::dropout::teaching::{TeachingNode, TeachingRow, teaching_totals};

use crate::auth::PageUser;
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct TeachingQuery {
    pub region: Option<String>,
    pub school: Option<String>,
    pub year: Option<String>,
}

/// The node and year a query asks for; by default the caller's school or region, this year.
pub fn node_and_year(scope: &Scope, q: &TeachingQuery) -> AppResult<(TeachingNode, SchoolYear)> {
    let blank = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let node = match (blank(&q.school), blank(&q.region)) {
        (Some(s), _) => TeachingNode::School(
            s.parse()
                .map_err(|_| AppError::invalid_field("school", "dcounty.bad_school"))?,
        ),
        (None, Some(r)) => TeachingNode::Region(
            RegionCode::parse(&r)
                .map_err(|_| AppError::invalid_field("region", "dcounty.bad_region"))?,
        ),
        (None, None) => match (scope.school, &scope.region) {
            (Some(s), _) => TeachingNode::School(s),
            (None, Some(r)) => TeachingNode::Region(r.clone()),
            (None, None) => return Err(AppError::invalid_field("region", "error.required")),
        },
    };
    let year = match blank(&q.year) {
        Some(y) => SchoolYear::parse(&y)
            .map_err(|_| AppError::invalid_field("year", "school_year.invalid"))?,
        None => SchoolYear::containing(today_shanghai()),
    };
    Ok((node, year))
}

pub struct Line {
    pub name: String,
    pub school: String,
    pub home_taught: bool,
    pub term1: String,
    pub term2: String,
    pub year: String,
    pub met: bool,
    pub has_target: bool,
}

fn cell(periods: i64, sessions: i64, target: Option<i32>) -> String {
    match target {
        Some(t) => format!("{periods} / {t}（{sessions}）"),
        None => format!("{periods}（{sessions}）"),
    }
}

fn line(r: &TeachingRow) -> Line {
    let term = |i: usize| {
        r.terms
            .get(i)
            .map(|t| cell(t.periods, t.sessions, t.target))
            .unwrap_or_default()
    };
    Line {
        name: r.name.clone(),
        school: r.school.clone(),
        home_taught: r.home_taught,
        term1: term(0),
        term2: term(1),
        year: cell(r.periods, r.sessions, r.target),
        met: r.met,
        has_target: r.target.is_some(),
    }
}

#[derive(Template)]
#[template(path = "dropout_teaching.html")]
struct TeachingPage {
    t: Tr,
    frame: Frame,
    year: String,
    region: String,
    school: String,
    lines: Vec<Line>,
}

/// `GET /dropout/teaching?region=|school=&year=`.
pub async fn show(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Query(q): Query<TeachingQuery>,
) -> AppResult<Response> {
    let (node, year) = node_and_year(&user.scope, &q)?;
    let scope = user.scope.clone();
    let n = node.clone();
    let totals = state
        .store
        .run(move |conn| teaching_totals(conn, &scope, &n, year))
        .await?;
    let (region, school) = match &node {
        TeachingNode::Region(r) => (r.as_str().to_owned(), String::new()),
        TeachingNode::School(s) => (String::new(), s.to_string()),
    };
    let page = TeachingPage {
        frame: Frame::for_user(&user),
        year: totals.year.clone(),
        region,
        school,
        lines: totals.rows.iter().map(line).collect(),
        t,
    };
    Ok(render(page)?.into_response())
}
