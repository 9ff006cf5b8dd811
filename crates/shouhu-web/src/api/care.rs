//! `/api/v1` care work: a child's care records (关爱记录) and pairings (结对帮扶), bulk pairing of
//! a class, and pairing coverage. The store decides reach and confidentiality; this module reads
//! the flat JSON bodies (a record's kind-specific fields beside `kind` and `record_date`) through
//! the domain's parser, so the API and the form refuse the same things with the same codes.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use shouhu_domain::{
    CareBody, CareError, CareKind, PairingKind, Partner, RegionCode, parse_record_date,
    today_shanghai,
};
use shouhu_store::care_records::{self, RecordQuery};
use shouhu_store::pairings::{self, Area, CoverageCaliber};
use utoipa::{IntoParams, ToSchema};

use super::{ApiJson, ApiPath, ApiQuery, ErrorBody, created, instant};
use crate::auth::ApiUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Longest idempotency key accepted.
const IDEMPOTENCY_KEY_MAX: usize = 100;
/// Fields of a record body that are not kind-specific.
const HEAD_FIELDS: [&str; 4] = ["kind", "record_date", "idempotency_key", "version"];

/// A care record as the caller may see it.
#[derive(Serialize, ToSchema)]
pub struct Record {
    pub id: i64,
    pub child_id: i64,
    /// `talk`, `home_visit`, `family_contact`, `counselling`, `tutoring`, `life_care`,
    /// `home_teaching`, `health_check`, `birthday`, `file_review` or `other`.
    #[schema(example = "talk")]
    pub kind: String,
    #[schema(example = "2026-12-02")]
    pub record_date: NaiveDate,
    /// The Beijing date it was entered; later than `record_date` when written up late.
    pub entered_on: NaiveDate,
    pub author_id: Option<i64>,
    #[schema(example = "龙老师（班主任）")]
    pub author_name: String,
    #[schema(example = "head_teacher")]
    pub author_role: String,
    /// Counselling notes: only their author, principals, the bureau and system administrators
    /// read them.
    pub confidential: bool,
    /// True when `fields` is withheld from this caller.
    pub withheld: bool,
    /// The kind's own fields (`{"topics": "…", "mood": "low"}`); null when withheld.
    #[schema(value_type = Option<Object>, example = json!({"topics": "想妈妈", "mood": "low"}))]
    pub fields: Option<Value>,
    /// Send it back with a PATCH or DELETE; a stale one answers 409.
    pub version: i32,
    /// Whether the caller may change or delete it.
    pub editable: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<care_records::CareRecord> for Record {
    fn from(r: care_records::CareRecord) -> Self {
        let fields = r.body.as_ref().and_then(|b| {
            let mut v = serde_json::to_value(b).ok()?;
            v.as_object_mut()?.remove("kind");
            Some(v)
        });
        Self {
            id: r.id,
            child_id: r.child_id,
            kind: r.kind.code().to_owned(),
            record_date: r.record_date,
            entered_on: r.entered_on,
            author_id: r.author_id,
            author_name: r.author_name,
            author_role: r.author_role,
            confidential: r.confidential,
            withheld: r.body.is_none(),
            fields,
            version: r.version,
            editable: r.editable,
            created_at: instant(r.created_at),
            updated_at: instant(r.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RecordList {
    /// Newest first.
    pub items: Vec<Record>,
    /// Pass as `after` for the next page; null on the last page.
    pub next: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecordListQuery {
    /// Only records of this kind.
    #[param(value_type = Option<String>, example = "talk")]
    pub kind: Option<String>,
    /// `next` of the previous page.
    pub after: Option<String>,
    /// Page size, 1–500 (default 50).
    pub limit: Option<i64>,
}

/// A record's body as sent: `kind`, `record_date` and the kind's own fields side by side.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NewRecord {
    /// The record kind (see `Record.kind`).
    #[schema(example = "talk")]
    kind: String,
    /// YYYY-MM-DD, not after today; today (Asia/Shanghai) when left out.
    #[schema(example = "2026-12-02")]
    record_date: Option<String>,
    /// Alternative to the `Idempotency-Key` header.
    idempotency_key: Option<String>,
    /// 谈心 talk: `topics` (required), `mood` (`good`, `calm`, `low`, `anxious`, `withdrawn`,
    /// `irritable`; required), `follow_up`. 家访 home_visit: `met` (required), `living`, `carer`.
    /// 亲情联系 family_contact: `channel` (`phone`, `video`, `letter`, `wechat`), `direction`
    /// (`child_to_parent`, `parent_to_child`), `reported_by` (`child`, `guardian`, `teacher`,
    /// `parent`), all required, and `note`. 心理辅导 counselling: `notes` (required,
    /// confidential). 学习辅导 tutoring: `subject` (required), `minutes` (1–600), `note`.
    /// 送教上门 home_teaching: `periods` (1–20) and `content`, both required. 体检/免疫
    /// health_check: `check` (`checkup`, `immunisation`) and `result`, both required.
    /// life_care and other: `note` (required); birthday and file_review: `note`.
    #[schema(value_type = Option<String>, example = "想妈妈，最近睡得不好")]
    topics: Option<String>,
    #[schema(value_type = Option<String>, example = "low")]
    mood: Option<String>,
}

/// A change of a record: `version`, and any of `record_date`, `kind` and the kind's fields;
/// fields left out keep their value unless the kind changes.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RecordPatch {
    version: i32,
    #[schema(example = "2026-12-01")]
    record_date: Option<String>,
    kind: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeleteQuery {
    /// The version read; a stale one answers 409.
    pub version: Option<i32>,
}

/// The `Idempotency-Key` header or body field, made private to the caller.
fn submit_key(
    headers: &HeaderMap,
    body: Option<&Value>,
    user_id: i64,
) -> AppResult<Option<String>> {
    let bad = || AppError::bad_request("api.idempotency_key");
    let raw = match headers.get("idempotency-key") {
        Some(h) => Some(h.to_str().map_err(|_| bad())?.to_owned()),
        None => match body {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Null) | None => None,
            Some(_) => return Err(bad()),
        },
    };
    let Some(raw) = raw else {
        return Ok(None);
    };
    let key = raw.trim();
    if key.is_empty() || key.chars().count() > IDEMPOTENCY_KEY_MAX {
        return Err(bad());
    }
    Ok(Some(format!("api:{user_id}:{key}")))
}

/// A JSON value as the text a form would send.
fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn invalid(errors: BTreeMap<String, String>) -> AppError {
    AppError::invalid(errors)
}

/// Parses kind, date and body from flat fields; every bad field is named at once.
fn parse_body(
    kind: Option<&Value>,
    date: Option<&Value>,
    fields: &BTreeMap<String, String>,
    default_date: NaiveDate,
) -> AppResult<(NaiveDate, CareBody)> {
    let mut errors = BTreeMap::new();
    let kind = match kind.and_then(as_text) {
        None => {
            errors.insert("kind".to_owned(), CareError::Required.code().to_owned());
            None
        }
        Some(k) => match CareKind::parse(&k) {
            Ok(k) => Some(k),
            Err(e) => {
                errors.insert("kind".to_owned(), e.code().to_owned());
                None
            }
        },
    };
    let date = match date {
        None | Some(Value::Null) => Some(default_date),
        Some(v) => match as_text(v).map(|s| parse_record_date(&s, today_shanghai())) {
            Some(Ok(d)) => Some(d),
            Some(Err(e)) => {
                errors.insert("record_date".to_owned(), e.code().to_owned());
                None
            }
            None => {
                errors.insert("record_date".to_owned(), CareError::Date.code().to_owned());
                None
            }
        },
    };
    let Some(kind) = kind else {
        return Err(invalid(errors));
    };
    for field in fields.keys() {
        if !kind.fields().iter().any(|(f, _)| f == field) {
            errors.insert(field.clone(), "care.unknown_field".to_owned());
        }
    }
    let body = CareBody::parse(kind, |f| fields.get(f).map(String::as_str));
    match (body, date) {
        (Ok(body), Some(date)) if errors.is_empty() => Ok((date, body)),
        (body, _) => {
            if let Err(e) = body {
                for (field, error) in e {
                    errors.insert(field.to_owned(), error.code().to_owned());
                }
            }
            Err(invalid(errors))
        }
    }
}

/// The kind-specific fields of a flat body, as text; a nested value is refused.
fn kind_fields(body: &Map<String, Value>) -> AppResult<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let mut errors = BTreeMap::new();
    for (k, v) in body {
        if HEAD_FIELDS.contains(&k.as_str()) || v.is_null() {
            continue;
        }
        match as_text(v) {
            Some(t) => {
                out.insert(k.clone(), t);
            }
            None => {
                errors.insert(k.clone(), "care.unknown_field".to_owned());
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(invalid(errors))
    }
}

fn record_location(id: i64) -> String {
    format!("/api/v1/records/{id}")
}

/// A child's care records, newest first; the reading is audit-logged. Volunteers see only
/// their own family-contact and everyday-care records; confidential notes are withheld from
/// those who may not read them.
#[utoipa::path(
    get,
    path = "/children/{id}/records",
    operation_id = "list_care_records",
    tag = "care",
    params(("id" = i64, Path, description = "Child id"), RecordListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of records", body = RecordList),
        (status = 400, description = "Malformed query", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's reach", body = ErrorBody),
        (status = 422, description = "Unknown `kind` or bad `after`", body = ErrorBody),
    )
)]
pub async fn list_records(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<RecordListQuery>,
) -> AppResult<Json<RecordList>> {
    let kind = q
        .kind
        .as_deref()
        .map(CareKind::parse)
        .transpose()
        .map_err(|e| AppError::invalid_field("kind", e.code()))?;
    let query = RecordQuery {
        kind,
        after: q.after,
        limit: q.limit,
    };
    let key = state.store.key();
    let page = state
        .store
        .run(move |conn| care_records::list_for_child(conn, &scope, &key, id, &query))
        .await?;
    Ok(Json(RecordList {
        items: page.items.into_iter().map(Record::from).collect(),
        next: page.next,
    }))
}

/// Writes a care record. With an `Idempotency-Key` (header or body), sending the same request
/// again returns the first record and saves nothing.
#[utoipa::path(
    post,
    path = "/children/{id}/records",
    operation_id = "create_care_record",
    tag = "care",
    params(
        ("id" = i64, Path, description = "Child id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Up to 100 characters; a retry with the same key saves nothing new"),
    ),
    request_body = NewRecord,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Saved (or saved earlier under the same key)", body = Record),
        (status = 400, description = "Malformed JSON or idempotency key", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "A kind the caller may not write (volunteers: only family_contact and life_care)", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's reach", body = ErrorBody),
        (status = 422, description = "Invalid fields, each named", body = ErrorBody),
    )
)]
pub async fn create_record(
    State(state): State<AppState>,
    ApiUser { user, scope }: ApiUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> AppResult<Response> {
    let sk = submit_key(&headers, body.get("idempotency_key"), user.id)?;
    let fields = kind_fields(&body)?;
    let (date, care) = parse_body(
        body.get("kind"),
        body.get("record_date"),
        &fields,
        today_shanghai(),
    )?;
    let key = state.store.key();
    let record = state
        .store
        .run(move |conn| care_records::create(conn, &scope, &key, id, date, &care, sk.as_deref()))
        .await?;
    Ok(created(record_location(record.id), Record::from(record)))
}

/// One record; the opening is audit-logged.
#[utoipa::path(
    get,
    path = "/records/{id}",
    operation_id = "get_care_record",
    tag = "care",
    params(("id" = i64, Path, description = "Record id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The record", body = Record),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "Absent, deleted or outside the caller's reach", body = ErrorBody),
    )
)]
pub async fn show_record(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Record>> {
    let key = state.store.key();
    let record = state
        .store
        .run(move |conn| care_records::get(conn, &scope, &key, id))
        .await?;
    Ok(Json(record.into()))
}

/// Changes a record's date, kind or fields if nobody saved it since `version`.
#[utoipa::path(
    patch,
    path = "/records/{id}",
    operation_id = "update_care_record",
    tag = "care",
    params(("id" = i64, Path, description = "Record id")),
    request_body = RecordPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved", body = Record),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not the author, nor a principal or officer", body = ErrorBody),
        (status = 404, description = "Absent, deleted or outside the caller's reach", body = ErrorBody),
        (status = 409, description = "Stale `version`", body = ErrorBody),
        (status = 422, description = "Invalid fields, each named", body = ErrorBody),
    )
)]
pub async fn update_record(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Map<String, Value>>,
) -> AppResult<Json<Record>> {
    let version = body
        .get("version")
        .and_then(Value::as_i64)
        .and_then(|v| i32::try_from(v).ok())
        .ok_or_else(|| AppError::invalid_field("version", "error.required"))?;
    let sent = kind_fields(&body)?;
    let key = state.store.key();
    let read_scope = scope.clone();
    let read_key = key.clone();
    let current = state
        .store
        .run(move |conn| care_records::get(conn, &read_scope, &read_key, id))
        .await?;
    let Some(old_body) = &current.body else {
        return Err(AppError::forbidden("denied.care.edit"));
    };
    let kind = body
        .get("kind")
        .cloned()
        .unwrap_or_else(|| Value::String(current.kind.code().to_owned()));
    let same_kind = as_text(&kind).is_some_and(|k| CareKind::parse(&k) == Ok(current.kind));
    let mut fields: BTreeMap<String, String> = if same_kind {
        old_body
            .form_values()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect()
    } else {
        BTreeMap::new()
    };
    fields.extend(sent);
    // A field sent as null clears it.
    for (k, v) in &body {
        if v.is_null() {
            fields.remove(k);
        }
    }
    let (date, care) = parse_body(
        Some(&kind),
        body.get("record_date"),
        &fields,
        current.record_date,
    )?;
    let record = state
        .store
        .run(move |conn| care_records::update(conn, &scope, &key, id, version, date, &care))
        .await?;
    Ok(Json(record.into()))
}

/// Deletes a record. It stays stored, marked with who deleted it and when, for the audit trail.
#[utoipa::path(
    delete,
    path = "/records/{id}",
    operation_id = "delete_care_record",
    tag = "care",
    params(("id" = i64, Path, description = "Record id"), DeleteQuery),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not the author, nor a principal or officer", body = ErrorBody),
        (status = 404, description = "Absent, deleted or outside the caller's reach", body = ErrorBody),
        (status = 409, description = "Stale `version`", body = ErrorBody),
    )
)]
pub async fn delete_record(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DeleteQuery>,
) -> AppResult<Response> {
    state
        .store
        .run(move |conn| care_records::delete(conn, &scope, id, q.version))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A pairing.
#[derive(Serialize, ToSchema)]
pub struct PairingOut {
    pub id: i64,
    pub child_id: i64,
    #[schema(example = "单𠮷")]
    pub child_name: String,
    /// `teacher`, `buddy`, `volunteer`, `child_director` or `party_member`.
    #[schema(example = "teacher")]
    pub kind: String,
    /// The partner's account, when they have one.
    pub user_id: Option<i64>,
    /// The pupil partner of a `buddy` pairing.
    pub buddy_child_id: Option<i64>,
    #[schema(example = "吴老师（任课教师）")]
    pub partner_name: String,
    pub from_date: NaiveDate,
    /// Its last day, once ended.
    pub to_date: Option<NaiveDate>,
    pub note: String,
    /// Running today (Asia/Shanghai).
    pub active: bool,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub ended_by: Option<String>,
}

impl From<pairings::Pairing> for PairingOut {
    fn from(p: pairings::Pairing) -> Self {
        Self {
            id: p.id,
            child_id: p.child_id,
            child_name: p.child_name,
            kind: p.kind.code().to_owned(),
            user_id: p.user_id,
            buddy_child_id: p.buddy_child_id,
            partner_name: p.partner_name,
            from_date: p.from_date,
            to_date: p.to_date,
            note: p.note,
            active: p.active,
            created_by: p.created_by,
            created_at: instant(p.created_at),
            ended_by: p.ended_by,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PairingList {
    /// Newest first.
    pub items: Vec<PairingOut>,
}

/// A new pairing: `user_id` for a teacher (a staff member of the child's school), a volunteer,
/// a child director or a party member with an account; `buddy_child_id` for a 学习帮手;
/// `partner_name` for someone without an account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPairing {
    #[schema(example = "teacher")]
    pub kind: String,
    pub user_id: Option<i64>,
    pub buddy_child_id: Option<i64>,
    #[schema(example = "张华")]
    pub partner_name: Option<String>,
    /// Today when left out.
    pub from_date: Option<NaiveDate>,
    #[serde(default)]
    pub note: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndPairing {
    /// The pairing's last day; today when left out.
    pub to_date: Option<NaiveDate>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassPairing {
    /// A staff member of the class's school.
    pub teacher_id: i64,
    /// Today when left out.
    pub from_date: Option<NaiveDate>,
    #[serde(default)]
    pub note: String,
    /// Only say who would be paired; pair nobody.
    #[serde(default)]
    pub preview: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ChildRef {
    pub id: i64,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct ClassPairingOut {
    pub class_id: i64,
    pub teacher_id: i64,
    pub teacher_name: String,
    pub from_date: NaiveDate,
    /// The class's left-behind children on roll (民政 or 学籍 caliber) without a teacher:
    /// paired now, or to be paired on a preview.
    pub paired: Vec<ChildRef>,
    /// Those who already had a teacher pairing, left as they are.
    pub already_paired: Vec<ChildRef>,
    pub preview: bool,
}

fn refs(list: Vec<(i64, String)>) -> Vec<ChildRef> {
    list.into_iter()
        .map(|(id, name)| ChildRef { id, name })
        .collect()
}

/// Every pairing of a child, newest first.
#[utoipa::path(
    get,
    path = "/children/{id}/pairings",
    operation_id = "list_child_pairings",
    tag = "care",
    params(("id" = i64, Path, description = "Child id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The pairing history", body = PairingList),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's reach", body = ErrorBody),
    )
)]
pub async fn list_pairings(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<PairingList>> {
    let items = state
        .store
        .run(move |conn| pairings::history(conn, &scope, id))
        .await?;
    Ok(Json(PairingList {
        items: items.into_iter().map(PairingOut::from).collect(),
    }))
}

/// Pairs a child. The same partner already paired with the child (same kind, running on the
/// start day) is answered as it is, so a retry pairs once.
#[utoipa::path(
    post,
    path = "/children/{id}/pairings",
    operation_id = "create_pairing",
    tag = "care",
    params(("id" = i64, Path, description = "Child id")),
    request_body = NewPairing,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Paired", body = PairingOut),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The caller's role may not make this kind of pairing", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's scope", body = ErrorBody),
        (status = 422, description = "Invalid kind, partner or note", body = ErrorBody),
    )
)]
pub async fn create_pairing(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<NewPairing>,
) -> AppResult<Response> {
    let kind =
        PairingKind::parse(&body.kind).map_err(|e| AppError::invalid_field("kind", e.code()))?;
    let partner = match (body.user_id, body.buddy_child_id, body.partner_name) {
        (Some(u), None, _) => Partner::User(u),
        (None, Some(c), _) => Partner::Pupil(c),
        (None, None, Some(n)) => Partner::Named(n),
        _ => return Err(AppError::invalid_field("partner", "pairing.partner")),
    };
    let input = pairings::PairingInput {
        kind,
        partner,
        from: body.from_date.unwrap_or_else(today_shanghai),
        note: body.note,
    };
    let pairing = state
        .store
        .run(move |conn| pairings::create(conn, &scope, id, &input))
        .await?;
    Ok(created(
        format!("/api/v1/children/{id}/pairings"),
        PairingOut::from(pairing),
    ))
}

/// Ends a pairing; `to_date` is its last day.
#[utoipa::path(
    post,
    path = "/pairings/{id}/end",
    operation_id = "end_pairing",
    tag = "care",
    params(("id" = i64, Path, description = "Pairing id")),
    request_body = EndPairing,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Ended", body = PairingOut),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The caller's role may not end this kind of pairing", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's scope", body = ErrorBody),
        (status = 422, description = "Already ended, or `to_date` before the start", body = ErrorBody),
    )
)]
pub async fn end_pairing(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<EndPairing>,
) -> AppResult<Json<PairingOut>> {
    let to = body.to_date.unwrap_or_else(today_shanghai);
    let pairing = state
        .store
        .run(move |conn| pairings::end(conn, &scope, id, to))
        .await?;
    Ok(Json(pairing.into()))
}

/// Pairs every left-behind child of a class on roll (民政 or 学籍 caliber) who has no teacher
/// pairing with one teacher, in one go; with `preview`, only says who would be paired. Running
/// it again pairs nobody twice.
#[utoipa::path(
    post,
    path = "/classes/{id}/pairings",
    operation_id = "pair_class",
    tag = "care",
    params(("id" = i64, Path, description = "Class id")),
    request_body = ClassPairing,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Paired, or the preview", body = ClassPairingOut),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The caller's role may not pair teachers", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's scope", body = ErrorBody),
        (status = 422, description = "The teacher is not staff of the class's school", body = ErrorBody),
    )
)]
pub async fn pair_class(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ClassPairing>,
) -> AppResult<Json<ClassPairingOut>> {
    let from = body.from_date.unwrap_or_else(today_shanghai);
    let teacher = body.teacher_id;
    let preview = body.preview;
    let note = body.note;
    let out = state
        .store
        .run(move |conn| {
            let plan = pairings::plan_class(conn, &scope, id, teacher, from)?;
            if !preview {
                pairings::pair_class(conn, &scope, id, teacher, from, &note)?;
            }
            Ok(plan)
        })
        .await?;
    Ok(Json(ClassPairingOut {
        class_id: out.class_id,
        teacher_id: out.teacher_id,
        teacher_name: out.teacher_name,
        from_date: out.from,
        paired: refs(out.to_pair),
        already_paired: refs(out.already_paired),
        preview,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CoverageQuery {
    /// A region code (6, 9 or 12 digits); send this or `school`.
    #[param(example = "520502")]
    pub region: Option<String>,
    /// A school id; send this or `region`.
    pub school: Option<i64>,
    /// `mca` (民政, the default) or `xueji` (学籍: one or both parents away).
    #[param(example = "mca")]
    pub caliber: Option<String>,
    /// The day counted; today when left out.
    pub on: Option<NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub struct CoverageOut {
    /// Left-behind children on roll with a teacher pairing running on `on`.
    pub paired: i64,
    /// Left-behind children on roll.
    pub left_behind: i64,
    /// `paired` ÷ `left_behind` × 100, one decimal; null when there is nobody to cover.
    pub percent: Option<f64>,
    pub caliber: String,
    pub on: NaiveDate,
}

/// Pairing coverage of a school or region: left-behind children with an active teacher
/// pairing ÷ left-behind children, both numbers given.
#[utoipa::path(
    get,
    path = "/pairings/coverage",
    operation_id = "pairing_coverage",
    tag = "care",
    params(CoverageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The two counts", body = CoverageOut),
        (status = 400, description = "Malformed query", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Teachers and volunteers have no coverage to see", body = ErrorBody),
        (status = 404, description = "Outside the caller's scope", body = ErrorBody),
        (status = 422, description = "Neither or both of `region` and `school`, or a bad code", body = ErrorBody),
    )
)]
pub async fn coverage(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiQuery(q): ApiQuery<CoverageQuery>,
) -> AppResult<Json<CoverageOut>> {
    let area = match (q.region.as_deref(), q.school) {
        (Some(code), None) => Area::Region(
            RegionCode::parse(code).map_err(|e| AppError::invalid_field("region", e.code()))?,
        ),
        (None, Some(id)) => Area::School(id),
        _ => return Err(AppError::invalid_field("region", "care.area")),
    };
    let caliber = match q.caliber.as_deref() {
        None | Some("mca") => CoverageCaliber::Mca,
        Some("xueji") => CoverageCaliber::Xueji,
        Some(_) => return Err(AppError::invalid_field("caliber", "care.caliber")),
    };
    let on = q.on.unwrap_or_else(today_shanghai);
    let c = state
        .store
        .run(move |conn| pairings::coverage(conn, &scope, &area, caliber, on))
        .await?;
    Ok(Json(CoverageOut {
        paired: c.paired,
        left_behind: c.left_behind,
        percent: c.percent(),
        caliber: match c.caliber {
            CoverageCaliber::Mca => "mca",
            CoverageCaliber::Xueji => "xueji",
        }
        .to_owned(),
        on: c.on,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(body: Value) -> AppResult<(NaiveDate, CareBody)> {
        let map = body.as_object().unwrap().clone();
        let fields = kind_fields(&map)?;
        parse_body(
            map.get("kind"),
            map.get("record_date"),
            &fields,
            today_shanghai(),
        )
    }

    #[test]
    fn flat_bodies_are_read_with_the_domains_rules() {
        let (date, body) =
            parse(json!({"kind": "talk", "topics": "想妈妈", "mood": "低落"})).unwrap();
        assert_eq!(date, today_shanghai());
        assert_eq!(body.kind(), CareKind::Talk);
        let e = parse(json!({"kind": "home_teaching", "periods": 0, "record_date": "2999-01-01"}))
            .unwrap_err();
        assert_eq!(e.fields["periods"], "care.periods");
        assert_eq!(e.fields["content"], "care.required");
        assert_eq!(e.fields["record_date"], "care.future_date");
        let e = parse(json!({"kind": "talk", "topics": "x", "mood": "calm", "notes": "y"}))
            .unwrap_err();
        assert_eq!(e.fields["notes"], "care.unknown_field");
        let e = parse(json!({"kind": "chat"})).unwrap_err();
        assert_eq!(e.fields["kind"], "care_kind.unknown");
    }

    #[test]
    fn idempotency_keys_come_from_the_header_or_the_body() {
        let mut headers = HeaderMap::new();
        assert_eq!(submit_key(&headers, None, 3).unwrap(), None);
        let body = json!("k1");
        assert_eq!(
            submit_key(&headers, Some(&body), 3).unwrap().as_deref(),
            Some("api:3:k1")
        );
        headers.insert("idempotency-key", "h1".parse().unwrap());
        assert_eq!(
            submit_key(&headers, Some(&body), 3).unwrap().as_deref(),
            Some("api:3:h1")
        );
        assert!(submit_key(&HeaderMap::new(), Some(&json!(5)), 3).is_err());
    }
}
