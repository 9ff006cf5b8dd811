//! One case (its opening audited by the store): the child and the case's facts, the reason
//! the child left, the enrolment history with rolled-back transitions struck through, the
//! attempts, the ladder's next step; and the forms: an attempt, the reason, 复学, and a
//! decision on the child's enrolment for the principal or the bureau.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use shouhu_domain::{
    AttemptOutcome, DecisionKind, Grade, LeaveReason, RegionCode, ReturnMethod, Role,
    today_shanghai,
};
use shouhu_store::dropout::{
    self, AttemptInput, CaseDetail, DecisionInput, Enrolment, ReturnInput,
};
use shouhu_store::{Scope, StoreError, StoreResult, children, classes, pairings, regions};

use super::{closure_label, parse_id, require_cases, state_label};
use crate::auth::{CsrfForm, PageUser};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::pages::places::{Choice, FieldErrors, Posted};
use crate::pages::{Done, notice_key};
use crate::state::AppState;

#[derive(Debug)]
struct CaseView {
    id: i64,
    child_id: i64,
    child_name: String,
    school_name: String,
    class_name: String,
    state: String,
    opened_on: String,
    owner: String,
    open: bool,
    closed: String,
    reason: String,
    reason_note: String,
    version: i32,
    child_state: String,
}

#[derive(Debug)]
struct EventView {
    day: String,
    from: String,
    to: String,
    detail: String,
    rolled_back: bool,
    rollback_reason: String,
}

#[derive(Debug)]
struct AttemptView {
    day: String,
    method: String,
    people: String,
    met: String,
    outcome: String,
    note: String,
}

#[derive(Debug)]
struct PlanView {
    grade: String,
    class_name: String,
    tutoring: String,
    support: String,
    follow_up: String,
}

#[derive(Debug)]
struct NextView {
    method: String,
    role: String,
    due: String,
    overdue: bool,
}

#[derive(Template)]
#[template(path = "dropout_case_show.html")]
struct CasePage {
    t: Tr,
    frame: Frame,
    c: CaseView,
    events: Vec<EventView>,
    attempts: Vec<AttemptView>,
    plan: Option<PlanView>,
    next: Option<NextView>,
    can_attempt: bool,
    can_return: bool,
    can_decide: bool,
    today: String,
    submit_key: String,
    methods: Vec<Choice>,
    outcomes: Vec<Choice>,
    attempt_reasons: Vec<Choice>,
    reasons: Vec<Choice>,
    grades: Vec<Choice>,
    classes: Vec<Choice>,
    staff: Vec<Choice>,
    decisions: Vec<Choice>,
    typed: Posted,
    errors: FieldErrors,
    a_day: String,
    r_day: String,
    d_day: String,
}

/// What the page needs from the store, read in one go.
struct Loaded {
    detail: CaseDetail,
    class_name: String,
    class_grade: Option<i32>,
    enrolment: Option<Enrolment>,
    owner_name: String,
    classes: Vec<(i64, String)>,
    staff: Vec<(i64, String)>,
}

fn may_return(role: Role) -> bool {
    matches!(
        role,
        Role::SystemAdmin | Role::Bureau | Role::Principal | Role::HeadTeacher
    )
}

fn may_decide(role: Role) -> bool {
    matches!(role, Role::Bureau | Role::Principal)
}

fn load(conn: &mut shouhu_store::Conn, scope: &Scope, id: i64) -> StoreResult<Loaded> {
    let detail = dropout::case_detail(conn, scope, id)?;
    let summary = children::summary_of(conn, scope, detail.case.child_id).ok();
    let enrolment = match &summary {
        Some(s) => Some(dropout::enrolment_of(conn, scope, s.id)?),
        None => None,
    };
    let owner_name = RegionCode::parse(&detail.case.owner_region)
        .ok()
        .and_then(|r| regions::gazetteer_name(conn, &r).ok().flatten())
        .unwrap_or_else(|| detail.case.owner_region.clone());
    let open = detail.case.closed_on.is_none();
    let (mut class_list, mut staff) = (Vec::new(), Vec::new());
    if (open && may_return(scope.role)) || detail.plan.is_some() {
        let all = classes::list(conn, scope, detail.case.school_id).unwrap_or_default();
        let newest = all.iter().map(|c| c.class.school_year).max();
        class_list = all
            .into_iter()
            .filter(|c| Some(c.class.school_year) == newest || detail.plan.is_some())
            .map(|c| (c.class.id, c.class.name))
            .collect();
        staff = pairings::teachers(conn, scope, detail.case.school_id).unwrap_or_default();
    }
    Ok(Loaded {
        class_name: summary
            .as_ref()
            .and_then(|s| s.class_name.clone())
            .unwrap_or_default(),
        class_grade: summary.as_ref().and_then(|s| s.class_grade),
        enrolment,
        owner_name,
        classes: class_list,
        staff,
        detail,
    })
}

fn label_of(t: &Tr, key: Option<&'static str>, code: &str) -> String {
    key.map_or_else(|| code.to_owned(), |k| t.t(k).to_owned())
}

fn method_label(t: &Tr, code: &str) -> String {
    label_of(
        t,
        ReturnMethod::parse(code).ok().map(|m| m.label_key()),
        code,
    )
}

fn outcome_label(t: &Tr, code: &str) -> String {
    label_of(
        t,
        AttemptOutcome::parse(code).ok().map(|m| m.label_key()),
        code,
    )
}

fn reason_label(t: &Tr, code: &str) -> String {
    label_of(
        t,
        LeaveReason::parse(code).ok().map(|m| m.label_key()),
        code,
    )
}

fn role_label(t: &Tr, code: &str) -> String {
    label_of(t, Role::parse(code).ok().map(|r| r.label_key()), code)
}

fn choices<T: Copy>(
    t: &Tr,
    all: &[T],
    code: impl Fn(T) -> &'static str,
    key: impl Fn(T) -> &'static str,
    current: &str,
) -> Vec<Choice> {
    all.iter()
        .map(|&v| Choice {
            value: code(v).to_owned(),
            label: t.t(key(v)).to_owned(),
            selected: code(v) == current,
        })
        .collect()
}

fn pairs(list: &[(i64, String)], current: &str) -> Vec<Choice> {
    list.iter()
        .map(|(id, name)| Choice {
            value: id.to_string(),
            label: name.clone(),
            selected: id.to_string() == current,
        })
        .collect()
}

fn or(typed: &Posted, name: &str, default: String) -> String {
    let v = typed.get(name);
    if v.is_empty() { default } else { v }
}

fn page(
    t: Tr,
    user: &PageUser,
    l: Loaded,
    typed: Posted,
    errors: FieldErrors,
    notice: Option<&'static str>,
    status: StatusCode,
) -> AppResult<Response> {
    let role = user.scope.role;
    let today = today_shanghai();
    let d = l.detail;
    let open = d.case.closed_on.is_none();
    let child_state = l.enrolment.as_ref().map(|e| e.state);
    let name_of = |list: &[(i64, String)], id: Option<i64>| {
        id.and_then(|id| list.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone()))
            .unwrap_or_default()
    };
    let plan = d.plan.as_ref().map(|p| PlanView {
        grade: i8::try_from(p.grade)
            .ok()
            .and_then(|g| Grade::new(g).ok())
            .map_or_else(|| p.grade.to_string(), |g| g.to_string()),
        class_name: name_of(&l.classes, p.class_id),
        tutoring: p.tutoring.clone(),
        support: p.support.clone(),
        follow_up: {
            let n = name_of(&l.staff, Some(p.follow_up_by));
            if n.is_empty() {
                format!("#{}", p.follow_up_by)
            } else {
                n
            }
        },
    });
    let next = d.next_step.as_ref().map(|(method, role, due)| NextView {
        method: method_label(&t, method),
        role: role_label(&t, role),
        due: due.to_string(),
        overdue: *due < today,
    });
    let c = CaseView {
        id: d.case.id,
        child_id: d.case.child_id,
        child_name: d.child_name,
        school_name: d.school_name,
        class_name: l.class_name,
        state: state_label(&t, &d.case.state),
        opened_on: d.case.opened_on.clone(),
        owner: l.owner_name,
        open,
        closed: match (&d.case.closed_on, &d.case.closure) {
            (Some(on), Some(how)) => format!("{on} {}", closure_label(&t, how)),
            (Some(on), None) => on.clone(),
            _ => String::new(),
        },
        reason: d
            .case
            .leave_reason
            .as_deref()
            .map(|r| reason_label(&t, r))
            .unwrap_or_default(),
        reason_note: d.case.reason_note.clone().unwrap_or_default(),
        version: d.case.version,
        child_state: child_state
            .map(|s| t.t(s.label_key()).to_owned())
            .unwrap_or_default(),
    };
    let events = d
        .events
        .iter()
        .map(|e| EventView {
            day: e.day.clone(),
            from: state_label(&t, &e.from_state),
            to: state_label(&t, &e.to_state),
            detail: e.detail.clone(),
            rolled_back: e.rolled_back_at.is_some(),
            rollback_reason: e.rollback_reason.clone().unwrap_or_default(),
        })
        .collect();
    let attempts = d
        .attempts
        .iter()
        .map(|a| AttemptView {
            day: a.day.clone(),
            method: method_label(&t, &a.method),
            people: a.people.clone(),
            met: a.met.clone(),
            outcome: outcome_label(&t, &a.outcome),
            note: a.note.clone().unwrap_or_default(),
        })
        .collect();
    let current_reason = or(
        &typed,
        "reason",
        d.case.leave_reason.clone().unwrap_or_default(),
    );
    let grade_now = l
        .class_grade
        .and_then(|g| i8::try_from(g).ok())
        .and_then(|g| Grade::new(g).ok())
        .map(|g| g.to_string())
        .unwrap_or_default();
    let grade_q = or(&typed, "grade", grade_now);
    let grades = (1..=9)
        .filter_map(|n| Grade::new(n).ok())
        .map(|g| Choice {
            value: g.to_string(),
            label: g.to_string(),
            selected: g.to_string() == grade_q,
        })
        .collect();
    let decisions = DecisionKind::ALL
        .iter()
        .filter(|k| **k != DecisionKind::Return)
        .filter(|k| child_state.is_some_and(|s| k.apply(s).is_some()))
        .map(|k| Choice {
            value: k.code().to_owned(),
            label: t.t(k.label_key()).to_owned(),
            selected: k.code() == typed.get("kind"),
        })
        .collect();
    let today_s = today.to_string();
    let page = CasePage {
        frame: Frame::for_user(user).with_notice(notice),
        can_attempt: open && super::may_see_cases(role),
        can_return: open && may_return(role),
        can_decide: may_decide(role) && child_state.is_some(),
        submit_key: hex::encode(rand::random::<[u8; 16]>()),
        methods: choices(
            &t,
            &ReturnMethod::ALL,
            ReturnMethod::code,
            ReturnMethod::label_key,
            &typed.get("method"),
        ),
        outcomes: choices(
            &t,
            &AttemptOutcome::ALL,
            AttemptOutcome::code,
            AttemptOutcome::label_key,
            &typed.get("outcome"),
        ),
        attempt_reasons: choices(
            &t,
            &LeaveReason::ALL,
            LeaveReason::code,
            LeaveReason::label_key,
            &typed.get("a_reason"),
        ),
        reasons: choices(
            &t,
            &LeaveReason::ALL,
            LeaveReason::code,
            LeaveReason::label_key,
            &current_reason,
        ),
        grades,
        classes: pairs(&l.classes, &typed.get("class_id")),
        staff: pairs(&l.staff, &typed.get("follow_up_by")),
        decisions,
        a_day: or(&typed, "a_day", today_s.clone()),
        r_day: or(&typed, "r_day", today_s.clone()),
        d_day: or(&typed, "d_day", today_s.clone()),
        today: today_s,
        typed,
        errors,
        c,
        events,
        attempts,
        plan,
        next,
        t,
    };
    Ok((status, render(page)?).into_response())
}

async fn open(state: &AppState, scope: &Scope, id: i64) -> AppResult<Loaded> {
    let scope = scope.clone();
    Ok(state.store.run(move |conn| load(conn, &scope, id)).await?)
}

/// Confirmations only this page gives, after its own redirects.
fn case_notice(done: Option<&str>) -> Option<&'static str> {
    match done {
        Some("attempt") => Some("dropout_case.notice_attempt"),
        Some("reason") => Some("dropout_case.notice_reason"),
        Some("returned") => Some("dropout_case.notice_returned"),
        Some("decided") => Some("dropout_case.notice_decided"),
        other => notice_key(other),
    }
}

/// `GET /dropout/cases/{id}`: audited by the store as `dropout.case_view`.
pub async fn show(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
    Query(q): Query<Done>,
) -> AppResult<Response> {
    require_cases(&user.scope)?;
    let loaded = open(&state, &user.scope, parse_id(&raw)?).await?;
    let notice = case_notice(q.done.as_deref());
    page(
        t,
        &user,
        loaded,
        Posted::default(),
        FieldErrors::default(),
        notice,
        StatusCode::OK,
    )
}

fn day(p: &Posted, name: &str, errors: &mut FieldErrors, form: &str) -> Option<NaiveDate> {
    match NaiveDate::parse_from_str(&p.get(name), "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.add(&format!("{form}.day"), "dropout_case.bad_date");
            None
        }
    }
}

/// Runs one form's work; a refusal comes back as the case page with the error beside that
/// form and what was typed, a stale version as a 409 with the case as it now is.
async fn act<F, T>(
    state: &AppState,
    t: Tr,
    user: &PageUser,
    id: i64,
    form: &'static str,
    typed: Posted,
    work: F,
) -> AppResult<Response>
where
    F: FnOnce(&mut shouhu_store::Conn, &Scope) -> StoreResult<T> + Send + 'static,
    T: Send + 'static,
{
    let scope = user.scope.clone();
    let result = state.store.run(move |conn| Ok(work(conn, &scope))).await?;
    let mut errors = FieldErrors::default();
    let status = match result {
        Ok(_) => {
            let done = match form {
                "return" => "returned",
                "decision" => "decided",
                other => other,
            };
            return Ok(Redirect::to(&format!("/dropout/cases/{id}?done={done}")).into_response());
        }
        Err(StoreError::Conflict { .. }) => {
            errors.add("form", "dropout_case.conflict");
            StatusCode::CONFLICT
        }
        Err(StoreError::Invalid { field, code }) => {
            errors.add(&format!("{form}.{field}"), code);
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(other) => return Err(other.into()),
    };
    let loaded = open(state, &user.scope, id).await?;
    page(t, user, loaded, typed, errors, None, status)
}

async fn refused(
    state: &AppState,
    t: Tr,
    user: &PageUser,
    id: i64,
    typed: Posted,
    errors: FieldErrors,
) -> AppResult<Response> {
    let loaded = open(state, &user.scope, id).await?;
    page(
        t,
        user,
        loaded,
        typed,
        errors,
        None,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

/// `POST /dropout/cases/{id}/attempts`: one 劝返 attempt; a form sent twice records it once.
pub async fn attempt(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    require_cases(&user.scope)?;
    let id = parse_id(&raw)?;
    let p = Posted::new(form);
    let mut errors = FieldErrors::default();
    let day = day(&p, "a_day", &mut errors, "attempt");
    let method = ReturnMethod::parse(&p.get("method"))
        .map_err(|e| errors.add("attempt.method", e.code()))
        .ok();
    let outcome = AttemptOutcome::parse(&p.get("outcome"))
        .map_err(|e| errors.add("attempt.outcome", e.code()))
        .ok();
    let reason = match p.get("a_reason").as_str() {
        "" => None,
        code => LeaveReason::parse(code)
            .map_err(|e| errors.add("attempt.reason", e.code()))
            .ok(),
    };
    let (Some(day), Some(method), Some(outcome), true) = (day, method, outcome, errors.is_empty())
    else {
        return refused(&state, t, &user, id, p, errors).await;
    };
    let key = p.get("submit_key");
    let input = AttemptInput {
        day,
        method,
        people: p.get("people"),
        met: p.get("met"),
        outcome,
        reason,
        note: Some(p.get("a_note")),
        submit_key: (!key.is_empty()).then_some(key),
    };
    act(&state, t, &user, id, "attempt", p, move |conn, scope| {
        dropout::record_attempt(conn, scope, id, &input, today_shanghai())
    })
    .await
}

/// `POST /dropout/cases/{id}/reason`: the reason the child left, with the version read.
pub async fn reason(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    require_cases(&user.scope)?;
    let id = parse_id(&raw)?;
    let p = Posted::new(form);
    let version: i32 = p
        .get("version")
        .parse()
        .map_err(|_| AppError::bad_request("error.bad_form"))?;
    let reason = match LeaveReason::parse(&p.get("reason")) {
        Ok(r) => r,
        Err(e) => {
            let mut errors = FieldErrors::default();
            errors.add("reason.reason", e.code());
            return refused(&state, t, &user, id, p, errors).await;
        }
    };
    let note = p.get("reason_note");
    act(&state, t, &user, id, "reason", p, move |conn, scope| {
        dropout::set_reason(conn, scope, id, reason, &note, version)
    })
    .await
}

/// `POST /dropout/cases/{id}/return`: 复学 with its 一人一案 plan; closes the case.
pub async fn return_child(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    if !may_return(user.scope.role) {
        return Err(AppError::forbidden("denied.dropout.return"));
    }
    let id = parse_id(&raw)?;
    let p = Posted::new(form);
    let mut errors = FieldErrors::default();
    let day = day(&p, "r_day", &mut errors, "return");
    let grade = Grade::parse(&p.get("grade"))
        .ok()
        .filter(|g| g.is_compulsory());
    if grade.is_none() {
        errors.add("return.grade", "dropout_case.grade_invalid");
    }
    let class_id = match p.get("class_id").as_str() {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(c) => Some(c),
            Err(_) => {
                errors.add("return.class_id", "dropout.class");
                None
            }
        },
    };
    let follow_up_by = p.get("follow_up_by").parse::<i64>().ok();
    if follow_up_by.is_none() {
        errors.add("return.follow_up_by", "dropout.follow_up_by");
    }
    let (Some(day), Some(grade), Some(follow_up_by), true) =
        (day, grade, follow_up_by, errors.is_empty())
    else {
        return refused(&state, t, &user, id, p, errors).await;
    };
    let input = ReturnInput {
        day,
        grade,
        class_id,
        tutoring: p.get("tutoring"),
        support: p.get("support"),
        follow_up_by,
    };
    act(&state, t, &user, id, "return", p, move |conn, scope| {
        dropout::return_child(conn, scope, id, &input, today_shanghai())
    })
    .await
}

/// `POST /dropout/cases/{id}/decision`: 休学, 转出, 送教上门, 毕业 or 恢复在读 for the case's
/// child, by the principal or the bureau.
pub async fn decide(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    if !may_decide(user.scope.role) {
        return Err(AppError::forbidden("denied.dropout.decide"));
    }
    let id = parse_id(&raw)?;
    let p = Posted::new(form);
    let mut errors = FieldErrors::default();
    let day = day(&p, "d_day", &mut errors, "decision");
    let kind = DecisionKind::parse(&p.get("kind"))
        .ok()
        .filter(|k| *k != DecisionKind::Return);
    if kind.is_none() {
        errors.add("decision.kind", "dropout.transition");
    }
    let (Some(day), Some(kind)) = (day, kind) else {
        return refused(&state, t, &user, id, p, errors).await;
    };
    let scope = user.scope.clone();
    let child_id = state
        .store
        .run(move |conn| Ok(dropout::case_detail(conn, &scope, id)?.case.child_id))
        .await?;
    let note = p.get("d_note");
    let input = DecisionInput {
        child_id,
        day,
        kind,
        note: Some(note),
    };
    act(&state, t, &user, id, "decision", p, move |conn, scope| {
        dropout::decide(conn, scope, &input, today_shanghai())
    })
    .await
}

#[cfg(test)]
mod tests {
    use crate::i18n::{Catalog, Locale};

    /// Keys written in this module's Rust code (the template test covers the templates).
    #[test]
    fn every_key_used_in_the_handlers_exists() {
        let catalog = Catalog::load().unwrap();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/pages/dropout/cases");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for piece in text.split('\u{22}').skip(1).step_by(2) {
                let is_key = ["dropout_case.", "dropout.", "denied."]
                    .iter()
                    .any(|p| piece.starts_with(p))
                    && !piece.contains(' ')
                    && !piece.contains('{')
                    && !piece.ends_with('.');
                // `dropout.notice` is the audit kind of printing a notice, not a message.
                let audit_kind = piece == "dropout.notice";
                if is_key && !audit_kind && catalog.text(Locale::ZhCn, piece) == piece {
                    missing.push(piece.to_owned());
                }
            }
        }
        assert!(missing.is_empty(), "keys missing: {missing:?}");
    }
}
