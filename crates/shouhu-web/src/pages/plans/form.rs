//! The goals-and-measures form of a plan, for writing one and for editing it: measures as rows of
//! what, who and by when, with empty rows to add more; what was typed comes back on a refusal.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use shouhu_domain::{HelpPlanError, Measure};
use shouhu_store::StoreError;
use shouhu_store::help_plans::{self, PlanChange, PlanRecord};

use super::{parse_id, term_label};
use crate::auth::{CsrfForm, PageUser};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::pages::places::{FieldErrors, Posted};
use crate::state::AppState;

/// Empty measure rows offered below those written.
const SPARE_ROWS: usize = 3;
/// Rows read back from a post; the domain refuses more than 30 measures anyway.
const MAX_ROWS: usize = 40;

#[derive(Clone, Debug, Default)]
pub struct MeasureRow {
    pub what: String,
    pub who: String,
    pub by: String,
}

/// A plan's goals and measures as typed.
#[derive(Clone, Debug, Default)]
pub struct PlanForm {
    pub goals: String,
    pub measures: Vec<MeasureRow>,
}

impl PlanForm {
    pub fn blank() -> Self {
        Self::default().with_spare_rows()
    }

    pub fn of(record: &PlanRecord) -> Self {
        Self {
            goals: record.plan.goals.clone(),
            measures: record
                .plan
                .measures
                .iter()
                .map(|m| MeasureRow {
                    what: m.what.clone(),
                    who: m.who.clone(),
                    by: m.by.to_string(),
                })
                .collect(),
        }
        .with_spare_rows()
    }

    pub fn posted(p: &Posted) -> Self {
        let measures = (0..MAX_ROWS)
            .map(|i| MeasureRow {
                what: p.get(&format!("m{i}_what")),
                who: p.get(&format!("m{i}_who")),
                by: p.get(&format!("m{i}_by")),
            })
            .filter(|r| !(r.what.is_empty() && r.who.is_empty() && r.by.is_empty()))
            .collect();
        Self {
            goals: p.get("goals"),
            measures,
        }
        .with_spare_rows()
    }

    fn with_spare_rows(mut self) -> Self {
        self.measures
            .extend(std::iter::repeat_n(MeasureRow::default(), SPARE_ROWS));
        self
    }

    /// The goals and the measures typed; the domain checks the rest.
    pub fn parse(&self) -> Result<(String, Vec<Measure>), FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut measures = Vec::new();
        for row in &self.measures {
            if row.what.is_empty() && row.who.is_empty() && row.by.is_empty() {
                continue;
            }
            let by = NaiveDate::parse_from_str(&row.by, "%Y-%m-%d").ok();
            match Measure::parse(&row.what, &row.who, by) {
                Ok(m) => measures.push(m),
                Err(e) => errors.add(e.field(), e.code()),
            }
        }
        if self.goals.trim().is_empty() {
            errors.add("goals", HelpPlanError::GoalsEmpty.code());
        }
        if measures.is_empty() && errors.get("measures").is_none() {
            errors.add("measures", HelpPlanError::MeasuresEmpty.code());
        }
        if errors.is_empty() {
            Ok((self.goals.clone(), measures))
        } else {
            Err(errors)
        }
    }
}

/// A store refusal beside its field; reach and permission stay errors for the whole request.
pub fn refusal(e: StoreError) -> AppResult<FieldErrors> {
    FieldErrors::from_store(e, "plan.duplicate")
}

pub fn may_write(user: &PageUser) -> AppResult<()> {
    if shouhu_domain::may_write_plan(user.scope.role) {
        Ok(())
    } else {
        Err(AppError::forbidden("denied.help_plan.edit"))
    }
}

#[derive(Template)]
#[template(path = "plan_form.html")]
struct EditPage {
    t: Tr,
    frame: Frame,
    id: i64,
    child_id: i64,
    child_name: String,
    term: String,
    form: PlanForm,
    errors: FieldErrors,
    version: i32,
}

fn edit_page(
    t: Tr,
    user: &PageUser,
    record: &PlanRecord,
    form: PlanForm,
    errors: FieldErrors,
    version: i32,
    status: StatusCode,
) -> AppResult<Response> {
    let page = EditPage {
        frame: Frame::for_user(user),
        id: record.summary.id,
        child_id: record.summary.child_id,
        child_name: record.child_name.clone(),
        term: term_label(&t, &record.summary.term_key),
        form,
        errors,
        version,
        t,
    };
    Ok((status, render(page)?).into_response())
}

async fn open(state: &AppState, user: &PageUser, id: i64) -> AppResult<PlanRecord> {
    let scope = user.scope.clone();
    let key = state.store.key();
    Ok(state
        .store
        .run(move |conn| help_plans::get(conn, &scope, &key, id))
        .await?)
}

/// `GET /plans/{id}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    may_write(&user)?;
    let record = open(&state, &user, parse_id(&raw)?).await?;
    let form = PlanForm::of(&record);
    let version = record.summary.version;
    let errors = FieldErrors::default();
    edit_page(t, &user, &record, form, errors, version, StatusCode::OK)
}

/// `POST /plans/{id}`: new goals and measures, if nobody saved since the form was read.
pub async fn update(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    may_write(&user)?;
    let id = parse_id(&raw)?;
    let posted = Posted::new(form);
    let version: i32 = posted
        .get("version")
        .parse()
        .map_err(|_| AppError::bad_request("error.bad_form"))?;
    let form = PlanForm::posted(&posted);
    let (errors, version, status) = match form.parse() {
        Ok(content) => {
            let scope = user.scope.clone();
            let key = state.store.key();
            let change = PlanChange {
                content: Some(content),
                ..PlanChange::default()
            };
            let saved = state
                .store
                .run(move |conn| {
                    Ok(help_plans::update(
                        conn, &scope, &key, id, version, &change, None,
                    ))
                })
                .await?;
            match saved {
                Ok(_) => {
                    return Ok(Redirect::to(&format!("/plans/{id}?done=saved")).into_response());
                }
                // Saving again, knowing someone else saved meanwhile, is a deliberate overwrite.
                Err(StoreError::Conflict { current, .. }) => {
                    let mut errors = FieldErrors::default();
                    errors.add("form", "plan.conflict");
                    (errors, current, StatusCode::CONFLICT)
                }
                Err(e) => (refusal(e)?, version, StatusCode::UNPROCESSABLE_ENTITY),
            }
        }
        Err(errors) => (errors, version, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let record = open(&state, &user, id).await?;
    edit_page(t, &user, &record, form, errors, version, status)
}
