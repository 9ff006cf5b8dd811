//! The dropout home (`/dropout`: the node's panel and the ways in), the ledgers (台账) as a
//! printable table and as xlsx, and the monthly reports (一月一报告). County and bureau users
//! pick a township or school with `?region=` or `?school=`; school staff see their school.
//!
//! Phones and addresses are masked; roles that may reveal them get them in clear on a ledger
//! or an export only with a stated purpose, which the store audits.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::{DateTime, NaiveDate};
use serde::Deserialize;
use shouhu_domain::{RegionCode, RegionLevel, ReportMonth, Role, shanghai, today_shanghai};
use shouhu_roster::ledger as sheet;
use shouhu_store::children::may_reveal;
use shouhu_store::dropout::ledgers::{Ledger, LedgerKind, LedgerQuery, LedgerRow};
use shouhu_store::dropout::panels::{Panel, panel};
use shouhu_store::dropout::reports::{
    ReportRow, SchoolRef, missing_reports, report_of, reports_for, sign_report, submit_report,
};
use shouhu_store::duties::Node;
use shouhu_store::{Scope, StoreError, regions, schools};

use crate::auth::{CsrfForm, PageUser};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::pages::places::Choice;
use crate::pages::rosters::xlsx_download;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dropout", get(home))
        .route("/dropout/ledger", get(ledger))
        .route("/dropout/ledger.xlsx", get(ledger_xlsx))
        .route("/dropout/reports", get(reports).post(report_action))
}

/// The node and ledger asked for in a query string; empty means "mine" / the default.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct NodeQuery {
    pub region: String,
    pub school: String,
    pub kind: String,
    pub sensitive: String,
    pub purpose: String,
    pub month: String,
}

impl NodeQuery {
    /// The node: a school id, else a region code, else the caller's own; a malformed one is
    /// not found.
    pub fn node(&self) -> AppResult<Option<Node>> {
        let (school, region) = (self.school.trim(), self.region.trim());
        if !school.is_empty() {
            return school
                .parse()
                .map(|id| Some(Node::School(id)))
                .map_err(|_| AppError::not_found());
        }
        if !region.is_empty() {
            return RegionCode::parse(region)
                .map(|r| Some(Node::Region(r)))
                .map_err(|_| AppError::not_found());
        }
        Ok(None)
    }

    /// The node's query parameter and value, for hidden fields; empty for the caller's own.
    fn node_pair(&self) -> (String, String) {
        if !self.school.trim().is_empty() {
            ("school".to_owned(), self.school.trim().to_owned())
        } else if !self.region.trim().is_empty() {
            ("region".to_owned(), self.region.trim().to_owned())
        } else {
            (String::new(), String::new())
        }
    }

    /// `school=7` or `region=…` for links that keep the node; empty for the caller's own.
    fn node_qs(&self) -> String {
        if !self.school.trim().is_empty() {
            format!("school={}", self.school.trim())
        } else if !self.region.trim().is_empty() {
            format!("region={}", self.region.trim())
        } else {
            String::new()
        }
    }

    pub fn kind(&self) -> AppResult<LedgerKind> {
        match self.kind.trim() {
            "" => Ok(LedgerKind::Suspected),
            other => LedgerKind::parse(other).ok_or_else(AppError::not_found),
        }
    }

    fn month(&self, today: NaiveDate) -> AppResult<ReportMonth> {
        match self.month.trim() {
            "" => Ok(ReportMonth::of(today)),
            other => ReportMonth::parse(other)
                .map_err(|_| AppError::invalid_field("month", "dropout.month")),
        }
    }
}

fn refuse_volunteers(user: &PageUser) -> AppResult<()> {
    if user.scope.role == Role::Volunteer {
        return Err(AppError::forbidden("denied.dropout.ledger"));
    }
    Ok(())
}

/// The node picker of users above a school: the regions directly under theirs and the schools
/// in reach.
struct Picker {
    regions: Vec<Choice>,
    schools: Vec<Choice>,
}

fn picker(
    conn: &mut shouhu_store::Conn,
    scope: &Scope,
    q: &NodeQuery,
) -> Result<Option<Picker>, StoreError> {
    if scope.school.is_some() {
        return Ok(None);
    }
    let below = match &scope.region {
        Some(root) => regions::children(conn, scope, Some(root))?,
        None => Vec::new(),
    };
    let regions = below
        .into_iter()
        .filter(|r| r.level != RegionLevel::Village.code())
        .map(|r| Choice {
            selected: r.code == q.region.trim(),
            value: r.code,
            label: r.name,
        })
        .collect();
    let schools = schools::list(conn, scope, &Default::default())?
        .into_iter()
        .map(|s| Choice {
            selected: s.id.to_string() == q.school.trim(),
            value: s.id.to_string(),
            label: s.name,
        })
        .collect();
    Ok(Some(Picker { regions, schools }))
}

#[derive(Template)]
#[template(path = "dropout_home.html")]
struct HomePage {
    t: Tr,
    frame: Frame,
    panel: Panel,
    node_qs: String,
    picker: Option<Picker>,
    takes_roll_call: bool,
    /// Bureau and administrators edit the county's settings.
    edits_settings: bool,
}

/// `GET /dropout[?region=|school=]`: the node's figures and the ways into dropout work.
async fn home(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Query(q): Query<NodeQuery>,
) -> AppResult<Response> {
    refuse_volunteers(&user)?;
    let node = q.node()?;
    let scope = user.scope.clone();
    let q2 = q.clone();
    let (panel, picker) = state
        .store
        .run(move |conn| {
            let panel = panel(conn, &scope, node.as_ref(), today_shanghai())?;
            Ok((panel, picker(conn, &scope, &q2)?))
        })
        .await?;
    let page = HomePage {
        frame: Frame::for_user(&user),
        panel,
        node_qs: q.node_qs(),
        picker,
        takes_roll_call: matches!(
            user.scope.role,
            Role::HeadTeacher | Role::Teacher | Role::Principal
        ),
        edits_settings: matches!(user.scope.role, Role::Bureau | Role::SystemAdmin),
        t,
    };
    Ok(render(page)?.into_response())
}

/// One ledger line as the page shows it.
struct Line {
    row: LedgerRow,
    attempts: Vec<String>,
}

#[derive(Template)]
#[template(path = "dropout_ledger.html")]
struct LedgerPage {
    t: Tr,
    frame: Frame,
    kind: String,
    title: String,
    node_name: String,
    node_qs: String,
    node_key: String,
    node_value: String,
    today: String,
    sensitive: bool,
    lines: Vec<Line>,
    can_reveal: bool,
    purpose: String,
    error: Option<String>,
}

fn title_key(kind: LedgerKind) -> &'static str {
    match kind {
        LedgerKind::Suspected => "ledger.title.suspected",
        LedgerKind::DroppedOut => "ledger.title.dropped_out",
    }
}

fn ledger_page(
    t: Tr,
    user: &PageUser,
    q: &NodeQuery,
    ledger: Ledger,
    error: Option<String>,
) -> LedgerPage {
    let lines = ledger
        .rows
        .into_iter()
        .map(|row| Line {
            attempts: row
                .attempts
                .iter()
                .map(|a| sheet::attempt_line(&sheet_attempt(a)))
                .collect(),
            row,
        })
        .collect();
    LedgerPage {
        frame: Frame::for_user(user),
        kind: ledger.kind.code().to_owned(),
        title: t.t(title_key(ledger.kind)).to_owned(),
        node_name: ledger.node_name,
        node_qs: q.node_qs(),
        node_key: q.node_pair().0,
        node_value: q.node_pair().1,
        today: today_shanghai().to_string(),
        sensitive: ledger.sensitive,
        lines,
        can_reveal: may_reveal(user.scope.role),
        purpose: q.purpose.clone(),
        error,
        t,
    }
}

/// What a refused reveal or export says on the page, or `None` for other errors.
fn refusal(t: &Tr, e: &StoreError) -> Option<(StatusCode, String)> {
    match e {
        StoreError::Invalid { code, .. } => {
            Some((StatusCode::UNPROCESSABLE_ENTITY, t.t(code).to_owned()))
        }
        StoreError::Forbidden(key) if *key != "dropout.ledger" => Some((
            StatusCode::FORBIDDEN,
            t.t(&format!("denied.{key}")).to_owned(),
        )),
        _ => None,
    }
}

async fn load_ledger(
    state: &AppState,
    scope: Scope,
    query: LedgerQuery,
) -> Result<Ledger, StoreError> {
    let key = state.store.key();
    state
        .store
        .run(move |conn| shouhu_store::dropout::ledgers::ledger_rows(conn, &scope, &key, &query))
        .await
}

/// The ledger again, masked, saying why the reveal or export was refused.
async fn refused(
    state: &AppState,
    t: Tr,
    user: &PageUser,
    q: &NodeQuery,
    kind: LedgerKind,
    node: Option<Node>,
    e: StoreError,
) -> AppResult<Response> {
    let Some((status, text)) = refusal(&t, &e) else {
        return Err(e.into());
    };
    let query = LedgerQuery {
        kind,
        node,
        sensitive: false,
        purpose: String::new(),
        export: None,
    };
    let ledger = load_ledger(state, user.scope.clone(), query).await?;
    let page = ledger_page(t, user, q, ledger, Some(text));
    Ok((status, render(page)?).into_response())
}

/// `GET /dropout/ledger?kind=suspected|dropped_out[&region=|school=][&sensitive=1&purpose=]`.
async fn ledger(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Query(q): Query<NodeQuery>,
) -> AppResult<Response> {
    refuse_volunteers(&user)?;
    let (kind, node) = (q.kind()?, q.node()?);
    let query = LedgerQuery {
        kind,
        node: node.clone(),
        sensitive: !q.sensitive.is_empty(),
        purpose: q.purpose.clone(),
        export: None,
    };
    match load_ledger(&state, user.scope.clone(), query).await {
        Ok(ledger) => Ok(render(ledger_page(t, &user, &q, ledger, None))?.into_response()),
        Err(e) => refused(&state, t, &user, &q, kind, node, e).await,
    }
}

fn sheet_attempt(a: &shouhu_store::dropout::ledgers::LedgerAttempt) -> sheet::LedgerAttempt {
    sheet::LedgerAttempt {
        date: a.date.clone(),
        method: a.method.clone(),
        people: a.people.clone(),
        met: a.met.clone(),
        outcome: a.outcome.clone(),
    }
}

fn sheet_row(r: LedgerRow) -> sheet::LedgerRow {
    sheet::LedgerRow {
        attempts: r.attempts.iter().map(sheet_attempt).collect(),
        name: r.name,
        sex: r.sex,
        birth_date: r.birth_date,
        school: r.school,
        grade: r.grade,
        class: r.class,
        father: r.father,
        mother: r.mother,
        guardian: r.guardian,
        address: r.address,
        phone: r.phone,
        since: r.since,
        opened_on: r.opened_on,
        reason: r.reason,
        state: r.state,
        owner: r.owner,
    }
}

/// Builds the ledger (audited as an export with its purpose) and writes it as an xlsx
/// download; shared with the API.
pub(crate) async fn xlsx_response(
    state: &AppState,
    scope: Scope,
    kind: LedgerKind,
    node: Option<Node>,
    sensitive: bool,
    purpose: String,
) -> Result<Response, StoreError> {
    let query = LedgerQuery {
        kind,
        node,
        sensitive,
        purpose,
        export: Some("xlsx"),
    };
    let ledger = load_ledger(state, scope, query).await?;
    let today = today_shanghai();
    let title = kind.title_zh();
    let mut bytes = std::io::Cursor::new(Vec::new());
    let count = ledger.rows.len();
    sheet::write_ledger(
        match kind {
            LedgerKind::Suspected => sheet::LedgerKind::Suspected,
            LedgerKind::DroppedOut => sheet::LedgerKind::DroppedOut,
        },
        &ledger.node_name,
        &today.to_string(),
        ledger.rows.into_iter().map(sheet_row),
        &mut bytes,
    )
    .map_err(|e| StoreError::Internal(format!("ledger xlsx: {e}")))?;
    let name = format!("{}{title}-{today}.xlsx", ledger.node_name);
    let ascii = format!("dropout-ledger-{}-{today}.xlsx", kind.code());
    let mut response = xlsx_download(bytes.into_inner(), &name, &ascii);
    response.headers_mut().insert("x-ledger-rows", count.into());
    Ok(response)
}

/// `GET /dropout/ledger.xlsx?kind=…[&region=|school=][&sensitive=1&purpose=…]`.
async fn ledger_xlsx(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Query(q): Query<NodeQuery>,
) -> AppResult<Response> {
    refuse_volunteers(&user)?;
    let (kind, node) = (q.kind()?, q.node()?);
    let sensitive = !q.sensitive.is_empty();
    match xlsx_response(
        &state,
        user.scope.clone(),
        kind,
        node.clone(),
        sensitive,
        q.purpose.clone(),
    )
    .await
    {
        Ok(response) => Ok(response),
        Err(e) => refused(&state, t, &user, &q, kind, node, e).await,
    }
}

/// A report as the page lists it.
struct ReportLine {
    school_id: i64,
    school: String,
    submitted_by: String,
    submitted_at: String,
    signed: bool,
    signed_by: String,
    figures: Option<Panel>,
    note: String,
}

fn instant(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&shanghai())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

impl From<ReportRow> for ReportLine {
    fn from(r: ReportRow) -> Self {
        Self {
            school_id: r.school_id,
            school: r.school,
            submitted_by: r.submitted_by,
            submitted_at: instant(r.submitted_at),
            signed: r.signed,
            signed_by: r.signed_by.unwrap_or_default(),
            figures: r.figures,
            note: r.note.unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "dropout_report.html")]
struct ReportPage {
    t: Tr,
    frame: Frame,
    month: String,
    months: Vec<Choice>,
    node_qs: String,
    node_key: String,
    node_value: String,
    /// A school user's (or one chosen school's) own report and what they may do.
    school_id: Option<i64>,
    own: Option<ReportLine>,
    may_submit: bool,
    may_sign: bool,
    /// Above a school: who reported, who did not.
    reports: Vec<ReportLine>,
    missing: Vec<SchoolRef>,
    note: String,
    error: Option<String>,
    done: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Done {
    done: String,
}

async fn report_page(
    state: &AppState,
    t: Tr,
    user: &PageUser,
    q: &NodeQuery,
    error: Option<(StatusCode, String)>,
    done: String,
) -> AppResult<Response> {
    refuse_volunteers(user)?;
    let today = today_shanghai();
    let month = q.month(today)?;
    let node = q.node()?;
    let school_id = match (&node, user.scope.school) {
        (Some(Node::School(id)), _) => Some(*id),
        (None, Some(id)) => Some(id),
        _ => None,
    };
    let scope = user.scope.clone();
    let (own, reports, missing) = state
        .store
        .run(move |conn| {
            if let Some(id) = school_id {
                return Ok((report_of(conn, &scope, id, month)?, Vec::new(), Vec::new()));
            }
            let reports = reports_for(conn, &scope, node.as_ref(), month)?;
            let missing = missing_reports(conn, &scope, node.as_ref(), month)?;
            Ok((None, reports, missing))
        })
        .await?;
    let principal_here =
        user.scope.role == Role::Principal && school_id.is_some() && user.scope.school == school_id;
    let locked = own.as_ref().is_some_and(|r| r.signed);
    let mut months = Vec::new();
    let mut m = ReportMonth::of(today);
    for _ in 0..12 {
        months.push(Choice {
            selected: m == month,
            value: m.to_string(),
            label: m.to_string(),
        });
        m = m.previous();
    }
    let (status, error) = match error {
        Some((s, text)) => (s, Some(text)),
        None => (StatusCode::OK, None),
    };
    let page = ReportPage {
        frame: Frame::for_user(user),
        month: month.to_string(),
        months,
        node_qs: q.node_qs(),
        node_key: q.node_pair().0,
        node_value: q.node_pair().1,
        school_id,
        may_submit: principal_here && !locked,
        may_sign: principal_here && !locked && own.is_some(),
        own: own.map(ReportLine::from),
        reports: reports.into_iter().map(ReportLine::from).collect(),
        missing,
        note: String::new(),
        error,
        done,
        t,
    };
    Ok((status, render(page)?).into_response())
}

/// `GET /dropout/reports?month=YYYY-MM[&region=|school=]`.
async fn reports(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Query(q): Query<NodeQuery>,
    Query(done): Query<Done>,
) -> AppResult<Response> {
    report_page(&state, t, &user, &q, None, done.done).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReportForm {
    month: String,
    note: String,
    /// `submit` or `sign`.
    action: String,
}

/// `POST /dropout/reports`: the principal submits the month's figures, or signs them.
async fn report_action(
    State(state): State<AppState>,
    t: Tr,
    CsrfForm { user, form }: CsrfForm<ReportForm>,
) -> AppResult<Response> {
    refuse_volunteers(&user)?;
    let Some(school_id) = user.scope.school else {
        return Err(AppError::forbidden("denied.dropout.report"));
    };
    let Ok(month) = ReportMonth::parse(&form.month) else {
        return Err(AppError::invalid_field("month", "dropout.month"));
    };
    let scope = user.scope.clone();
    let sign = form.action == "sign";
    let note = form.note.clone();
    let result = state
        .store
        .run(move |conn| {
            if sign {
                sign_report(conn, &scope, school_id, month)
            } else {
                submit_report(conn, &scope, school_id, month, &note, today_shanghai())
            }
        })
        .await;
    let q = NodeQuery {
        month: month.to_string(),
        ..NodeQuery::default()
    };
    match result {
        Ok(_) => {
            let done = if sign { "signed" } else { "submitted" };
            Ok(
                Redirect::to(&format!("/dropout/reports?month={month}&done={done}"))
                    .into_response(),
            )
        }
        Err(e) => match refusal(&t, &e) {
            Some(refused) => report_page(&state, t, &user, &q, Some(refused), String::new()).await,
            None => Err(e.into()),
        },
    }
}
