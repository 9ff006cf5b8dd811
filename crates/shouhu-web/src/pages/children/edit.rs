//! The forms that open and edit a file. A refused save comes back with what was typed and the
//! error beside its field; a stale save shows what changed meanwhile; a form sent twice (a
//! double tap, a retry after a dropped connection) opens one file, through its one-time key.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::Value;
use shouhu_domain::Role;
use shouhu_store::children::{self, Change, Placement};
use shouhu_store::schools::{self, School};
use shouhu_store::{StoreError, classes};

use super::fields::{Section, sections};
use super::form::{Typed, to_json};
use super::view::{FormSection, slot_label, widgets};
use super::{parse_id, residence_options};
use crate::auth::{CsrfForm, PageUser};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::pages::places::{Choice, FieldErrors, Posted};
use crate::state::AppState;

#[derive(Debug)]
struct Conflict {
    label: String,
    before: String,
    after: String,
}

#[derive(Template)]
#[template(path = "child_form.html")]
struct FormPage {
    t: Tr,
    frame: Frame,
    title_key: &'static str,
    action: String,
    back: String,
    school: School,
    classes: Vec<Choice>,
    sections: Vec<FormSection>,
    form_error: Option<String>,
    existing: Option<i64>,
    version: Option<i32>,
    submit_key: String,
    conflict: Vec<Conflict>,
}

fn may_edit(user: &PageUser) -> AppResult<()> {
    let role = user.scope.role;
    if role.edits_class() || role == Role::ChildDirector {
        Ok(())
    } else {
        Err(AppError::forbidden("denied.child.edit"))
    }
}

struct Context {
    school: School,
    classes: Vec<Choice>,
    sections: Vec<Section>,
}

async fn context(
    state: &AppState,
    user: &PageUser,
    school_id: i64,
    class_id: Option<i64>,
) -> AppResult<Context> {
    let scope = user.scope.clone();
    let (school, class_list, residence) = state
        .store
        .run(move |conn| {
            let school = schools::get(conn, &scope, school_id)?;
            let class_list = classes::list(conn, &scope, school_id)?;
            let residence = residence_options(conn, &school.region_code)?;
            Ok((school, class_list, residence))
        })
        .await?;
    let classes = class_list
        .into_iter()
        .map(|c| Choice {
            selected: Some(c.class.id) == class_id,
            value: c.class.id.to_string(),
            label: c.class.name,
        })
        .collect();
    Ok(Context {
        school,
        classes,
        sections: sections(residence),
    })
}

fn new_key() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    school_id: Option<i64>,
    class_id: Option<i64>,
}

/// `GET /children/new[?school_id=&class_id=]`: school staff file into their own school; others
/// pick a school first.
pub async fn new_form(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Query(q): Query<NewQuery>,
) -> AppResult<Response> {
    may_edit(&user)?;
    let Some(school_id) = user.scope.school.or(q.school_id) else {
        return pick_school(&state, t, &user).await;
    };
    let ctx = context(&state, &user, school_id, q.class_id).await?;
    let mut typed = Typed::default();
    for (path, value) in [
        ("schooling", "in_school"),
        ("health.kind", "healthy"),
        ("id_doc_type", "resident_id_card"),
        ("hukou_type", "agricultural"),
        ("ethnicity", "han"),
    ] {
        typed.0.insert(path.to_owned(), vec![value.to_owned()]);
    }
    let form = FormPage {
        frame: Frame::for_user(&user),
        title_key: "child.new",
        action: "/children".to_owned(),
        back: "/children".to_owned(),
        sections: widgets(&t, &ctx.sections, &typed, &FieldErrors::default(), false),
        school: ctx.school,
        classes: ctx.classes,
        form_error: None,
        existing: None,
        version: None,
        submit_key: new_key(),
        conflict: Vec::new(),
        t,
    };
    Ok(render(form)?.into_response())
}

#[derive(Template)]
#[template(path = "child_pick_school.html")]
struct PickSchool {
    t: Tr,
    frame: Frame,
    schools: Vec<School>,
}

async fn pick_school(state: &AppState, t: Tr, user: &PageUser) -> AppResult<Response> {
    let scope = user.scope.clone();
    let schools = state
        .store
        .run(move |conn| schools::list(conn, &scope, &Default::default()))
        .await?;
    let page = PickSchool {
        frame: Frame::for_user(user),
        schools,
        t,
    };
    Ok(render(page)?.into_response())
}

/// What a refused save says, beside its field or over the form.
struct Refusal {
    errors: FieldErrors,
    form_error: Option<&'static str>,
    existing: Option<i64>,
}

fn refusal(e: StoreError) -> AppResult<Refusal> {
    let mut errors = FieldErrors::default();
    let mut existing = None;
    let mut form_error = None;
    match e {
        StoreError::Invalid { field, code } => errors.add(field, code),
        StoreError::InvalidFile { field, code } => errors.add(&field, &code),
        StoreError::ChildExists { id } => {
            existing = id;
            let key = if id.is_some() {
                "child.exists"
            } else {
                "child.exists_elsewhere"
            };
            errors.add("id_number", key);
            form_error = Some(key);
        }
        other => return Err(other.into()),
    }
    Ok(Refusal {
        errors,
        form_error,
        existing,
    })
}

fn placement(p: &Posted, school_id: i64) -> Placement {
    Placement {
        school_id,
        class_id: p.get("class_id").parse().ok(),
    }
}

/// `POST /children`.
pub async fn create(
    State(state): State<AppState>,
    t: Tr,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    may_edit(&user)?;
    let posted = Posted::new(form);
    let school_id = user
        .scope
        .school
        .or_else(|| posted.get("school_id").parse().ok())
        .ok_or_else(AppError::not_found)?;
    let at = placement(&posted, school_id);
    let ctx = context(&state, &user, school_id, at.class_id).await?;
    let typed = Typed::posted(&posted, &ctx.sections);
    let doc = to_json(&typed, &ctx.sections);
    let submit_key = posted.get("submit_key");
    let scope = user.scope.clone();
    let key = state.store.key();
    let sk = submit_key.clone();
    let saved = state
        .store
        .run(move |conn| {
            let file = children::parse_file(doc)?;
            let sk = (!sk.is_empty()).then_some(sk.as_str());
            children::create(conn, &scope, &key, at, &file, sk)
        })
        .await;
    let record = match saved {
        Ok(record) => record,
        Err(e) => {
            let r = refusal(e)?;
            let page = FormPage {
                frame: Frame::for_user(&user),
                title_key: "child.new",
                action: "/children".to_owned(),
                back: "/children".to_owned(),
                sections: widgets(&t, &ctx.sections, &typed, &r.errors, false),
                school: ctx.school,
                classes: ctx.classes,
                form_error: r.form_error.map(|k| t.t(k).to_owned()),
                existing: r.existing,
                version: None,
                submit_key,
                conflict: Vec::new(),
                t,
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response());
        }
    };
    let to = format!("/children/{}?done=created", record.summary.id);
    Ok(Redirect::to(&to).into_response())
}

/// `GET /children/{id}/edit`: sensitive values stay masked; left as they are, they are kept.
pub async fn edit_form(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    may_edit(&user)?;
    let id = parse_id(&raw)?;
    let scope = user.scope.clone();
    let key = state.store.key();
    let record = state
        .store
        .run(move |conn| children::get(conn, &scope, &key, id))
        .await?;
    let s = &record.summary;
    let ctx = context(&state, &user, s.school_id, s.class_id).await?;
    let typed = Typed::of_file(&record.file);
    let form = FormPage {
        frame: Frame::for_user(&user),
        title_key: "child.edit",
        action: format!("/children/{id}"),
        back: format!("/children/{id}"),
        sections: widgets(&t, &ctx.sections, &typed, &FieldErrors::default(), true),
        school: ctx.school,
        classes: ctx.classes,
        form_error: None,
        existing: None,
        version: Some(s.version),
        submit_key: String::new(),
        conflict: Vec::new(),
        t,
    };
    Ok(render(form)?.into_response())
}

/// `POST /children/{id}`: saves the whole form over the file if nobody saved since it was read.
pub async fn update(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    CsrfForm { user, form }: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    may_edit(&user)?;
    let id = parse_id(&raw)?;
    let posted = Posted::new(form);
    let version: i32 = posted
        .get("version")
        .parse()
        .map_err(|_| AppError::bad_request("error.bad_form"))?;
    let scope = user.scope.clone();
    let summary = state
        .store
        .run(move |conn| children::summary_of(conn, &scope, id))
        .await?;
    let at = placement(&posted, summary.school_id);
    let ctx = context(&state, &user, summary.school_id, at.class_id).await?;
    let typed = Typed::posted(&posted, &ctx.sections);
    let doc: Value = to_json(&typed, &ctx.sections);
    let scope = user.scope.clone();
    let key = state.store.key();
    let saved = state
        .store
        .run(move |conn| {
            let change = Change::Replace(doc);
            match children::update(conn, &scope, &key, id, version, Some(at), &change) {
                Err(StoreError::Conflict { current, .. }) => {
                    let meanwhile = children::compare(conn, &scope, id, version, current)?;
                    Ok(Err(Ok((meanwhile, current))))
                }
                Err(e) => Ok(Err(Err(e))),
                Ok(r) => Ok(Ok(r)),
            }
        })
        .await?;
    let mut version = version;
    let (errors, form_error, existing, conflict, status) = match saved {
        Ok(_) => return Ok(Redirect::to(&format!("/children/{id}?done=saved")).into_response()),
        Err(Ok((meanwhile, current))) => {
            // Saving again, with what changed meanwhile in view, is a deliberate overwrite.
            version = current;
            let conflict = meanwhile
                .into_iter()
                .map(|(path, [before, after])| Conflict {
                    label: slot_label(&t, &path),
                    before,
                    after,
                })
                .collect();
            let errors = FieldErrors::default();
            (
                errors,
                Some("error.conflict"),
                None,
                conflict,
                StatusCode::CONFLICT,
            )
        }
        Err(Err(e)) => {
            let r = refusal(e)?;
            (
                r.errors,
                r.form_error,
                r.existing,
                Vec::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    };
    let page = FormPage {
        frame: Frame::for_user(&user),
        title_key: "child.edit",
        action: format!("/children/{id}"),
        back: format!("/children/{id}"),
        sections: widgets(&t, &ctx.sections, &typed, &errors, true),
        school: ctx.school,
        classes: ctx.classes,
        form_error: form_error.map(|k| t.t(k).to_owned()),
        existing,
        version: Some(version),
        submit_key: String::new(),
        conflict,
        t,
    };
    Ok((status, render(page)?).into_response())
}
