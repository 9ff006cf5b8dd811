//! A class's roll-call sheet for a day: one row per child with 到/病假/事假/旷课 as a segmented
//! radio group (到 checked by default, so one tap marks a child absent with its kind) and an
//! optional reason; one submit button, also with nobody absent. The post redirects back to
//! the sheet with what was done (post/redirect/get); a stale form answers 409 with the sheet
//! as it now stands.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Days, NaiveDate};
use serde::Deserialize;
use shouhu_domain::{AbsenceKind, EnrolmentState, today_shanghai};
use shouhu_store::StoreError;
use shouhu_store::dropout::{self, AbsenceInput, RollCallSheet, RollCallSubmit};

use super::{beijing, own_school, parse_day, refusal_key};
use crate::auth::{CsrfForm, PageUser};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::pages::places::Posted;
use crate::state::AppState;

/// Unexcused days running from which a child's row carries a warning.
const STREAK_WARNING: u32 = 3;

/// The choices of a row, in the order they are offered; `present` is 到.
const CHOICES: [&str; 4] = ["present", "sick", "personal", "unexcused"];

pub struct Choice {
    pub code: &'static str,
    pub label: String,
}

pub struct Row {
    pub child_id: i64,
    pub name: String,
    /// One of [`CHOICES`].
    pub choice: String,
    pub reason: String,
    /// Warnings beside the name (疑似辍学, 辍学, 连续旷课 N 天).
    pub badges: Vec<String>,
}

impl Row {
    pub fn absent(&self) -> bool {
        self.choice != "present"
    }
}

#[derive(Template)]
#[template(path = "rollcall_sheet.html")]
struct SheetPage {
    t: Tr,
    frame: Frame,
    class_name: String,
    day: String,
    action: String,
    index_href: String,
    prev_href: String,
    next_href: Option<String>,
    is_school_day: bool,
    choices: Vec<Choice>,
    rows: Vec<Row>,
    version: i32,
    /// (who, when) once submitted.
    submitted: Option<(String, String)>,
    notice: Option<String>,
    error: Option<String>,
    /// The button's text for the absences shown, and its pattern for the page's script.
    button: String,
    button_pattern: String,
}

/// `?done=submitted&absent=2`, read after the redirect.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    done: Option<String>,
    absent: Option<usize>,
}

/// What a post chose per child: (choice, reason as typed).
type Picked = BTreeMap<i64, (String, String)>;

fn choice_label(t: &Tr, code: &str) -> String {
    match AbsenceKind::parse(code) {
        Ok(kind) => t.t(kind.label_key()).to_owned(),
        Err(_) => t.t("rollcall.present").to_owned(),
    }
}

fn rows_of(t: &Tr, sheet: &RollCallSheet, picked: Option<&Picked>) -> Vec<Row> {
    sheet
        .children
        .iter()
        .map(|c| {
            let (choice, reason) = match picked.and_then(|p| p.get(&c.child_id)) {
                Some((choice, reason)) => (choice.clone(), reason.clone()),
                None => (
                    c.absence.map_or("present", |k| k.code()).to_owned(),
                    c.reason.clone().unwrap_or_default(),
                ),
            };
            let mut badges = Vec::new();
            if matches!(
                c.state,
                EnrolmentState::Suspected | EnrolmentState::DroppedOut
            ) {
                badges.push(t.t(c.state.label_key()).to_owned());
            }
            if c.streak >= STREAK_WARNING {
                badges.push(t.t("rollcall.streak").replace("{n}", &c.streak.to_string()));
            }
            Row {
                child_id: c.child_id,
                name: c.name.clone(),
                choice: if CHOICES.contains(&choice.as_str()) {
                    choice
                } else {
                    "present".to_owned()
                },
                reason,
                badges,
            }
        })
        .collect()
}

/// The sheet as a page, with what a refused post chose (`picked`) over what is stored.
fn page(
    t: Tr,
    user: &PageUser,
    sheet: &RollCallSheet,
    picked: Option<&Picked>,
    notice: Option<String>,
    error: Option<String>,
) -> SheetPage {
    let rows = rows_of(&t, sheet, picked);
    let absent = rows.iter().filter(|r| r.absent()).count();
    let button_pattern = t
        .t(if sheet.version > 0 {
            "rollcall.submit_correction"
        } else {
            "rollcall.submit"
        })
        .to_owned();
    let today = today_shanghai();
    let link = |d: NaiveDate| format!("/rollcall/{}/{d}", sheet.class_id);
    SheetPage {
        frame: Frame::for_user(user),
        class_name: sheet.class_name.clone(),
        day: sheet.day.to_string(),
        action: link(sheet.day),
        index_href: format!("/rollcall?day={}", sheet.day),
        prev_href: sheet
            .day
            .checked_sub_days(Days::new(1))
            .map_or_else(|| link(sheet.day), link),
        next_href: sheet
            .day
            .checked_add_days(Days::new(1))
            .filter(|d| *d <= today)
            .map(link),
        is_school_day: sheet.is_school_day,
        choices: CHOICES
            .iter()
            .map(|code| Choice {
                code,
                label: choice_label(&t, code),
            })
            .collect(),
        rows,
        version: sheet.version,
        submitted: match (&sheet.submitted_by, sheet.submitted_at) {
            (Some(by), Some(at)) if sheet.version > 0 => Some((by.clone(), beijing(at))),
            (None, Some(at)) if sheet.version > 0 => Some((String::new(), beijing(at))),
            _ => None,
        },
        notice,
        error,
        button: button_pattern.replace("{n}", &absent.to_string()),
        button_pattern,
        t,
    }
}

/// The class id and the day of the path; a future day is refused.
fn target(raw: &(String, String)) -> AppResult<(i64, NaiveDate)> {
    let class_id: i64 = raw.0.parse().map_err(|_| AppError::not_found())?;
    let day = parse_day(&raw.1).ok_or_else(AppError::not_found)?;
    if day > today_shanghai() {
        return Err(AppError::bad_request("roll_call.future_day"));
    }
    Ok((class_id, day))
}

async fn load(
    state: &AppState,
    user: &PageUser,
    class_id: i64,
    day: NaiveDate,
) -> AppResult<RollCallSheet> {
    let scope = user.scope.clone();
    Ok(state
        .store
        .run(move |conn| dropout::class_sheet(conn, &scope, class_id, day))
        .await?)
}

/// `GET /rollcall/{class_id}/{day}`.
pub async fn show(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<(String, String)>,
    Query(q): Query<DoneQuery>,
) -> AppResult<Response> {
    own_school(&user.scope)?;
    let (class_id, day) = target(&raw)?;
    let sheet = load(&state, &user, class_id, day).await?;
    let key = match q.done.as_deref() {
        Some("submitted") => Some("rollcall.done.submitted"),
        Some("corrected") => Some("rollcall.done.corrected"),
        Some("unchanged") => Some("rollcall.done.unchanged"),
        _ => None,
    };
    let notice = key.map(|k| {
        t.t(k)
            .replace("{n}", &q.absent.unwrap_or_default().to_string())
    });
    let page = page(t, &user, &sheet, None, notice, None);
    Ok(render(page)?.into_response())
}

/// `POST /rollcall/{class_id}/{day}`: fields `version`, `k{child_id}` (one of [`CHOICES`]) and
/// `r{child_id}` (the reason, taken only for an absent child).
pub async fn submit(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<(String, String)>,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    own_school(&user.scope)?;
    let (class_id, day) = target(&raw)?;
    let posted = Posted::new(form.clone());
    let version: i32 = posted
        .get("version")
        .parse()
        .map_err(|_| AppError::bad_request("error.bad_form"))?;
    let mut picked = Picked::new();
    let mut absences = Vec::new();
    let mut bad_kind = false;
    for (name, value) in &form {
        let Some(child_id) = name.strip_prefix('k').and_then(|id| id.parse::<i64>().ok()) else {
            continue;
        };
        let value = value.trim();
        let reason = posted.get(&format!("r{child_id}"));
        picked.insert(child_id, (value.to_owned(), reason.clone()));
        if value == "present" {
            continue;
        }
        match AbsenceKind::parse(value) {
            Ok(kind) => absences.push(AbsenceInput {
                child_id,
                kind,
                reason: Some(reason).filter(|r| !r.is_empty()),
            }),
            Err(_) => bad_kind = true,
        }
    }
    let (status, error, picked) = if bad_kind {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "absence_kind.unknown".to_owned(),
            Some(picked),
        )
    } else {
        let absent = absences.len();
        let scope = user.scope.clone();
        let input = RollCallSubmit {
            class_id,
            day,
            absences,
            version,
        };
        let saved = state
            .store
            .run(move |conn| Ok(dropout::submit(conn, &scope, &input, today_shanghai())))
            .await?;
        match saved {
            Ok(done) => {
                let what = if done.unchanged && version > 0 {
                    "unchanged"
                } else if version > 0 {
                    "corrected"
                } else {
                    "submitted"
                };
                let to = format!("/rollcall/{class_id}/{day}?done={what}&absent={absent}");
                return Ok(Redirect::to(&to).into_response());
            }
            // Someone submitted or corrected meanwhile: show what is stored now.
            Err(StoreError::Conflict { .. }) => {
                (StatusCode::CONFLICT, "rollcall.conflict".to_owned(), None)
            }
            Err(StoreError::Invalid { code, .. }) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                refusal_key(code).to_owned(),
                Some(picked),
            ),
            Err(e) => return Err(e.into()),
        }
    };
    let sheet = load(&state, &user, class_id, day).await?;
    let message = t.t(&error).to_owned();
    let page = page(t, &user, &sheet, picked.as_ref(), None, Some(message));
    Ok((status, render(page)?).into_response())
}
