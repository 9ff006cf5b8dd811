//! The 劝返通知书: the county's template filled for one case and drawn as an A4 PDF. Opening
//! the child's file for the guardian's name is audited by the store as `dropout.notice`.

use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{Datelike, Days, NaiveDate};
use shouhu_docs::{ReturnNotice, return_notice_pdf};
use shouhu_domain::{ChildFile, Grade, RegionCode, today_shanghai};
use shouhu_store::{Scope, StoreError, children, dropout};

use super::{parse_id, require_cases};
use crate::auth::PageUser;
use crate::cards::pdf_response;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// `2026年12月2日`.
pub(crate) fn chinese_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// Whom the notice is addressed to: the first guardian, else the carer, else a parent.
fn addressee(file: &ChildFile) -> String {
    if let Some(g) = file.guardians.first() {
        return g.name.to_string();
    }
    if let Some((name, _, _)) = file.carer() {
        return name.to_string();
    }
    [&file.father, &file.mother]
        .into_iter()
        .flatten()
        .find_map(|p| p.name.as_ref().map(|n| n.to_string()))
        .unwrap_or_else(|| "家长".to_owned())
}

/// The notice for case `id` as a PDF, signed by `contact` (the caller's display name).
pub(crate) async fn notice_pdf(
    state: &AppState,
    scope: Scope,
    contact: String,
    id: i64,
) -> AppResult<Vec<u8>> {
    require_cases(&scope)?;
    let key = state.store.key();
    state
        .store
        .run(move |conn| {
            let detail = dropout::case_detail(conn, &scope, id)?;
            let region =
                RegionCode::parse(&detail.case.school_region).map_err(|_| StoreError::NotFound)?;
            let settings = dropout::settings_for(conn, &region)?;
            let (summary, file) =
                children::file_for(conn, &scope, &key, detail.case.child_id, "dropout.notice")?;
            let today = today_shanghai();
            let class = summary.class_name.clone().unwrap_or_default();
            let grade_class = match summary
                .class_grade
                .and_then(|g| i8::try_from(g).ok())
                .and_then(|g| Grade::new(g).ok())
            {
                Some(g) if !class.contains("年级") => format!("{g}{class}"),
                _ => class,
            };
            let opened = detail
                .case
                .opened_on
                .parse::<NaiveDate>()
                .map_or_else(|_| detail.case.opened_on.clone(), chinese_date);
            let deadline = today
                .checked_add_days(Days::new(7))
                .map(chinese_date)
                .unwrap_or_default();
            let guardian = addressee(&file);
            let body = settings.notice.fill(|field| {
                Some(match field {
                    "监护人" => guardian.clone(),
                    "姓名" => detail.child_name.clone(),
                    "学校" => detail.school_name.clone(),
                    "年级班级" => grade_class.clone(),
                    "离校日期" => opened.clone(),
                    "返校期限" => deadline.clone(),
                    "联系人" => contact.clone(),
                    "通知日期" => chinese_date(today),
                    _ => return None,
                })
            });
            let notice = ReturnNotice {
                title: "劝返复学通知书".to_owned(),
                body: body.map_err(|e| StoreError::invalid("notice", e.code()))?,
                issuer: detail.school_name.clone(),
                date: chinese_date(today),
                copy_label: None,
            };
            Ok(return_notice_pdf(&notice).map_err(AppError::internal))
        })
        .await?
}

/// `GET /dropout/cases/{id}/notice.pdf`.
pub async fn download(
    State(state): State<AppState>,
    user: PageUser,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&raw)?;
    let contact = user.user.display_name.clone();
    let pdf = notice_pdf(&state, user.scope.clone(), contact, id).await?;
    Ok(pdf_response(pdf, "劝返通知书.pdf"))
}
