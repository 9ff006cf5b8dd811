//! The export page: the children of the user's scope under the same filters as the child list
//! (the list's 导出 button brings them along), as the MCA 花名册 or the 学籍-style sheet, in
//! xlsx or CSV; full ID numbers and phones only for roles allowed to see them, with a stated
//! purpose. The blank templates are downloaded from here too.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shouhu_domain::{
    CareArrangement, GuardianshipRating, HardshipTag, SchoolingStatus, today_shanghai,
};
use shouhu_roster::Form;
use shouhu_store::children::{Caliber, ChildFilter, ExportRequest, may_reveal};
use shouhu_store::{StoreError, classes, schools};

use super::{export_response, may_export, template_download};
use crate::auth::{CsrfForm, PageUser};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::pages::places::Choice;
use crate::rosters::{ExportFormat, ExportSpec};
use crate::state::AppState;

/// The export form as typed, filters named as on the child list; empty means "any".
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExportForm {
    form: String,
    format: String,
    with_sensitive: String,
    purpose: String,
    school_id: String,
    class_id: String,
    caliber: String,
    care_arrangement: String,
    rating: String,
    tag: String,
    schooling: String,
    key_child: String,
    q: String,
}

fn some(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

impl ExportForm {
    fn filter(&self) -> ChildFilter {
        let caliber = match self.caliber.as_str() {
            "mca" => Some(Caliber::Mca),
            "xueji" => Some(Caliber::Xueji),
            "census" => Some(Caliber::Census),
            "none" => Some(Caliber::None),
            _ => None,
        };
        ChildFilter {
            school_id: self.school_id.parse().ok(),
            class_id: self.class_id.parse().ok(),
            caliber,
            care_arrangement: some(&self.care_arrangement),
            rating: some(&self.rating),
            tag: some(&self.tag),
            schooling: some(&self.schooling),
            key_child: (self.key_child == "1").then_some(true),
            q: some(&self.q),
            after: None,
            limit: None,
        }
    }

    /// The sheet and file format chosen; the 民政 form as xlsx when nothing was.
    fn choice(&self) -> Option<(Form, ExportFormat)> {
        let form = match self.form.trim() {
            "" => Form::Mca,
            other => Form::parse(other)?,
        };
        let format = match self.format.trim() {
            "" => ExportFormat::Xlsx,
            other => ExportFormat::parse(other)?,
        };
        Some((form, format))
    }
}

#[derive(Template)]
#[template(path = "roster_export.html")]
struct ExportPage {
    t: Tr,
    frame: Frame,
    f: ExportForm,
    forms: Vec<Choice>,
    formats: Vec<Choice>,
    schools: Vec<Choice>,
    classes: Vec<Choice>,
    calibers: Vec<Choice>,
    cares: Vec<Choice>,
    ratings: Vec<Choice>,
    tags: Vec<Choice>,
    statuses: Vec<Choice>,
    can_reveal: bool,
    error: Option<String>,
}

fn choices(t: &Tr, typed: &str, list: impl Iterator<Item = (String, String)>) -> Vec<Choice> {
    list.map(|(value, key)| Choice {
        selected: value == typed,
        label: t.t(&key).to_owned(),
        value,
    })
    .collect()
}

macro_rules! coded {
    ($t:expr, $typed:expr, $ty:ty) => {
        choices(
            $t,
            $typed,
            <$ty>::ALL
                .iter()
                .map(|v| (v.code().to_owned(), v.label_key().to_owned())),
        )
    };
}

async fn page(
    state: &AppState,
    t: Tr,
    user: &PageUser,
    f: ExportForm,
    refusal: Option<(StatusCode, String)>,
) -> AppResult<Response> {
    if !may_export(user.scope.role) {
        return Err(AppError::forbidden("denied.roster.export"));
    }
    let scope = user.scope.clone();
    let chosen_school = f.school_id.parse::<i64>().ok();
    let (school_list, class_list) = state
        .store
        .run(move |conn| {
            let school_list = match scope.school {
                Some(_) => Vec::new(),
                None => schools::list(conn, &scope, &Default::default())?,
            };
            let class_list = match scope.school.or(chosen_school) {
                Some(id) => classes::list(conn, &scope, id).unwrap_or_default(),
                None => Vec::new(),
            };
            Ok((school_list, class_list))
        })
        .await?;
    let forms = Form::ALL.map(|form| {
        (
            form.code().to_owned(),
            format!("roster.form.{}", form.code()),
        )
    });
    let formats = ["xlsx", "csv", "csv-gbk"].map(|c| (c.to_owned(), format!("roster.format.{c}")));
    let calibers =
        ["mca", "xueji", "census", "none"].map(|c| (c.to_owned(), format!("child.caliber.{c}")));
    let (status, error) = match refusal {
        Some((status, text)) => (status, Some(text)),
        None => (StatusCode::OK, None),
    };
    let form_typed = if f.form.is_empty() { "mca" } else { &f.form };
    let format_typed = if f.format.is_empty() {
        "xlsx"
    } else {
        &f.format
    };
    let page = ExportPage {
        frame: Frame::for_user(user),
        forms: choices(&t, form_typed, forms.into_iter()),
        formats: choices(&t, format_typed, formats.into_iter()),
        schools: school_list
            .into_iter()
            .map(|s| Choice {
                selected: s.id.to_string() == f.school_id,
                value: s.id.to_string(),
                label: s.name,
            })
            .collect(),
        classes: class_list
            .into_iter()
            .map(|c| Choice {
                selected: c.class.id.to_string() == f.class_id,
                value: c.class.id.to_string(),
                label: c.class.name,
            })
            .collect(),
        calibers: choices(&t, &f.caliber, calibers.into_iter()),
        cares: coded!(&t, &f.care_arrangement, CareArrangement),
        ratings: coded!(&t, &f.rating, GuardianshipRating),
        tags: coded!(&t, &f.tag, HardshipTag),
        statuses: coded!(&t, &f.schooling, SchoolingStatus),
        can_reveal: may_reveal(user.scope.role),
        error,
        t,
        f,
    };
    Ok((status, render(page)?).into_response())
}

/// `GET /rosters/export`, with the child list's filters in the query when it came from there.
pub async fn form(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Query(f): Query<ExportForm>,
) -> AppResult<Response> {
    page(&state, t, &user, f, None).await
}

/// `POST /rosters/export`: the sheet as a download, or the form again saying why not.
pub async fn download(
    State(state): State<AppState>,
    t: Tr,
    CsrfForm { user, form: f }: CsrfForm<ExportForm>,
) -> AppResult<Response> {
    if !may_export(user.scope.role) {
        return Err(AppError::forbidden("denied.roster.export"));
    }
    let Some((form, format)) = f.choice() else {
        let refusal = (
            StatusCode::UNPROCESSABLE_ENTITY,
            t.t("roster.bad_choice").to_owned(),
        );
        return page(&state, t, &user, f, Some(refusal)).await;
    };
    let spec = ExportSpec {
        form,
        format,
        request: ExportRequest {
            filter: f.filter(),
            with_sensitive: !f.with_sensitive.is_empty(),
            purpose: f.purpose.clone(),
            // The roster service fills in the form and format.
            description: String::new(),
        },
        today: today_shanghai(),
    };
    let refusal = match export_response(&state, user.scope.clone(), spec).await {
        Ok(response) => return Ok(response),
        Err(StoreError::Invalid { code, .. }) => {
            (StatusCode::UNPROCESSABLE_ENTITY, t.t(code).to_owned())
        }
        Err(StoreError::Forbidden(key)) => (
            StatusCode::FORBIDDEN,
            t.t(&format!("denied.{key}")).to_owned(),
        ),
        Err(e) => return Err(e.into()),
    };
    page(&state, t, &user, f, Some(refusal)).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TemplateQuery {
    form: String,
}

/// `GET /rosters/template?form=mca|xueji`: the blank sheet with one example row.
pub async fn template(_user: PageUser, Query(q): Query<TemplateQuery>) -> AppResult<Response> {
    let form = match q.form.trim() {
        "" => Form::Mca,
        other => Form::parse(other).ok_or_else(AppError::not_found)?,
    };
    template_download(form)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_filters_come_along() {
        let f: ExportForm =
            serde_urlencoded::from_str("caliber=mca&key_child=1&q=zhang&school_id=7&format=csv")
                .unwrap();
        let filter = f.filter();
        assert_eq!(filter.caliber, Some(Caliber::Mca));
        assert_eq!(filter.key_child, Some(true));
        assert_eq!(filter.school_id, Some(7));
        assert_eq!(filter.q.as_deref(), Some("zhang"));
        assert_eq!(f.choice().map(|c| c.0), Some(Form::Mca));
        let bad: ExportForm = serde_urlencoded::from_str("form=pdf").unwrap();
        assert!(bad.choice().is_none());
    }
}
