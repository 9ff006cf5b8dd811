//! `/api/v1/schools`: schools within the caller's scope; edits carry the version they were based on.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shouhu_domain::{PhoneNo, RegionCode, SchoolKind, normalize_width};
use shouhu_store::schools::{self as repo, SchoolFilter, SchoolInput};
use utoipa::{IntoParams, ToSchema};

use super::{
    ApiJson, ApiPath, ApiQuery, ErrorBody, Fields, created, instant, optional_text, present,
    renamed, text,
};
use crate::auth::ApiUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

const NAME_MAX: usize = 60;
const ADDRESS_MAX: usize = 100;
/// The store says `region`; the API says `region_code`.
const RENAMES: &[(&str, &str)] = &[("region", "region_code")];

#[derive(Serialize, ToSchema)]
pub struct School {
    pub id: i64,
    /// 学校标识码.
    #[schema(example = "5224010004")]
    pub code: String,
    #[schema(example = "梨树镇九年一贯制学校")]
    pub name: String,
    #[schema(example = "520502101000")]
    pub region_code: String,
    /// `kindergarten`, `primary`, `junior`, `nine_year` or `complete`.
    #[schema(example = "nine_year")]
    pub kind: String,
    pub boarding: bool,
    pub hotline: Option<String>,
    pub address: Option<String>,
    /// Send it back with a PATCH; a stale one answers 409.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<repo::School> for School {
    fn from(s: repo::School) -> Self {
        Self {
            id: s.id,
            code: s.code,
            name: s.name,
            region_code: s.region_code,
            kind: s.kind,
            boarding: s.boarding,
            hotline: s.hotline,
            address: s.address,
            version: s.version,
            created_at: instant(s.created_at),
            updated_at: instant(s.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SchoolList {
    pub items: Vec<School>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SchoolQuery {
    /// Only schools in this region's subtree.
    #[param(example = "520502101000")]
    pub region: Option<String>,
    /// Part of the school's name.
    #[param(example = "梨树")]
    pub q: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSchool {
    /// 学校标识码: 10 digits.
    #[serde(default)]
    #[schema(required = true, example = "5224010011")]
    pub code: String,
    #[serde(default)]
    #[schema(required = true, example = "梨树镇新寨小学")]
    pub name: String,
    /// A township or village inside the caller's scope.
    #[serde(default)]
    #[schema(required = true, example = "520502101000")]
    pub region_code: String,
    /// A kind code or its Chinese name (e.g. `primary` or `小学`).
    #[serde(default)]
    #[schema(required = true, example = "primary")]
    pub kind: String,
    #[serde(default)]
    pub boarding: bool,
    /// Mobile or fixed line with area code.
    #[schema(example = "0857-1234567")]
    pub hotline: Option<String>,
    pub address: Option<String>,
}

/// Fields left out keep their value; `hotline` and `address` may be set to null to clear them.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SchoolPatch {
    /// The `version` the change is based on.
    #[schema(required = true, value_type = i32)]
    pub version: Option<i32>,
    pub code: Option<String>,
    pub name: Option<String>,
    pub region_code: Option<String>,
    pub kind: Option<String>,
    pub boarding: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub hotline: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub address: Option<Option<String>>,
}

/// 学校标识码: ten digits (full-width digits and spaces are forgiven).
fn school_code(raw: &str) -> Result<String, &'static str> {
    let code: String = normalize_width(raw)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if code.is_empty() {
        Err("error.required")
    } else if code.len() == 10 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code)
    } else {
        Err("api.school_code")
    }
}

fn region(raw: &str) -> Result<RegionCode, &'static str> {
    RegionCode::parse(raw).map_err(|e| e.code())
}

fn kind(raw: &str) -> Result<SchoolKind, &'static str> {
    if raw.trim().is_empty() {
        return Err("error.required");
    }
    SchoolKind::parse(raw).map_err(|e| e.code())
}

fn hotline(raw: Option<&str>) -> Result<Option<PhoneNo>, &'static str> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => PhoneNo::parse(s).map(Some).map_err(|e| e.code()),
    }
}

fn address(raw: Option<&str>) -> Result<Option<String>, &'static str> {
    optional_text(raw, ADDRESS_MAX, "api.address_too_long")
}

fn name(raw: &str) -> Result<String, &'static str> {
    text(raw, NAME_MAX, "api.school_name_too_long")
}

/// Checks every field of a new school, reporting all errors together.
fn parse_new(body: &NewSchool) -> AppResult<SchoolInput> {
    let mut f = Fields::default();
    let parsed = (
        f.check("code", school_code(&body.code)),
        f.check("name", name(&body.name)),
        f.check("region_code", region(&body.region_code)),
        f.check("kind", kind(&body.kind)),
        f.check("hotline", hotline(body.hotline.as_deref())),
        f.check("address", address(body.address.as_deref())),
    );
    let (Some(code), Some(name), Some(region), Some(kind), Some(hotline), Some(address)) = parsed
    else {
        return Err(f.into_error());
    };
    Ok(SchoolInput {
        code,
        name,
        region,
        kind,
        boarding: body.boarding,
        hotline,
        address,
    })
}

/// The stored school with the sent fields laid over it. Only sent fields are checked, so a value
/// saved under older rules does not block an unrelated change.
fn parse_patch(current: &repo::School, body: &SchoolPatch) -> AppResult<(i32, SchoolInput)> {
    let mut f = Fields::default();
    let version = f.check("version", body.version.ok_or("error.required"));
    let code = match &body.code {
        Some(raw) => f.check("code", school_code(raw)),
        None => Some(current.code.clone()),
    };
    let name = match &body.name {
        Some(raw) => f.check("name", name(raw)),
        None => Some(current.name.clone()),
    };
    let region = f.check(
        "region_code",
        region(body.region_code.as_deref().unwrap_or(&current.region_code)),
    );
    let kind = f.check("kind", kind(body.kind.as_deref().unwrap_or(&current.kind)));
    let hotline = match &body.hotline {
        Some(sent) => f.check("hotline", self::hotline(sent.as_deref())),
        None => f.check("hotline", self::hotline(current.hotline.as_deref())),
    };
    let address = match &body.address {
        Some(sent) => f.check("address", self::address(sent.as_deref())),
        None => Some(current.address.clone()),
    };
    let (
        Some(version),
        Some(code),
        Some(name),
        Some(region),
        Some(kind),
        Some(hotline),
        Some(address),
    ) = (version, code, name, region, kind, hotline, address)
    else {
        return Err(f.into_error());
    };
    let input = SchoolInput {
        code,
        name,
        region,
        kind,
        boarding: body.boarding.unwrap_or(current.boarding),
        hotline,
        address,
    };
    Ok((version, input))
}

fn location(id: i64) -> String {
    format!("/api/v1/schools/{id}")
}

/// Schools within the caller's scope, by region and code.
#[utoipa::path(
    get,
    path = "/schools",
    operation_id = "list_schools",
    tag = "schools",
    params(SchoolQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The schools", body = SchoolList),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 422, description = "`region` is not a region code", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiQuery(query): ApiQuery<SchoolQuery>,
) -> AppResult<Json<SchoolList>> {
    let region = match query.region.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(region(raw).map_err(|key| AppError::invalid_field("region", key))?),
    };
    let filter = SchoolFilter {
        region,
        name_contains: query.q.map(|q| q.trim().to_owned()),
    };
    let schools = state
        .store
        .run(move |conn| repo::list(conn, &scope, &filter))
        .await?;
    Ok(Json(SchoolList {
        items: schools.into_iter().map(School::from).collect(),
    }))
}

/// One school.
#[utoipa::path(
    get,
    path = "/schools/{id}",
    operation_id = "get_school",
    tag = "schools",
    params(("id" = i64, Path, description = "School id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The school", body = School),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's scope", body = ErrorBody),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<School>> {
    let school = state
        .store
        .run(move |conn| repo::get(conn, &scope, id))
        .await?;
    Ok(Json(school.into()))
}

/// Adds a school in a township or village inside the caller's scope.
#[utoipa::path(
    post,
    path = "/schools",
    operation_id = "create_school",
    tag = "schools",
    request_body = NewSchool,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = School),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Outside the caller's scope, or school staff", body = ErrorBody),
        (status = 409, description = "The code is taken (`duplicate`)", body = ErrorBody),
        (status = 422, description = "Invalid fields, all of them listed", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiJson(body): ApiJson<NewSchool>,
) -> AppResult<Response> {
    let input = parse_new(&body)?;
    let school = state
        .store
        .run(move |conn| repo::create(conn, &scope, &input))
        .await
        .map_err(|e| renamed(e, RENAMES))?;
    Ok(created(location(school.id), School::from(school)))
}

/// Changes a school, if nobody changed it since `version` was read.
#[utoipa::path(
    patch,
    path = "/schools/{id}",
    operation_id = "update_school",
    tag = "schools",
    params(("id" = i64, Path, description = "School id")),
    request_body = SchoolPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved; `version` went up by one", body = School),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Moved outside the caller's scope", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's scope", body = ErrorBody),
        (status = 409, description = "Stale `version` (`conflict`, with `details.your_version` and `details.current_version`) or a taken code (`duplicate`)", body = ErrorBody),
        (status = 422, description = "Invalid fields, all of them listed", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<SchoolPatch>,
) -> AppResult<Json<School>> {
    let read_scope = scope.clone();
    let current = state
        .store
        .run(move |conn| repo::get(conn, &read_scope, id))
        .await?;
    let (version, input) = parse_patch(&current, &body)?;
    let school = state
        .store
        .run(move |conn| repo::update(conn, &scope, id, version, &input))
        .await
        .map_err(|e| renamed(e, RENAMES))?;
    Ok(Json(school.into()))
}

/// Removes a school that has no classes and no staff.
#[utoipa::path(
    delete,
    path = "/schools/{id}",
    operation_id = "delete_school",
    tag = "schools",
    params(("id" = i64, Path, description = "School id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "School staff may not delete schools", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's scope", body = ErrorBody),
        (status = 422, description = "The school still has classes or staff", body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<StatusCode> {
    state
        .store
        .run(move |conn| repo::delete(conn, &scope, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn school_codes_are_ten_digits() {
        assert_eq!(school_code(" 5224010004 "), Ok("5224010004".to_owned()));
        assert_eq!(
            school_code("５２２４０１０００４"),
            Ok("5224010004".to_owned())
        );
        assert_eq!(school_code(""), Err("error.required"));
        assert_eq!(school_code("522401000"), Err("api.school_code"));
        assert_eq!(school_code("52240100AB"), Err("api.school_code"));
    }
}
