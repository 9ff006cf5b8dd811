//! The web side of duties (职责): "my tasks" (`/tasks`), compliance for any node of the tree
//! (`/compliance`, and the compact box on the school and region pages) and the duty rules of a
//! county (`/duty-rules`). The store generates and judges duties; these pages and the API in
//! `api/duties.rs` lay them out and hand edits back.

mod compliance;
mod my;
mod rules;

use axum::Router;
use axum::routing::get;
use chrono::{Datelike, NaiveDate};
use shouhu_domain::{CareKind, DutyRule, RegionCode, RegionLevel};
use shouhu_store::duties::{self, RuleInForce, Task};
use shouhu_store::{Conn, Scope, StoreResult, schools};

use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::state::AppState;

pub use compliance::{
    ComplianceBox, ComplianceView, Line, Rate, compliance_view, region_box, school_box,
};
pub use rules::{
    RuleEdit, cadence_code, parse_cadence, parse_caliber, parse_count, parse_responsible,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/tasks", get(my::show))
        .route("/compliance", get(compliance::show))
        .route("/duty-rules", get(rules::list))
        .route("/duty-rules/edit", get(rules::edit_form).post(rules::save))
}

/// The duty items of the menu: "my tasks" leads it for those whose day is made of duties;
/// county and township staff get compliance, and the bureau the rules.
pub fn add_nav(role: shouhu_domain::Role, nav: &mut Vec<crate::pages::frame::NavItem>) {
    use crate::pages::frame::NavItem;
    if tasks_first(role) {
        nav.insert(
            0,
            NavItem {
                href: "/tasks",
                key: "nav.tasks",
            },
        );
    }
    if sees_region_compliance(role) {
        nav.push(NavItem {
            href: "/compliance",
            key: "nav.compliance",
        });
    }
    // Officers' own duties are the upper rungs of 劝返 ladders.
    if matches!(
        role,
        shouhu_domain::Role::Bureau | shouhu_domain::Role::CivilAffairs
    ) {
        nav.push(NavItem {
            href: "/tasks",
            key: "nav.tasks",
        });
    }
    if rules::may_edit(role) {
        nav.push(NavItem {
            href: "/duty-rules",
            key: "nav.duty_rules",
        });
    }
}

/// The card a role's home screen leads with, if duties are its work: (href, title key, link key).
pub fn home_link(role: shouhu_domain::Role) -> Option<(&'static str, &'static str, &'static str)> {
    if tasks_first(role) {
        Some(("/tasks", "home.tasks_title", "home.tasks_link"))
    } else if sees_region_compliance(role) {
        Some(("/compliance", "compliance.title", "tasks.to_compliance"))
    } else {
        None
    }
}

/// Whether "my tasks" leads the menu: the roles whose day is made of duties.
pub fn tasks_first(role: shouhu_domain::Role) -> bool {
    use shouhu_domain::Role as R;
    matches!(
        role,
        R::HeadTeacher | R::Teacher | R::Principal | R::ChildDirector
    )
}

/// Whether the role looks at compliance by region rather than at its own tasks.
pub fn sees_region_compliance(role: shouhu_domain::Role) -> bool {
    use shouhu_domain::Role as R;
    matches!(role, R::Bureau | R::CivilAffairs | R::SystemAdmin)
}

/// A rule's name in the request's language: the catalog's for the national codes, else the name
/// the county gave it.
pub fn rule_name(t: &Tr, code: &str, stored: &str) -> String {
    let key = format!("duty_rule.name.{code}");
    match t.t(&key) {
        text if text == key => stored.to_owned(),
        text => text.to_owned(),
    }
}

/// The first day of `today`'s calendar month, the default start of every period asked about.
pub fn month_start(today: NaiveDate) -> NaiveDate {
    today.with_day(1).unwrap_or(today)
}

/// `YYYY-MM-DD` from the query's `field`, or `default` when absent; anything else is refused.
pub fn date_or(field: &str, raw: Option<&str>, default: NaiveDate) -> AppResult<NaiveDate> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(raw) => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map_err(|_| AppError::invalid_field(field, "duty.bad_date")),
    }
}

/// The county a region code lies in (the code itself for a county), if it is at or below one.
pub fn county_of(code: &RegionCode) -> Option<RegionCode> {
    if code.level() < RegionLevel::County {
        return None;
    }
    let six = code.as_str().get(..6)?;
    RegionCode::parse(&format!("{six:0<12}")).ok()
}

/// The rules in force for the caller's own work: at their school's region, else at their home
/// region; the national defaults for a caller with neither (a system administrator).
pub fn rules_for_caller(conn: &mut Conn, scope: &Scope) -> StoreResult<Vec<DutyRule>> {
    let region = match scope.school {
        Some(id) => Some(schools::get(conn, scope, id)?.region()?),
        None => scope.region.clone(),
    };
    Ok(match region {
        Some(code) => duties::rules_at(conn, scope, &code)?
            .into_iter()
            .map(|r: RuleInForce| r.rule)
            .collect(),
        None => DutyRule::defaults(),
    })
}

/// Where the one tap on a duty leads: the entry form of the record that satisfies it, with the
/// duty and the way back to "my tasks"; `None` when no page records that evidence.
#[derive(Clone, Debug)]
pub struct EntryLink {
    pub href: String,
    /// Catalog key of the verb (`tasks.do.record` + the kind, `tasks.do.plan` …).
    pub key: &'static str,
    /// Catalog key of the record kind, shown after the verb for care records.
    pub kind_key: Option<&'static str>,
}

pub fn entry_link(task: &Task, rule: Option<&DutyRule>) -> Option<EntryLink> {
    let kind = rule?.satisfied_by.first()?.as_str();
    let back = "return=/tasks";
    match (task.subject_kind.as_str(), kind) {
        ("child", "help_plan") => Some(EntryLink {
            href: format!("/children/{}/plans", task.subject_id),
            key: "tasks.do.plan",
            kind_key: None,
        }),
        ("child", "pairing") => Some(EntryLink {
            href: format!("/children/{}/pairings/new", task.subject_id),
            key: "tasks.do.pairing",
            kind_key: None,
        }),
        ("child", kind) => {
            let kind = CareKind::parse(kind).ok()?;
            Some(EntryLink {
                href: format!(
                    "/children/{}/records/new?kind={}&duty={}&{back}",
                    task.subject_id,
                    kind.code(),
                    task.id
                ),
                key: "tasks.do.record",
                kind_key: Some(kind.label_key()),
            })
        }
        ("school", "guardian_meeting") => Some(EntryLink {
            href: format!(
                "/schools/{}/events/new?kind=guardian_meeting",
                task.subject_id
            ),
            key: "tasks.do.meeting",
            kind_key: None,
        }),
        _ => None,
    }
}
