//! School calendar (校历) pages: the calendars in the user's reach and where each school's comes
//! from; a printable month grid of a year; the edit form (fixed rows, "add row" without
//! JavaScript); a calendar sheet uploaded in place of the form; a school's own calendar removed.
//!
//! An owner is named in the query, `?region=CODE` or `?school=ID`, with `&year=2026-2027`.

mod grid;

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use shouhu_domain::{
    Calendar, Holiday, MakeUpDay, RegionCode, Role, SchoolYear, Term, today_shanghai,
};
use shouhu_roster::ReadError;
use shouhu_roster::calendar_sheet::{self, CalendarSheetError};
use shouhu_store::calendars::{self, Effective, Owner, Source};
use shouhu_store::{Conn, Scope, StoreError, StoreResult, regions, schools};

use crate::auth::{CsrfForm, PageUser, constant_time_eq};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::pages::notice_key;
use crate::pages::places::{ConfirmPage, FieldErrors, Posted};
use crate::pages::rosters::xlsx_download;
use crate::state::AppState;

use grid::Month;

/// A calendar sheet is a few dozen lines; anything near this is not one.
const MAX_SHEET: usize = 2 * 1024 * 1024;
/// Blank rows offered under the filled ones, and the most rows a form may grow to.
const SPARE_ROWS: usize = 2;
const MAX_ROWS: usize = 60;
const NAME_MAX: usize = 30;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/calendars", get(list))
        .route("/calendars/show", get(show))
        .route("/calendars/edit", get(edit_form).post(save))
        .route(
            "/calendars/upload",
            axum::routing::post(upload).layer(DefaultBodyLimit::max(MAX_SHEET + 64 * 1024)),
        )
        .route("/calendars/template.xlsx", get(template))
        .route("/calendars/delete", get(confirm_delete).post(delete))
}

/// Roles that see the calendar menu: those who set calendars.
pub fn in_menu(role: Role) -> bool {
    role.edits_school_calendar()
}

/// `?region=…|school=…&year=…` as sent.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct OwnerQuery {
    region: String,
    school: String,
    year: String,
    done: Option<String>,
}

impl OwnerQuery {
    fn year(&self) -> AppResult<SchoolYear> {
        year_or_current(&self.year)
    }

    fn owner(&self) -> AppResult<Owner> {
        match (self.region.trim(), self.school.trim()) {
            (region, "") if !region.is_empty() => RegionCode::parse(region)
                .map(Owner::Region)
                .map_err(|_| AppError::not_found()),
            ("", school) => school
                .parse()
                .map(Owner::School)
                .map_err(|_| AppError::not_found()),
            _ => Err(AppError::not_found()),
        }
    }
}

fn year_or_current(raw: &str) -> AppResult<SchoolYear> {
    match raw.trim() {
        "" => Ok(SchoolYear::containing(today_shanghai())),
        raw => SchoolYear::parse(raw).map_err(|_| AppError::not_found()),
    }
}

/// `region=520502000000&year=2026-2027`, for links to the owner's other pages.
fn query_of(owner: &Owner, year: SchoolYear) -> String {
    match owner {
        Owner::Region(code) => format!("region={code}&year={year}"),
        Owner::School(id) => format!("school={id}&year={year}"),
    }
}

/// Whether the user's role may change `owner`'s calendar (the store checks reach again).
fn may_edit(role: Role, owner: &Owner) -> bool {
    match owner {
        Owner::Region(_) => role.manages_region_calendars(),
        Owner::School(_) => role.edits_school_calendar(),
    }
}

/// The name of a region, whatever the caller's reach: a principal reads the county's calendar.
fn region_name(conn: &mut Conn, code: &RegionCode) -> StoreResult<String> {
    Ok(regions::ancestry(conn, code)?
        .into_iter()
        .find(|r| r.code == code.as_str())
        .map_or_else(|| code.to_string(), |r| r.name))
}

/// The owner as people name it, checked to be in the caller's reach for reading.
fn owner_name(conn: &mut Conn, scope: &Scope, owner: &Owner) -> StoreResult<String> {
    match owner {
        Owner::Region(code) => region_name(conn, code),
        Owner::School(id) => Ok(schools::get(conn, scope, *id)?.name),
    }
}

/// Where a calendar comes from, as pages say it.
#[derive(Debug)]
pub struct SourceView {
    /// `calendars.source.own`, `.region` or `.fallback`.
    pub key: &'static str,
    /// The region's name, for `.region`.
    pub region: String,
    pub fallback: bool,
}

/// `names` keeps the region names already looked up: a county's schools share a few.
fn source_view(
    conn: &mut Conn,
    source: &Source,
    names: &mut HashMap<String, String>,
) -> StoreResult<SourceView> {
    Ok(match source {
        Source::School => SourceView {
            key: "calendars.source.own",
            region: String::new(),
            fallback: false,
        },
        Source::Region(code) => {
            let name = match (names.get(code), RegionCode::parse(code)) {
                (Some(name), _) => name.clone(),
                (None, Ok(parsed)) => {
                    let name = region_name(conn, &parsed)?;
                    names.insert(code.clone(), name.clone());
                    name
                }
                (None, Err(_)) => code.clone(),
            };
            SourceView {
                key: "calendars.source.region",
                region: name,
                fallback: false,
            }
        }
        Source::Fallback => SourceView {
            key: "calendars.source.fallback",
            region: String::new(),
            fallback: true,
        },
    })
}

// ---------------------------------------------------------------------------------------------
// The list.

#[derive(Debug)]
pub struct RegionRow {
    pub code: String,
    pub name: String,
    pub version: i32,
    pub updated_by: String,
    pub query: String,
    pub can_edit: bool,
}

#[derive(Debug)]
pub struct SchoolRow {
    pub id: i64,
    pub name: String,
    pub code: String,
    pub source: SourceView,
    pub query: String,
    pub can_edit: bool,
}

#[derive(Template)]
#[template(path = "calendar_list.html")]
struct ListPage {
    t: Tr,
    frame: Frame,
    year: String,
    years: Vec<(String, bool)>,
    regions: Vec<RegionRow>,
    schools: Vec<SchoolRow>,
    fallback_count: usize,
    /// The user's own region, offered for a calendar when they may set one and it has none.
    own_region: Option<RegionRow>,
    can_set_region: bool,
}

/// `GET /calendars?year=2026-2027`.
async fn list(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Query(q): Query<OwnerQuery>,
) -> AppResult<Response> {
    let year = q.year()?;
    let scope = user.scope.clone();
    let role = scope.role;
    let (mut regions, schools, own_region) = state
        .store
        .run(move |conn| {
            let listed = calendars::list(conn, &scope, year)?;
            let mut regions = Vec::new();
            for l in listed.iter().filter(|l| l.school_id.is_none()) {
                let Some(code) = l
                    .region_code
                    .as_deref()
                    .and_then(|c| RegionCode::parse(c).ok())
                else {
                    continue;
                };
                let owner = Owner::Region(code.clone());
                regions.push(RegionRow {
                    name: region_name(conn, &code)?,
                    code: code.to_string(),
                    version: l.version,
                    updated_by: l.updated_by.clone(),
                    query: query_of(&owner, year),
                    can_edit: role.manages_region_calendars() && scope.covers_region(&code),
                });
            }
            let mut schools = Vec::new();
            let mut names = HashMap::new();
            for (school, source) in calendars::sources_in_reach(conn, &scope, year)? {
                let owner = Owner::School(school.id);
                schools.push(SchoolRow {
                    source: source_view(conn, &source, &mut names)?,
                    query: query_of(&owner, year),
                    can_edit: role.edits_school_calendar(),
                    id: school.id,
                    name: school.name,
                    code: school.code,
                });
            }
            let own_region = match (&scope.region, scope.school) {
                (Some(code), None) if role.manages_region_calendars() => Some(RegionRow {
                    name: region_name(conn, code)?,
                    code: code.to_string(),
                    version: 0,
                    updated_by: String::new(),
                    query: query_of(&Owner::Region(code.clone()), year),
                    can_edit: true,
                }),
                _ => None,
            };
            Ok((regions, schools, own_region))
        })
        .await?;
    // Offered only while it has none; once set it is in the list.
    let own_region = own_region.filter(|own| !regions.iter().any(|r| r.code == own.code));
    regions.sort_by(|a, b| a.code.cmp(&b.code));
    let current = SchoolYear::containing(today_shanghai()).start_year();
    let years = (current - 1..=current + 1)
        .map(|y| {
            let label = SchoolYear::new(y).to_string();
            let selected = y == year.start_year();
            (label, selected)
        })
        .collect();
    let page = ListPage {
        frame: Frame::for_user(&user).with_notice(notice_key(q.done.as_deref())),
        t,
        year: year.to_string(),
        years,
        fallback_count: schools.iter().filter(|s| s.source.fallback).count(),
        regions,
        schools,
        own_region,
        can_set_region: role.manages_region_calendars(),
    };
    Ok(render(page)?.into_response())
}

// ---------------------------------------------------------------------------------------------
// The printable year.

#[derive(Debug)]
pub struct TermLine {
    pub label: String,
    pub start: String,
    pub end: String,
    pub school_days: u32,
}

#[derive(Debug)]
pub struct NamedSpan {
    pub name: String,
    pub start: String,
    pub end: String,
}

fn term_lines(t: &Tr, calendar: &Calendar) -> Vec<TermLine> {
    calendar
        .term_school_days()
        .into_iter()
        .map(|(term, days)| TermLine {
            label: t
                .t(if term.number == 1 {
                    "calendars.term1"
                } else {
                    "calendars.term2"
                })
                .to_owned(),
            start: term.start.to_string(),
            end: term.end.to_string(),
            school_days: days,
        })
        .collect()
}

fn spans(calendar: &Calendar) -> (Vec<NamedSpan>, Vec<NamedSpan>) {
    let holidays = calendar
        .holidays
        .iter()
        .map(|h| NamedSpan {
            name: h.name.clone(),
            start: h.start.to_string(),
            end: h.end.to_string(),
        })
        .collect();
    let workdays = calendar
        .workdays
        .iter()
        .map(|w| NamedSpan {
            name: w.name.clone(),
            start: w.date.to_string(),
            end: w.date.to_string(),
        })
        .collect();
    (holidays, workdays)
}

#[derive(Template)]
#[template(path = "calendar_show.html")]
struct ShowPage {
    t: Tr,
    frame: Frame,
    owner: String,
    year: String,
    query: String,
    source: SourceView,
    /// Whether the owner has a calendar stored (else the page shows an inherited one).
    stored: bool,
    terms: Vec<TermLine>,
    holidays: Vec<NamedSpan>,
    workdays: Vec<NamedSpan>,
    months: Vec<Month>,
    weekdays: Vec<&'static str>,
    can_edit: bool,
}

const WEEKDAY_KEYS: [&str; 7] = [
    "calendars.wd.mon",
    "calendars.wd.tue",
    "calendars.wd.wed",
    "calendars.wd.thu",
    "calendars.wd.fri",
    "calendars.wd.sat",
    "calendars.wd.sun",
];

/// `GET /calendars/show?region=…|school=…&year=…`: the calendar in force for the owner as a
/// month grid, with its source and the school days of each term.
async fn show(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Query(q): Query<OwnerQuery>,
) -> AppResult<Response> {
    let owner = q.owner()?;
    let year = q.year()?;
    let scope = user.scope.clone();
    let read_owner = owner.clone();
    let (name, stored, effective, source) = state
        .store
        .run(move |conn| {
            let stored = calendars::get(conn, &scope, &read_owner, year)?;
            let name = owner_name(conn, &scope, &read_owner)?;
            let effective: Effective = match &read_owner {
                Owner::Region(code) => calendars::effective_for_region(conn, code, year)?,
                Owner::School(id) => calendars::effective_for_school(conn, *id, year)?,
            };
            let source = source_view(conn, &effective.source, &mut HashMap::new())?;
            Ok((name, stored.is_some(), effective, source))
        })
        .await?;
    let calendar = &effective.calendar;
    let (holidays, workdays) = spans(calendar);
    let page = ShowPage {
        frame: Frame::for_user(&user).with_notice(notice_key(q.done.as_deref())),
        owner: name,
        year: year.to_string(),
        query: query_of(&owner, year),
        source,
        stored,
        terms: term_lines(&t, calendar),
        holidays,
        workdays,
        months: grid::months(calendar),
        weekdays: WEEKDAY_KEYS.to_vec(),
        can_edit: may_edit(user.scope.role, &owner),
        t,
    };
    Ok(render(page)?.into_response())
}

// ---------------------------------------------------------------------------------------------
// The form.

#[derive(Clone, Debug, Default)]
pub struct TermRow {
    pub start: String,
    pub end: String,
    pub error: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct SpanRow {
    pub name: String,
    pub start: String,
    pub end: String,
    pub error: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct DayRow {
    pub date: String,
    pub name: String,
    pub error: Option<String>,
}

/// The form as typed: two terms, any number of holidays and make-up days.
#[derive(Clone, Debug, Default)]
pub struct CalendarForm {
    pub terms: [TermRow; 2],
    pub holidays: Vec<SpanRow>,
    pub workdays: Vec<DayRow>,
}

impl CalendarForm {
    fn of(calendar: &Calendar) -> Self {
        let mut form = Self::default();
        for term in &calendar.terms {
            if let Some(row) = form.terms.get_mut(usize::from(term.number) - 1) {
                row.start = term.start.to_string();
                row.end = term.end.to_string();
            }
        }
        form.holidays = calendar
            .holidays
            .iter()
            .map(|h| SpanRow {
                name: h.name.clone(),
                start: h.start.to_string(),
                end: h.end.to_string(),
                error: None,
            })
            .collect();
        form.workdays = calendar
            .workdays
            .iter()
            .map(|w| DayRow {
                date: w.date.to_string(),
                name: w.name.clone(),
                error: None,
            })
            .collect();
        form
    }

    fn posted(p: &Posted) -> Self {
        let term = |n: u8| TermRow {
            start: p.get(&format!("term{n}_start")),
            end: p.get(&format!("term{n}_end")),
            error: None,
        };
        let (names, starts, ends) = (
            p.all("holiday_name"),
            p.all("holiday_start"),
            p.all("holiday_end"),
        );
        let at = |v: &[String], i: usize| v.get(i).cloned().unwrap_or_default();
        let rows = names.len().max(starts.len()).max(ends.len()).min(MAX_ROWS);
        let holidays = (0..rows)
            .map(|i| SpanRow {
                name: at(&names, i),
                start: at(&starts, i),
                end: at(&ends, i),
                error: None,
            })
            .filter(|r| !(r.name.is_empty() && r.start.is_empty() && r.end.is_empty()))
            .collect();
        let (dates, day_names) = (p.all("workday_date"), p.all("workday_name"));
        let rows = dates.len().max(day_names.len()).min(MAX_ROWS);
        let workdays = (0..rows)
            .map(|i| DayRow {
                date: at(&dates, i),
                name: at(&day_names, i),
                error: None,
            })
            .filter(|r| !(r.date.is_empty() && r.name.is_empty()))
            .collect();
        Self {
            terms: [term(1), term(2)],
            holidays,
            workdays,
        }
    }

    /// Blank rows to type into, `extra` more where "add row" was pressed.
    fn with_spare_rows(mut self, extra_holidays: usize, extra_workdays: usize) -> Self {
        let holidays = (self.holidays.len() + SPARE_ROWS + extra_holidays).min(MAX_ROWS);
        self.holidays.resize_with(holidays, SpanRow::default);
        let workdays = (self.workdays.len() + SPARE_ROWS + extra_workdays).min(MAX_ROWS);
        self.workdays.resize_with(workdays, DayRow::default);
        self
    }

    /// Checks every row (noting each problem on it), then the calendar as a whole (a
    /// form-level error). The form keeps what was typed either way.
    fn parse(&mut self, year: SchoolYear, errors: &mut FieldErrors) -> Option<Calendar> {
        let date = |raw: &str| calendar_sheet::parse_date(raw);
        let mut terms = Vec::new();
        for (n, row) in (1u8..).zip(self.terms.iter_mut()) {
            if row.start.is_empty() && row.end.is_empty() {
                continue;
            }
            match (date(&row.start), date(&row.end)) {
                (Some(start), Some(end)) => terms.push(Term {
                    number: n,
                    start,
                    end,
                }),
                _ => row.error = Some("calendars.form.date".to_owned()),
            }
        }
        let mut holidays = Vec::new();
        for row in &mut self.holidays {
            let end = if row.end.is_empty() {
                date(&row.start)
            } else {
                date(&row.end)
            };
            match (date(&row.start), end) {
                _ if row.name.is_empty() => row.error = Some("calendars.form.name".to_owned()),
                _ if row.name.chars().count() > NAME_MAX => {
                    row.error = Some("calendars.form.name_long".to_owned());
                }
                (Some(start), Some(end)) => holidays.push(Holiday {
                    name: row.name.clone(),
                    start,
                    end,
                }),
                _ => row.error = Some("calendars.form.date".to_owned()),
            }
        }
        let mut workdays = Vec::new();
        for row in &mut self.workdays {
            let name = if row.name.is_empty() {
                "调休上课".to_owned()
            } else {
                row.name.clone()
            };
            match date(&row.date) {
                _ if name.chars().count() > NAME_MAX => {
                    row.error = Some("calendars.form.name_long".to_owned());
                }
                Some(date) => workdays.push(MakeUpDay { date, name }),
                None => row.error = Some("calendars.form.date".to_owned()),
            }
        }
        let row_errors = self.terms.iter().any(|r| r.error.is_some())
            || self.holidays.iter().any(|r| r.error.is_some())
            || self.workdays.iter().any(|r| r.error.is_some());
        if row_errors {
            errors.add("form", "error.invalid");
            return None;
        }
        if terms.is_empty() {
            errors.add("form", "calendars.form.no_term");
            return None;
        }
        match Calendar::new(year, terms, holidays, workdays) {
            Ok(calendar) => Some(calendar),
            Err(e) => {
                errors.add("form", e.code());
                None
            }
        }
    }
}

/// A line of an uploaded sheet that could not be taken.
#[derive(Debug)]
pub struct SheetLine {
    pub row: String,
    pub column: String,
    pub value: String,
    pub key: String,
}

#[derive(Template)]
#[template(path = "calendar_edit.html")]
struct EditPage {
    t: Tr,
    frame: Frame,
    owner: String,
    year: String,
    query: String,
    form: CalendarForm,
    errors: FieldErrors,
    version: Option<i32>,
    /// Someone saved meanwhile: the form carries their version now.
    conflict: bool,
    /// The upload's refusal (a catalog key) and its lines.
    upload_error: Option<String>,
    sheet_lines: Vec<SheetLine>,
    is_school: bool,
    /// A school whose own calendar may be removed.
    can_delete: bool,
    owner_region: String,
    owner_school: String,
}

struct EditContext {
    owner: Owner,
    year: SchoolYear,
    version: Option<i32>,
    conflict: bool,
    upload_error: Option<String>,
    sheet_lines: Vec<SheetLine>,
}

impl EditContext {
    fn new(owner: Owner, year: SchoolYear, version: Option<i32>) -> Self {
        Self {
            owner,
            year,
            version,
            conflict: false,
            upload_error: None,
            sheet_lines: Vec::new(),
        }
    }
}

async fn edit_page(
    state: &AppState,
    t: Tr,
    user: &PageUser,
    form: CalendarForm,
    errors: FieldErrors,
    ctx: EditContext,
    status: StatusCode,
) -> AppResult<Response> {
    let scope = user.scope.clone();
    let owner = ctx.owner.clone();
    let name = state
        .store
        .run(move |conn| owner_name(conn, &scope, &owner))
        .await?;
    let (owner_region, owner_school) = match &ctx.owner {
        Owner::Region(code) => (code.to_string(), String::new()),
        Owner::School(id) => (String::new(), id.to_string()),
    };
    let page = EditPage {
        frame: Frame::for_user(user),
        owner: name,
        year: ctx.year.to_string(),
        query: query_of(&ctx.owner, ctx.year),
        form,
        errors,
        version: ctx.version,
        conflict: ctx.conflict,
        upload_error: ctx.upload_error,
        sheet_lines: ctx.sheet_lines,
        is_school: matches!(ctx.owner, Owner::School(_)),
        can_delete: matches!(ctx.owner, Owner::School(_)) && ctx.version.is_some(),
        owner_region,
        owner_school,
        t,
    };
    Ok((status, render(page)?).into_response())
}

/// The stored calendar's form and version, or an empty form (prefilled with the calendar in
/// force, so a school starts from the county's) and none.
async fn current_form(
    state: &AppState,
    user: &PageUser,
    owner: &Owner,
    year: SchoolYear,
) -> AppResult<(CalendarForm, Option<i32>)> {
    let scope = user.scope.clone();
    let owner = owner.clone();
    let (stored, effective) = state
        .store
        .run(move |conn| {
            let stored = calendars::get(conn, &scope, &owner, year)?;
            let effective = match &owner {
                Owner::Region(code) => calendars::effective_for_region(conn, code, year)?,
                Owner::School(id) => calendars::effective_for_school(conn, *id, year)?,
            };
            Ok((stored, effective))
        })
        .await?;
    Ok(match stored {
        Some(s) => (CalendarForm::of(&s.calendar), Some(s.version)),
        None => (CalendarForm::of(&effective.calendar), None),
    })
}

fn refuse_edit(role: Role, owner: &Owner) -> AppResult<()> {
    if may_edit(role, owner) {
        Ok(())
    } else {
        Err(AppError::forbidden(match owner {
            Owner::Region(_) => "denied.calendar.edit",
            Owner::School(_) => "denied.calendar.edit_school",
        }))
    }
}

/// `GET /calendars/edit?region=…|school=…&year=…`.
async fn edit_form(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Query(q): Query<OwnerQuery>,
) -> AppResult<Response> {
    let owner = q.owner()?;
    let year = q.year()?;
    refuse_edit(user.scope.role, &owner)?;
    let (form, version) = current_form(&state, &user, &owner, year).await?;
    let ctx = EditContext::new(owner, year, version);
    let form = form.with_spare_rows(0, 0);
    edit_page(
        &state,
        t,
        &user,
        form,
        FieldErrors::default(),
        ctx,
        StatusCode::OK,
    )
    .await
}

/// `POST /calendars/edit?…`: "add row" re-shows the form with one more blank row; "save" saves
/// unless someone saved a newer version meanwhile.
async fn save(
    State(state): State<AppState>,
    t: Tr,
    Query(q): Query<OwnerQuery>,
    posted: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let CsrfForm { user, form } = posted;
    let owner = q.owner()?;
    let year = q.year()?;
    refuse_edit(user.scope.role, &owner)?;
    let posted = Posted::new(form);
    let version = match posted.get("version").as_str() {
        "" => None,
        raw => Some(
            raw.parse::<i32>()
                .map_err(|_| AppError::bad_request("error.bad_form"))?,
        ),
    };
    let mut form = CalendarForm::posted(&posted);
    let action = posted.get("action");
    if action == "add_holiday" || action == "add_workday" {
        let form = form.with_spare_rows(
            usize::from(action == "add_holiday"),
            usize::from(action == "add_workday"),
        );
        let ctx = EditContext::new(owner, year, version);
        return edit_page(
            &state,
            t,
            &user,
            form,
            FieldErrors::default(),
            ctx,
            StatusCode::OK,
        )
        .await;
    }
    let mut errors = FieldErrors::default();
    let Some(calendar) = form.parse(year, &mut errors) else {
        let ctx = EditContext::new(owner, year, version);
        let form = form.with_spare_rows(0, 0);
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return edit_page(&state, t, &user, form, errors, ctx, status).await;
    };
    let scope = user.scope.clone();
    let save_owner = owner.clone();
    let saved = state
        .store
        .run(move |conn| calendars::save(conn, &scope, &save_owner, &calendar, version))
        .await;
    match saved {
        Ok(_) => {
            let to = format!("/calendars/show?{}&done=saved", query_of(&owner, year));
            Ok(Redirect::to(&to).into_response())
        }
        Err(StoreError::Conflict { current, .. }) => {
            // What was typed stays; saving again now overwrites the other save, deliberately.
            let mut ctx = EditContext::new(owner, year, (current > 0).then_some(current));
            ctx.conflict = true;
            let mut errors = FieldErrors::default();
            errors.add("form", "calendars.conflict");
            let form = form.with_spare_rows(0, 0);
            edit_page(&state, t, &user, form, errors, ctx, StatusCode::CONFLICT).await
        }
        Err(e) => {
            let mut errors = FieldErrors::from_store(e, "error.duplicate")?;
            if errors.get("form").is_none() {
                errors.add("form", "error.invalid");
            }
            let ctx = EditContext::new(owner, year, version);
            let form = form.with_spare_rows(0, 0);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            edit_page(&state, t, &user, form, errors, ctx, status).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Upload and template.

#[derive(Default)]
struct Upload {
    csrf: String,
    region: String,
    school: String,
    year: String,
    file: Option<(String, Vec<u8>)>,
}

async fn read_upload(mut multipart: Multipart) -> Result<Upload, AppError> {
    let bad = |_| AppError::bad_request("error.bad_form");
    let mut upload = Upload::default();
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "csrf" => upload.csrf = field.text().await.map_err(bad)?,
            "region" => upload.region = field.text().await.map_err(bad)?,
            "school" => upload.school = field.text().await.map_err(bad)?,
            "year" => upload.year = field.text().await.map_err(bad)?,
            "file" => {
                let name = field.file_name().unwrap_or("calendar.csv").to_owned();
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(bad)? {
                    if bytes.len() + chunk.len() > MAX_SHEET {
                        return Err(AppError::bad_request("calendars.upload.too_large"));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                upload.file = Some((name, bytes));
            }
            _ => {}
        }
    }
    Ok(upload)
}

/// The sheet's refusal as the page shows it: a catalog key, and the lines at fault.
fn sheet_refusal(e: &CalendarSheetError) -> (String, Vec<SheetLine>) {
    match e {
        CalendarSheetError::Read(ReadError::Format) => ("calendars.upload.format".into(), vec![]),
        CalendarSheetError::Read(_) => ("calendars.upload.unreadable".into(), vec![]),
        CalendarSheetError::NoHeader => ("calendar_sheet.no_header".into(), vec![]),
        CalendarSheetError::Problems(problems) => {
            let lines = problems
                .iter()
                .map(|p| SheetLine {
                    row: p.sheet_row.map(|r| r.to_string()).unwrap_or_default(),
                    column: p.column.unwrap_or_default().to_owned(),
                    value: p.value.clone(),
                    key: p.code().to_owned(),
                })
                .collect();
            ("calendar_sheet.problems".into(), lines)
        }
    }
}

/// `POST /calendars/upload`: a calendar sheet replacing the owner's calendar for the year; its
/// problems, every one with its row, on the edit page otherwise.
async fn upload(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let multipart = multipart.map_err(|_| AppError::bad_request("error.bad_form"))?;
    let upload = read_upload(multipart).await?;
    if !constant_time_eq(upload.csrf.as_bytes(), user.csrf.as_bytes()) {
        return Err(AppError::forbidden("error.csrf"));
    }
    let q = OwnerQuery {
        region: upload.region,
        school: upload.school,
        year: upload.year,
        done: None,
    };
    let owner = q.owner()?;
    let year = q.year()?;
    refuse_edit(user.scope.role, &owner)?;
    let (form, version) = current_form(&state, &user, &owner, year).await?;
    let refused = |key: String, lines: Vec<SheetLine>| {
        let mut ctx = EditContext::new(owner.clone(), year, version);
        ctx.upload_error = Some(key);
        ctx.sheet_lines = lines;
        ctx
    };
    let Some((file_name, bytes)) = upload.file.filter(|(_, b)| !b.is_empty()) else {
        let ctx = refused("calendars.upload.no_file".into(), vec![]);
        let form = form.with_spare_rows(0, 0);
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return edit_page(&state, t, &user, form, FieldErrors::default(), ctx, status).await;
    };
    let calendar = match calendar_sheet::read_calendar(&bytes, &file_name, year) {
        Ok(calendar) => calendar,
        Err(e) => {
            let (key, lines) = sheet_refusal(&e);
            let ctx = refused(key, lines);
            let form = form.with_spare_rows(0, 0);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return edit_page(&state, t, &user, form, FieldErrors::default(), ctx, status).await;
        }
    };
    // An upload replaces what is stored: the version is the one just read.
    let scope = user.scope.clone();
    let save_owner = owner.clone();
    state
        .store
        .run(move |conn| calendars::save(conn, &scope, &save_owner, &calendar, version))
        .await?;
    let to = format!("/calendars/show?{}&done=saved", query_of(&owner, year));
    Ok(Redirect::to(&to).into_response())
}

/// `GET /calendars/template.xlsx?year=…[&region=…|school=…]`: the sheet to fill in, with the
/// owner's calendar in force when one is named, else an example year.
async fn template(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<OwnerQuery>,
) -> AppResult<Response> {
    let year = q.year()?;
    let calendar = match q.owner() {
        Ok(owner) => {
            let scope = user.scope.clone();
            let effective = state
                .store
                .run(move |conn| {
                    owner_name(conn, &scope, &owner)?;
                    match &owner {
                        Owner::Region(code) => calendars::effective_for_region(conn, code, year),
                        Owner::School(id) => calendars::effective_for_school(conn, *id, year),
                    }
                })
                .await?;
            (effective.source != Source::Fallback).then_some(effective.calendar)
        }
        Err(_) => None,
    };
    let bytes = calendar_sheet::template(year, calendar.as_ref()).map_err(AppError::internal)?;
    Ok(xlsx_download(
        bytes,
        &format!("{year}学年校历.xlsx"),
        &format!("calendar-{year}.xlsx"),
    ))
}

// ---------------------------------------------------------------------------------------------
// Removing a school's own calendar.

fn confirm_page(
    t: Tr,
    user: &PageUser,
    name: String,
    query: &str,
    error: Option<String>,
) -> ConfirmPage {
    ConfirmPage {
        t,
        frame: Frame::for_user(user),
        title_key: "calendars.delete_title",
        question_key: "calendars.delete_question",
        button_key: "calendars.delete_confirm",
        subject: name,
        action: format!("/calendars/delete?{query}"),
        back: format!("/calendars/show?{query}"),
        error,
    }
}

fn school_owner(q: &OwnerQuery) -> AppResult<i64> {
    match q.owner()? {
        Owner::School(id) => Ok(id),
        Owner::Region(_) => Err(AppError::not_found()),
    }
}

/// `GET /calendars/delete?school=…&year=…`.
async fn confirm_delete(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Query(q): Query<OwnerQuery>,
) -> AppResult<Response> {
    let id = school_owner(&q)?;
    let year = q.year()?;
    let owner = Owner::School(id);
    refuse_edit(user.scope.role, &owner)?;
    let scope = user.scope.clone();
    let name = state
        .store
        .run(move |conn| owner_name(conn, &scope, &owner))
        .await?;
    let query = query_of(&Owner::School(id), year);
    confirm_page(t, &user, format!("{name} {year}"), &query, None).respond(StatusCode::OK)
}

/// `POST /calendars/delete?school=…&year=…`: the county's calendar applies to the school again.
async fn delete(
    State(state): State<AppState>,
    Query(q): Query<OwnerQuery>,
    posted: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let user = posted.user;
    let id = school_owner(&q)?;
    let year = q.year()?;
    refuse_edit(user.scope.role, &Owner::School(id))?;
    let scope = user.scope.clone();
    state
        .store
        .run(move |conn| calendars::delete_override(conn, &scope, id, year))
        .await?;
    let to = format!(
        "/calendars/show?{}&done=deleted",
        query_of(&Owner::School(id), year)
    );
    Ok(Redirect::to(&to).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Catalog, Locale};

    #[test]
    fn every_key_used_here_and_every_sheet_code_exists() {
        let catalog = Catalog::load().unwrap();
        let text = include_str!("mod.rs");
        let mut keys: Vec<&str> = text
            .split('\u{22}')
            .skip(1)
            .step_by(2)
            .filter(|p| {
                ["calendars.", "calendar_sheet.", "denied.calendar."]
                    .iter()
                    .any(|k| p.starts_with(k))
                    && !p.contains(' ')
                    && !p.ends_with('.')
            })
            .collect();
        keys.extend(calendar_sheet::SheetError::CODES);
        keys.extend(["calendar_sheet.no_header", "calendar_sheet.problems"]);
        keys.extend(["denied.calendar.outside_scope", "nav.calendars"]);
        let missing: Vec<&str> = keys
            .into_iter()
            .filter(|k| catalog.text(Locale::ZhCn, k) == *k || catalog.text(Locale::En, k) == *k)
            .collect();
        assert!(missing.is_empty(), "keys missing: {missing:?}");
    }

    #[test]
    fn the_form_keeps_what_was_typed_and_names_bad_rows() {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(
            "term1_start=2026-09-01&term1_end=2027-01-22&term2_start=&term2_end=\
             &holiday_name=%E5%9B%BD%E5%BA%86&holiday_start=2026-10-01&holiday_end=2026-10-07\
             &holiday_name=&holiday_start=&holiday_end=\
             &workday_date=2026%E5%B9%B410%E6%9C%8810%E6%97%A5&workday_name=",
        )
        .unwrap();
        let mut form = CalendarForm::posted(&Posted::new(pairs));
        assert_eq!(form.holidays.len(), 1, "blank rows are dropped");
        let mut errors = FieldErrors::default();
        let calendar = form.parse(SchoolYear::new(2026), &mut errors).unwrap();
        assert!(errors.is_empty());
        assert_eq!(calendar.terms.len(), 1);
        assert_eq!(calendar.workdays[0].name, "调休上课");
        assert!(calendar.is_school_day("2026-10-10".parse().unwrap()));

        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(
            "term1_start=2026-09-01&term1_end=x&holiday_start=2026-10-01",
        )
        .unwrap();
        let mut form = CalendarForm::posted(&Posted::new(pairs));
        let mut errors = FieldErrors::default();
        assert!(form.parse(SchoolYear::new(2026), &mut errors).is_none());
        assert_eq!(form.terms[0].error.as_deref(), Some("calendars.form.date"));
        assert_eq!(
            form.holidays[0].error.as_deref(),
            Some("calendars.form.name")
        );
        assert_eq!(form.terms[0].end, "x", "what was typed stays");
        let form = form.with_spare_rows(1, 0);
        assert_eq!(form.holidays.len(), 1 + SPARE_ROWS + 1);
    }
}
