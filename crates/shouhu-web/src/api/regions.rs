//! `/api/v1/regions`: reading the region tree within scope, and adding, renaming and removing
//! regions below the caller's own node.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use shouhu_domain::RegionCode;
use shouhu_store::regions as repo;
use utoipa::{IntoParams, ToSchema};

use super::{ApiJson, ApiPath, ApiQuery, ErrorBody, Fields, created, text};
use crate::auth::ApiUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

const NAME_MAX: usize = 50;

#[derive(Serialize, ToSchema)]
pub struct Region {
    #[schema(example = "520502101000")]
    pub code: String,
    #[schema(example = "梨树镇")]
    pub name: String,
    /// `province`, `city`, `county`, `township` or `village`.
    #[schema(example = "township")]
    pub level: String,
    pub parent_code: Option<String>,
    /// 城乡分类代码 of the national table, when known.
    pub urban_rural: Option<String>,
}

impl From<repo::Region> for Region {
    fn from(r: repo::Region) -> Self {
        Self {
            code: r.code,
            name: r.name,
            level: r.level,
            parent_code: r.parent_code,
            urban_rural: r.urban_rural,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RegionList {
    pub items: Vec<Region>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegionQuery {
    /// List the children of this region; without it, the caller's own root.
    #[param(example = "520502000000")]
    pub parent: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRegion {
    /// 12 digits (6 or 9 are padded with zeros), below an existing region inside the caller's scope.
    #[serde(default)]
    #[schema(required = true, example = "520502101207")]
    pub code: String,
    #[serde(default)]
    #[schema(required = true, example = "新寨村")]
    pub name: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionPatch {
    #[serde(default)]
    #[schema(required = true, example = "新寨村")]
    pub name: String,
}

/// A region code in the path; one that cannot exist is simply not found.
fn path_code(raw: &str) -> AppResult<RegionCode> {
    RegionCode::parse(raw).map_err(|_| AppError::not_found())
}

fn location(code: &str) -> String {
    format!("/api/v1/regions/{code}")
}

/// Children of a region, or the caller's own root.
#[utoipa::path(
    get,
    path = "/regions",
    operation_id = "list_regions",
    tag = "regions",
    params(RegionQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The regions, by code", body = RegionList),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "The parent is absent or outside the caller's scope", body = ErrorBody),
        (status = 422, description = "`parent` is not a region code", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiQuery(query): ApiQuery<RegionQuery>,
) -> AppResult<Json<RegionList>> {
    let parent = match query.parent.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => {
            Some(RegionCode::parse(raw).map_err(|e| AppError::invalid_field("parent", e.code()))?)
        }
    };
    let regions = state
        .store
        .run(move |conn| repo::children(conn, &scope, parent.as_ref()))
        .await?;
    Ok(Json(RegionList {
        items: regions.into_iter().map(Region::from).collect(),
    }))
}

/// One region.
#[utoipa::path(
    get,
    path = "/regions/{code}",
    operation_id = "get_region",
    tag = "regions",
    params(("code" = String, Path, description = "12-digit region code")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The region", body = Region),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's scope", body = ErrorBody),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<Region>> {
    let code = path_code(&code)?;
    let region = state
        .store
        .run(move |conn| repo::get(conn, &scope, &code))
        .await?;
    Ok(Json(region.into()))
}

/// Adds a region below an existing one inside the caller's scope (e.g. a village).
#[utoipa::path(
    post,
    path = "/regions",
    operation_id = "create_region",
    tag = "regions",
    request_body = NewRegion,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Region),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Outside the caller's scope, or a province", body = ErrorBody),
        (status = 409, description = "The code is taken (`duplicate`)", body = ErrorBody),
        (status = 422, description = "Invalid fields, or no parent region", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiJson(body): ApiJson<NewRegion>,
) -> AppResult<Response> {
    let mut fields = Fields::default();
    let code = fields.check("code", RegionCode::parse(&body.code).map_err(|e| e.code()));
    let name = fields.check(
        "name",
        text(&body.name, NAME_MAX, "api.region_name_too_long"),
    );
    let (Some(code), Some(name)) = (code, name) else {
        return Err(fields.into_error());
    };
    let region = state
        .store
        .run(move |conn| repo::create(conn, &scope, repo::NewRegion { code, name }))
        .await?;
    Ok(created(location(&region.code), Region::from(region)))
}

/// Renames a region inside the caller's scope.
#[utoipa::path(
    patch,
    path = "/regions/{code}",
    operation_id = "update_region",
    tag = "regions",
    params(("code" = String, Path, description = "12-digit region code")),
    request_body = RegionPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Renamed", body = Region),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's scope", body = ErrorBody),
        (status = 422, description = "Invalid name", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(code): ApiPath<String>,
    ApiJson(body): ApiJson<RegionPatch>,
) -> AppResult<Json<Region>> {
    let code = path_code(&code)?;
    let name = text(&body.name, NAME_MAX, "api.region_name_too_long")
        .map_err(|key| AppError::invalid_field("name", key))?;
    let region = state
        .store
        .run(move |conn| repo::rename(conn, &scope, &code, &name))
        .await?;
    Ok(Json(region.into()))
}

/// Removes a region that nothing hangs from yet.
#[utoipa::path(
    delete,
    path = "/regions/{code}",
    operation_id = "delete_region",
    tag = "regions",
    params(("code" = String, Path, description = "12-digit region code")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The caller's own root", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's scope", body = ErrorBody),
        (status = 422, description = "Sub-regions, schools or users still hang from it", body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(code): ApiPath<String>,
) -> AppResult<StatusCode> {
    let code = path_code(&code)?;
    state
        .store
        .run(move |conn| repo::delete(conn, &scope, &code))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
