//! `/api/v1/classes` and `/api/v1/schools/{id}/classes`: classes of a school for a school year,
//! with their head teachers; head teachers see only the classes they head.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shouhu_domain::{Grade, SchoolYear};
use shouhu_store::StoreError;
use shouhu_store::classes::{self as repo, ClassInput, ClassView};
use utoipa::ToSchema;

use super::{ApiJson, ApiPath, ErrorBody, Fields, created, instant, renamed, text};
use crate::auth::ApiUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

const NAME_MAX: usize = 30;
/// The store says `head_teachers`; the API says `head_teacher_ids`.
const RENAMES: &[(&str, &str)] = &[("head_teachers", "head_teacher_ids")];

#[derive(Serialize, ToSchema)]
pub struct Class {
    pub id: i64,
    pub school_id: i64,
    #[schema(example = "2026-2027")]
    pub school_year: String,
    /// -2 小班, -1 中班, 0 大班, 1–9 一年级 to 九年级, 10–12 高一 to 高三.
    #[schema(example = 1)]
    pub grade: i32,
    #[schema(example = "一年级（1）班")]
    pub name: String,
    pub head_teachers: Vec<HeadTeacher>,
    /// Send it back with a PATCH; a stale one answers 409.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct HeadTeacher {
    pub id: i64,
    #[schema(example = "龙老师")]
    pub display_name: String,
}

impl From<ClassView> for Class {
    fn from(v: ClassView) -> Self {
        let c = v.class;
        Self {
            id: c.id,
            school_id: c.school_id,
            school_year: SchoolYear::new(c.school_year).to_string(),
            grade: c.grade,
            name: c.name,
            head_teachers: v
                .head_teachers
                .into_iter()
                .map(|t| HeadTeacher {
                    id: t.user_id,
                    display_name: t.display_name,
                })
                .collect(),
            version: c.version,
            created_at: instant(c.created_at),
            updated_at: instant(c.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ClassList {
    pub items: Vec<Class>,
}

/// A grade as a number (`1`, `7`, `-2` for 小班) or as its name (`"一年级"`, `"初一"`, `"高二"`).
/// A two-digit string is read as a 学籍 code (`"21"` is 初一); send a number for grades 10–12.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum GradeIn {
    Number(i64),
    Name(String),
}

impl GradeIn {
    fn parse(&self) -> Result<Grade, &'static str> {
        let parsed = match self {
            Self::Number(n) => i8::try_from(*n)
                .map_err(|_| shouhu_domain::SchoolError::Grade)
                .and_then(Grade::new),
            Self::Name(s) if s.trim().is_empty() => return Err("error.required"),
            Self::Name(s) => Grade::parse(s),
        };
        parsed.map_err(|e| e.code())
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClass {
    #[schema(required = true, value_type = i64)]
    pub school_id: Option<i64>,
    /// `2026-2027` or just the starting year `2026`.
    #[serde(default)]
    #[schema(required = true, example = "2026-2027")]
    pub school_year: String,
    #[schema(required = true, value_type = GradeIn)]
    pub grade: Option<GradeIn>,
    #[serde(default)]
    #[schema(required = true, example = "一年级（3）班")]
    pub name: String,
    /// Users of the same school (head teachers, teachers or the principal).
    #[serde(default)]
    pub head_teacher_ids: Vec<i64>,
}

/// Fields left out keep their value; a class cannot move to another school.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassPatch {
    /// The `version` the change is based on.
    #[schema(required = true, value_type = i32)]
    pub version: Option<i32>,
    #[schema(example = "2026-2027")]
    pub school_year: Option<String>,
    pub grade: Option<GradeIn>,
    pub name: Option<String>,
    /// Replaces the whole list.
    pub head_teacher_ids: Option<Vec<i64>>,
}

fn school_year(raw: &str) -> Result<SchoolYear, &'static str> {
    if raw.trim().is_empty() {
        return Err("error.required");
    }
    SchoolYear::parse(raw).map_err(|e| e.code())
}

fn name(raw: &str) -> Result<String, &'static str> {
    text(raw, NAME_MAX, "api.class_name_too_long")
}

/// Listing a teacher twice means nothing more than once.
fn teachers(ids: &[i64]) -> Vec<i64> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn parse_new(body: &NewClass) -> AppResult<ClassInput> {
    let mut f = Fields::default();
    let school_id = f.check("school_id", body.school_id.ok_or("error.required"));
    let year = f.check("school_year", school_year(&body.school_year));
    let grade = f.check(
        "grade",
        body.grade
            .as_ref()
            .ok_or("error.required")
            .and_then(GradeIn::parse),
    );
    let name = f.check("name", name(&body.name));
    let (Some(school_id), Some(school_year), Some(grade), Some(name)) =
        (school_id, year, grade, name)
    else {
        return Err(f.into_error());
    };
    Ok(ClassInput {
        school_id,
        school_year,
        grade,
        name,
        head_teachers: teachers(&body.head_teacher_ids),
    })
}

/// The stored class with the sent fields laid over it; only sent fields are checked.
fn parse_patch(current: &ClassView, body: &ClassPatch) -> AppResult<(i32, ClassInput)> {
    let c = &current.class;
    let mut f = Fields::default();
    let version = f.check("version", body.version.ok_or("error.required"));
    let year = match &body.school_year {
        Some(raw) => f.check("school_year", school_year(raw)),
        None => Some(SchoolYear::new(c.school_year)),
    };
    let grade = match &body.grade {
        Some(sent) => f.check("grade", sent.parse()),
        None => f.check(
            "grade",
            i8::try_from(c.grade)
                .ok()
                .and_then(|n| Grade::new(n).ok())
                .ok_or("grade.invalid"),
        ),
    };
    let name = match &body.name {
        Some(raw) => f.check("name", name(raw)),
        None => Some(c.name.clone()),
    };
    let (Some(version), Some(school_year), Some(grade), Some(name)) = (version, year, grade, name)
    else {
        return Err(f.into_error());
    };
    let head_teachers = match &body.head_teacher_ids {
        Some(ids) => teachers(ids),
        None => current.head_teachers.iter().map(|t| t.user_id).collect(),
    };
    let input = ClassInput {
        school_id: c.school_id,
        school_year,
        grade,
        name,
        head_teachers,
    };
    Ok((version, input))
}

fn location(id: i64) -> String {
    format!("/api/v1/classes/{id}")
}

/// Classes of a school the caller may open, newest school year first.
#[utoipa::path(
    get,
    path = "/schools/{id}/classes",
    operation_id = "list_classes",
    tag = "classes",
    params(("id" = i64, Path, description = "School id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The classes", body = ClassList),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "The school is absent or outside the caller's scope", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(school_id): ApiPath<i64>,
) -> AppResult<Json<ClassList>> {
    let classes = state
        .store
        .run(move |conn| repo::list(conn, &scope, school_id))
        .await?;
    Ok(Json(ClassList {
        items: classes.into_iter().map(Class::from).collect(),
    }))
}

/// One class.
#[utoipa::path(
    get,
    path = "/classes/{id}",
    operation_id = "get_class",
    tag = "classes",
    params(("id" = i64, Path, description = "Class id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The class", body = Class),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's scope", body = ErrorBody),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Class>> {
    let class = state
        .store
        .run(move |conn| repo::get(conn, &scope, id))
        .await?;
    Ok(Json(class.into()))
}

/// Adds a class to a school inside the caller's scope.
#[utoipa::path(
    post,
    path = "/classes",
    operation_id = "create_class",
    tag = "classes",
    request_body = NewClass,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Class),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Head teachers and teachers may not add classes", body = ErrorBody),
        (status = 409, description = "The school already has a class of that name that year (`duplicate`)", body = ErrorBody),
        (status = 422, description = "Invalid fields, an unknown school, a grade the school does not teach, or head teachers from elsewhere", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiJson(body): ApiJson<NewClass>,
) -> AppResult<Response> {
    let input = parse_new(&body)?;
    let class = state
        .store
        .run(move |conn| repo::create(conn, &scope, &input))
        .await
        .map_err(|e| match e {
            // The school is named in the body, not the path: say which field is wrong.
            StoreError::NotFound => AppError::invalid_field("school_id", "api.school_unknown"),
            other => renamed(other, RENAMES),
        })?;
    Ok(created(location(class.class.id), Class::from(class)))
}

/// Changes a class, if nobody changed it since `version` was read.
#[utoipa::path(
    patch,
    path = "/classes/{id}",
    operation_id = "update_class",
    tag = "classes",
    params(("id" = i64, Path, description = "Class id")),
    request_body = ClassPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved; `version` went up by one", body = Class),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's scope", body = ErrorBody),
        (status = 409, description = "Stale `version` (`conflict`, with both versions in `details`) or a taken name (`duplicate`)", body = ErrorBody),
        (status = 422, description = "Invalid fields, all of them listed", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ClassPatch>,
) -> AppResult<Json<Class>> {
    let read_scope = scope.clone();
    let current = state
        .store
        .run(move |conn| repo::get(conn, &read_scope, id))
        .await?;
    let (version, input) = parse_patch(&current, &body)?;
    let class = state
        .store
        .run(move |conn| repo::update(conn, &scope, id, version, &input))
        .await
        .map_err(|e| renamed(e, RENAMES))?;
    Ok(Json(class.into()))
}

/// Removes a class.
#[utoipa::path(
    delete,
    path = "/classes/{id}",
    operation_id = "delete_class",
    tag = "classes",
    params(("id" = i64, Path, description = "Class id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Head teachers and teachers may not delete classes", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's scope", body = ErrorBody),
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
    fn grades_come_as_numbers_or_names() {
        let n = |g: GradeIn| g.parse().map(Grade::number);
        assert_eq!(n(GradeIn::Number(1)), Ok(1));
        assert_eq!(n(GradeIn::Number(11)), Ok(11));
        assert_eq!(n(GradeIn::Name("初一".into())), Ok(7));
        assert_eq!(n(GradeIn::Name("三年级".into())), Ok(3));
        assert_eq!(n(GradeIn::Name(" ".into())), Err("error.required"));
        assert_eq!(n(GradeIn::Number(300)), Err("grade.invalid"));
        assert_eq!(n(GradeIn::Name("大学".into())), Err("grade.invalid"));
    }
}
