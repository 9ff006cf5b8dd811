//! Hand-over pages: `/dropout/handovers` lists the requests waiting for the caller's answer
//! (accept or decline, each confirmed on its own page) and those the caller's side sent;
//! `/dropout/cases/{id}/handover` asks another county to take a case over.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use shouhu_domain::RegionCode;
use shouhu_store::StoreError;
use shouhu_store::dropout::handover::{
    self, Handover, answer_handover, case_for_handover, request_handover,
};
use shouhu_store::regions;

use super::parse_id;
use crate::auth::{CsrfForm, PageUser};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::pages::places::{ConfirmPage, FieldErrors, Posted};
use crate::state::AppState;

/// Beijing time of a stored instant, to the minute.
pub fn when(ms: i64) -> String {
    let Some(offset) = FixedOffset::east_opt(8 * 3600) else {
        return String::new();
    };
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&offset)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

pub struct Line {
    pub id: i64,
    pub case_id: i64,
    pub child_name: String,
    pub school_name: String,
    pub from_name: String,
    pub to_name: String,
    pub note: String,
    pub requested_by: String,
    pub requested_at: String,
    /// Catalog key of the state: pending, accepted, declined.
    pub status_key: &'static str,
    pub answered: String,
}

fn line(h: &Handover) -> Line {
    let status_key = match h.accepted {
        None => "dcounty.status_pending",
        Some(true) => "dcounty.status_accepted",
        Some(false) => "dcounty.status_declined",
    };
    Line {
        id: h.id,
        case_id: h.case_id,
        child_name: h.child_name.clone(),
        school_name: h.school_name.clone(),
        from_name: h.from_name.clone(),
        to_name: h.to_name.clone(),
        note: h.note.clone().unwrap_or_default(),
        requested_by: h.requested_by.clone(),
        requested_at: when(h.requested_at),
        status_key,
        answered: match (&h.answered_by, h.answered_at) {
            (Some(by), Some(at)) => format!("{by} {}", when(at)),
            _ => String::new(),
        },
    }
}

#[derive(Template)]
#[template(path = "dropout_handovers.html")]
struct ListPage {
    t: Tr,
    frame: Frame,
    pending: Vec<Line>,
    outgoing: Vec<Line>,
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    match done {
        Some("requested") => Some("dcounty.notice_requested"),
        Some("accepted") => Some("dcounty.notice_accepted"),
        Some("declined") => Some("dcounty.notice_declined"),
        _ => None,
    }
}

/// `GET /dropout/handovers`.
pub async fn list(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Query(q): Query<DoneQuery>,
) -> AppResult<Response> {
    let scope = user.scope.clone();
    let (pending, outgoing) = state
        .store
        .run(move |conn| {
            Ok((
                handover::pending_for(conn, &scope)?,
                handover::outgoing_for(conn, &scope)?,
            ))
        })
        .await?;
    let mut frame = Frame::for_user(&user);
    frame.notice = notice(q.done.as_deref());
    let page = ListPage {
        frame,
        pending: pending.iter().map(line).collect(),
        outgoing: outgoing.iter().map(line).collect(),
        t,
    };
    Ok(render(page)?.into_response())
}

async fn pending_one(state: &AppState, user: &PageUser, id: i64) -> AppResult<Handover> {
    let scope = user.scope.clone();
    let list = state
        .store
        .run(move |conn| handover::pending_for(conn, &scope))
        .await?;
    list.into_iter()
        .find(|h| h.id == id)
        .ok_or_else(AppError::not_found)
}

fn confirm(
    t: Tr,
    user: &PageUser,
    h: &Handover,
    accept: bool,
    error: Option<String>,
    status: StatusCode,
) -> AppResult<Response> {
    let (title, question, button, path) = if accept {
        (
            "dcounty.accept_title",
            "dcounty.accept_question",
            "dcounty.accept",
            "accept",
        )
    } else {
        (
            "dcounty.decline_title",
            "dcounty.decline_question",
            "dcounty.decline",
            "decline",
        )
    };
    ConfirmPage {
        frame: Frame::for_user(user),
        title_key: title,
        question_key: question,
        button_key: button,
        subject: format!(
            "{} · {} · {} → {}",
            h.child_name, h.school_name, h.from_name, h.to_name
        ),
        action: format!("/dropout/handovers/{}/{path}", h.id),
        back: "/dropout/handovers".to_owned(),
        error,
        t,
    }
    .respond(status)
}

async fn ask(
    state: AppState,
    t: Tr,
    user: PageUser,
    raw: String,
    accept: bool,
) -> AppResult<Response> {
    if !matches!(
        user.scope.role,
        shouhu_domain::Role::Bureau | shouhu_domain::Role::SystemAdmin
    ) {
        return Err(AppError::forbidden("denied.dropout.handover_answer"));
    }
    let h = pending_one(&state, &user, parse_id(&raw)?).await?;
    confirm(t, &user, &h, accept, None, StatusCode::OK)
}

/// `GET /dropout/handovers/{id}/accept`: are you sure?
pub async fn confirm_accept(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    ask(state, t, user, raw, true).await
}

/// `GET /dropout/handovers/{id}/decline`: are you sure?
pub async fn confirm_decline(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    ask(state, t, user, raw, false).await
}

async fn answer(
    state: AppState,
    t: Tr,
    user: PageUser,
    posted: Posted,
    raw: String,
    accept: bool,
) -> AppResult<Response> {
    let id = parse_id(&raw)?;
    let scope = user.scope.clone();
    let note = posted.get("note");
    let done = state
        .store
        .run(move |conn| Ok(answer_handover(conn, &scope, id, accept, &note)))
        .await?;
    match done {
        Ok(_) => {
            let done = if accept { "accepted" } else { "declined" };
            Ok(Redirect::to(&format!("/dropout/handovers?done={done}")).into_response())
        }
        Err(StoreError::Invalid { code, .. }) => {
            let scope = user.scope.clone();
            let h = state
                .store
                .run(move |conn| {
                    let case = handover::pending_for(conn, &scope)?;
                    Ok(case.into_iter().find(|h| h.id == id))
                })
                .await?;
            match h {
                Some(h) => confirm(
                    t,
                    &user,
                    &h,
                    accept,
                    Some(code.to_owned()),
                    StatusCode::UNPROCESSABLE_ENTITY,
                ),
                // Answered meanwhile (by someone else): the list says how.
                None => Ok(Redirect::to("/dropout/handovers").into_response()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /dropout/handovers/{id}/accept`.
pub async fn accept(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    answer(state, t, user, Posted::new(form), raw, true).await
}

/// `POST /dropout/handovers/{id}/decline`.
pub async fn decline(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    answer(state, t, user, Posted::new(form), raw, false).await
}

#[derive(Template)]
#[template(path = "dropout_handover_form.html")]
struct FormPage {
    t: Tr,
    frame: Frame,
    case_id: i64,
    child_name: String,
    owner_name: String,
    to_region: String,
    note: String,
    history: Vec<Line>,
    errors: FieldErrors,
}

struct FormData {
    child_name: String,
    owner_name: String,
    hukou: String,
    history: Vec<Handover>,
}

async fn form_data(state: &AppState, user: &PageUser, case_id: i64) -> AppResult<FormData> {
    let scope = user.scope.clone();
    Ok(state
        .store
        .run(move |conn| {
            let (case, child_name) = case_for_handover(conn, &scope, case_id)?;
            let owner_name = RegionCode::parse(&case.owner_region)
                .ok()
                .map(|c| regions::gazetteer_name(conn, &c))
                .transpose()?
                .flatten()
                .unwrap_or_else(|| case.owner_region.clone());
            let hukou = handover::hukou_county_of(conn, case.child_id)?
                .filter(|c| *c != case.owner_region)
                .unwrap_or_default();
            let history = handover::handovers_of(conn, &scope, case_id)?;
            Ok(FormData {
                child_name,
                owner_name,
                hukou,
                history,
            })
        })
        .await?)
}

#[allow(clippy::too_many_arguments)] // the page's parts, each needed
fn form_page(
    t: Tr,
    user: &PageUser,
    case_id: i64,
    data: FormData,
    to_region: String,
    note: String,
    errors: FieldErrors,
    status: StatusCode,
) -> AppResult<Response> {
    let page = FormPage {
        frame: Frame::for_user(user),
        case_id,
        child_name: data.child_name,
        owner_name: data.owner_name,
        to_region: if to_region.is_empty() {
            data.hukou
        } else {
            to_region
        },
        note,
        history: data.history.iter().map(line).collect(),
        errors,
        t,
    };
    Ok((status, render(page)?).into_response())
}

/// `GET /dropout/cases/{id}/handover`.
pub async fn form(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&raw)?;
    let data = form_data(&state, &user, id).await?;
    form_page(
        t,
        &user,
        id,
        data,
        String::new(),
        String::new(),
        FieldErrors::default(),
        StatusCode::OK,
    )
}

/// `POST /dropout/cases/{id}/handover`: the request; sent twice, it is made once.
pub async fn request(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = parse_id(&raw)?;
    let posted = Posted::new(form);
    let to_raw = posted.get("to_region").trim().to_owned();
    let note = posted.get("note");
    let errors = match RegionCode::parse(&to_raw) {
        Err(_) => {
            let mut errors = FieldErrors::default();
            errors.add("to_region", "dropout.handover_county");
            errors
        }
        Ok(to) => {
            let scope = user.scope.clone();
            let n = note.clone();
            let done = state
                .store
                .run(move |conn| Ok(request_handover(conn, &scope, id, &to, &n)))
                .await?;
            match done {
                Ok(_) => {
                    return Ok(Redirect::to("/dropout/handovers?done=requested").into_response());
                }
                Err(e) => FieldErrors::from_store(e, "error.duplicate")?,
            }
        }
    };
    let data = form_data(&state, &user, id).await?;
    form_page(
        t,
        &user,
        id,
        data,
        to_raw,
        note,
        errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}
