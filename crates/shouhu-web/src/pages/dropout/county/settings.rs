//! `/dropout/settings`: the dropout settings in force for the caller's county, and the form
//! that replaces them (thresholds, the escalation ladder, the 劝返通知书 template and the
//! 送教上门 target). A stale form answers 409 with what was typed.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shouhu_domain::{
    DropoutError, DropoutRule, Ladder, LadderStep, NOTICE_FIELDS, NoticeTemplate, RegionCode,
    RegionLevel, ReturnMethod, Role, default_notice_template,
};
use shouhu_store::dropout::{Settings, save_settings, settings_for};
use shouhu_store::{Scope, StoreError, regions};

use crate::auth::{CsrfForm, PageUser};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::pages::places::{Choice, FieldErrors, Posted};
use crate::state::AppState;

/// Ladder rows the form offers at least.
const ROWS: usize = 5;
/// Rows read back from a post.
const MAX_ROWS: usize = 12;

#[derive(Clone, Debug, Default)]
pub struct StepRow {
    pub day: String,
    pub methods: Vec<Choice>,
    pub roles: Vec<Choice>,
}

#[derive(Clone, Debug, Default)]
pub struct SettingsForm {
    pub streak_days: String,
    pub lapse_days: String,
    pub steps: Vec<StepRow>,
    pub notice: String,
    pub teaching_target: String,
}

fn methods(t: &Tr, selected: &str) -> Vec<Choice> {
    ReturnMethod::ALL
        .iter()
        .map(|m| Choice {
            value: m.code().to_owned(),
            label: t.t(m.label_key()).to_owned(),
            selected: m.code() == selected,
        })
        .collect()
}

fn roles(t: &Tr, selected: &str) -> Vec<Choice> {
    Role::ALL
        .iter()
        .filter(|r| **r != Role::Volunteer)
        .map(|r| Choice {
            value: r.code().to_owned(),
            label: t.t(r.label_key()).to_owned(),
            selected: r.code() == selected,
        })
        .collect()
}

fn row(t: &Tr, day: String, method: &str, role: &str) -> StepRow {
    StepRow {
        day,
        methods: methods(t, method),
        roles: roles(t, role),
    }
}

impl SettingsForm {
    fn of(t: &Tr, s: &Settings) -> Self {
        let mut steps: Vec<StepRow> = s
            .ladder
            .steps()
            .iter()
            .map(|st| row(t, st.day.to_string(), st.method.code(), st.role.code()))
            .collect();
        while steps.len() < ROWS {
            steps.push(row(t, String::new(), "", ""));
        }
        Self {
            streak_days: s.rule.streak_days.to_string(),
            lapse_days: s.rule.lapse_days.to_string(),
            steps,
            notice: s.notice_text.clone(),
            teaching_target: s.teaching_target.map(|v| v.to_string()).unwrap_or_default(),
        }
    }

    fn posted(t: &Tr, p: &Posted) -> Self {
        let mut steps: Vec<StepRow> = (0..MAX_ROWS)
            .filter(|i| p.has(&format!("step{i}_day")))
            .map(|i| {
                row(
                    t,
                    p.get(&format!("step{i}_day")),
                    &p.get(&format!("step{i}_method")),
                    &p.get(&format!("step{i}_role")),
                )
            })
            .collect();
        while steps.len() < ROWS {
            steps.push(row(t, String::new(), "", ""));
        }
        Self {
            streak_days: p.get("streak_days"),
            lapse_days: p.get("lapse_days"),
            steps,
            notice: p.get("notice"),
            teaching_target: p.get("teaching_target"),
        }
    }
}

fn selected(choices: &[Choice]) -> &str {
    choices
        .iter()
        .find(|c| c.selected)
        .map_or("", |c| c.value.as_str())
}

/// What a settings form says, checked by the domain; every field's error at once.
pub struct Parsed {
    pub rule: DropoutRule,
    pub ladder: Ladder,
    pub notice: Option<NoticeTemplate>,
    pub teaching_target: Option<i32>,
}

fn rule_field(e: DropoutError) -> &'static str {
    match e {
        DropoutError::LapseDays => "lapse_days",
        _ => "streak_days",
    }
}

/// Field → catalog key of what is wrong, first problem per field.
#[derive(Default, Debug)]
pub struct Problems(pub Vec<(&'static str, &'static str)>);

impl Problems {
    fn add(&mut self, field: &'static str, key: &'static str) {
        if self.get(field).is_none() {
            self.0.push((field, key));
        }
    }

    fn get(&self, field: &str) -> Option<&'static str> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, k)| *k)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn into_field_errors(self) -> FieldErrors {
        let mut errors = FieldErrors::default();
        for (field, key) in self.0 {
            errors.add(field, key);
        }
        errors
    }
}

/// Checks the values of a settings form or body. Rows with no day are dropped.
pub fn parse_settings(
    streak_days: &str,
    lapse_days: &str,
    steps: &[(String, String, String)],
    notice: &str,
    teaching_target: &str,
) -> Result<Parsed, Problems> {
    let mut errors = Problems::default();
    let streak = streak_days.trim().parse::<u32>().unwrap_or(0);
    let lapse = lapse_days.trim().parse::<u32>().unwrap_or(0);
    let rule = match DropoutRule::new(streak, lapse) {
        Ok(rule) => Some(rule),
        Err(e) => {
            errors.add(rule_field(e), e.code());
            None
        }
    };
    let mut list = Vec::new();
    for (day, method, role) in steps {
        if day.trim().is_empty() {
            continue;
        }
        let Ok(day) = day.trim().parse::<u32>() else {
            errors.add("steps", DropoutError::LadderDays.code());
            continue;
        };
        let method = match ReturnMethod::parse(method) {
            Ok(m) => m,
            Err(e) => {
                errors.add("steps", e.code());
                continue;
            }
        };
        let role = match Role::parse(role) {
            Ok(r) if r != Role::Volunteer => r,
            _ => {
                errors.add("steps", "role.unknown");
                continue;
            }
        };
        list.push(LadderStep { day, method, role });
    }
    let ladder = if errors.get("steps").is_none() {
        match Ladder::new(list) {
            Ok(l) => Some(l),
            Err(e) => {
                errors.add("steps", e.code());
                None
            }
        }
    } else {
        None
    };
    let notice = match NoticeTemplate::parse(notice) {
        Ok(n) if n == default_notice_template() => Some(None),
        Ok(n) => Some(Some(n)),
        Err(e) => {
            errors.add("notice", e.code());
            None
        }
    };
    let target = match teaching_target.trim() {
        "" => Some(None),
        v => match v.parse::<i32>() {
            Ok(n) if (1..=400).contains(&n) => Some(Some(n)),
            _ => {
                errors.add("teaching_target", "dropout.teaching_target");
                None
            }
        },
    };
    match (rule, ladder, notice, target) {
        (Some(rule), Some(ladder), Some(notice), Some(teaching_target)) if errors.is_empty() => {
            Ok(Parsed {
                rule,
                ladder,
                notice,
                teaching_target,
            })
        }
        _ => Err(errors),
    }
}

/// The county a bureau (or administrator) works on: the one asked for, else their own.
pub fn county_for(scope: &Scope, asked: Option<&str>) -> AppResult<RegionCode> {
    if !matches!(scope.role, Role::Bureau | Role::SystemAdmin) || scope.school.is_some() {
        return Err(AppError::forbidden("denied.dropout.settings"));
    }
    let code = match asked.map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => RegionCode::parse(raw).map_err(|_| AppError::not_found())?,
        None => scope
            .region
            .clone()
            .ok_or_else(|| AppError::bad_request("dcounty.pick_county"))?,
    };
    if code.level() != RegionLevel::County {
        return Err(AppError::bad_request("dcounty.pick_county"));
    }
    if !scope.covers_region(&code) {
        return Err(AppError::not_found());
    }
    Ok(code)
}

/// The version a save must send: the county's own row's, 0 while it inherits.
pub fn own_version(s: &Settings, county: &RegionCode) -> i32 {
    if s.region_code.as_deref() == Some(county.as_str()) {
        s.version
    } else {
        0
    }
}

#[derive(Template)]
#[template(path = "dropout_settings.html")]
struct SettingsPage {
    t: Tr,
    frame: Frame,
    region: String,
    region_name: String,
    /// Where the settings in force come from: this county, a region above it, or the defaults.
    source: String,
    form: SettingsForm,
    fields: Vec<String>,
    errors: FieldErrors,
    version: i32,
}

#[derive(Deserialize)]
pub struct SettingsQuery {
    region: Option<String>,
    done: Option<String>,
}

async fn load(
    state: &AppState,
    scope: &Scope,
    county: &RegionCode,
) -> AppResult<(Settings, String, String)> {
    let (scope, county) = (scope.clone(), county.clone());
    Ok(state
        .store
        .run(move |conn| {
            let region = regions::get(conn, &scope, &county)?;
            let settings = settings_for(conn, &county)?;
            let source = match &settings.region_code {
                Some(code) if code == county.as_str() => region.name.clone(),
                Some(code) => RegionCode::parse(code)
                    .ok()
                    .map(|c| regions::gazetteer_name(conn, &c))
                    .transpose()?
                    .flatten()
                    .unwrap_or_else(|| code.clone()),
                None => String::new(),
            };
            Ok((settings, region.name, source))
        })
        .await?)
}

#[allow(clippy::too_many_arguments)] // the page's parts, each needed
fn page(
    t: Tr,
    user: &PageUser,
    county: &RegionCode,
    region_name: String,
    source: String,
    form: SettingsForm,
    errors: FieldErrors,
    version: i32,
    notice: Option<&'static str>,
    status: StatusCode,
) -> AppResult<Response> {
    let mut frame = Frame::for_user(user);
    frame.notice = notice;
    let page = SettingsPage {
        frame,
        region: county.as_str().to_owned(),
        region_name,
        source,
        form,
        fields: NOTICE_FIELDS.iter().map(|f| format!("{{{f}}}")).collect(),
        errors,
        version,
        t,
    };
    Ok((status, render(page)?).into_response())
}

/// `GET /dropout/settings`.
pub async fn show(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Query(q): Query<SettingsQuery>,
) -> AppResult<Response> {
    let county = county_for(&user.scope, q.region.as_deref())?;
    let (settings, name, source) = load(&state, &user.scope, &county).await?;
    let form = SettingsForm::of(&t, &settings);
    let version = own_version(&settings, &county);
    let notice = (q.done.as_deref() == Some("saved")).then_some("dcounty.settings_saved");
    page(
        t,
        &user,
        &county,
        name,
        source,
        form,
        FieldErrors::default(),
        version,
        notice,
        StatusCode::OK,
    )
}

/// `POST /dropout/settings`: replaces the county's settings if nobody saved since.
pub async fn save(
    State(state): State<AppState>,
    t: Tr,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let posted = Posted::new(form);
    let region = posted.get("region");
    let county = county_for(&user.scope, Some(&region))?;
    let version: i32 = posted
        .get("version")
        .parse()
        .map_err(|_| AppError::bad_request("error.bad_form"))?;
    let typed = SettingsForm::posted(&t, &posted);
    let steps: Vec<(String, String, String)> = typed
        .steps
        .iter()
        .map(|r| {
            (
                r.day.clone(),
                selected(&r.methods).to_owned(),
                selected(&r.roles).to_owned(),
            )
        })
        .collect();
    let parsed = parse_settings(
        &typed.streak_days,
        &typed.lapse_days,
        &steps,
        &typed.notice,
        &typed.teaching_target,
    );
    let (errors, version, status) = match parsed {
        Ok(p) => {
            let scope = user.scope.clone();
            let c = county.clone();
            let saved = state
                .store
                .run(move |conn| {
                    Ok(save_settings(
                        conn,
                        &scope,
                        &c,
                        p.rule,
                        &p.ladder,
                        p.notice.as_ref(),
                        p.teaching_target,
                        version,
                    ))
                })
                .await?;
            match saved {
                Ok(_) => {
                    let to = format!("/dropout/settings?region={}&done=saved", county.as_str());
                    return Ok(Redirect::to(&to).into_response());
                }
                Err(StoreError::Conflict { current, .. }) => {
                    let mut errors = FieldErrors::default();
                    errors.add("form", "dcounty.settings_conflict");
                    (errors, current, StatusCode::CONFLICT)
                }
                Err(e) => (
                    FieldErrors::from_store(e, "error.duplicate")?,
                    version,
                    StatusCode::UNPROCESSABLE_ENTITY,
                ),
            }
        }
        Err(problems) => (
            problems.into_field_errors(),
            version,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    };
    let (_, name, source) = load(&state, &user.scope, &county).await?;
    page(
        t, &user, &county, name, source, typed, errors, version, None, status,
    )
}
