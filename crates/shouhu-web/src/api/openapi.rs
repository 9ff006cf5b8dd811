//! The OpenAPI 3.1 document of `/api/v1`, generated from the handlers' `#[utoipa::path]`
//! attributes and the request and response types, and served without sign-in.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use axum::http::header;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use super::{
    auth, calendars, care, children, classes, duties, events, me, plans, regions, rosters, schools,
};
use crate::error::{AppError, AppResult};

/// The security scheme every operation but sign-in and this document requires.
pub const BEARER: &str = "bearer";

/// The body of every error answer, as `render_errors` writes it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorDetail {
    /// Stable machine code: `bad_request`, `unauthenticated`, `bad_credentials`, `forbidden`,
    /// `password_change_required`, `not_found`, `method_not_allowed`, `conflict`, `duplicate`,
    /// `invalid`, `throttled`, `too_large` or `internal`; a roster file that cannot be read
    /// answers its reader's code (`roster.format`, `roster.no_header`, …).
    #[schema(example = "invalid")]
    pub code: String,
    /// A sentence for people, in the caller's language (Chinese unless `Accept-Language` asks
    /// for English).
    #[schema(example = "填写的内容有误，请检查标出的项目。")]
    pub message: String,
    /// Field name → what is wrong with it; empty unless the error is about particular fields.
    #[schema(example = json!({"name": "此项必填。"}))]
    pub fields: BTreeMap<String, String>,
    /// Extra facts: `{your_version, current_version}` on a conflict, `{reason}` on a bad request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A token from `POST /api/v1/auth/token`, sent as `Authorization: Bearer <token>`.",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(
        auth::token,
        me::show,
        regions::list,
        regions::show,
        regions::create,
        regions::update,
        regions::delete,
        schools::list,
        schools::show,
        schools::create,
        schools::update,
        schools::delete,
        classes::list,
        classes::show,
        classes::create,
        classes::update,
        classes::delete,
        calendars::show,
        calendars::put,
        calendars::delete,
        calendars::school,
        children::list,
        children::create,
        children::show,
        children::reveal,
        children::update,
        children::revisions,
        children::card,
        children::class_cards,
        events::list,
        events::create,
        events::show,
        events::update,
        events::delete,
        plans::list,
        plans::create,
        plans::show,
        plans::update,
        plans::sign,
        plans::reopen,
        rosters::import,
        rosters::export,
        rosters::template,
        duties::tasks,
        duties::compliance,
        duties::list_rules,
        duties::put_rule,
        care::list_records,
        care::create_record,
        care::show_record,
        care::update_record,
        care::delete_record,
        care::list_pairings,
        care::create_pairing,
        care::end_pairing,
        care::pair_class,
        care::coverage,
    ),
    components(schemas(
        ErrorBody,
        ErrorDetail,
        children::ChildFileSchema,
        children::Pdf,
        rosters::RosterFile,
        care::NewRecord,
        care::RecordPatch
    ))
)]
struct V1;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "守护 Shouhu API",
        description = "Regions, schools and classes of the Shouhu care-service system, within the \
                       caller's scope. Objects outside the scope answer 404 exactly like absent ones. \
                       Instants are RFC 3339 in UTC; region codes are 12-digit strings.",
    ),
    nest((path = "/api/v1", api = V1)),
    modifiers(&BearerScheme),
    tags(
        (name = "auth", description = "API tokens"),
        (name = "me", description = "The caller and their scope"),
        (name = "regions", description = "The region tree (统计用区划代码)"),
        (name = "schools", description = "Schools"),
        (name = "classes", description = "Classes of a school"),
        (name = "calendars", description = "School calendars (校历): a region's (normally the county's) or a school's own, per school year; the calendar in force for a school and where it comes from"),
        (name = "children", description = "Child files (一人一档): masked reads, audited reveals, merge-patch edits, revisions and contact cards"),
        (name = "care", description = "Care records (关爱记录) and pairings (结对帮扶): idempotent entry, versions, soft delete, confidential counselling notes, bulk pairing of a class, coverage"),
        (name = "events", description = "Group events (监护人会议, 座谈会, 家长学校, 主题班会): minutes and attendees, audited readings, idempotent creation, versioned edits and deletion"),
        (name = "plans", description = "Help plans (帮扶计划) of key children, one per term: goals, measures, stage results, summary, the principal's sign-off and reopening"),
        (name = "duties", description = "Duties (职责): the caller's tasks by bucket, compliance of a region or school for a period (done on time ÷ due), the duty rules in force and a county's change to one"),
        (name = "rosters", description = "Roster (花名册) sheets: import with a cell-by-cell report, all or nothing per file; audited exports; blank templates"),
        (name = "dropout", description = "Dropout control (控辍保学): roll calls and absences, enrolment states, persuasion cases and attempts, returns, ledgers, monthly reports, settings and hand-overs"),
    )
)]
pub struct ApiDoc;

/// Built once: the document only changes with the code.
static DOCUMENT: LazyLock<Result<String, String>> = LazyLock::new(|| {
    ApiDoc::openapi()
        .nest("/api/v1", super::dropout::doc())
        .to_pretty_json()
        .map_err(|e| e.to_string())
});

/// `GET /api/v1/openapi.json`.
pub async fn document() -> AppResult<impl IntoResponse> {
    let json = DOCUMENT.as_ref().map_err(AppError::internal)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_but_sign_in_needs_the_bearer_token() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(
            doc["components"]["securitySchemes"][BEARER]["scheme"],
            "bearer"
        );
        let paths = doc["paths"].as_object().unwrap();
        let mut operation_ids = std::collections::BTreeSet::new();
        assert!(paths.len() >= 8, "{:?}", paths.keys());
        for (path, item) in paths {
            assert!(path.starts_with("/api/v1/"), "{path}");
            for (method, op) in item.as_object().unwrap() {
                let id = op["operationId"].as_str().unwrap();
                assert!(operation_ids.insert(id.to_owned()), "{id} is not unique");
                let secured = op["security"][0].get(BEARER).is_some();
                assert_eq!(secured, path != "/api/v1/auth/token", "{method} {path}");
                assert!(
                    op["responses"]
                        .as_object()
                        .unwrap()
                        .keys()
                        .any(|s| s.starts_with('4')),
                    "{method} {path} documents its errors"
                );
            }
        }
    }
}
