//! `/duty-rules?region=CODE`: the duty rules in force at a region, with whether each is the
//! national default or the county's own; bureau staff and system administrators change a
//! county's rule (cadence, count, switched on, pauses on holiday, who answers, which caliber of
//! left-behind child) with the version they read. Saving regenerates the county's future duties;
//! current and past ones keep their status (the store does both in one transaction).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shouhu_domain::{
    Applies, Cadence, Caliber, CareKind, DutyRule, RegionCode, RegionLevel, Role, SubjectKind,
    today_shanghai,
};
use shouhu_store::duties::{self, RuleInForce};
use shouhu_store::{Conn, Scope, StoreError, StoreResult, regions, schools};

use super::{county_of, rule_name};
use crate::auth::{CsrfForm, PageUser};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::pages::places::{Choice, FieldErrors, Posted};
use crate::state::AppState;

/// Cadence codes as forms and the API name them.
pub const CADENCES: [&str; 6] = ["school_day", "week", "month", "term", "year", "days"];
/// The longest block of days a county may set: a school year.
const MAX_DAYS: u16 = 366;
/// More records per period than any work plan asks for.
const MAX_COUNT: u16 = 31;

pub fn cadence_code(c: Cadence) -> &'static str {
    match c {
        Cadence::SchoolDay => "school_day",
        Cadence::Week => "week",
        Cadence::Month => "month",
        Cadence::Term => "term",
        Cadence::Year => "year",
        Cadence::Days { .. } => "days",
        Cadence::Case => "case",
    }
}

/// The cadence of a form or API body: a code, and the block length for `days`.
pub fn parse_cadence(code: &str, days: Option<u16>) -> Result<Cadence, &'static str> {
    Ok(match code.trim() {
        "school_day" => Cadence::SchoolDay,
        "week" => Cadence::Week,
        "month" => Cadence::Month,
        "term" => Cadence::Term,
        "year" => Cadence::Year,
        "case" => Cadence::Case,
        "days" => match days {
            Some(n) if (1..=MAX_DAYS).contains(&n) => Cadence::Days { days: n },
            _ => return Err("duty_rules.bad_days"),
        },
        _ => return Err("duty_rules.bad_cadence"),
    })
}

pub fn parse_count(n: Option<u16>) -> Result<u16, &'static str> {
    match n {
        Some(n) if (1..=MAX_COUNT).contains(&n) => Ok(n),
        _ => Err("duty_rules.bad_count"),
    }
}

/// The roles a duty can be owed by: those who keep records.
pub const RESPONSIBLE: [Role; 4] = [
    Role::HeadTeacher,
    Role::Teacher,
    Role::Principal,
    Role::ChildDirector,
];

pub fn parse_responsible(code: &str) -> Result<Role, &'static str> {
    RESPONSIBLE
        .into_iter()
        .find(|r| r.code() == code.trim())
        .ok_or("duty_rules.bad_role")
}

/// `any` or a caliber code; `None` means the rule does not ask for left-behind children.
pub fn parse_caliber(code: &str) -> Result<Option<Caliber>, &'static str> {
    match code.trim() {
        "" | "any" => Ok(None),
        code => Caliber::parse(code)
            .map(Some)
            .map_err(|_| "duty_rules.bad_caliber"),
    }
}

/// What a county may change of a rule; the rest (its code, subject, the records that satisfy it
/// and the finer applies-to conditions) stays as in force.
#[derive(Clone, Debug)]
pub struct RuleEdit {
    pub cadence: Cadence,
    pub count: u16,
    pub enabled: bool,
    pub pauses_on_holiday: bool,
    pub responsible: Role,
    pub caliber: Option<Caliber>,
}

impl RuleEdit {
    pub fn apply(&self, base: &DutyRule) -> DutyRule {
        DutyRule {
            cadence: self.cadence,
            count: self.count,
            responsible: self.responsible,
            pauses_on_holiday: self.pauses_on_holiday,
            applies_to: Applies {
                left_behind: self.caliber,
                ..base.applies_to.clone()
            },
            ..base.clone()
        }
    }
}

/// How a rule reads in a table, in the request's language.
pub fn cadence_label(t: &Tr, c: Cadence) -> String {
    match c {
        Cadence::Days { days } => t.t("duty.cadence.days").replace("{n}", &days.to_string()),
        other => t
            .t(&format!("duty.cadence.{}", cadence_code(other)))
            .to_owned(),
    }
}

pub fn for_whom(t: &Tr, rule: &DutyRule) -> String {
    let a = &rule.applies_to;
    match rule.subject {
        SubjectKind::Class => return t.t("duty.for.each_class").to_owned(),
        SubjectKind::School => return t.t("duty.for.each_school").to_owned(),
        SubjectKind::Child => {}
    }
    let mut parts: Vec<String> = Vec::new();
    if let Some(c) = a.left_behind {
        parts.push(
            t.t("duty.for.left_behind")
                .replace("{caliber}", t.t(c.label_key())),
        );
    }
    let concerns: Vec<&str> = a
        .ratings
        .iter()
        .map(|r| t.t(r.label_key()))
        .chain(a.tags_any.iter().map(|g| t.t(g.label_key())))
        .collect();
    if !concerns.is_empty() {
        parts.push(format!(
            "{} {}",
            t.t("duty.for.concern"),
            concerns.join(" / ")
        ));
    }
    if !a.schooling.is_empty() {
        let s: Vec<&str> = a.schooling.iter().map(|s| t.t(s.label_key())).collect();
        parts.push(s.join(" / "));
    }
    if a.key_child == Some(true) {
        parts.push(t.t("duty.for.key_child").to_owned());
    }
    if parts.is_empty() {
        t.t("duty.for.every_child").to_owned()
    } else {
        parts.join("，")
    }
}

pub fn evidence_label(t: &Tr, code: &str) -> String {
    match CareKind::parse(code) {
        Ok(kind) => t.t(kind.label_key()).to_owned(),
        Err(_) => t.t(&format!("duty.evidence.{code}")).to_owned(),
    }
}

#[derive(Debug)]
pub struct RuleRow {
    pub code: String,
    pub name: String,
    pub cadence: String,
    pub count: u16,
    pub who_key: &'static str,
    pub for_whom: String,
    pub satisfied_by: String,
    pub pauses: bool,
    pub enabled: bool,
    /// The county's own rather than the national default.
    pub own: bool,
    pub edit_href: Option<String>,
}

#[derive(Template)]
#[template(path = "duty_rules.html")]
struct RulesPage {
    t: Tr,
    frame: Frame,
    region_name: String,
    region_code: String,
    county_name: Option<String>,
    rows: Vec<RuleRow>,
    can_edit: bool,
    /// Below-county regions to choose from when the page is above a county.
    counties: Vec<(String, String)>,
    saved: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RulesQuery {
    region: Option<String>,
    code: Option<String>,
    done: Option<String>,
}

pub fn may_edit(role: Role) -> bool {
    matches!(role, Role::Bureau | Role::SystemAdmin)
}

/// The region asked for, else the caller's school's region, else their home region, else the
/// first region they reach.
fn region_of(conn: &mut Conn, scope: &Scope, raw: Option<&str>) -> StoreResult<RegionCode> {
    if let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) {
        return RegionCode::parse(raw).map_err(|_| StoreError::NotFound);
    }
    if let Some(id) = scope.school {
        return schools::get(conn, scope, id)?.region();
    }
    if let Some(code) = &scope.region {
        return Ok(code.clone());
    }
    let first = regions::children(conn, scope, None)?
        .into_iter()
        .next()
        .ok_or(StoreError::NotFound)?;
    RegionCode::parse(&first.code).map_err(|_| StoreError::NotFound)
}

fn name_of(conn: &mut Conn, code: &RegionCode) -> StoreResult<String> {
    Ok(regions::ancestry(conn, code)?
        .into_iter()
        .find(|r| r.code == code.as_str())
        .map_or_else(|| code.to_string(), |r| r.name))
}

/// `GET /duty-rules?region=CODE`.
pub async fn list(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Query(q): Query<RulesQuery>,
) -> AppResult<Response> {
    let scope = user.scope.clone();
    let (region, region_name, county, county_name, rules, counties) = state
        .store
        .run(move |conn| {
            let region = region_of(conn, &scope, q.region.as_deref())?;
            let rules = duties::rules_at(conn, &scope, &region)?;
            let region_name = name_of(conn, &region)?;
            let county = county_of(&region);
            let county_name = match &county {
                Some(c) => Some(name_of(conn, c)?),
                None => None,
            };
            let counties = if region.level() < RegionLevel::County {
                regions::children(conn, &scope, Some(&region))?
                    .into_iter()
                    .map(|r| (r.code, r.name))
                    .collect()
            } else {
                Vec::new()
            };
            Ok((region, region_name, county, county_name, rules, counties))
        })
        .await?;
    let can_edit = may_edit(user.scope.role) && county.is_some();
    let rows = rules
        .iter()
        .map(|r| row(&t, r, county.as_ref(), can_edit))
        .collect();
    let frame = Frame::for_user(&user);
    Ok(render(RulesPage {
        t,
        frame,
        region_code: region.to_string(),
        region_name,
        county_name,
        rows,
        can_edit,
        counties,
        saved: q.done.as_deref() == Some("rule_saved"),
    })?
    .into_response())
}

fn row(t: &Tr, r: &RuleInForce, county: Option<&RegionCode>, can_edit: bool) -> RuleRow {
    let rule = &r.rule;
    RuleRow {
        code: rule.code.clone(),
        name: rule_name(t, &rule.code, &rule.name),
        cadence: cadence_label(t, rule.cadence),
        count: rule.count,
        who_key: rule.responsible.label_key(),
        for_whom: for_whom(t, rule),
        satisfied_by: rule
            .satisfied_by
            .iter()
            .map(|k| evidence_label(t, k))
            .collect::<Vec<_>>()
            .join(" / "),
        pauses: rule.pauses_on_holiday,
        enabled: r.enabled,
        own: r.region_code.is_some(),
        edit_href: county
            .filter(|_| can_edit)
            .map(|c| format!("/duty-rules/edit?region={c}&code={}", rule.code)),
    }
}

#[derive(Template)]
#[template(path = "duty_rule_form.html")]
struct FormPage {
    t: Tr,
    frame: Frame,
    county: String,
    county_name: String,
    code: String,
    name: String,
    own: bool,
    version: String,
    cadences: Vec<Choice>,
    days: String,
    count: String,
    enabled: bool,
    pauses: bool,
    roles: Vec<Choice>,
    calibers: Vec<Choice>,
    /// The finer conditions kept as they are.
    for_whom: String,
    satisfied_by: String,
    errors: FieldErrors,
    conflict: bool,
}

/// What the form shows: the rule in force, or what was posted.
struct Values {
    cadence: String,
    days: String,
    count: String,
    enabled: bool,
    pauses: bool,
    responsible: String,
    caliber: String,
    version: String,
}

impl Values {
    fn of(r: &RuleInForce, county: &RegionCode) -> Self {
        let days = match r.rule.cadence {
            Cadence::Days { days } => days.to_string(),
            _ => String::new(),
        };
        Self {
            cadence: cadence_code(r.rule.cadence).to_owned(),
            days,
            count: r.rule.count.to_string(),
            enabled: r.enabled,
            pauses: r.rule.pauses_on_holiday,
            responsible: r.rule.responsible.code().to_owned(),
            caliber: r
                .rule
                .applies_to
                .left_behind
                .map_or("any", |c| c.code())
                .to_owned(),
            // Only a county's own row has a version to check; a default is copied on first save.
            version: if r.region_code.as_deref() == Some(county.as_str()) {
                r.version.to_string()
            } else {
                String::new()
            },
        }
    }

    fn posted(p: &Posted) -> Self {
        Self {
            cadence: p.get("cadence"),
            days: p.get("days"),
            count: p.get("count"),
            enabled: p.has("enabled"),
            pauses: p.has("pauses_on_holiday"),
            responsible: p.get("responsible"),
            caliber: p.get("caliber"),
            version: p.get("version"),
        }
    }

    fn parse(&self) -> Result<RuleEdit, FieldErrors> {
        let mut errors = FieldErrors::default();
        let number = |s: &str| s.trim().parse::<u16>().ok();
        let cadence = parse_cadence(&self.cadence, number(&self.days))
            .map_err(|k| errors.add("cadence", k))
            .ok();
        let count = parse_count(number(&self.count))
            .map_err(|k| errors.add("count", k))
            .ok();
        let responsible = parse_responsible(&self.responsible)
            .map_err(|k| errors.add("responsible", k))
            .ok();
        let caliber = parse_caliber(&self.caliber)
            .map_err(|k| errors.add("caliber", k))
            .ok();
        match (cadence, count, responsible, caliber) {
            (Some(cadence), Some(count), Some(responsible), Some(caliber)) => Ok(RuleEdit {
                cadence,
                count,
                enabled: self.enabled,
                pauses_on_holiday: self.pauses,
                responsible,
                caliber,
            }),
            _ => Err(errors),
        }
    }
}

fn choices(t: &Tr, options: &[(String, String)], value: &str) -> Vec<Choice> {
    options
        .iter()
        .map(|(v, label)| Choice {
            value: v.clone(),
            label: t.t(label).to_owned(),
            selected: v == value,
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    t: Tr,
    user: &PageUser,
    county: &RegionCode,
    county_name: String,
    r: &RuleInForce,
    v: Values,
    errors: FieldErrors,
    conflict: bool,
) -> FormPage {
    let cadences: Vec<(String, String)> = CADENCES
        .iter()
        .map(|c| ((*c).to_owned(), format!("duty.cadence.{c}_choice")))
        .collect();
    let roles: Vec<(String, String)> = RESPONSIBLE
        .iter()
        .map(|r| (r.code().to_owned(), r.label_key().to_owned()))
        .collect();
    let calibers: Vec<(String, String)> =
        std::iter::once(("any".to_owned(), "duty.for.any_child".to_owned()))
            .chain(
                Caliber::ALL
                    .iter()
                    .map(|c| (c.code().to_owned(), c.label_key().to_owned())),
            )
            .collect();
    FormPage {
        frame: Frame::for_user(user),
        county: county.to_string(),
        county_name,
        code: r.rule.code.clone(),
        name: rule_name(&t, &r.rule.code, &r.rule.name),
        own: r.region_code.as_deref() == Some(county.as_str()),
        version: v.version.clone(),
        cadences: choices(&t, &cadences, &v.cadence),
        days: v.days.clone(),
        count: v.count.clone(),
        enabled: v.enabled,
        pauses: v.pauses,
        roles: choices(&t, &roles, &v.responsible),
        calibers: choices(&t, &calibers, &v.caliber),
        for_whom: for_whom(&t, &r.rule),
        satisfied_by: r
            .rule
            .satisfied_by
            .iter()
            .map(|k| evidence_label(&t, k))
            .collect::<Vec<_>>()
            .join(" / "),
        errors,
        conflict,
        t,
    }
}

/// The county and the rule in force there, for the form; a region that is not a county has no
/// rules of its own to edit.
fn load_rule(
    conn: &mut Conn,
    scope: &Scope,
    region: Option<&str>,
    code: &str,
) -> StoreResult<(RegionCode, String, RuleInForce)> {
    let county = region
        .and_then(|r| RegionCode::parse(r.trim()).ok())
        .filter(|r| r.level() == RegionLevel::County)
        .ok_or(StoreError::NotFound)?;
    let rule = duties::rules_at(conn, scope, &county)?
        .into_iter()
        .find(|r| r.rule.code == code)
        .ok_or(StoreError::NotFound)?;
    let name = name_of(conn, &county)?;
    Ok((county, name, rule))
}

/// `GET /duty-rules/edit?region=COUNTY&code=talk`.
pub async fn edit_form(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Query(q): Query<RulesQuery>,
) -> AppResult<Response> {
    if !may_edit(user.scope.role) {
        return Err(AppError::forbidden("denied.duty_rule.save"));
    }
    let scope = user.scope.clone();
    let code = q.code.clone().unwrap_or_default();
    let (county, county_name, rule) = state
        .store
        .run(move |conn| load_rule(conn, &scope, q.region.as_deref(), &code))
        .await?;
    let values = Values::of(&rule, &county);
    let page = form_page(
        t,
        &user,
        &county,
        county_name,
        &rule,
        values,
        FieldErrors::default(),
        false,
    );
    Ok(render(page)?.into_response())
}

/// `POST /duty-rules/edit`: saves the county's rule with the version it was read at.
pub async fn save(
    State(state): State<AppState>,
    t: Tr,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let form = Posted::new(form);
    if !may_edit(user.scope.role) {
        return Err(AppError::forbidden("denied.duty_rule.save"));
    }
    let scope = user.scope.clone();
    let region = form.get("region");
    let code = form.get("code");
    let (county, county_name, current) = state
        .store
        .run(move |conn| load_rule(conn, &scope, Some(&region), &code))
        .await?;
    let values = Values::posted(&form);
    let edit = match values.parse() {
        Ok(edit) => edit,
        Err(errors) => {
            let page = form_page(
                t,
                &user,
                &county,
                county_name,
                &current,
                values,
                errors,
                false,
            );
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response());
        }
    };
    let expected = values.version.trim().parse::<i32>().ok();
    let rule = edit.apply(&current.rule);
    let scope = user.scope.clone();
    let target = county.clone();
    let saved = state
        .store
        .run(move |conn| {
            duties::save_rule(
                conn,
                &scope,
                &target,
                &rule,
                edit.enabled,
                expected,
                today_shanghai(),
            )
        })
        .await;
    match saved {
        Ok(_) => Ok(
            Redirect::to(&format!("/duty-rules?region={county}&done=rule_saved")).into_response(),
        ),
        Err(StoreError::Conflict { .. }) => {
            // Keep what was typed, now based on the version someone else saved, so a second
            // save after reading the message is a deliberate overwrite.
            let values = Values {
                version: Values::of(&current, &county).version,
                ..values
            };
            let page = form_page(
                t,
                &user,
                &county,
                county_name,
                &current,
                values,
                FieldErrors::default(),
                true,
            );
            Ok((StatusCode::CONFLICT, render(page)?).into_response())
        }
        Err(StoreError::Invalid { field, code }) => {
            let mut errors = FieldErrors::default();
            errors.add(field, code);
            let page = form_page(
                t,
                &user,
                &county,
                county_name,
                &current,
                values,
                errors,
                false,
            );
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
