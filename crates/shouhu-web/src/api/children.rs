//! `/api/v1/children`: child files (一人一档) within the caller's scope. Reads are masked for the
//! caller's role and audit-logged; a reveal shows the values in clear for roles that need them,
//! with a reason that is logged; edits are JSON merge patches carrying the version they were
//! based on. Contact cards come as PDF.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shouhu_domain::{CareArrangement, GuardianshipRating, HardshipTag, SchoolingStatus, Sex};
use shouhu_store::children::{self as repo, Caliber, Change, ChildFilter, Placement};
use shouhu_store::{Conn, Scope, StoreError, StoreResult, classes};
use utoipa::{IntoParams, ToSchema};

use super::{ApiJson, ApiPath, ApiQuery, ErrorBody, Fields, created, instant, present};
use crate::auth::ApiUser;
use crate::cards;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Longest `Idempotency-Key` accepted.
const IDEMPOTENCY_KEY_MAX: usize = 100;
/// Fields of the request bodies themselves; every other field an error names is in the file.
const BODY_FIELDS: [&str; 4] = ["school_id", "class_id", "version", "reason"];

/// A row of the list, and the head of a file.
#[derive(Serialize, ToSchema)]
pub struct Child {
    pub id: i64,
    pub school_id: i64,
    #[schema(example = "梨树镇九年一贯制学校")]
    pub school_name: String,
    pub class_id: Option<i64>,
    #[schema(example = "三年级（1）班")]
    pub class_name: Option<String>,
    /// -2 小班 … 12 高三.
    pub class_grade: Option<i32>,
    #[schema(example = "单𠮷")]
    pub name: String,
    /// Lower-case pinyin the list sorts by.
    #[schema(example = "shan")]
    pub name_pinyin: String,
    /// `male` or `female`.
    #[schema(example = "female")]
    pub sex: String,
    #[schema(example = "2015-03-01")]
    pub birth_date: String,
    /// `in_school`, `suspended`, `transferred_out`, `graduated` or `home_taught`.
    #[schema(example = "in_school")]
    pub schooling: String,
    /// `grandparents`, `one_parent`, `relatives`, `unattended` or `other`.
    #[schema(example = "grandparents")]
    pub care_arrangement: Option<String>,
    /// `good`, `fair` or `poor`.
    #[schema(example = "fair")]
    pub rating: Option<String>,
    /// Hardship tags in force (`poor_family`, `orphan`, …).
    pub tags: Vec<String>,
    pub key_child: bool,
    /// Left-behind by the 民政 caliber (both parents away, or one away and the other unable).
    pub lb_mca: bool,
    /// 学籍 left-behind code: 0 not left-behind, 1 one parent away, 2 both parents away.
    #[schema(example = 2)]
    pub lb_xueji: i32,
    /// Left-behind by the census caliber.
    pub lb_census: bool,
    /// The day the three calibers were derived on.
    #[schema(example = "2026-11-22")]
    pub lb_as_of: String,
    /// Percentage of the required items filled in, 0–100.
    #[schema(example = 85)]
    pub completeness: i32,
    /// Send it back with a PATCH; a stale one answers 409.
    pub version: i32,
}

impl From<repo::ChildSummary> for Child {
    fn from(s: repo::ChildSummary) -> Self {
        let sex = match Sex::parse(&s.sex) {
            Ok(Sex::Male) => "male".to_owned(),
            Ok(Sex::Female) => "female".to_owned(),
            Err(_) => s.sex,
        };
        Self {
            id: s.id,
            school_id: s.school_id,
            school_name: s.school_name,
            class_id: s.class_id,
            class_name: s.class_name,
            class_grade: s.class_grade,
            name: s.name,
            name_pinyin: s.name_pinyin,
            sex,
            birth_date: s.birth_date,
            schooling: s.schooling,
            care_arrangement: s.care_arrangement,
            rating: s.rating,
            tags: s
                .tags
                .split(',')
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
            key_child: s.key_child,
            lb_mca: s.lb_mca,
            lb_xueji: s.lb_xueji,
            lb_census: s.lb_census,
            lb_as_of: s.lb_as_of,
            completeness: s.completeness,
            version: s.version,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ChildList {
    pub items: Vec<Child>,
    /// Pass as `after` for the next page; null on the last page.
    pub next: Option<String>,
}

/// A file as the caller may see it: the summary, and the file itself.
#[derive(Serialize, ToSchema)]
pub struct ChildRecord {
    #[serde(flatten)]
    pub child: Child,
    /// The child file (see `ChildFile`). ID numbers, phones and addresses are masked
    /// (`520502********1234`, `138****5678`, `贵州省毕节市****`), health and notes are `****`,
    /// unless `visibility` is `revealed`.
    #[schema(value_type = Object)]
    pub file: Value,
    /// Required items still empty, as message keys (`missing.address`, `missing.parent_phone`…).
    #[schema(example = json!(["missing.personality"]))]
    pub missing: Vec<String>,
    /// `masked`, `hidden` (sensitive values removed) or `revealed` (in clear).
    #[schema(example = "masked")]
    pub visibility: String,
}

impl From<repo::ChildRecord> for ChildRecord {
    fn from(r: repo::ChildRecord) -> Self {
        Self {
            child: r.summary.into(),
            file: r.file,
            missing: r.missing.into_iter().map(str::to_owned).collect(),
            visibility: r.visibility.to_owned(),
        }
    }
}

/// Which left-behind caliber to list.
#[derive(Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaliberParam {
    /// 民政 caliber.
    Mca,
    /// 学籍 caliber (one or both parents away).
    Xueji,
    /// Census caliber.
    Census,
    /// Left-behind under none of the three.
    None,
}

impl From<CaliberParam> for Caliber {
    fn from(c: CaliberParam) -> Self {
        match c {
            CaliberParam::Mca => Caliber::Mca,
            CaliberParam::Xueji => Caliber::Xueji,
            CaliberParam::Census => Caliber::Census,
            CaliberParam::None => Caliber::None,
        }
    }
}

/// Filters of the list; a value that is not one of the listed codes answers 400.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChildQuery {
    /// Only children of this school.
    pub school_id: Option<i64>,
    /// Only children of this class.
    pub class_id: Option<i64>,
    /// `mca`, `xueji`, `census`, or `none` for children left-behind under none of them.
    #[param(inline)]
    pub caliber: Option<CaliberParam>,
    /// `grandparents`, `one_parent`, `relatives`, `unattended` or `other`.
    #[param(value_type = Option<String>, example = "grandparents")]
    pub care_arrangement: Option<CareArrangement>,
    /// Guardianship rating: `good`, `fair` or `poor`.
    #[param(value_type = Option<String>, example = "poor")]
    pub rating: Option<GuardianshipRating>,
    /// A hardship tag in force: `poor_family`, `own_disability`, `guardianship_failure`,
    /// `orphan`, `de_facto_unsupported`, `prisoner_child`, `migrant_child` or
    /// `poverty_household`.
    #[param(value_type = Option<String>, example = "orphan")]
    pub tag: Option<HardshipTag>,
    /// `in_school`, `suspended`, `transferred_out`, `graduated` or `home_taught`.
    #[param(value_type = Option<String>, example = "in_school")]
    pub schooling: Option<SchoolingStatus>,
    /// Only key children (`true`) or only the others (`false`).
    pub key_child: Option<bool>,
    /// A name or part of one, its pinyin or initials (`zhang`, `zs`), or the last 4+ digits of
    /// the ID number.
    #[param(example = "zhang")]
    pub q: Option<String>,
    /// `next` of the previous page.
    pub after: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(example = 50)]
    pub limit: Option<i64>,
}

impl From<ChildQuery> for ChildFilter {
    fn from(q: ChildQuery) -> Self {
        ChildFilter {
            school_id: q.school_id,
            class_id: q.class_id,
            caliber: q.caliber.map(Caliber::from),
            care_arrangement: q.care_arrangement.map(|v| v.code().to_owned()),
            rating: q.rating.map(|v| v.code().to_owned()),
            tag: q.tag.map(|v| v.code().to_owned()),
            schooling: q.schooling.map(|v| v.code().to_owned()),
            key_child: q.key_child,
            q: q.q,
            after: q.after,
            limit: q.limit,
        }
    }
}

/// Opens a file at a school, and in one of its classes once placed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewChild {
    #[schema(required = true, value_type = i64)]
    pub school_id: Option<i64>,
    /// A class of that school.
    pub class_id: Option<i64>,
    /// The child file. Errors in it are reported under `file.<path>` (`file.father.phone`).
    #[schema(required = true, value_type = ChildFileSchema)]
    pub file: Option<Value>,
}

/// Fields left out keep their value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildPatch {
    /// The `version` the change is based on.
    #[schema(required = true, value_type = i32)]
    pub version: Option<i32>,
    /// Moves the child to another school; the class is left unless `class_id` is sent too.
    pub school_id: Option<i64>,
    /// Moves the child to another class (of the school); `null` takes them out of their class.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub class_id: Option<Option<i64>>,
    /// A JSON merge patch (RFC 7396) over the file: objects merge key by key, `null` removes,
    /// anything else replaces. A masked value sent back as it was read (`138****5678`) keeps
    /// the value it stands for.
    #[schema(value_type = Object, example = json!({"father": {"phone": "13700001111"}, "rating": "good"}))]
    pub file: Option<Value>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealRequest {
    /// Why the values are needed; logged with the reveal (at most 200 characters are kept).
    #[serde(default)]
    #[schema(required = true, example = "办理营养餐补助")]
    pub reason: String,
}

/// One save of a file.
#[derive(Serialize, ToSchema)]
pub struct Revision {
    pub id: i64,
    /// The file's version after this save; 1 is the creation.
    pub version: i32,
    pub at: DateTime<Utc>,
    #[schema(example = "龙老师")]
    pub actor_name: String,
    /// Field path → [before, after], sensitive values masked; `""` for absent.
    #[schema(value_type = Object, example = json!({"father.phone": ["138****5678", "137****1111"]}))]
    pub changes: BTreeMap<String, [String; 2]>,
}

impl From<repo::Revision> for Revision {
    fn from(r: repo::Revision) -> Self {
        Self {
            id: r.id,
            version: r.version,
            at: instant(r.at),
            actor_name: r.actor_name,
            changes: r.changes,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RevisionList {
    /// Newest first.
    pub items: Vec<Revision>,
}

#[derive(Serialize, ToSchema)]
pub struct Comparison {
    pub from: i32,
    pub to: i32,
    /// Field path → [as of `from`, as of `to`], sensitive values masked.
    #[schema(value_type = Object, example = json!({"name": ["单𠮷", "单小𠮷"]}))]
    pub changes: BTreeMap<String, [String; 2]>,
}

/// The history, or a comparison of two versions when `from` and `to` are given.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum Revisions {
    List(RevisionList),
    Compare(Comparison),
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RevisionQuery {
    /// Compare from this version (send `to` too).
    pub from: Option<i32>,
    /// Compare to this version (send `from` too).
    pub to: Option<i32>,
}

/// The ChildFile's JSON shape, for the OpenAPI document only: the server checks it field by
/// field with the domain's own rules.
pub struct ChildFileSchema;

const FILE_DESCRIPTION: &str = "One child's file (一人一档). Required: `name`, `sex` (`male`/`female`), \
`ethnicity` (code, e.g. `han`, `miao`), `birth_date` (YYYY-MM-DD), `id_doc_type` (`resident_id_card`, …), \
`residence_region` (12-digit region code), `schooling` and `health` (`{\"kind\": \"healthy\"}`). \
Optional: `pinyin`, `id_number` (must agree with birth date and sex), `doc_number`, `hukou_region`, \
`hukou_type` (`agricultural`/`non_agricultural`), `address`, `boarding`, `profile` {`personality`, \
`hobbies`, `strengths`}, `xueji_no`, `father` and `mother` {`name`, `birth_date`, `id_number`, `phone`, \
`away` {`since`, `province`, `city`, `region`, `employer`}, `cannot_guard`}, `guardians` [{`name`, \
`relation`, `phone`, `birth_year`, `health`, `is_carer`}], `entrustment`, `care_arrangement`, `rating`, \
`income_sources`, `assistance`, `hardships`, `key_child`, `notes`.";

impl utoipa::PartialSchema for ChildFileSchema {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let example = serde_json::json!({
            "name": "单𠮷",
            "sex": "female",
            "ethnicity": "miao",
            "birth_date": "2015-03-01",
            "id_doc_type": "resident_id_card",
            "id_number": "52050220150301124X",
            "hukou_type": "agricultural",
            "residence_region": "520502101205",
            "address": "贵州省毕节市七星关区梨树镇小屯沟村三组12号",
            "schooling": "in_school",
            "health": {"kind": "healthy"},
            "profile": {"personality": "内向", "hobbies": "画画", "strengths": "数学"},
            "father": {"name": "单建国", "phone": "13812345678",
                       "away": {"since": "2024-02-20", "province": "广东", "city": "东莞市"}},
            "mother": {"name": "李秀英", "phone": "13912345678",
                       "away": {"since": "2024-02-20", "province": "广东", "city": "深圳市"}},
            "guardians": [{"name": "单大山", "relation": "祖父", "phone": "0857-8221234",
                           "is_carer": true}],
            "care_arrangement": "grandparents",
            "rating": "fair"
        });
        utoipa::openapi::ObjectBuilder::new()
            .description(Some(FILE_DESCRIPTION))
            .examples([example])
            .into()
    }
}

impl ToSchema for ChildFileSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "ChildFile".into()
    }
}

/// A PDF download, for the OpenAPI document.
pub struct Pdf;

impl utoipa::PartialSchema for Pdf {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, SchemaFormat, Type};
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some("A PDF document."))
            .into()
    }
}

impl ToSchema for Pdf {
    fn name() -> std::borrow::Cow<'static, str> {
        "Pdf".into()
    }
}

/// The store names file fields by their path in the file (`father.phone`); the API puts them
/// under `file.` so a client knows they are inside the body's `file`.
fn in_file(e: StoreError) -> AppError {
    let mut e = AppError::from(e);
    e.fields = std::mem::take(&mut e.fields)
        .into_iter()
        .map(|(field, key)| {
            let field = match field.as_str() {
                "" | "." => "file".to_owned(),
                f if BODY_FIELDS.contains(&f) => field,
                f => format!("file.{f}"),
            };
            (field, key)
        })
        .collect();
    e
}

/// The file of a request body, parsed with the domain's rules; errors name `file.<path>`.
fn parse_file(value: Value) -> Result<shouhu_domain::ChildFile, (String, String)> {
    repo::parse_file(value).map_err(|e| match in_file(e).fields.pop_first() {
        Some(field) => field,
        None => ("file".to_owned(), "file.invalid".to_owned()),
    })
}

/// The `Idempotency-Key` header, made private to the caller so that nobody's key can find or
/// replay someone else's request.
fn submit_key(headers: &HeaderMap, user_id: i64) -> AppResult<Option<String>> {
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

fn location(id: i64) -> String {
    format!("/api/v1/children/{id}")
}

/// Where a PATCH moves the child: a class names its school; a school alone keeps the class only
/// if the school does not change.
fn placement(
    conn: &mut Conn,
    scope: &Scope,
    key: &shouhu_store::crypto::DeploymentKey,
    id: i64,
    school_id: Option<i64>,
    class_id: Option<Option<i64>>,
) -> StoreResult<Option<Placement>> {
    match (school_id, class_id) {
        (None, None) => Ok(None),
        (Some(school_id), Some(class_id)) => Ok(Some(Placement {
            school_id,
            class_id,
        })),
        (None, Some(Some(class_id))) => {
            let class = classes::get(conn, scope, class_id).map_err(|e| match e {
                StoreError::NotFound => StoreError::invalid("class_id", "child.class_unknown"),
                other => other,
            })?;
            Ok(Some(Placement {
                school_id: class.class.school_id,
                class_id: Some(class_id),
            }))
        }
        (school_id, class_id) => {
            let current = repo::get(conn, scope, key, id)?.summary;
            let school_id = school_id.unwrap_or(current.school_id);
            let class_id = match class_id {
                Some(sent) => sent,
                None if school_id == current.school_id => current.class_id,
                None => None,
            };
            Ok(Some(Placement {
                school_id,
                class_id,
            }))
        }
    }
}

/// Files in the caller's reach, by pinyin, a page at a time. Volunteers and teachers without a
/// class see none.
#[utoipa::path(
    get,
    path = "/children",
    operation_id = "list_children",
    tag = "children",
    params(ChildQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of children", body = ChildList),
        (status = 400, description = "A query parameter is malformed or not one of its codes", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 422, description = "`after` is not a page position", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiQuery(query): ApiQuery<ChildQuery>,
) -> AppResult<Json<ChildList>> {
    let filter = ChildFilter::from(query);
    let page = state
        .store
        .run(move |conn| repo::list(conn, &scope, &filter))
        .await?;
    Ok(Json(ChildList {
        items: page.items.into_iter().map(Child::from).collect(),
        next: page.next,
    }))
}

/// Opens a file. With an `Idempotency-Key`, sending the same request again returns the file
/// the first one created instead of a second file.
#[utoipa::path(
    post,
    path = "/children",
    operation_id = "create_child",
    tag = "children",
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Up to 100 characters, unique per request; a retry with the same key creates nothing new"),
    ),
    request_body = NewChild,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created (or created earlier under the same `Idempotency-Key`)", body = ChildRecord),
        (status = 400, description = "Malformed JSON or `Idempotency-Key`", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Teachers and volunteers may not open files", body = ErrorBody),
        (status = 409, description = "The child already has a file (`duplicate`); `details.existing_id` only when the caller may open it", body = ErrorBody),
        (status = 422, description = "Invalid fields, file fields as `file.<path>`", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ApiUser { user, scope }: ApiUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewChild>,
) -> AppResult<Response> {
    let submit_key = submit_key(&headers, user.id)?;
    let mut f = Fields::default();
    let school_id = f.check("school_id", body.school_id.ok_or("error.required"));
    let file = match body.file {
        None => {
            f.0.insert("file".to_owned(), "error.required".to_owned());
            None
        }
        Some(value) => match parse_file(value) {
            Ok(file) => Some(file),
            Err((field, key)) => {
                f.0.insert(field, key);
                None
            }
        },
    };
    let (Some(school_id), Some(file)) = (school_id, file) else {
        return Err(f.into_error());
    };
    let at = Placement {
        school_id,
        class_id: body.class_id,
    };
    let key = state.store.key();
    let record = state
        .store
        .run(move |conn| repo::create(conn, &scope, &key, at, &file, submit_key.as_deref()))
        .await
        .map_err(in_file)?;
    Ok(created(
        location(record.summary.id),
        ChildRecord::from(record),
    ))
}

/// One file, masked for the caller's role; every opening is audit-logged.
#[utoipa::path(
    get,
    path = "/children/{id}",
    operation_id = "get_child",
    tag = "children",
    params(("id" = i64, Path, description = "Child id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The file", body = ChildRecord),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's scope", body = ErrorBody),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<ChildRecord>> {
    let key = state.store.key();
    let record = state
        .store
        .run(move |conn| repo::get(conn, &scope, &key, id))
        .await?;
    Ok(Json(record.into()))
}

/// The file with ID numbers, phones, addresses, health and notes in clear, for roles that need
/// them; the reason is audit-logged.
#[utoipa::path(
    post,
    path = "/children/{id}/reveal",
    operation_id = "reveal_child",
    tag = "children",
    params(("id" = i64, Path, description = "Child id")),
    request_body = RevealRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The file in clear (`visibility` is `revealed`)", body = ChildRecord),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Teachers and volunteers may not see the values in full", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's scope", body = ErrorBody),
        (status = 422, description = "No reason given", body = ErrorBody),
    )
)]
pub async fn reveal(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<RevealRequest>,
) -> AppResult<Json<ChildRecord>> {
    let key = state.store.key();
    let record = state
        .store
        .run(move |conn| repo::reveal(conn, &scope, &key, id, &body.reason))
        .await?;
    Ok(Json(record.into()))
}

/// Changes a file by a merge patch, and moves the child between classes or schools, if nobody
/// changed the file since `version` was read. Every save leaves a revision.
#[utoipa::path(
    patch,
    path = "/children/{id}",
    operation_id = "update_child",
    tag = "children",
    params(("id" = i64, Path, description = "Child id")),
    request_body = ChildPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved; `version` went up by one if anything changed", body = ChildRecord),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Teachers and volunteers may not change files", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's scope", body = ErrorBody),
        (status = 409, description = "Stale `version` (`conflict`, with `details.your_version` and `details.current_version`) or the change makes it another child's duplicate (`duplicate`)", body = ErrorBody),
        (status = 422, description = "Invalid fields, file fields as `file.<path>`", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ChildPatch>,
) -> AppResult<Json<ChildRecord>> {
    let mut f = Fields::default();
    let version = f.check("version", body.version.ok_or("error.required"));
    let patch = match body.file {
        None => Some(Value::Object(serde_json::Map::new())),
        Some(patch @ Value::Object(_)) => Some(patch),
        Some(_) => {
            f.0.insert("file".to_owned(), "file.invalid".to_owned());
            None
        }
    };
    let (Some(version), Some(patch)) = (version, patch) else {
        return Err(f.into_error());
    };
    let key = state.store.key();
    let (school_id, class_id) = (body.school_id, body.class_id);
    let record = state
        .store
        .run(move |conn| {
            let at = placement(conn, &scope, &key, id, school_id, class_id)?;
            repo::update(conn, &scope, &key, id, version, at, &Change::Patch(patch))
        })
        .await
        .map_err(in_file)?;
    Ok(Json(record.into()))
}

/// The file's history, newest first; with `from` and `to`, what differs between two versions.
#[utoipa::path(
    get,
    path = "/children/{id}/revisions",
    operation_id = "list_child_revisions",
    tag = "children",
    params(("id" = i64, Path, description = "Child id"), RevisionQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "`{items}` newest first, or `{from, to, changes}` when comparing", body = Revisions),
        (status = 400, description = "Malformed query", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's scope", body = ErrorBody),
        (status = 422, description = "Only one of `from` and `to`, or a version the file never had", body = ErrorBody),
    )
)]
pub async fn revisions(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(query): ApiQuery<RevisionQuery>,
) -> AppResult<Json<Revisions>> {
    let answer = match (query.from, query.to) {
        (None, None) => {
            let history = state
                .store
                .run(move |conn| repo::revisions(conn, &scope, id))
                .await?;
            Revisions::List(RevisionList {
                items: history.into_iter().map(Revision::from).collect(),
            })
        }
        (Some(from), Some(to)) => {
            let changes = state
                .store
                .run(move |conn| repo::compare(conn, &scope, id, from, to))
                .await?;
            Revisions::Compare(Comparison { from, to, changes })
        }
        (None, Some(_)) => return Err(AppError::invalid_field("from", "error.required")),
        (Some(_), None) => return Err(AppError::invalid_field("to", "error.required")),
    };
    Ok(Json(answer))
}

/// One child's contact card (联系卡) as an A4 PDF. Phones are printed in full only for roles
/// that may reveal them. Audit-logged.
#[utoipa::path(
    get,
    path = "/children/{id}/card.pdf",
    operation_id = "child_card_pdf",
    tag = "children",
    params(("id" = i64, Path, description = "Child id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The card", content_type = "application/pdf", body = Pdf),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's scope", body = ErrorBody),
    )
)]
pub async fn card(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Response> {
    let pdf = cards::child_card(&state, scope, id).await?;
    Ok(cards::pdf_response(pdf, "联系卡.pdf"))
}

/// The contact cards of every child on roll in a class, six to an A4 page. Audit-logged.
#[utoipa::path(
    get,
    path = "/classes/{id}/cards.pdf",
    operation_id = "class_cards_pdf",
    tag = "children",
    params(("id" = i64, Path, description = "Class id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The cards", content_type = "application/pdf", body = Pdf),
        (status = 400, description = "No child of the class is on roll", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's scope", body = ErrorBody),
    )
)]
pub async fn class_cards(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Response> {
    let read_scope = scope.clone();
    let class = state
        .store
        .run(move |conn| classes::get(conn, &read_scope, id))
        .await?;
    let pdf = cards::class_cards(&state, scope, id).await?;
    let filename = format!("联系卡-{}.pdf", class.class.name);
    Ok(cards::pdf_response(pdf, &filename))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use utoipa::OpenApi;

    #[test]
    fn file_errors_are_named_inside_the_file() {
        let e = in_file(StoreError::InvalidFile {
            field: "father.phone".to_owned(),
            code: "phone.mobile".to_owned(),
        });
        assert_eq!(
            e.fields.get("file.father.phone").map(String::as_str),
            Some("phone.mobile")
        );
        let e = in_file(StoreError::invalid("class_id", "child.class_unknown"));
        assert!(e.fields.contains_key("class_id"));
        let e = in_file(StoreError::invalid(
            "birth_date",
            "child.birth_date_mismatch",
        ));
        assert!(e.fields.contains_key("file.birth_date"));
        assert_eq!(parse_file(json!("text")).unwrap_err().0, "file");
        let missing = parse_file(json!({})).unwrap_err();
        let mut guardian = json!({"name": "单𠮷", "sex": "male", "ethnicity": "miao",
            "birth_date": "2015-03-01", "id_doc_type": "resident_id_card",
            "residence_region": "520502101205", "schooling": "in_school",
            "health": {"kind": "healthy"}});
        guardian["guardians"] = json!([{"name": "单大山", "relation": "祖父", "phone": "123"}]);
        assert_eq!(
            parse_file(guardian).unwrap_err(),
            (
                "file.guardians.0.phone".to_owned(),
                "phone.mobile".to_owned()
            )
        );
        assert!(
            missing.0.starts_with("file.") && missing.1 == "file.missing",
            "{missing:?}"
        );
    }

    #[test]
    fn idempotency_keys_are_bounded_and_kept_per_user() {
        let mut headers = HeaderMap::new();
        assert_eq!(submit_key(&headers, 7).unwrap(), None);
        headers.insert("idempotency-key", "abc-1".parse().unwrap());
        assert_eq!(
            submit_key(&headers, 7).unwrap().as_deref(),
            Some("api:7:abc-1")
        );
        headers.insert("idempotency-key", "x".repeat(101).parse().unwrap());
        assert!(submit_key(&headers, 7).is_err());
    }

    #[test]
    fn the_documented_codes_are_the_domains() {
        let doc = serde_json::to_string(&crate::api::openapi::ApiDoc::openapi()).unwrap();
        let codes = CareArrangement::ALL
            .iter()
            .map(|c| c.code())
            .chain(GuardianshipRating::ALL.iter().map(|c| c.code()))
            .chain(HardshipTag::ALL.iter().map(|c| c.code()))
            .chain(SchoolingStatus::ALL.iter().map(|c| c.code()));
        for code in codes {
            assert!(doc.contains(&format!("`{code}`")), "{code} is documented");
        }
    }
}
