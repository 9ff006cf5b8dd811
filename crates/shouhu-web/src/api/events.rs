//! `/api/v1/schools/{id}/events` and `/api/v1/events/{id}`: group events (监护人会议, 座谈会,
//! 家长学校, 主题班会) with their minutes, guardians and attending children. Reading one opens
//! its minutes and is audit-logged; creation takes an `Idempotency-Key`; edits and deletion carry
//! the version they were based on.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shouhu_domain::{EventBody, EventKind, GuardianAttending, parse_event_title};
use shouhu_store::group_events::{self as repo, EventFilter, EventInput, EventRecord};
use utoipa::{IntoParams, ToSchema};

use super::{ApiJson, ApiPath, ApiQuery, ErrorBody, Fields, created, instant, present};
use crate::auth::ApiUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Longest `Idempotency-Key` accepted.
const IDEMPOTENCY_KEY_MAX: usize = 100;

/// The `Idempotency-Key` header, made private to the caller so that nobody's key can find or
/// replay someone else's request.
pub(super) fn idempotency_key(headers: &HeaderMap, user_id: i64) -> AppResult<Option<String>> {
    let Some(raw) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let bad = || AppError::bad_request("api.idempotency_key");
    let key = raw.to_str().map_err(|_| bad())?.trim();
    if key.is_empty() || key.chars().count() > IDEMPOTENCY_KEY_MAX {
        return Err(bad());
    }
    Ok(Some(format!("api:{user_id}:{key}")))
}

/// An event as lists show it; nothing sealed is in it.
#[derive(Serialize, ToSchema)]
pub struct EventRow {
    pub id: i64,
    pub school_id: i64,
    /// The class holding it; null for the whole school.
    pub class_id: Option<i64>,
    #[schema(example = "一年级（1）班")]
    pub class_name: Option<String>,
    /// `guardian_meeting`, `forum`, `parent_school` or `class_meeting`.
    #[schema(example = "guardian_meeting")]
    pub kind: String,
    #[schema(example = "2026-11-20")]
    pub date: String,
    #[schema(example = "2026年秋季学期留守儿童监护人会议")]
    pub title: String,
    #[schema(example = "principal")]
    pub author_name: String,
    /// Attending children (all of them, including those outside the caller's view).
    pub child_count: i64,
    /// Send it back with a PATCH or DELETE; a stale one answers 409.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<repo::EventSummary> for EventRow {
    fn from(s: repo::EventSummary) -> Self {
        Self {
            id: s.id,
            school_id: s.school_id,
            class_id: s.class_id,
            class_name: s.class_name,
            kind: s.kind,
            date: s.event_date,
            title: s.title,
            author_name: s.author_name,
            child_count: s.child_count,
            version: s.version,
            created_at: instant(s.created_at),
            updated_at: instant(s.updated_at),
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Guardian {
    #[schema(example = "单大山")]
    pub name: String,
    /// Relation to the child; may be empty.
    #[serde(default)]
    #[schema(example = "祖父")]
    pub relation: String,
}

#[derive(Serialize, ToSchema)]
pub struct Attendee {
    pub id: i64,
    #[schema(example = "单𠮷")]
    pub name: String,
    pub class_name: Option<String>,
}

/// An event opened: audit-logged.
#[derive(Serialize, ToSchema)]
pub struct Event {
    #[serde(flatten)]
    pub row: EventRow,
    pub school_name: String,
    /// The minutes (会议纪要), lines separated by `\n`.
    pub minutes: String,
    pub guardians: Vec<Guardian>,
    /// Guardians present, counted; at least the number named.
    pub guardian_count: u32,
    /// Attending children the caller may see.
    pub children: Vec<Attendee>,
    /// Attending children outside the caller's view, counted only.
    pub hidden_children: i64,
}

impl From<EventRecord> for Event {
    fn from(r: EventRecord) -> Self {
        Self {
            row: r.summary.into(),
            school_name: r.school_name,
            minutes: r.body.minutes,
            guardians: r
                .body
                .guardians
                .into_iter()
                .map(|g| Guardian {
                    name: g.name.as_str().to_owned(),
                    relation: g.relation,
                })
                .collect(),
            guardian_count: r.body.guardian_count,
            children: r
                .children
                .into_iter()
                .map(|c| Attendee {
                    id: c.id,
                    name: c.name,
                    class_name: c.class_name,
                })
                .collect(),
            hidden_children: r.hidden_children,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EventList {
    /// Newest first.
    pub items: Vec<EventRow>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    /// Only this class's events.
    pub class_id: Option<i64>,
    /// `guardian_meeting`, `forum`, `parent_school` or `class_meeting`.
    #[param(value_type = Option<String>, example = "guardian_meeting")]
    pub kind: Option<EventKind>,
    /// From this date (YYYY-MM-DD), included.
    #[param(value_type = Option<String>, example = "2026-09-01")]
    pub from: Option<NaiveDate>,
    /// To this date, included.
    #[param(value_type = Option<String>, example = "2027-01-20")]
    pub to: Option<NaiveDate>,
    /// At most this many, 1–500 (default 200).
    pub limit: Option<i64>,
}

/// A new event. Its school is the one in the path.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEvent {
    /// A class of the school; required for `class_meeting`, and for head teachers.
    pub class_id: Option<i64>,
    /// `guardian_meeting`, `forum`, `parent_school` or `class_meeting`.
    #[schema(required = true, value_type = String, example = "guardian_meeting")]
    pub kind: Option<String>,
    /// YYYY-MM-DD, not after today (Asia/Shanghai).
    #[schema(required = true, value_type = String, example = "2026-11-20")]
    pub date: Option<String>,
    #[schema(required = true, value_type = String, example = "2026年秋季学期留守儿童监护人会议")]
    pub title: Option<String>,
    #[serde(default)]
    pub minutes: String,
    #[serde(default)]
    pub guardians: Vec<Guardian>,
    /// Defaults to the number of guardians named.
    pub guardian_count: Option<u32>,
    /// Ids of attending children: visible to the caller and pupils of the school.
    #[serde(default)]
    pub children: Vec<i64>,
}

/// Fields left out keep their value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventPatch {
    #[schema(required = true, value_type = i32)]
    pub version: Option<i32>,
    /// `null` makes it the whole school's.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub class_id: Option<Option<i64>>,
    pub kind: Option<String>,
    pub date: Option<String>,
    pub title: Option<String>,
    pub minutes: Option<String>,
    pub guardians: Option<Vec<Guardian>>,
    pub guardian_count: Option<u32>,
    /// The whole list of attending children.
    pub children: Option<Vec<i64>>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VersionQuery {
    /// The version the deletion is based on.
    pub version: i32,
}

/// The parts of an event a request may send, before they are checked together.
struct Draft {
    class_id: Option<i64>,
    kind: String,
    date: String,
    title: String,
    minutes: String,
    guardians: Vec<Guardian>,
    guardian_count: Option<u32>,
    children: Vec<i64>,
}

impl Draft {
    fn parse(self, school_id: i64) -> AppResult<EventInput> {
        let mut f = Fields::default();
        let kind = f.check("kind", EventKind::parse(&self.kind).map_err(|e| e.code()));
        let date = f.check(
            "date",
            NaiveDate::parse_from_str(&self.date, "%Y-%m-%d").map_err(|_| "event.date_invalid"),
        );
        let title = f.check(
            "title",
            parse_event_title(&self.title).map_err(|e| e.code()),
        );
        let guardians: Result<Vec<GuardianAttending>, &'static str> = self
            .guardians
            .iter()
            .map(|g| GuardianAttending::parse(&g.name, &g.relation).map_err(|e| e.code()))
            .collect();
        let guardians = f.check("guardians", guardians);
        let body = guardians.and_then(|g| {
            let body = EventBody::new(&self.minutes, g, self.guardian_count);
            match body {
                Ok(body) => Some(body),
                Err(e) => f.check(e.field(), Err(e.code())),
            }
        });
        match (kind, date, title, body) {
            (Some(kind), Some(date), Some(title), Some(body)) if f.0.is_empty() => Ok(EventInput {
                school_id,
                class_id: self.class_id,
                kind,
                date,
                title,
                body,
                children: self.children,
            }),
            _ => Err(f.into_error()),
        }
    }
}

/// A school's events in the caller's reach, newest first. Minutes are not opened.
#[utoipa::path(
    get,
    path = "/schools/{id}/events",
    operation_id = "list_events",
    tag = "events",
    params(("id" = i64, Path, description = "School id"), EventQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The events", body = EventList),
        (status = 400, description = "A malformed query", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "The school is absent or outside the caller's scope", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(school_id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<EventQuery>,
) -> AppResult<Json<EventList>> {
    let filter = EventFilter {
        class_id: q.class_id,
        kind: q.kind,
        from: q.from,
        to: q.to,
        limit: q.limit,
    };
    let items = state
        .store
        .run(move |conn| repo::list(conn, &scope, school_id, &filter))
        .await?;
    Ok(Json(EventList {
        items: items.into_iter().map(EventRow::from).collect(),
    }))
}

/// Records an event. With an `Idempotency-Key`, the same request again answers the event the
/// first one created.
#[utoipa::path(
    post,
    path = "/schools/{id}/events",
    operation_id = "create_event",
    tag = "events",
    params(
        ("id" = i64, Path, description = "School id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Up to 100 characters, unique per request; a retry with the same key records nothing new"),
    ),
    request_body = NewEvent,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded (or recorded earlier under the same key)", body = Event),
        (status = 400, description = "Malformed JSON or `Idempotency-Key`", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The role may not record events, or a head teacher a school-wide one", body = ErrorBody),
        (status = 404, description = "The school is absent or outside the caller's scope", body = ErrorBody),
        (status = 422, description = "Invalid fields; `children` names attendees out of reach or of another school", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ApiUser { user, scope }: ApiUser,
    headers: HeaderMap,
    ApiPath(school_id): ApiPath<i64>,
    ApiJson(body): ApiJson<NewEvent>,
) -> AppResult<Response> {
    let submit_key = idempotency_key(&headers, user.id)?;
    let mut f = Fields::default();
    let kind = f.check("kind", body.kind.ok_or("error.required"));
    let date = f.check("date", body.date.ok_or("error.required"));
    let title = f.check("title", body.title.ok_or("error.required"));
    let (Some(kind), Some(date), Some(title)) = (kind, date, title) else {
        return Err(f.into_error());
    };
    let input = Draft {
        class_id: body.class_id,
        kind,
        date,
        title,
        minutes: body.minutes,
        guardians: body.guardians,
        guardian_count: body.guardian_count,
        children: body.children,
    }
    .parse(school_id)?;
    let key = state.store.key();
    let record = state
        .store
        .run(move |conn| repo::create(conn, &scope, &key, &input, submit_key.as_deref()))
        .await?;
    let location = format!("/api/v1/events/{}", record.summary.id);
    Ok(created(location, Event::from(record)))
}

/// One event with its minutes; every reading is audit-logged.
#[utoipa::path(
    get,
    path = "/events/{id}",
    operation_id = "get_event",
    tag = "events",
    params(("id" = i64, Path, description = "Event id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The event", body = Event),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "Absent, deleted or outside the caller's scope", body = ErrorBody),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Event>> {
    let key = state.store.key();
    let record = state
        .store
        .run(move |conn| repo::get(conn, &scope, &key, id))
        .await?;
    Ok(Json(record.into()))
}

/// Changes an event if nobody changed it since `version` was read.
#[utoipa::path(
    patch,
    path = "/events/{id}",
    operation_id = "update_event",
    tag = "events",
    params(("id" = i64, Path, description = "Event id")),
    request_body = EventPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved; `version` went up by one", body = Event),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The role may not change events", body = ErrorBody),
        (status = 404, description = "Absent, deleted or outside the caller's scope", body = ErrorBody),
        (status = 409, description = "Stale `version` (`conflict`, with both versions in `details`)", body = ErrorBody),
        (status = 422, description = "Invalid fields", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<EventPatch>,
) -> AppResult<Json<Event>> {
    let version = body
        .version
        .ok_or_else(|| AppError::invalid_field("version", "error.required"))?;
    let key = state.store.key();
    let read = (scope.clone(), key.clone());
    let current = state
        .store
        .run(move |conn| repo::get(conn, &read.0, &read.1, id))
        .await?;
    let s = &current.summary;
    let input = Draft {
        class_id: body.class_id.unwrap_or(s.class_id),
        kind: body.kind.unwrap_or_else(|| s.kind.clone()),
        date: body.date.unwrap_or_else(|| s.event_date.clone()),
        title: body.title.unwrap_or_else(|| s.title.clone()),
        minutes: body.minutes.unwrap_or_else(|| current.body.minutes.clone()),
        guardian_count: body.guardian_count.or(match &body.guardians {
            Some(_) => None,
            None => Some(current.body.guardian_count),
        }),
        guardians: body.guardians.unwrap_or_else(|| {
            current
                .body
                .guardians
                .iter()
                .map(|g| Guardian {
                    name: g.name.as_str().to_owned(),
                    relation: g.relation.clone(),
                })
                .collect()
        }),
        children: body
            .children
            .unwrap_or_else(|| current.children.iter().map(|c| c.id).collect()),
    }
    .parse(s.school_id)?;
    let record = state
        .store
        .run(move |conn| repo::update(conn, &scope, &key, id, version, &input))
        .await?;
    Ok(Json(record.into()))
}

/// Deletes an event (it stays in the audit trail and no longer counts towards duties).
#[utoipa::path(
    delete,
    path = "/events/{id}",
    operation_id = "delete_event",
    tag = "events",
    params(("id" = i64, Path, description = "Event id"), VersionQuery),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "No `version`", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The role may not delete events", body = ErrorBody),
        (status = 404, description = "Absent, deleted or outside the caller's scope", body = ErrorBody),
        (status = 409, description = "Stale `version`", body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<VersionQuery>,
) -> AppResult<StatusCode> {
    state
        .store
        .run(move |conn| repo::delete(conn, &scope, id, q.version))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_are_bounded_and_kept_per_user() {
        let mut headers = HeaderMap::new();
        assert_eq!(idempotency_key(&headers, 7).unwrap(), None);
        headers.insert("idempotency-key", "abc-1".parse().unwrap());
        assert_eq!(
            idempotency_key(&headers, 7).unwrap().as_deref(),
            Some("api:7:abc-1")
        );
        headers.insert("idempotency-key", "x".repeat(101).parse().unwrap());
        assert!(idempotency_key(&headers, 7).is_err());
    }

    #[test]
    fn drafts_name_every_bad_field() {
        let draft = Draft {
            class_id: None,
            kind: "party".to_owned(),
            date: "2026-13-01".to_owned(),
            title: " ".to_owned(),
            minutes: String::new(),
            guardians: vec![Guardian {
                name: "123".to_owned(),
                relation: String::new(),
            }],
            guardian_count: None,
            children: Vec::new(),
        };
        let e = draft.parse(1).unwrap_err();
        let fields: Vec<&str> = e.fields.keys().map(String::as_str).collect();
        assert_eq!(fields, ["date", "guardians", "kind", "title"]);
    }
}
