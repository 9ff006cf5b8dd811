//! `/api/v1/calendars`: a region's or a school's own school calendar (校历) for one school year,
//! read and replaced whole with the version it was based on; a school's own calendar may be
//! removed. `/api/v1/schools/{id}/calendar` answers the calendar in force for a school and where
//! it comes from, with the school days of each term.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shouhu_domain::{Calendar, Holiday, MakeUpDay, RegionCode, SchoolYear, Term, today_shanghai};
use shouhu_store::calendars::{self as repo, Owner, Source, Stored};
use shouhu_store::schools;
use utoipa::{IntoParams, ToSchema};

use super::{ApiJson, ApiPath, ApiQuery, ErrorBody, Fields, instant, text};
use crate::auth::ApiUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Longest holiday or make-up day name.
const NAME_MAX: usize = 30;
/// More lines than any county's notice has; a body beyond it is refused, not stored.
const LINES_MAX: usize = 100;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OwnerQuery {
    /// A region's calendar (normally the county's): its code, 6, 9 or 12 digits.
    #[param(example = "520502000000")]
    pub region: Option<String>,
    /// A school's own calendar, which replaces the region's for that school.
    pub school: Option<i64>,
    /// The school year; the current one (Asia/Shanghai) when absent.
    #[param(example = "2026-2027")]
    pub year: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    /// The school year; the current one (Asia/Shanghai) when absent.
    #[param(example = "2026-2027")]
    pub year: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct TermJson {
    /// 1 for the autumn term (上学期), 2 for the spring term (下学期).
    #[schema(example = 1)]
    pub number: u8,
    #[schema(value_type = String, example = "2026-09-01")]
    pub start: String,
    #[schema(value_type = String, example = "2027-01-22")]
    pub end: String,
    /// School days in the term (answers only).
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    #[schema(read_only)]
    pub school_days: Option<u32>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct HolidayJson {
    #[schema(example = "国庆节")]
    pub name: String,
    #[schema(value_type = String, example = "2026-10-01")]
    pub start: String,
    #[schema(value_type = String, example = "2026-10-07")]
    pub end: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct MakeUpJson {
    /// A Saturday or Sunday inside a term that is a school day (调休上课).
    #[schema(value_type = String, example = "2026-10-10")]
    pub date: String,
    #[schema(example = "国庆调休")]
    pub name: String,
}

/// A stored calendar.
#[derive(Serialize, ToSchema)]
pub struct CalendarJson {
    /// Set for a region's calendar.
    #[schema(example = "520502000000")]
    pub region_code: Option<String>,
    /// Set for a school's own calendar.
    pub school_id: Option<i64>,
    #[schema(example = "2026-2027")]
    pub school_year: String,
    pub terms: Vec<TermJson>,
    pub holidays: Vec<HolidayJson>,
    pub workdays: Vec<MakeUpJson>,
    /// Send it back with a PUT; a stale one answers 409.
    pub version: i32,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// The calendar in force for a school.
#[derive(Serialize, ToSchema)]
pub struct EffectiveJson {
    pub school_id: i64,
    #[schema(example = "2026-2027")]
    pub school_year: String,
    /// `school` (its own), `region` (the nearest region above with one, in `region_code`) or
    /// `fallback` (none set anywhere above: 1 September – 20 January and 20 February – 5 July,
    /// weekdays only).
    #[schema(example = "region")]
    pub source: String,
    #[schema(example = "520502000000")]
    pub region_code: Option<String>,
    pub terms: Vec<TermJson>,
    pub holidays: Vec<HolidayJson>,
    pub workdays: Vec<MakeUpJson>,
}

/// A whole calendar, replacing the stored one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarPut {
    /// The `version` the change is based on; leave it out to create the first one.
    pub version: Option<i32>,
    #[serde(default)]
    pub terms: Vec<TermJson>,
    #[serde(default)]
    pub holidays: Vec<HolidayJson>,
    #[serde(default)]
    pub workdays: Vec<MakeUpJson>,
}

fn terms_json(calendar: &Calendar) -> Vec<TermJson> {
    calendar
        .term_school_days()
        .into_iter()
        .map(|(t, days)| TermJson {
            number: t.number,
            start: t.start.to_string(),
            end: t.end.to_string(),
            school_days: Some(days),
        })
        .collect()
}

fn holidays_json(calendar: &Calendar) -> Vec<HolidayJson> {
    calendar
        .holidays
        .iter()
        .map(|h| HolidayJson {
            name: h.name.clone(),
            start: h.start.to_string(),
            end: h.end.to_string(),
        })
        .collect()
}

fn workdays_json(calendar: &Calendar) -> Vec<MakeUpJson> {
    calendar
        .workdays
        .iter()
        .map(|w| MakeUpJson {
            date: w.date.to_string(),
            name: w.name.clone(),
        })
        .collect()
}

impl From<Stored> for CalendarJson {
    fn from(s: Stored) -> Self {
        Self {
            region_code: s.region_code,
            school_id: s.school_id,
            school_year: s.calendar.school_year.to_string(),
            terms: terms_json(&s.calendar),
            holidays: holidays_json(&s.calendar),
            workdays: workdays_json(&s.calendar),
            version: s.version,
            updated_by: s.updated_by,
            updated_at: instant(s.updated_at),
        }
    }
}

fn year_of(raw: Option<&str>) -> AppResult<SchoolYear> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(SchoolYear::containing(today_shanghai())),
        Some(raw) => SchoolYear::parse(raw).map_err(|e| AppError::invalid_field("year", e.code())),
    }
}

/// The owner named by the query: exactly one of `region` and `school`.
fn owner_of(q: &OwnerQuery) -> AppResult<Owner> {
    let region = q.region.as_deref().map(str::trim).filter(|s| !s.is_empty());
    match (region, q.school) {
        (Some(raw), None) => RegionCode::parse(raw)
            .map(Owner::Region)
            .map_err(|e| AppError::invalid_field("region", e.code())),
        (None, Some(id)) => Ok(Owner::School(id)),
        _ => Err(AppError::invalid_field("region", "api.calendar_owner")),
    }
}

fn date(raw: &str) -> Result<NaiveDate, &'static str> {
    if raw.trim().is_empty() {
        return Err("error.required");
    }
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| "api.calendar_date")
}

/// Checks every line of the body (all problems at once, by JSON path), then the calendar as a
/// whole.
fn parse_body(year: SchoolYear, body: &CalendarPut) -> AppResult<Calendar> {
    let mut f = Fields::default();
    if body.terms.len() + body.holidays.len() + body.workdays.len() > LINES_MAX {
        return Err(AppError::invalid_field("terms", "api.calendar_too_long"));
    }
    let mut terms = Vec::new();
    for (i, t) in body.terms.iter().enumerate() {
        let start = f.check(&format!("terms[{i}].start"), date(&t.start));
        let end = f.check(&format!("terms[{i}].end"), date(&t.end));
        if let (Some(start), Some(end)) = (start, end) {
            terms.push(Term {
                number: t.number,
                start,
                end,
            });
        }
    }
    let mut holidays = Vec::new();
    for (i, h) in body.holidays.iter().enumerate() {
        let name = f.check(
            &format!("holidays[{i}].name"),
            text(&h.name, NAME_MAX, "api.calendar_name_too_long"),
        );
        let start = f.check(&format!("holidays[{i}].start"), date(&h.start));
        let end = f.check(&format!("holidays[{i}].end"), date(&h.end));
        if let (Some(name), Some(start), Some(end)) = (name, start, end) {
            holidays.push(Holiday { name, start, end });
        }
    }
    let mut workdays = Vec::new();
    for (i, w) in body.workdays.iter().enumerate() {
        let name = f.check(
            &format!("workdays[{i}].name"),
            text(&w.name, NAME_MAX, "api.calendar_name_too_long"),
        );
        let day = f.check(&format!("workdays[{i}].date"), date(&w.date));
        if let (Some(name), Some(date)) = (name, day) {
            workdays.push(MakeUpDay { date, name });
        }
    }
    if body.terms.is_empty() {
        f.check::<()>("terms", Err("api.calendar_no_term"));
    }
    if !f.0.is_empty() {
        return Err(f.into_error());
    }
    Calendar::new(year, terms, holidays, workdays)
        .map_err(|e| AppError::invalid_field("calendar", e.code()))
}

/// The calendar stored for a region or a school (not the one in force: see
/// `/schools/{id}/calendar`).
#[utoipa::path(
    get,
    path = "/calendars",
    operation_id = "get_calendar",
    tag = "calendars",
    params(OwnerQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The stored calendar", body = CalendarJson),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "None stored, or the owner is outside the caller's reach", body = ErrorBody),
        (status = 422, description = "Neither or both of `region` and `school`, or a bad `year`", body = ErrorBody),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiQuery(q): ApiQuery<OwnerQuery>,
) -> AppResult<Json<CalendarJson>> {
    let owner = owner_of(&q)?;
    let year = year_of(q.year.as_deref())?;
    let stored = state
        .store
        .run(move |conn| repo::get(conn, &scope, &owner, year))
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(Json(stored.into()))
}

/// Replaces a region's or a school's calendar for the year (creates it without `version`).
/// The bureau and system administrators set region calendars within their reach; a principal
/// sets their own school's.
#[utoipa::path(
    put,
    path = "/calendars",
    operation_id = "put_calendar",
    tag = "calendars",
    params(OwnerQuery),
    request_body = CalendarPut,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved; `version` went up by one", body = CalendarJson),
        (status = 201, description = "Created (version 1)", body = CalendarJson),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The caller's role may not set this calendar, or the region is outside their reach", body = ErrorBody),
        (status = 404, description = "The school is absent or outside the caller's reach", body = ErrorBody),
        (status = 409, description = "Stale or missing `version` (`conflict`, with `details.your_version` and `details.current_version`; 0 means none)", body = ErrorBody),
        (status = 422, description = "Invalid lines, all of them listed by JSON path, or a calendar that breaks a rule (field `calendar`)", body = ErrorBody),
    )
)]
pub async fn put(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiQuery(q): ApiQuery<OwnerQuery>,
    ApiJson(body): ApiJson<CalendarPut>,
) -> AppResult<Response> {
    let owner = owner_of(&q)?;
    let year = year_of(q.year.as_deref())?;
    let calendar = parse_body(year, &body)?;
    let version = body.version;
    let stored = state
        .store
        .run(move |conn| repo::save(conn, &scope, &owner, &calendar, version))
        .await?;
    let status = if stored.version == 1 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(CalendarJson::from(stored))).into_response())
}

/// Removes a school's own calendar for the year; the region's applies again.
#[utoipa::path(
    delete,
    path = "/calendars",
    operation_id = "delete_calendar",
    tag = "calendars",
    params(OwnerQuery),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The caller's role may not remove it", body = ErrorBody),
        (status = 404, description = "None stored, or the school is outside the caller's reach", body = ErrorBody),
        (status = 422, description = "Not a school's calendar (`school` is required), or a bad `year`", body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiQuery(q): ApiQuery<OwnerQuery>,
) -> AppResult<StatusCode> {
    let Owner::School(id) = owner_of(&q)? else {
        return Err(AppError::invalid_field(
            "school",
            "api.calendar_delete_region",
        ));
    };
    let year = year_of(q.year.as_deref())?;
    state
        .store
        .run(move |conn| repo::delete_override(conn, &scope, id, year))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The calendar in force for a school: its own, else the nearest region's above it, else the
/// fallback; with the school days of each term.
#[utoipa::path(
    get,
    path = "/schools/{id}/calendar",
    operation_id = "get_school_calendar",
    tag = "calendars",
    params(("id" = i64, Path, description = "School id"), YearQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The calendar in force and its source", body = EffectiveJson),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's scope", body = ErrorBody),
        (status = 422, description = "A bad `year`", body = ErrorBody),
    )
)]
pub async fn school(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> AppResult<Json<EffectiveJson>> {
    let year = year_of(q.year.as_deref())?;
    let effective = state
        .store
        .run(move |conn| {
            schools::get(conn, &scope, id)?;
            repo::effective_for_school(conn, id, year)
        })
        .await?;
    let (source, region_code) = match effective.source {
        Source::School => ("school", None),
        Source::Region(code) => ("region", Some(code)),
        Source::Fallback => ("fallback", None),
    };
    let c = &effective.calendar;
    Ok(Json(EffectiveJson {
        school_id: id,
        school_year: c.school_year.to_string(),
        source: source.to_owned(),
        region_code,
        terms: terms_json(c),
        holidays: holidays_json(c),
        workdays: workdays_json(c),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(terms: &[(u8, &str, &str)], workdays: &[(&str, &str)]) -> CalendarPut {
        CalendarPut {
            version: None,
            terms: terms
                .iter()
                .map(|(n, s, e)| TermJson {
                    number: *n,
                    start: (*s).to_owned(),
                    end: (*e).to_owned(),
                    school_days: None,
                })
                .collect(),
            holidays: vec![],
            workdays: workdays
                .iter()
                .map(|(d, n)| MakeUpJson {
                    date: (*d).to_owned(),
                    name: (*n).to_owned(),
                })
                .collect(),
        }
    }

    #[test]
    fn bodies_are_checked_line_by_line_then_as_a_calendar() {
        let year = SchoolYear::new(2026);
        let ok = put(
            &[(1, "2026-09-01", "2027-01-22")],
            &[("2026-10-10", "国庆调休")],
        );
        assert_eq!(parse_body(year, &ok).unwrap().workdays.len(), 1);
        let bad = put(&[(1, "2026-9-1x", "")], &[("2026-10-10", " ")]);
        let e = parse_body(year, &bad).unwrap_err();
        let fields: Vec<(&str, &str)> = e
            .fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("terms[0].end", "error.required"),
                ("terms[0].start", "api.calendar_date"),
                ("workdays[0].name", "error.required"),
            ]
        );
        let monday = put(&[(1, "2026-09-01", "2027-01-22")], &[("2026-10-12", "x")]);
        let e = parse_body(year, &monday).unwrap_err();
        assert_eq!(
            e.fields.get("calendar").map(String::as_str),
            Some("calendar.workday_not_weekend")
        );
        let e = parse_body(year, &put(&[], &[])).unwrap_err();
        assert_eq!(
            e.fields.get("terms").map(String::as_str),
            Some("api.calendar_no_term")
        );
    }

    #[test]
    fn exactly_one_owner() {
        let q = |region: Option<&str>, school| OwnerQuery {
            region: region.map(str::to_owned),
            school,
            year: None,
        };
        assert_eq!(
            owner_of(&q(Some("520502"), None)).unwrap(),
            Owner::Region(RegionCode::parse("520502").unwrap())
        );
        assert_eq!(owner_of(&q(None, Some(3))).unwrap(), Owner::School(3));
        assert!(owner_of(&q(Some("520502"), Some(3))).is_err());
        assert!(owner_of(&q(None, None)).is_err());
        assert_eq!(
            owner_of(&q(Some("12"), None)).unwrap_err().fields["region"],
            "region_code.length"
        );
    }
}
