//! `/api/v1/rosters`: roster (花名册) files for programs. An import sends the sheet itself as
//! the body and gets the report back (checked only, unless `write`); an export streams the MCA
//! or 学籍 sheet of the caller's scope under the child list's filters, sensitive columns only
//! for roles allowed to see them and with a purpose, audit-logged; the blank templates.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use shouhu_domain::{
    CareArrangement, GuardianshipRating, HardshipTag, SchoolingStatus, today_shanghai,
};
use shouhu_roster::{CellProblem, Encoding, Form};
use shouhu_store::children::{ChildFilter, ExportRequest};
use utoipa::{IntoParams, ToSchema};

use super::children::{CaliberParam, ChildQuery};
use super::{ApiQuery, ErrorBody};
use crate::auth::ApiUser;
use crate::error::{AppError, AppResult};
use crate::pages::rosters::{
    export_response, follow_duties, import_error, may_export, may_import, template_download,
};
use crate::rosters::{ExportFormat, ExportSpec, ImportReport, ImportSpec, Source, import_roster};
use crate::state::AppState;

/// The sheet layouts.
#[derive(Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FormParam {
    /// The 2016 民政 农村留守儿童花名册.
    Mca,
    /// A 学籍 学生基本信息-style sheet, with coded values.
    Xueji,
}

impl From<FormParam> for Form {
    fn from(f: FormParam) -> Self {
        match f {
            FormParam::Mca => Form::Mca,
            FormParam::Xueji => Form::Xueji,
        }
    }
}

/// The file formats of an export.
#[derive(Clone, Copy, Deserialize, ToSchema)]
pub enum FormatParam {
    /// Excel 2007+.
    #[serde(rename = "xlsx")]
    Xlsx,
    /// CSV in UTF-8 with a byte-order mark (Excel opens it right).
    #[serde(rename = "csv")]
    Csv,
    /// CSV in GBK, for older software.
    #[serde(rename = "csv-gbk")]
    CsvGbk,
}

impl From<FormatParam> for ExportFormat {
    fn from(f: FormatParam) -> Self {
        match f {
            FormatParam::Xlsx => ExportFormat::Xlsx,
            FormatParam::Csv => ExportFormat::Csv(Encoding::Utf8Bom),
            FormatParam::CsvGbk => ExportFormat::Csv(Encoding::Gbk),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// The file's name as the user knows it; its extension tells the format when the bytes do
    /// not (a CSV). It is kept in the audit log.
    #[param(example = "梨树镇花名册.xlsx")]
    pub file_name: Option<String>,
    /// `true` imports; `false` (the default) checks and reports, writing nothing.
    pub write: Option<bool>,
    /// With `write`: import the accepted rows even though others were rejected. Without it a
    /// file with any rejected row writes nothing.
    pub skip_rejected: Option<bool>,
    /// The school of rows without a 学校 cell (a principal's or teacher's own school when
    /// absent).
    pub school_id: Option<i64>,
}

/// One cell that stopped a row, or that was taken with a remark.
#[derive(Serialize, ToSchema)]
pub struct Problem {
    /// The sheet row, from 1, as Excel shows it.
    #[schema(example = 8)]
    pub sheet_row: u32,
    /// The column's header as written in the sheet.
    #[schema(example = "公民身份证号码")]
    pub column: String,
    /// The cell's value as a person reads it (empty for problems of the row as a whole).
    #[schema(example = "52050220150301123")]
    pub value: String,
    /// What is wrong, in Chinese.
    #[schema(example = "身份证号应为18位")]
    pub message: String,
    /// Stable code of the message.
    #[schema(example = "id.length")]
    pub code: String,
}

impl From<&CellProblem> for Problem {
    fn from(p: &CellProblem) -> Self {
        Self {
            sheet_row: p.sheet_row,
            column: p.column.clone(),
            value: p.value.clone(),
            message: p.message.clone(),
            code: p.code.to_owned(),
        }
    }
}

/// A class the school lacked, made by the import (or to be made, in a check).
#[derive(Serialize, ToSchema)]
pub struct NewClass {
    #[schema(example = "梨树镇九年一贯制学校")]
    pub school: String,
    /// -2 小班 … 12 高三.
    #[schema(example = 3)]
    pub grade: i8,
    #[schema(example = "三年级（3）班")]
    pub name: String,
}

/// What an import found and did (or, unless `written`, would do).
#[derive(Serialize, ToSchema)]
pub struct ImportResult {
    /// New child files.
    pub imported: usize,
    /// Files that changed.
    pub updated: usize,
    /// Files already as the sheet has them.
    pub unchanged: usize,
    /// Rows refused (their problems are in `problems`).
    pub rejected: usize,
    /// Data rows read.
    pub rows: usize,
    /// Whether anything was kept: false for a check, and for an import with rejected rows
    /// not to be skipped.
    pub written: bool,
    pub new_classes: Vec<NewClass>,
    /// Every refused row's problems, in sheet order.
    pub problems: Vec<Problem>,
    /// Rows taken with a remark.
    pub warnings: Vec<Problem>,
    /// Headers Shouhu does not read, as written.
    pub unknown_columns: Vec<String>,
}

impl From<ImportReport> for ImportResult {
    fn from(r: ImportReport) -> Self {
        let s = &r.summary;
        Self {
            imported: s.imported,
            updated: s.updated,
            unchanged: s.unchanged,
            rejected: s.rejected,
            rows: r.rows,
            written: s.written,
            new_classes: s
                .new_classes
                .iter()
                .map(|c| NewClass {
                    school: c.school.clone(),
                    grade: c.grade.number(),
                    name: c.name.clone(),
                })
                .collect(),
            problems: r.problems.iter().map(Problem::from).collect(),
            warnings: r.warnings.iter().map(Problem::from).collect(),
            unknown_columns: r.unknown_columns,
        }
    }
}

/// A spreadsheet, for the OpenAPI document.
pub struct RosterFile;

impl utoipa::PartialSchema for RosterFile {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, SchemaFormat, Type};
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some("A roster sheet: .xlsx, .xls or .csv (UTF-8 or GBK)."))
            .into()
    }
}

impl ToSchema for RosterFile {
    fn name() -> std::borrow::Cow<'static, str> {
        "RosterFile".into()
    }
}

/// Checks a roster file, or imports it with `write=true`. The body is the file itself. An
/// import is all or nothing: with any row rejected nothing is written unless `skip_rejected`.
/// Classes the sheet names that the school lacks are made (listed in `new_classes`).
#[utoipa::path(
    post,
    path = "/rosters/imports",
    operation_id = "import_roster",
    tag = "rosters",
    params(ImportQuery),
    request_body(content = RosterFile, content_type = "application/octet-stream",
        description = "The roster file, at most 100 MB"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report; `written` says whether anything was kept", body = ImportResult),
        (status = 400, description = "No file, a malformed query, or a file that is no spreadsheet (`roster.format`, `roster.workbook`, `roster.csv`, `roster.no_sheet`)", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The role may not change child files", body = ErrorBody),
        (status = 413, description = "The file is larger than 100 MB", body = ErrorBody),
        (status = 422, description = "No header row Shouhu can read (`roster.no_header`, or a layout code naming what is missing)", body = ErrorBody),
    )
)]
pub async fn import(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiQuery(query): ApiQuery<ImportQuery>,
    request: Request,
) -> AppResult<Json<ImportResult>> {
    // Refused before the body is read, so that a forbidden caller does not send 100 MB first.
    if !may_import(scope.role) {
        return Err(AppError::forbidden("denied.child.import"));
    }
    let bytes = Bytes::from_request(request, &state).await.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            let mut e = AppError::bad_request("roster.too_large");
            e.status = StatusCode::PAYLOAD_TOO_LARGE;
            e.code = "too_large";
            e
        } else {
            AppError::bad_request("roster.no_file")
        }
    })?;
    if bytes.is_empty() {
        return Err(AppError::bad_request("roster.no_file"));
    }
    let key = state.store.key();
    let started = shouhu_store::now_ms();
    let report = state
        .store
        .run(move |conn| {
            let spec = ImportSpec {
                source: Source::Bytes(&bytes),
                file_name: query.file_name.as_deref().unwrap_or("roster"),
                default_school: query.school_id,
                write: query.write.unwrap_or(false),
                skip_rejected: query.skip_rejected.unwrap_or(false),
                today: today_shanghai(),
            };
            let report = import_roster(conn, &scope, &key, &spec, &mut |_, _| {});
            if let Ok(report) = &report {
                follow_duties(conn, report, started, spec.today);
            }
            Ok(report)
        })
        .await?
        .map_err(import_error)?;
    Ok(Json(report.into()))
}

/// The sheet's layout and format, whether sensitive columns go out in full and why, and the
/// child list's filters.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// `mca` (default) or `xueji`.
    #[param(inline)]
    pub form: Option<FormParam>,
    /// `xlsx` (default), `csv` or `csv-gbk`.
    #[param(inline)]
    pub format: Option<FormatParam>,
    /// Full ID numbers, phones and addresses, for roles that may see them; needs `purpose`.
    pub with_sensitive: Option<bool>,
    /// Why the sheet is needed; logged with the export.
    #[param(example = "县民政局农村留守儿童信息核查")]
    pub purpose: Option<String>,
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
    /// A hardship tag in force (`orphan`, `poor_family`, …).
    #[param(value_type = Option<String>, example = "orphan")]
    pub tag: Option<HardshipTag>,
    /// `in_school`, `suspended`, `transferred_out`, `graduated` or `home_taught`.
    #[param(value_type = Option<String>, example = "in_school")]
    pub schooling: Option<SchoolingStatus>,
    /// Only key children (`true`) or only the others (`false`).
    pub key_child: Option<bool>,
    /// A name or part of one, its pinyin or initials, or the last 4+ digits of the ID number.
    pub q: Option<String>,
}

impl ExportQuery {
    fn filter(&mut self) -> ChildFilter {
        ChildFilter::from(ChildQuery {
            school_id: self.school_id,
            class_id: self.class_id,
            caliber: self.caliber,
            care_arrangement: self.care_arrangement.take(),
            rating: self.rating.take(),
            tag: self.tag.take(),
            schooling: self.schooling.take(),
            key_child: self.key_child,
            q: self.q.take(),
            after: None,
            limit: None,
        })
    }
}

/// The children of the caller's scope and filters as a roster sheet, streamed; every export is
/// audit-logged. Without `with_sensitive` ID numbers, phones and addresses are masked.
#[utoipa::path(
    get,
    path = "/rosters/export",
    operation_id = "export_roster",
    tag = "rosters",
    params(ExportQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The sheet; `X-Roster-Rows` says how many children are in it",
            content(
                (RosterFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                (RosterFile = "text/csv"),
            )),
        (status = 400, description = "A query parameter is malformed or not one of its codes", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Sensitive columns asked for by a role that may not see them, or a volunteer", body = ErrorBody),
        (status = 422, description = "Sensitive columns asked for without a `purpose`", body = ErrorBody),
    )
)]
pub async fn export(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiQuery(mut query): ApiQuery<ExportQuery>,
) -> AppResult<Response> {
    if !may_export(scope.role) {
        return Err(AppError::forbidden("denied.roster.export"));
    }
    let spec = ExportSpec {
        form: query.form.map_or(Form::Mca, Form::from),
        format: query.format.map_or(ExportFormat::Xlsx, ExportFormat::from),
        request: ExportRequest {
            filter: query.filter(),
            with_sensitive: query.with_sensitive.unwrap_or(false),
            purpose: query.purpose.take().unwrap_or_default(),
            // The roster service fills in the form and format.
            description: String::new(),
        },
        today: today_shanghai(),
    };
    Ok(export_response(&state, scope, spec).await?)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TemplateQuery {
    /// `mca` (default) or `xueji`.
    #[param(inline)]
    pub form: Option<FormParam>,
}

/// A blank sheet of the layout with one example row (which an import leaves out).
#[utoipa::path(
    get,
    path = "/rosters/template",
    operation_id = "roster_template",
    tag = "rosters",
    params(TemplateQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The template",
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            body = RosterFile),
        (status = 400, description = "Not one of the layouts", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
    )
)]
pub async fn template(
    _caller: ApiUser,
    ApiQuery(query): ApiQuery<TemplateQuery>,
) -> AppResult<Response> {
    template_download(query.form.map_or(Form::Mca, Form::from))
}
