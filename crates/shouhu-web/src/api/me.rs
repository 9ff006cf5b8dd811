//! `GET /api/v1/me`: who the token belongs to and what part of the tree they may see.

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::ErrorBody;
use crate::auth::ApiUser;
use crate::error::AppResult;
use crate::i18n::Tr;

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub user: MeUser,
    pub scope: MeScope,
}

#[derive(Serialize, ToSchema)]
pub struct MeUser {
    pub id: i64,
    #[schema(example = "teacher1")]
    pub username: String,
    pub display_name: String,
    /// `system_admin`, `bureau`, `civil_affairs`, `child_director`, `principal`,
    /// `head_teacher`, `teacher` or `volunteer`.
    #[schema(example = "head_teacher")]
    pub role: String,
    /// The role's name in the caller's language.
    #[schema(example = "班主任")]
    pub role_label: String,
    /// While true, every other endpoint answers 403 `password_change_required`.
    pub must_change_password: bool,
}

/// What the caller may see: the region subtree, narrowed to a school and to classes for school staff.
#[derive(Serialize, ToSchema)]
pub struct MeScope {
    /// Root of the visible subtree (12 digits); null for the whole country.
    #[schema(example = "520502000000")]
    pub region: Option<String>,
    /// The one school a school's staff work in.
    pub school_id: Option<i64>,
    /// The classes a head teacher or teacher may open; null means every class within reach.
    pub class_ids: Option<Vec<i64>>,
}

/// The caller and their scope.
#[utoipa::path(
    get,
    path = "/me",
    operation_id = "get_me",
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = Me),
        (status = 401, description = "No valid token", body = ErrorBody),
    )
)]
pub async fn show(t: Tr, ApiUser { user, scope }: ApiUser) -> AppResult<Json<Me>> {
    let role = user.role()?;
    Ok(Json(Me {
        user: MeUser {
            id: user.id,
            username: user.username,
            display_name: user.display_name,
            role: role.code().to_owned(),
            role_label: t.t(role.label_key()).to_owned(),
            must_change_password: user.must_change_password,
        },
        scope: MeScope {
            region: scope.region.map(|r| r.as_str().to_owned()),
            school_id: scope.school,
            class_ids: scope.classes,
        },
    }))
}
