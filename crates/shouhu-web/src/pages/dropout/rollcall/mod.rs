//! Roll call pages (点名): `/rollcall` lists the caller's classes with the day's status and a
//! date picker; `/rollcall/{class_id}/{day}` is the phone-first sheet, one tap per absent
//! child, submitted (or corrected) with one button; `/rollcall/upload` enters absences in bulk
//! from a 缺勤登记表, all or nothing; `/rollcall/template.xlsx` is its blank sheet.

mod sheet;
pub(crate) mod upload;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, NaiveDate};
use serde::Deserialize;
use shouhu_domain::{Role, SchoolYear, today_shanghai};
use shouhu_store::{Scope, classes, dropout};

use crate::auth::PageUser;
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::state::AppState;

/// The largest absence sheet taken, in bytes.
pub(crate) const MAX_SHEET: usize = 5 * 1024 * 1024;
/// Room for the form's other fields and the multipart framing around the file.
const FORM_SLACK: usize = 64 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/rollcall", get(index))
        .route(
            "/rollcall/upload",
            get(upload::form)
                .post(upload::upload)
                .layer(DefaultBodyLimit::max(MAX_SHEET + FORM_SLACK)),
        )
        .route("/rollcall/template.xlsx", get(upload::template))
        .route(
            "/rollcall/{class_id}/{day}",
            get(sheet::show).post(sheet::submit),
        )
}

/// The roles that call the roll: school staff (the store also lets a system admin).
pub(crate) fn takes_roll(role: Role) -> bool {
    matches!(role, Role::Principal | Role::HeadTeacher | Role::Teacher)
}

/// The school whose roll the caller takes; others are refused.
pub(crate) fn own_school(scope: &Scope) -> AppResult<i64> {
    match scope.school {
        Some(id) if takes_roll(scope.role) => Ok(id),
        _ => Err(AppError::forbidden("denied.roll_call.submit")),
    }
}

/// The catalog key of a store refusal code: the store's generic text codes get the roll
/// call's own wording (they can only be about the reason there).
pub(crate) fn refusal_key(code: &str) -> &str {
    match code {
        "dropout.too_long" => "rollcall.reason_too_long",
        "dropout.character" => "rollcall.reason_character",
        "dropout.required" => "rollcall.required",
        other => other,
    }
}

/// `YYYY-MM-DD`, else nothing.
pub(crate) fn parse_day(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok()
}

/// A stored instant in Beijing time (UTC+8, no daylight saving), to the minute.
fn beijing(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms + 8 * 3_600_000)
        .map(|at| at.naive_utc().format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// One class on the list.
struct ClassRow {
    name: String,
    href: String,
    submitted: bool,
    absent: usize,
    pupils: usize,
    submitted_by: Option<String>,
}

#[derive(Template)]
#[template(path = "rollcall_index.html")]
struct IndexPage {
    t: Tr,
    frame: Frame,
    day: String,
    today: String,
    is_today: bool,
    /// `None` when the caller has no class that year (nothing to judge the calendar by).
    school_day: Option<bool>,
    classes: Vec<ClassRow>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DayQuery {
    day: Option<String>,
}

/// `GET /rollcall?day=YYYY-MM-DD`: the caller's classes of the school year, with the day's
/// roll call submitted or not.
async fn index(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Query(q): Query<DayQuery>,
) -> AppResult<Response> {
    let school = own_school(&user.scope)?;
    let today = today_shanghai();
    let day = match q.day.as_deref().filter(|d| !d.trim().is_empty()) {
        None => today,
        Some(raw) => parse_day(raw).ok_or_else(|| AppError::bad_request("rollcall.bad_day"))?,
    };
    if day > today {
        return Err(AppError::bad_request("roll_call.future_day"));
    }
    let scope = user.scope.clone();
    let sheets = state
        .store
        .run(move |conn| {
            let year = SchoolYear::containing(day).start_year();
            let list = classes::list(conn, &scope, school)?;
            let mut sheets = Vec::new();
            for c in list.into_iter().filter(|c| c.class.school_year == year) {
                sheets.push(dropout::class_sheet(conn, &scope, c.class.id, day)?);
            }
            Ok(sheets)
        })
        .await?;
    let school_day = sheets.first().map(|s| s.is_school_day);
    let classes = sheets
        .into_iter()
        .map(|s| ClassRow {
            href: format!("/rollcall/{}/{}", s.class_id, s.day),
            submitted: s.version > 0,
            absent: s.children.iter().filter(|c| c.absence.is_some()).count(),
            pupils: s.children.len(),
            submitted_by: s.submitted_by,
            name: s.class_name,
        })
        .collect();
    let page = IndexPage {
        frame: Frame::for_user(&user),
        day: day.to_string(),
        today: today.to_string(),
        is_today: day == today,
        school_day,
        classes,
        t,
    };
    Ok(render(page)?.into_response())
}

#[cfg(test)]
mod tests {
    use crate::i18n::{Catalog, Locale};

    /// Keys written in this module's Rust code (the template test covers the templates).
    #[test]
    fn every_key_used_in_the_handlers_exists() {
        let catalog = Catalog::load().unwrap();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/pages/dropout/rollcall");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for piece in text.split('\u{22}').skip(1).step_by(2) {
                let is_key = [
                    "rollcall.",
                    "roll_call.",
                    "denied.roll_call.",
                    "absence_kind.",
                ]
                .iter()
                .any(|p| piece.starts_with(p))
                    && !piece.contains(' ')
                    && !piece.contains('{')
                    && !piece.ends_with('.');
                if is_key && catalog.text(Locale::ZhCn, piece) == piece {
                    missing.push(piece.to_owned());
                }
            }
        }
        assert!(missing.is_empty(), "keys missing: {missing:?}");
    }

    #[test]
    fn instants_show_in_beijing_time() {
        assert_eq!(super::beijing(1_795_000_000_123), "2026-11-18 19:06");
    }
}
