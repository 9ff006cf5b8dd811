//! Persuasion cases (劝返): the list of cases in reach (`/dropout/cases`), one case with its
//! history, attempts, ladder and forms (`/dropout/cases/{id}`), and the 劝返通知书 to print.
//! The store opens, follows and closes cases; these pages lay them out and post the forms.

mod notice;
mod show;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use shouhu_domain::{CaseClosure, EnrolmentState, Role};
use shouhu_store::dropout::{self, CaseFilter, CaseHead};
use shouhu_store::{Conn, Scope, StoreResult, children, schools};

use crate::auth::PageUser;
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::pages::places::Choice;
use crate::state::AppState;

pub(crate) use notice::notice_pdf;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dropout/cases", get(list))
        .route("/dropout/cases/{id}", get(show::show))
        .route("/dropout/cases/{id}/attempts", post(show::attempt))
        .route("/dropout/cases/{id}/reason", post(show::reason))
        .route("/dropout/cases/{id}/return", post(show::return_child))
        .route("/dropout/cases/{id}/decision", post(show::decide))
        .route("/dropout/cases/{id}/notice.pdf", get(notice::download))
}

/// Everyone but volunteers works on cases; the store limits each to their reach.
pub(crate) fn may_see_cases(role: Role) -> bool {
    role != Role::Volunteer
}

pub(crate) fn require_cases(scope: &Scope) -> AppResult<()> {
    if may_see_cases(scope.role) {
        Ok(())
    } else {
        Err(AppError::forbidden("denied.dropout.case"))
    }
}

/// Ids in paths are numbers; anything else is simply not there.
fn parse_id(raw: &str) -> AppResult<i64> {
    raw.parse().map_err(|_| AppError::not_found())
}

fn state_label(t: &Tr, code: &str) -> String {
    EnrolmentState::parse(code).map_or_else(|_| code.to_owned(), |s| t.t(s.label_key()).to_owned())
}

fn closure_label(t: &Tr, code: &str) -> String {
    CaseClosure::parse(code).map_or_else(|_| code.to_owned(), |c| t.t(c.label_key()).to_owned())
}

/// A case as the list and the API show it: its head with the child's and school's names.
#[derive(Clone, Debug)]
pub(crate) struct CaseRow {
    pub head: CaseHead,
    pub child_name: String,
    pub school_name: String,
    pub class_name: String,
}

/// Cases in reach with their names. The names come from each child's list row, which is
/// not a view of the file (not audited); a handed-over case whose child lies outside the
/// caller's schools shows the school's public name only.
pub(crate) fn case_rows(
    conn: &mut Conn,
    scope: &Scope,
    filter: &CaseFilter,
) -> StoreResult<Vec<CaseRow>> {
    let heads = dropout::list_cases(conn, scope, filter)?;
    let mut rows = Vec::with_capacity(heads.len());
    for head in heads {
        let (child_name, school_name, class_name) =
            match children::summary_of(conn, scope, head.child_id) {
                Ok(s) => (s.name, s.school_name, s.class_name.unwrap_or_default()),
                Err(shouhu_store::StoreError::NotFound) => (
                    String::from("—"),
                    schools::public_name(conn, head.school_id)?,
                    String::new(),
                ),
                Err(e) => return Err(e),
            };
        rows.push(CaseRow {
            head,
            child_name,
            school_name,
            class_name,
        });
    }
    Ok(rows)
}

#[derive(Debug)]
struct ListRow {
    id: i64,
    child_name: String,
    school_name: String,
    class_name: String,
    opened_on: String,
    state: String,
    open: bool,
    closed: String,
    reason: String,
    attempts: usize,
    /// The ladder's next step (method · responsible role), empty when none is left.
    next_step: String,
    due: String,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "dropout_case_list.html")]
struct ListPage {
    t: Tr,
    frame: Frame,
    rows: Vec<ListRow>,
    opens: Vec<Choice>,
    states: Vec<Choice>,
    schools: Vec<Choice>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    open: Option<String>,
    state: Option<String>,
    school: Option<String>,
}

fn choice(value: &str, label: String, current: &str) -> Choice {
    Choice {
        value: value.to_owned(),
        label,
        selected: value == current,
    }
}

/// `GET /dropout/cases`: open cases first by default; filters for open/closed, state, school.
async fn list(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    require_cases(&user.scope)?;
    let open_q = q.open.unwrap_or_else(|| "open".to_owned());
    let state_q = q.state.unwrap_or_default();
    let school_q = q.school.unwrap_or_default();
    let filter = CaseFilter {
        open: match open_q.as_str() {
            "open" => Some(true),
            "closed" => Some(false),
            _ => None,
        },
        state: EnrolmentState::parse(&state_q)
            .ok()
            .filter(|s| s.has_open_case()),
        school_id: school_q.parse().ok(),
        region: None,
        limit: Some(300),
    };
    let scope = user.scope.clone();
    let (rows, mut progress, school_list) = state
        .store
        .run(move |conn| {
            let rows = case_rows(conn, &scope, &filter)?;
            let heads: Vec<_> = rows.iter().map(|r| r.head.clone()).collect();
            let progress = dropout::progress_of(conn, &heads, shouhu_domain::today_shanghai())?;
            let school_list = if scope.school.is_none() {
                schools::list(conn, &scope, &schools::SchoolFilter::default())?
                    .into_iter()
                    .map(|s| (s.id, s.name))
                    .collect()
            } else {
                Vec::new()
            };
            Ok((rows, progress, school_list))
        })
        .await?;
    let rows = rows
        .into_iter()
        .map(|r| {
            let p = progress.remove(&r.head.id);
            let next = p.as_ref().and_then(|p| p.next_step);
            ListRow {
                attempts: p.as_ref().map_or(0, |p| p.attempts),
                next_step: next.map_or_else(String::new, |(method, role, _)| {
                    format!("{} · {}", t.t(method.label_key()), t.t(role.label_key()))
                }),
                due: next.map_or_else(String::new, |(_, _, due)| due.to_string()),
                overdue: p.is_some_and(|p| p.overdue),
                id: r.head.id,
                child_name: r.child_name,
                school_name: r.school_name,
                class_name: r.class_name,
                opened_on: r.head.opened_on,
                state: state_label(&t, &r.head.state),
                open: r.head.closed_on.is_none(),
                closed: match (&r.head.closed_on, &r.head.closure) {
                    (Some(on), Some(how)) => format!("{on} {}", closure_label(&t, how)),
                    (Some(on), None) => on.clone(),
                    _ => String::new(),
                },
                reason: r
                    .head
                    .leave_reason
                    .as_deref()
                    .and_then(|c| shouhu_domain::LeaveReason::parse(c).ok())
                    .map(|l| t.t(l.label_key()).to_owned())
                    .unwrap_or_default(),
            }
        })
        .collect();
    let opens = vec![
        choice("open", t.t("dropout_case.filter_open").to_owned(), &open_q),
        choice(
            "closed",
            t.t("dropout_case.filter_closed").to_owned(),
            &open_q,
        ),
        choice("all", t.t("dropout_case.filter_all").to_owned(), &open_q),
    ];
    let mut states = vec![choice(
        "",
        t.t("dropout_case.any_state").to_owned(),
        &state_q,
    )];
    for s in [EnrolmentState::Suspected, EnrolmentState::DroppedOut] {
        states.push(choice(s.code(), t.t(s.label_key()).to_owned(), &state_q));
    }
    let mut schools = Vec::new();
    if !school_list.is_empty() {
        schools.push(choice(
            "",
            t.t("dropout_case.any_school").to_owned(),
            &school_q,
        ));
        for (id, name) in school_list {
            schools.push(choice(&id.to_string(), name, &school_q));
        }
    }
    let page = ListPage {
        frame: Frame::for_user(&user),
        rows,
        opens,
        states,
        schools,
        t,
    };
    Ok(render(page)?.into_response())
}
