//! Pairing pages: pair a child (the partners the kind allows offered in a list), end a pairing
//! with its last day, pair a class's left-behind children with one teacher after seeing who
//! would be paired, and the caller's own running pairings with one-tap record entry.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use shouhu_domain::{CareKind, PairingKind, Partner, Role, today_shanghai};
use shouhu_store::pairings::{self as repo, ClassPlan, PairingInput, may_pair};
use shouhu_store::{StoreError, classes};

use super::{PairingRow, pairing_row, parse_id};
use crate::auth::{CsrfForm, PageUser};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::pages::notice_key;
use crate::pages::places::{Choice, Posted};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "pairing_form.html")]
struct FormPage {
    t: Tr,
    frame: Frame,
    child_id: i64,
    child_name: String,
    kind: &'static str,
    kinds: Vec<Choice>,
    partners: Vec<Choice>,
    /// Kinds whose partner may be someone without an account, typed by name.
    named: bool,
    partner_name: String,
    from: String,
    note: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct KindQuery {
    kind: Option<String>,
}

fn kind_of(raw: Option<&str>, role: Role) -> AppResult<PairingKind> {
    let kind = match raw.filter(|k| !k.is_empty()) {
        Some(k) => PairingKind::parse(k).map_err(|_| AppError::not_found())?,
        None => PairingKind::ALL
            .into_iter()
            .find(|k| may_pair(role, *k))
            .ok_or_else(|| AppError::forbidden("denied.pairing.create"))?,
    };
    if may_pair(role, kind) {
        Ok(kind)
    } else {
        Err(AppError::forbidden("denied.pairing.create"))
    }
}

struct Typed {
    partner: String,
    partner_name: String,
    from: String,
    note: String,
}

async fn form_page(
    state: &AppState,
    t: Tr,
    user: &PageUser,
    child_id: i64,
    kind: PairingKind,
    typed: Typed,
    error: Option<String>,
) -> AppResult<FormPage> {
    let scope = user.scope.clone();
    let (child, candidates) = state
        .store
        .run(move |conn| {
            let child = repo::child_in_reach(conn, &scope, child_id)?;
            let candidates = repo::partner_candidates(conn, &scope, child_id, kind)?;
            Ok((child, candidates))
        })
        .await?;
    let role = user.scope.role;
    Ok(FormPage {
        frame: Frame::for_user(user),
        child_id,
        child_name: child.name,
        kind: kind.code(),
        kinds: PairingKind::ALL
            .into_iter()
            .filter(|k| may_pair(role, *k))
            .map(|k| Choice {
                selected: k == kind,
                value: k.code().to_owned(),
                label: t.t(k.label_key()).to_owned(),
            })
            .collect(),
        partners: candidates
            .into_iter()
            .map(|(value, label)| Choice {
                selected: value == typed.partner,
                value,
                label,
            })
            .collect(),
        named: !matches!(kind, PairingKind::Teacher | PairingKind::Buddy),
        partner_name: typed.partner_name,
        from: typed.from,
        note: typed.note,
        error,
        t,
    })
}

/// `GET /children/{id}/pairings/new[?kind=teacher]`.
pub async fn new_form(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
    Query(q): Query<KindQuery>,
) -> AppResult<Response> {
    let child_id = parse_id(&raw)?;
    let kind = kind_of(q.kind.as_deref(), user.scope.role)?;
    let typed = Typed {
        partner: String::new(),
        partner_name: String::new(),
        from: today_shanghai().to_string(),
        note: String::new(),
    };
    let page = form_page(&state, t, &user, child_id, kind, typed, None).await?;
    Ok(render(page)?.into_response())
}

fn partner_of(posted: &Posted) -> Option<Partner> {
    let value = posted.get("partner");
    if let Some(id) = value.strip_prefix("user:").and_then(|v| v.parse().ok()) {
        return Some(Partner::User(id));
    }
    if let Some(id) = value.strip_prefix("pupil:").and_then(|v| v.parse().ok()) {
        return Some(Partner::Pupil(id));
    }
    let name = posted.get("partner_name");
    (!name.is_empty()).then_some(Partner::Named(name))
}

fn date_of(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok()
}

/// `POST /children/{id}/pairings/new`.
pub async fn create(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let child_id = parse_id(&raw)?;
    let posted = Posted::new(form);
    let kind = kind_of(Some(&posted.get("kind")), user.scope.role)?;
    let typed = Typed {
        partner: posted.get("partner"),
        partner_name: posted.get("partner_name"),
        from: posted.get("from_date"),
        note: posted.get("note"),
    };
    let error = match (partner_of(&posted), date_of(&typed.from)) {
        (None, _) => Some("pairing.partner"),
        (_, None) => Some("care.date"),
        (Some(partner), Some(from)) => {
            let input = PairingInput {
                kind,
                partner,
                from,
                note: typed.note.clone(),
            };
            let scope = user.scope.clone();
            let saved = state
                .store
                .run(move |conn| repo::create(conn, &scope, child_id, &input))
                .await;
            match saved {
                Ok(_) => {
                    let to = format!("/children/{child_id}/records?done=created");
                    return Ok(Redirect::to(&to).into_response());
                }
                Err(StoreError::Invalid { code, .. }) => Some(code),
                Err(e) => return Err(e.into()),
            }
        }
    };
    let error = error.map(|k| t.t(k).to_owned());
    let page = form_page(&state, t, &user, child_id, kind, typed, error).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
}

#[derive(Template)]
#[template(path = "pairing_end.html")]
struct EndPage {
    t: Tr,
    frame: Frame,
    pairing: PairingRow,
    to: String,
    error: Option<String>,
}

/// `GET /pairings/{id}/end`.
pub async fn end_form(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&raw)?;
    let scope = user.scope.clone();
    let pairing = state
        .store
        .run(move |conn| repo::get(conn, &scope, id))
        .await?;
    let row = pairing_row(&t, user.scope.role, &pairing);
    if !row.may_end {
        return Err(AppError::forbidden("denied.pairing.end"));
    }
    let page = EndPage {
        frame: Frame::for_user(&user),
        pairing: row,
        to: today_shanghai().to_string(),
        error: None,
        t,
    };
    Ok(render(page)?.into_response())
}

/// `POST /pairings/{id}/end`.
pub async fn end(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = parse_id(&raw)?;
    let posted = Posted::new(form);
    let to = posted.get("to_date");
    let scope = user.scope.clone();
    let result = match date_of(&to) {
        None => Err("care.date"),
        Some(date) => {
            let saved = state
                .store
                .run(move |conn| repo::end(conn, &scope, id, date))
                .await;
            match saved {
                Ok(p) => Ok(p),
                Err(StoreError::Invalid { code, .. }) => Err(code),
                Err(e) => return Err(e.into()),
            }
        }
    };
    match result {
        Ok(p) => {
            let to = format!("/children/{}/records?done=saved", p.child_id);
            Ok(Redirect::to(&to).into_response())
        }
        Err(code) => {
            let scope = user.scope.clone();
            let pairing = state
                .store
                .run(move |conn| repo::get(conn, &scope, id))
                .await?;
            let page = EndPage {
                frame: Frame::for_user(&user),
                pairing: pairing_row(&t, user.scope.role, &pairing),
                to,
                error: Some(t.t(code).to_owned()),
                t,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "pairing_class.html")]
struct ClassPage {
    t: Tr,
    frame: Frame,
    class_id: i64,
    class_name: String,
    teachers: Vec<Choice>,
    from: String,
    plan: Option<ClassPlan>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ClassQuery {
    teacher_id: Option<i64>,
    from_date: Option<String>,
    done: Option<String>,
}

async fn class_page(
    state: &AppState,
    t: Tr,
    user: &PageUser,
    class_id: i64,
    teacher: Option<i64>,
    from: String,
) -> AppResult<ClassPage> {
    let scope = user.scope.clone();
    let date = date_of(&from);
    let (class, teachers, plan) = state
        .store
        .run(move |conn| {
            let class = classes::get(conn, &scope, class_id)?;
            let teachers = repo::teachers(conn, &scope, class.class.school_id)?;
            let plan = match (teacher, date) {
                (Some(teacher), Some(date)) => {
                    Some(repo::plan_class(conn, &scope, class_id, teacher, date))
                }
                _ => None,
            };
            Ok((class, teachers, plan))
        })
        .await?;
    let (plan, error) = match plan {
        Some(Ok(plan)) => (Some(plan), None),
        Some(Err(StoreError::Invalid { code, .. })) => (None, Some(t.t(code).to_owned())),
        Some(Err(e)) => return Err(e.into()),
        None if teacher.is_some() => (None, Some(t.t("care.date").to_owned())),
        None => (None, None),
    };
    Ok(ClassPage {
        frame: Frame::for_user(user),
        class_id,
        class_name: class.class.name,
        teachers: teachers
            .into_iter()
            .map(|(id, name)| Choice {
                selected: Some(id) == teacher,
                value: id.to_string(),
                label: name,
            })
            .collect(),
        from,
        plan,
        error,
        t,
    })
}

/// `GET /classes/{id}/pairings[?teacher_id=&from_date=]`: choose a teacher, then see who would
/// be paired before confirming.
pub async fn class_form(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
    Query(q): Query<ClassQuery>,
) -> AppResult<Response> {
    let class_id = parse_id(&raw)?;
    if !may_pair(user.scope.role, PairingKind::Teacher) {
        return Err(AppError::forbidden("denied.pairing.create"));
    }
    let from = q.from_date.unwrap_or_else(|| today_shanghai().to_string());
    let mut page = class_page(&state, t, &user, class_id, q.teacher_id, from).await?;
    page.frame = page.frame.with_notice(notice_key(q.done.as_deref()));
    Ok(render(page)?.into_response())
}

/// `POST /classes/{id}/pairings`: pairs the previewed children.
pub async fn class_submit(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let class_id = parse_id(&raw)?;
    let posted = Posted::new(form);
    let teacher: i64 = posted
        .get("teacher_id")
        .parse()
        .map_err(|_| AppError::bad_request("error.bad_form"))?;
    let from_raw = posted.get("from_date");
    let Some(from) = date_of(&from_raw) else {
        let page = class_page(&state, t, &user, class_id, Some(teacher), from_raw).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response());
    };
    let note = posted.get("note");
    let scope = user.scope.clone();
    let saved = state
        .store
        .run(move |conn| repo::pair_class(conn, &scope, class_id, teacher, from, &note))
        .await;
    match saved {
        Ok(_) => {
            let to = format!(
                "/classes/{class_id}/pairings?teacher_id={teacher}&from_date={from}&done=created"
            );
            Ok(Redirect::to(&to).into_response())
        }
        Err(StoreError::Invalid { code, .. }) => {
            let mut page = class_page(&state, t, &user, class_id, None, from_raw).await?;
            page.error = Some(page.t.t(code).to_owned());
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "pairing_mine.html")]
struct MinePage {
    t: Tr,
    frame: Frame,
    pairings: Vec<PairingRow>,
    /// The record kind one tap opens.
    quick_kind: &'static str,
}

/// `GET /pairings`: the caller's running pairings, each with one-tap record entry.
pub async fn mine(State(state): State<AppState>, t: Tr, user: PageUser) -> AppResult<Response> {
    let scope = user.scope.clone();
    let me = user.user.id;
    let list = state
        .store
        .run(move |conn| repo::active_of_user(conn, &scope, me))
        .await?;
    let role = user.scope.role;
    let page = MinePage {
        frame: Frame::for_user(&user),
        pairings: list.iter().map(|p| pairing_row(&t, role, p)).collect(),
        quick_kind: if role == Role::Volunteer {
            CareKind::FamilyContact.code()
        } else {
            CareKind::Talk.code()
        },
        t,
    };
    Ok(render(page)?.into_response())
}
