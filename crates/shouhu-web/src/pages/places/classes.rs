//! Classes: a class's page, and the forms to open, edit and close one. Principals and the bureau
//! run the classes of a school; a head teacher may correct the classes they head.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use shouhu_domain::{Grade, Role, SchoolKind, SchoolYear, today_shanghai};
use shouhu_store::classes::{self, ClassInput, ClassView, HeadTeacher};
use shouhu_store::schools::{self, School};
use shouhu_store::users::{self, UserFilter};
use shouhu_store::{Conn, Scope, StoreError, StoreResult};

use super::schools::grade_label;
use super::{Choice, ConfirmPage, FieldErrors, Posted, parse_id, too_long};
use crate::auth::{CsrfForm, PageUser};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::Done;
use crate::pages::frame::{Frame, render};
use crate::pages::notice_key;
use crate::state::AppState;

const NAME_MAX: usize = 30;

/// Someone who may be ticked as head teacher.
#[derive(Debug)]
struct Staff {
    id: i64,
    name: String,
    role_key: &'static str,
    checked: bool,
}

/// Who can be offered as head teachers: the school's staff for those who may list them; for
/// anyone else (a head teacher editing their own class) only the current ones, who can be kept
/// or removed but not swapped for others.
struct Candidates {
    people: Vec<(i64, String, &'static str)>,
    open: bool,
}

fn candidates(
    conn: &mut Conn,
    scope: &Scope,
    school_id: i64,
    current: &[HeadTeacher],
) -> StoreResult<Candidates> {
    let filter = UserFilter {
        role: None,
        school_id: Some(school_id),
    };
    match users::list(conn, scope, &filter) {
        Ok(list) => {
            let people = list
                .into_iter()
                .filter(|u| u.school_id == Some(school_id))
                .filter(|u| !u.disabled || current.iter().any(|h| h.user_id == u.id))
                .filter_map(|u| {
                    let role = u.role().ok()?;
                    matches!(role, Role::Principal | Role::HeadTeacher | Role::Teacher)
                        .then(|| (u.id, u.display_name, role.label_key()))
                })
                .collect();
            Ok(Candidates { people, open: true })
        }
        Err(StoreError::Forbidden(_)) => Ok(Candidates {
            people: current
                .iter()
                .map(|h| {
                    (
                        h.user_id,
                        h.display_name.clone(),
                        Role::HeadTeacher.label_key(),
                    )
                })
                .collect(),
            open: false,
        }),
        Err(e) => Err(e),
    }
}

/// A class form as typed.
#[derive(Clone, Debug, Default)]
struct ClassForm {
    school_year: String,
    grade: String,
    name: String,
    head_teachers: Vec<String>,
}

impl ClassForm {
    fn of(view: &ClassView) -> Self {
        Self {
            school_year: SchoolYear::new(view.class.school_year).to_string(),
            grade: view.class.grade.to_string(),
            name: view.class.name.clone(),
            head_teachers: view
                .head_teachers
                .iter()
                .map(|h| h.user_id.to_string())
                .collect(),
        }
    }

    fn posted(p: &Posted) -> Self {
        Self {
            school_year: p.get("school_year"),
            grade: p.get("grade"),
            name: p.get("name"),
            head_teachers: p.all("head_teachers"),
        }
    }

    fn parse(&self, school: &School, allowed: &Candidates) -> Result<ClassInput, FieldErrors> {
        let mut errors = FieldErrors::default();
        let school_year = SchoolYear::parse(&self.school_year)
            .map_err(|e| errors.add("school_year", e.code()))
            .ok();
        let kind = SchoolKind::parse(&school.kind).ok();
        let grade = match self
            .grade
            .parse::<i8>()
            .ok()
            .and_then(|n| Grade::new(n).ok())
        {
            Some(g) if kind.is_some_and(|k| !k.teaches(g)) => {
                errors.add("grade", "class.grade_not_taught");
                None
            }
            Some(g) => Some(g),
            None => {
                errors.add("grade", "grade.invalid");
                None
            }
        };
        if self.name.is_empty() {
            errors.add("name", "places.class.name_empty");
        } else if too_long(&self.name, NAME_MAX) {
            errors.add("name", "places.class.name_long");
        }
        let mut head_teachers = Vec::new();
        for raw in &self.head_teachers {
            match raw.parse::<i64>() {
                Ok(id) if allowed.open || allowed.people.iter().any(|p| p.0 == id) => {
                    if !head_teachers.contains(&id) {
                        head_teachers.push(id);
                    }
                }
                _ => errors.add("head_teachers", "class.head_teacher_not_staff"),
            }
        }
        match (school_year, grade, errors.is_empty()) {
            (Some(school_year), Some(grade), true) => Ok(ClassInput {
                school_id: school.id,
                school_year,
                grade,
                name: self.name.clone(),
                head_teachers,
            }),
            _ => Err(errors),
        }
    }
}

/// A class as its page and the conflict panel show it.
#[derive(Debug)]
struct ClassSummary {
    id: i64,
    school_year: String,
    grade: String,
    name: String,
    head_teachers: String,
}

impl ClassSummary {
    fn of(view: &ClassView) -> Self {
        Self {
            id: view.class.id,
            school_year: SchoolYear::new(view.class.school_year).to_string(),
            grade: grade_label(view.class.grade),
            name: view.class.name.clone(),
            head_teachers: view
                .head_teachers
                .iter()
                .map(|h| h.display_name.as_str())
                .collect::<Vec<_>>()
                .join("、"),
        }
    }
}

#[derive(Template)]
#[template(path = "class_form.html")]
struct ClassFormPage {
    t: Tr,
    frame: Frame,
    title_key: &'static str,
    action: String,
    back: String,
    school_id: i64,
    school_name: String,
    form: ClassForm,
    errors: FieldErrors,
    years: Vec<Choice>,
    grades: Vec<Choice>,
    staff: Vec<Staff>,
    version: Option<i32>,
    conflict: Option<ClassSummary>,
}

/// The last, this and next school year, plus the form's own if it is another.
fn year_choices(typed: &str) -> Vec<Choice> {
    let current = SchoolYear::containing(today_shanghai()).start_year();
    let chosen = SchoolYear::parse(typed).ok();
    let mut years: Vec<SchoolYear> = (current - 1..=current + 1).map(SchoolYear::new).collect();
    if let Some(y) = chosen.filter(|y| !years.contains(y)) {
        years.push(y);
        years.sort();
    }
    years
        .into_iter()
        .map(|y| Choice {
            value: y.to_string(),
            label: y.to_string(),
            selected: Some(y) == chosen,
        })
        .collect()
}

fn grade_choices(school: &School, typed: &str) -> Vec<Choice> {
    let kind = SchoolKind::parse(&school.kind).ok();
    (-2..=12)
        .filter_map(|n| Grade::new(n).ok())
        .filter(|g| kind.is_none_or(|k| k.teaches(*g)))
        .map(|g| Choice {
            value: g.number().to_string(),
            label: g.to_string(),
            selected: typed == g.number().to_string(),
        })
        .collect()
}

struct FormContext {
    title_key: &'static str,
    action: String,
    back: String,
    version: Option<i32>,
    conflict: Option<ClassSummary>,
    status: StatusCode,
}

fn render_form(
    t: Tr,
    user: &PageUser,
    school: &School,
    candidates: &Candidates,
    form: ClassForm,
    errors: FieldErrors,
    ctx: FormContext,
) -> AppResult<Response> {
    let staff = candidates
        .people
        .iter()
        .map(|(id, name, role_key)| Staff {
            id: *id,
            name: name.clone(),
            role_key,
            checked: form.head_teachers.contains(&id.to_string()),
        })
        .collect();
    let page = ClassFormPage {
        frame: Frame::for_user(user),
        title_key: ctx.title_key,
        action: ctx.action,
        back: ctx.back,
        school_id: school.id,
        school_name: school.name.clone(),
        years: year_choices(&form.school_year),
        grades: grade_choices(school, &form.grade),
        staff,
        form,
        errors,
        version: ctx.version,
        conflict: ctx.conflict,
        t,
    };
    Ok((ctx.status, render(page)?).into_response())
}

fn new_context(school_id: i64) -> FormContext {
    FormContext {
        title_key: "places.class.new_title",
        action: format!("/schools/{school_id}/classes"),
        back: format!("/schools/{school_id}"),
        version: None,
        conflict: None,
        status: StatusCode::OK,
    }
}

fn edit_context(id: i64, version: i32, conflict: Option<ClassSummary>) -> FormContext {
    FormContext {
        title_key: "places.class.edit_title",
        action: format!("/classes/{id}"),
        back: format!("/classes/{id}"),
        version: Some(version),
        conflict,
        status: StatusCode::OK,
    }
}

impl FormContext {
    fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }
}

/// The school a new class goes into, and who may head it.
async fn school_for_new(
    state: &AppState,
    user: &PageUser,
    school_id: i64,
) -> AppResult<(School, Candidates)> {
    let scope = user.scope.clone();
    let found = state
        .store
        .run(move |conn| {
            let school = schools::get(conn, &scope, school_id)?;
            let people = candidates(conn, &scope, school_id, &[])?;
            Ok((school, people))
        })
        .await?;
    if !user.scope.role.manages_classes() {
        return Err(AppError::forbidden("denied.class.create"));
    }
    Ok(found)
}

/// `GET /schools/{id}/classes/new`.
pub async fn new_form(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    let (school, people) = school_for_new(&state, &user, parse_id(&raw)?).await?;
    let form = ClassForm {
        school_year: SchoolYear::containing(today_shanghai()).to_string(),
        ..ClassForm::default()
    };
    let ctx = new_context(school.id);
    let errors = FieldErrors::default();
    render_form(t, &user, &school, &people, form, errors, ctx)
}

/// `POST /schools/{id}/classes`.
pub async fn create(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    posted: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let CsrfForm { user, form } = posted;
    let (school, people) = school_for_new(&state, &user, parse_id(&raw)?).await?;
    let form = ClassForm::posted(&Posted::new(form));
    let errors = match form.parse(&school, &people) {
        Ok(input) => {
            let scope = user.scope.clone();
            match state
                .store
                .run(move |conn| classes::create(conn, &scope, &input))
                .await
            {
                Ok(view) => {
                    let to = format!("/classes/{}?done=created", view.class.id);
                    return Ok(Redirect::to(&to).into_response());
                }
                Err(e) => FieldErrors::from_store(e, "places.class.name_taken")?,
            }
        }
        Err(errors) => errors,
    };
    let ctx = new_context(school.id).with_status(StatusCode::UNPROCESSABLE_ENTITY);
    render_form(t, &user, &school, &people, form, errors, ctx)
}

/// A class in reach, its school and who may head it.
async fn load(
    state: &AppState,
    user: &PageUser,
    id: i64,
) -> AppResult<(ClassView, School, Candidates)> {
    let scope = user.scope.clone();
    Ok(state
        .store
        .run(move |conn| {
            let view = classes::get(conn, &scope, id)?;
            let school = schools::get(conn, &scope, view.class.school_id)?;
            let people = candidates(conn, &scope, school.id, &view.head_teachers)?;
            Ok((view, school, people))
        })
        .await?)
}

#[derive(Template)]
#[template(path = "class_show.html")]
struct ClassShowPage {
    t: Tr,
    frame: Frame,
    class: ClassSummary,
    school_id: i64,
    school_name: String,
    can_edit: bool,
    can_delete: bool,
}

/// `GET /classes/{id}`.
pub async fn show(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
    Query(q): Query<Done>,
) -> AppResult<Response> {
    let id = parse_id(&raw)?;
    let scope = user.scope.clone();
    let (view, school) = state
        .store
        .run(move |conn| {
            let view = classes::get(conn, &scope, id)?;
            let school = schools::get(conn, &scope, view.class.school_id)?;
            Ok((view, school))
        })
        .await?;
    let role = user.scope.role;
    let page = ClassShowPage {
        frame: Frame::for_user(&user).with_notice(notice_key(q.done.as_deref())),
        t,
        class: ClassSummary::of(&view),
        school_id: school.id,
        school_name: school.name,
        can_edit: role.edits_class(),
        can_delete: role.manages_classes(),
    };
    Ok(render(page)?.into_response())
}

/// `GET /classes/{id}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    let (view, school, people) = load(&state, &user, parse_id(&raw)?).await?;
    if !user.scope.role.edits_class() {
        return Err(AppError::forbidden("denied.class.edit"));
    }
    let ctx = edit_context(view.class.id, view.class.version, None);
    let form = ClassForm::of(&view);
    let errors = FieldErrors::default();
    render_form(t, &user, &school, &people, form, errors, ctx)
}

/// `POST /classes/{id}`: saves an edit unless someone saved a newer version meanwhile.
pub async fn update(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    posted: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let CsrfForm { user, form } = posted;
    let (view, school, people) = load(&state, &user, parse_id(&raw)?).await?;
    if !user.scope.role.edits_class() {
        return Err(AppError::forbidden("denied.class.edit"));
    }
    let id = view.class.id;
    let posted = Posted::new(form);
    let version: i32 = posted
        .get("version")
        .parse()
        .map_err(|_| AppError::bad_request("error.bad_form"))?;
    let form = ClassForm::posted(&posted);
    let input = match form.parse(&school, &people) {
        Ok(input) => input,
        Err(errors) => {
            let ctx = edit_context(id, version, None).with_status(StatusCode::UNPROCESSABLE_ENTITY);
            return render_form(t, &user, &school, &people, form, errors, ctx);
        }
    };
    let scope = user.scope.clone();
    let saved = state
        .store
        .run(move |conn| classes::update(conn, &scope, id, version, &input))
        .await;
    let errors = match saved {
        Ok(_) => return Ok(Redirect::to(&format!("/classes/{id}?done=saved")).into_response()),
        Err(StoreError::Conflict { .. }) => {
            // `view` was read after the competing save: it is what is stored now. Saving again
            // is a deliberate choice to overwrite it, so the form now carries its version.
            let current = Some(ClassSummary::of(&view));
            let ctx =
                edit_context(id, view.class.version, current).with_status(StatusCode::CONFLICT);
            let mut errors = FieldErrors::default();
            errors.add("form", "places.conflict");
            return render_form(t, &user, &school, &people, form, errors, ctx);
        }
        Err(e) => FieldErrors::from_store(e, "places.class.name_taken")?,
    };
    let ctx = edit_context(id, version, None).with_status(StatusCode::UNPROCESSABLE_ENTITY);
    render_form(t, &user, &school, &people, form, errors, ctx)
}

fn confirm_page(t: Tr, user: &PageUser, view: &ClassView, school: &School) -> ConfirmPage {
    let summary = ClassSummary::of(view);
    ConfirmPage {
        t,
        frame: Frame::for_user(user),
        title_key: "places.class.delete_title",
        question_key: "places.class.delete_question",
        button_key: "places.delete_confirm",
        subject: format!(
            "{} {} {}（{}）",
            school.name, summary.school_year, summary.name, summary.grade
        ),
        action: format!("/classes/{}/delete", summary.id),
        back: format!("/classes/{}", summary.id),
        error: None,
    }
}

/// `GET /classes/{id}/delete`.
pub async fn confirm_delete(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    let (view, school, _) = load(&state, &user, parse_id(&raw)?).await?;
    if !user.scope.role.manages_classes() {
        return Err(AppError::forbidden("denied.class.delete"));
    }
    confirm_page(t, &user, &view, &school).respond(StatusCode::OK)
}

/// `POST /classes/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    posted: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let user = posted.user;
    let (view, school, _) = load(&state, &user, parse_id(&raw)?).await?;
    if !user.scope.role.manages_classes() {
        return Err(AppError::forbidden("denied.class.delete"));
    }
    let (scope, id) = (user.scope.clone(), view.class.id);
    state
        .store
        .run(move |conn| classes::delete(conn, &scope, id))
        .await?;
    Ok(Redirect::to(&format!("/schools/{}?done=deleted", school.id)).into_response())
}
