//! Compliance (职责完成情况) for a node of the tree and a period: duties due, done on time, late,
//! missed and waived, per rule and per part of the node, with links down the tree; the same
//! figures as the compact box on the school and region pages, and as the API's answer.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use shouhu_domain::{Compliance, DutyRule, RegionCode, RegionLevel, today_shanghai};
use shouhu_store::duties::{self, ComplianceRow, Node};
use shouhu_store::{Conn, Scope, StoreError, StoreResult, regions, schools};

use super::{date_or, month_start, rule_name};
use crate::auth::PageUser;
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::state::AppState;

/// Done on time ÷ due, as DESIGN.md §3 says every rate is given: both numbers, and the ratio.
#[derive(Clone, Copy, Debug)]
pub struct Rate {
    pub numerator: u64,
    pub denominator: u64,
    pub permille: Option<u64>,
}

impl Rate {
    pub fn of(c: &Compliance) -> Self {
        Self {
            numerator: c.done,
            denominator: c.due(),
            permille: c.rate_permille(),
        }
    }

    /// `87.5%`, or a dash when nothing was due.
    pub fn percent(&self) -> String {
        match self.permille {
            Some(p) => format!("{}.{}%", p / 10, p % 10),
            None => "—".to_owned(),
        }
    }
}

/// One line of figures: the whole node, a rule, or a part of the node.
#[derive(Clone, Debug)]
pub struct Line {
    /// A rule code, a region code or a school id.
    pub key: String,
    pub name: String,
    /// For a part: its own compliance page.
    pub href: Option<String>,
    pub counts: Compliance,
    pub rate: Rate,
}

/// The figures of a node with the names people read them by.
#[derive(Clone, Debug)]
pub struct ComplianceView {
    pub node_name: String,
    /// `region` or `school`, and its value: the query that names the node.
    pub node_field: &'static str,
    pub node_value: String,
    /// The node one level up, when the caller reaches it.
    pub parent_query: Option<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub total: Line,
    /// Stored rule names; pages show the catalog's where it has one.
    pub by_rule: Vec<Line>,
    pub parts: Vec<Line>,
    pub parts_are_schools: bool,
    /// A county's (or township's) schools side by side, when the parts are regions.
    pub schools: Vec<Line>,
}

fn line(row: &ComplianceRow, name: String, href: Option<String>) -> Line {
    Line {
        key: row.key.clone(),
        name,
        href,
        counts: row.counts,
        rate: Rate::of(&row.counts),
    }
}

/// The node of `?region=` or `?school=`; with neither, the caller's own (their school, else
/// their home region, else the first region they reach).
pub fn node_of(
    conn: &mut Conn,
    scope: &Scope,
    region: Option<&str>,
    school: Option<&str>,
) -> StoreResult<Node> {
    let region = region.map(str::trim).filter(|s| !s.is_empty());
    let school = school.map(str::trim).filter(|s| !s.is_empty());
    match (region, school) {
        (_, Some(id)) => id
            .parse()
            .map(Node::School)
            .map_err(|_| StoreError::NotFound),
        (Some(code), None) => RegionCode::parse(code)
            .map(Node::Region)
            .map_err(|_| StoreError::NotFound),
        (None, None) => {
            if let Some(id) = scope.school {
                return Ok(Node::School(id));
            }
            if let Some(code) = &scope.region {
                return Ok(Node::Region(code.clone()));
            }
            let first = regions::children(conn, scope, None)?
                .into_iter()
                .next()
                .ok_or(StoreError::NotFound)?;
            RegionCode::parse(&first.code)
                .map(Node::Region)
                .map_err(|_| StoreError::NotFound)
        }
    }
}

/// Rule names by code: the defaults', replaced by those in force at `region` when the caller
/// may read them.
fn rule_names(conn: &mut Conn, scope: &Scope, region: Option<&RegionCode>) -> Vec<DutyRule> {
    let mut rules = DutyRule::defaults();
    let in_force = region.and_then(|r| duties::rules_at(conn, scope, r).ok());
    for r in in_force.into_iter().flatten() {
        match rules.iter_mut().find(|d| d.code == r.rule.code) {
            Some(slot) => *slot = r.rule,
            None => rules.push(r.rule),
        }
    }
    rules
}

/// Compliance of `node` from `from` to `to`, named; the store checks the caller's reach (a node
/// outside it is not found).
pub fn compliance_view(
    conn: &mut Conn,
    scope: &Scope,
    node: &Node,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<ComplianceView> {
    let report = duties::compliance(conn, scope, node, from, to)?;
    let dates = format!("from={from}&to={to}");
    let (node_name, (node_field, node_value), parent_query, region) = match node {
        Node::School(id) => {
            let school = schools::get(conn, scope, *id)?;
            let region = school.region()?;
            let parent = scope
                .school
                .is_none()
                .then(|| format!("region={}", school.region_code));
            (school.name, ("school", id.to_string()), parent, region)
        }
        Node::Region(code) => {
            let region = regions::get(conn, scope, code)?;
            let parent = code
                .parent()
                .filter(|p| scope.covers_region(p))
                .map(|p| format!("region={p}"));
            (
                region.name,
                ("region", code.to_string()),
                parent,
                code.clone(),
            )
        }
    };
    let rules = rule_names(conn, scope, Some(&region));
    let by_rule = report
        .by_rule
        .iter()
        .map(|row| {
            let name = rules
                .iter()
                .find(|r| r.code == row.key)
                .map_or_else(|| row.key.clone(), |r| r.name.clone());
            line(row, name, None)
        })
        .collect();
    let school_lines = |conn: &mut Conn, rows: &[ComplianceRow]| -> StoreResult<Vec<Line>> {
        let filter = schools::SchoolFilter {
            region: Some(region.clone()),
            ..Default::default()
        };
        let list = schools::list(conn, scope, &filter)?;
        Ok(rows
            .iter()
            .map(|row| {
                let name = list
                    .iter()
                    .find(|s| s.id.to_string() == row.key)
                    .map_or_else(|| row.key.clone(), |s| s.name.clone());
                let href = format!("/compliance?school={}&{dates}", row.key);
                line(row, name, Some(href))
            })
            .collect())
    };
    // A county's schools side by side, under its townships: the view a bureau compares by.
    let schools = match node {
        Node::Region(code) if !report.parts_are_schools && code.level() == RegionLevel::County => {
            let rows = duties::by_school(conn, scope, code, from, to)?;
            school_lines(conn, &rows)?
        }
        _ => Vec::new(),
    };
    let parts = if report.parts_are_schools {
        school_lines(conn, &report.parts)?
    } else {
        let codes: Vec<String> = report.parts.iter().map(|p| p.key.clone()).collect();
        let names = regions::names(conn, scope, &codes)?;
        report
            .parts
            .iter()
            .map(|row| {
                let name = names
                    .iter()
                    .find(|(c, _)| *c == row.key)
                    .map_or_else(|| row.key.clone(), |(_, n)| n.clone());
                let href = format!("/compliance?region={}&{dates}", row.key);
                line(row, name, Some(href))
            })
            .collect()
    };
    Ok(ComplianceView {
        total: line(&report.total, node_name.clone(), None),
        node_name,
        node_field,
        node_value,
        parent_query,
        from,
        to,
        by_rule,
        parts,
        parts_are_schools: report.parts_are_schools,
        schools,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ComplianceQuery {
    region: Option<String>,
    school: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

#[derive(Template)]
#[template(path = "compliance.html")]
struct CompliancePage {
    t: Tr,
    frame: Frame,
    view: ComplianceView,
}

/// `GET /compliance?region=CODE|school=ID&from=YYYY-MM-DD&to=YYYY-MM-DD` (this month so far by
/// default).
pub async fn show(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Query(q): Query<ComplianceQuery>,
) -> AppResult<Response> {
    let today = today_shanghai();
    let from = date_or("from", q.from.as_deref(), month_start(today))?;
    let to = date_or("to", q.to.as_deref(), today)?;
    if from > to {
        return Err(AppError::invalid_field("to", "duty.bad_period"));
    }
    let scope = user.scope.clone();
    let mut view = state
        .store
        .run(move |conn| {
            let node = node_of(conn, &scope, q.region.as_deref(), q.school.as_deref())?;
            compliance_view(conn, &scope, &node, from, to)
        })
        .await?;
    for line in &mut view.by_rule {
        line.name = rule_name(&t, &line.key, &line.name);
    }
    let frame = Frame::for_user(&user);
    Ok(render(CompliancePage { t, frame, view })?.into_response())
}

/// The compact figure shown on a school's or region's page: this month so far.
#[derive(Clone, Debug)]
pub struct ComplianceBox {
    pub href: String,
    pub from: String,
    pub to: String,
    pub counts: Compliance,
    pub rate: Rate,
}

async fn node_box(
    state: &AppState,
    user: &PageUser,
    node: Node,
) -> AppResult<Option<ComplianceBox>> {
    let today = today_shanghai();
    let from = month_start(today);
    let scope = user.scope.clone();
    let query = match &node {
        Node::School(id) => format!("school={id}"),
        Node::Region(code) => format!("region={code}"),
    };
    let report = state
        .store
        .run(move |conn| duties::compliance(conn, &scope, &node, from, today))
        .await;
    match report {
        Ok(report) => Ok(Some(ComplianceBox {
            href: format!("/compliance?{query}&from={from}&to={today}"),
            from: from.to_string(),
            to: today.to_string(),
            counts: report.total.counts,
            rate: Rate::of(&report.total.counts),
        })),
        // The page around the box has its own reach check; a box the caller may not see is left out.
        Err(StoreError::NotFound | StoreError::Forbidden(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The box for `GET /schools/{id}`.
pub async fn school_box(
    state: &AppState,
    user: &PageUser,
    school_id: i64,
) -> AppResult<Option<ComplianceBox>> {
    node_box(state, user, Node::School(school_id)).await
}

/// The box for a region's page.
pub async fn region_box(
    state: &AppState,
    user: &PageUser,
    code: &RegionCode,
) -> AppResult<Option<ComplianceBox>> {
    node_box(state, user, Node::Region(code.clone())).await
}
