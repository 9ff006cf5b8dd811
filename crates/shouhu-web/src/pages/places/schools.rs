//! Schools: the list in reach with a filter, a school's page with its classes, and for the
//! bureau the forms to open, edit and close one (a principal may edit their own school).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shouhu_domain::{
    Grade, PhoneNo, RegionCode, RegionLevel, SchoolKind, SchoolYear, normalize_width,
};
use shouhu_store::classes::{self, ClassView};
use shouhu_store::regions::{self, Region};
use shouhu_store::schools::{self, School, SchoolFilter, SchoolInput};
use shouhu_store::{Conn, Scope, StoreError, StoreResult};

use super::{Choice, ConfirmPage, FieldErrors, Posted, parse_id, too_long};
use crate::auth::{CsrfForm, PageUser};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::Done;
use crate::pages::frame::{Frame, render};
use crate::pages::notice_key;
use crate::state::AppState;

/// Beyond this many townships and villages in reach, the place is typed as a code instead of
/// picked from a drop-down (a county has a few hundred at most; a province has thousands).
const PICKER_LIMIT: i64 = 400;
const CODE_MAX: usize = 20;
const NAME_MAX: usize = 60;
const ADDRESS_MAX: usize = 100;

/// Where a school may be placed: a drop-down of the places in reach, or a code to type.
#[derive(Debug)]
pub struct RegionPicker {
    pub options: Vec<Choice>,
    pub free_text: bool,
    pub value: String,
}

impl RegionPicker {
    /// Villages are labelled with their township, so that 小屯沟村 reads 梨树镇 · 小屯沟村.
    fn new(places: Vec<Region>, value: &str) -> Self {
        let free_text = places.len() as i64 > PICKER_LIMIT;
        let options = if free_text {
            Vec::new()
        } else {
            places
                .iter()
                .map(|r| {
                    let township = RegionCode::parse(&r.code)
                        .ok()
                        .filter(|c| c.level() == RegionLevel::Village)
                        .and_then(|c| c.parent())
                        .and_then(|p| places.iter().find(|t| t.code == p.as_str()));
                    let label = match township {
                        Some(t) => format!("{} · {}", t.name, r.name),
                        None => r.name.clone(),
                    };
                    Choice {
                        selected: r.code == value,
                        value: r.code.clone(),
                        label,
                    }
                })
                .collect()
        };
        Self {
            options,
            free_text,
            value: value.to_owned(),
        }
    }
}

fn placements(conn: &mut Conn, scope: &Scope) -> StoreResult<Vec<Region>> {
    regions::placements(conn, scope, PICKER_LIMIT)
}

fn kind_key(kind: &str) -> &'static str {
    SchoolKind::parse(kind).map_or("school_kind.unknown", SchoolKind::label_key)
}

/// A school as the pages show it.
#[derive(Debug)]
pub struct SchoolView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub region_code: String,
    pub region_name: String,
    pub kind_key: &'static str,
    pub boarding: bool,
    pub hotline: String,
    pub address: String,
}

impl SchoolView {
    fn new(school: School, region_name: String) -> Self {
        Self {
            id: school.id,
            kind_key: kind_key(&school.kind),
            code: school.code,
            name: school.name,
            region_code: school.region_code,
            region_name,
            boarding: school.boarding,
            hotline: school.hotline.unwrap_or_default(),
            address: school.address.unwrap_or_default(),
        }
    }
}

/// The names of the places of `list`, looked up in one query.
fn with_region_names(
    conn: &mut Conn,
    scope: &Scope,
    list: Vec<School>,
) -> StoreResult<Vec<SchoolView>> {
    let mut codes: Vec<String> = list.iter().map(|s| s.region_code.clone()).collect();
    codes.sort();
    codes.dedup();
    let names = regions::names(conn, scope, &codes)?;
    Ok(list
        .into_iter()
        .map(|s| {
            let name = names
                .iter()
                .find(|(c, _)| *c == s.region_code)
                .map(|(_, n)| n.clone())
                .unwrap_or_else(|| s.region_code.clone());
            SchoolView::new(s, name)
        })
        .collect())
}

#[derive(Template)]
#[template(path = "schools.html")]
struct SchoolsPage {
    t: Tr,
    frame: Frame,
    rows: Vec<SchoolView>,
    q: String,
    region: RegionPicker,
    can_create: bool,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    region: String,
    #[serde(default)]
    q: String,
    done: Option<String>,
}

/// `GET /schools?region=CODE&q=NAME`.
pub async fn list(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let filter = SchoolFilter {
        region: RegionCode::parse(&q.region).ok(),
        name_contains: Some(q.q.trim().to_owned()).filter(|s| !s.is_empty()),
    };
    let scope = user.scope.clone();
    let (rows, places) = state
        .store
        .run(move |conn| {
            let list = schools::list(conn, &scope, &filter)?;
            let rows = with_region_names(conn, &scope, list)?;
            Ok((rows, placements(conn, &scope)?))
        })
        .await?;
    let region_value =
        RegionCode::parse(&q.region).map_or_else(|_| q.region.clone(), |c| c.to_string());
    let page = SchoolsPage {
        frame: Frame::for_user(&user).with_notice(notice_key(q.done.as_deref())),
        t,
        rows,
        q: q.q,
        region: RegionPicker::new(places, &region_value),
        can_create: user.scope.role.manages_schools(),
    };
    Ok(render(page)?.into_response())
}

/// A school form as typed.
#[derive(Clone, Debug, Default)]
pub struct SchoolForm {
    pub code: String,
    pub name: String,
    pub region: String,
    pub kind: String,
    pub boarding: bool,
    pub hotline: String,
    pub address: String,
}

impl SchoolForm {
    fn of(school: &School) -> Self {
        Self {
            code: school.code.clone(),
            name: school.name.clone(),
            region: school.region_code.clone(),
            kind: school.kind.clone(),
            boarding: school.boarding,
            hotline: school.hotline.clone().unwrap_or_default(),
            address: school.address.clone().unwrap_or_default(),
        }
    }

    fn posted(p: &Posted) -> Self {
        Self {
            code: p.get("code"),
            name: p.get("name"),
            region: p.get("region"),
            kind: p.get("kind"),
            boarding: p.has("boarding"),
            hotline: p.get("hotline"),
            address: p.get("address"),
        }
    }

    /// Checks every field (all problems at once), the place against the caller's reach included.
    fn parse(&self, scope: &Scope) -> Result<SchoolInput, FieldErrors> {
        let mut errors = FieldErrors::default();
        let code = normalize_width(&self.code).trim().to_owned();
        if code.is_empty() {
            errors.add("code", "places.school.code_empty");
        } else if too_long(&code, CODE_MAX) || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            errors.add("code", "places.school.code_format");
        }
        if self.name.is_empty() {
            errors.add("name", "places.school.name_empty");
        } else if too_long(&self.name, NAME_MAX) {
            errors.add("name", "places.school.name_long");
        }
        let region = match RegionCode::parse(&self.region) {
            _ if self.region.is_empty() => {
                errors.add("region", "places.school.region_empty");
                None
            }
            Err(e) => {
                errors.add("region", e.code());
                None
            }
            Ok(code) if !scope.covers_region(&code) => {
                errors.add("region", "places.school.region_outside");
                None
            }
            Ok(code) if code.level() < RegionLevel::Township => {
                errors.add("region", "places.school.region_level");
                None
            }
            Ok(code) => Some(code),
        };
        let kind = match SchoolKind::parse(&self.kind) {
            _ if self.kind.is_empty() => {
                errors.add("kind", "places.school.kind_empty");
                None
            }
            Ok(kind) => Some(kind),
            Err(e) => {
                errors.add("kind", e.code());
                None
            }
        };
        let hotline = match self.hotline.as_str() {
            "" => None,
            raw => match PhoneNo::parse(raw) {
                Ok(phone) => Some(phone),
                Err(e) => {
                    errors.add("hotline", e.code());
                    None
                }
            },
        };
        if too_long(&self.address, ADDRESS_MAX) {
            errors.add("address", "places.school.address_long");
        }
        match (region, kind, errors.is_empty()) {
            (Some(region), Some(kind), true) => Ok(SchoolInput {
                code,
                name: self.name.clone(),
                region,
                kind,
                boarding: self.boarding,
                hotline,
                address: Some(self.address.clone()).filter(|a| !a.is_empty()),
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Template)]
#[template(path = "school_form.html")]
struct SchoolFormPage {
    t: Tr,
    frame: Frame,
    title_key: &'static str,
    action: String,
    back: String,
    form: SchoolForm,
    errors: FieldErrors,
    region: RegionPicker,
    kinds: Vec<Choice>,
    /// The version the form was read at (edits only).
    version: Option<i32>,
    /// What someone else saved meanwhile, when a save met a newer version.
    conflict: Option<SchoolView>,
}

/// What the form page needs besides the typed values.
struct FormContext {
    title_key: &'static str,
    action: String,
    back: String,
    version: Option<i32>,
    conflict: Option<SchoolView>,
}

async fn form_page(
    state: &AppState,
    t: Tr,
    user: &PageUser,
    form: SchoolForm,
    errors: FieldErrors,
    ctx: FormContext,
    status: StatusCode,
) -> AppResult<Response> {
    let scope = user.scope.clone();
    let places = state
        .store
        .run(move |conn| placements(conn, &scope))
        .await?;
    let kinds = SchoolKind::ALL
        .into_iter()
        .map(|k| Choice {
            value: k.code().to_owned(),
            label: t.t(k.label_key()).to_owned(),
            selected: SchoolKind::parse(&form.kind) == Ok(k),
        })
        .collect();
    let page = SchoolFormPage {
        frame: Frame::for_user(user),
        title_key: ctx.title_key,
        action: ctx.action,
        back: ctx.back,
        region: RegionPicker::new(places, &form.region),
        form,
        errors,
        kinds,
        version: ctx.version,
        conflict: ctx.conflict,
        t,
    };
    Ok((status, render(page)?).into_response())
}

fn new_context() -> FormContext {
    FormContext {
        title_key: "places.school.new_title",
        action: "/schools".to_owned(),
        back: "/schools".to_owned(),
        version: None,
        conflict: None,
    }
}

fn edit_context(id: i64, version: i32, conflict: Option<SchoolView>) -> FormContext {
    FormContext {
        title_key: "places.school.edit_title",
        action: format!("/schools/{id}"),
        back: format!("/schools/{id}"),
        version: Some(version),
        conflict,
    }
}

/// `GET /schools/new`.
pub async fn new_form(State(state): State<AppState>, t: Tr, user: PageUser) -> AppResult<Response> {
    if !user.scope.role.manages_schools() {
        return Err(AppError::forbidden("denied.school.create"));
    }
    let form = SchoolForm {
        kind: SchoolKind::Primary.code().to_owned(),
        ..SchoolForm::default()
    };
    let ctx = new_context();
    form_page(
        &state,
        t,
        &user,
        form,
        FieldErrors::default(),
        ctx,
        StatusCode::OK,
    )
    .await
}

/// `POST /schools`.
pub async fn create(
    State(state): State<AppState>,
    t: Tr,
    posted: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let CsrfForm { user, form } = posted;
    if !user.scope.role.manages_schools() {
        return Err(AppError::forbidden("denied.school.create"));
    }
    let form = SchoolForm::posted(&Posted::new(form));
    let errors = match form.parse(&user.scope) {
        Ok(input) => {
            let scope = user.scope.clone();
            match state
                .store
                .run(move |conn| schools::create(conn, &scope, &input))
                .await
            {
                Ok(school) => {
                    let to = format!("/schools/{}?done=created", school.id);
                    return Ok(Redirect::to(&to).into_response());
                }
                Err(e) => FieldErrors::from_store(e, "places.school.code_taken")?,
            }
        }
        Err(errors) => errors,
    };
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    form_page(&state, t, &user, form, errors, new_context(), status).await
}

async fn load(state: &AppState, user: &PageUser, id: i64) -> AppResult<School> {
    let scope = user.scope.clone();
    Ok(state
        .store
        .run(move |conn| schools::get(conn, &scope, id))
        .await?)
}

/// `GET /schools/{id}/edit`.
pub async fn edit_form(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    let school = load(&state, &user, parse_id(&raw)?).await?;
    if !user.scope.role.edits_school() {
        return Err(AppError::forbidden("denied.school.edit"));
    }
    let ctx = edit_context(school.id, school.version, None);
    let form = SchoolForm::of(&school);
    form_page(
        &state,
        t,
        &user,
        form,
        FieldErrors::default(),
        ctx,
        StatusCode::OK,
    )
    .await
}

/// `POST /schools/{id}`: saves an edit unless someone saved a newer version meanwhile.
pub async fn update(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    posted: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let CsrfForm { user, form } = posted;
    let id = parse_id(&raw)?;
    if !user.scope.role.edits_school() {
        return Err(AppError::forbidden("denied.school.edit"));
    }
    let posted = Posted::new(form);
    let version: i32 = posted
        .get("version")
        .parse()
        .map_err(|_| AppError::bad_request("error.bad_form"))?;
    let form = SchoolForm::posted(&posted);
    let input = match form.parse(&user.scope) {
        Ok(input) => input,
        Err(errors) => {
            let ctx = edit_context(id, version, None);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return form_page(&state, t, &user, form, errors, ctx, status).await;
        }
    };
    let scope = user.scope.clone();
    let saved = state
        .store
        .run(move |conn| schools::update(conn, &scope, id, version, &input))
        .await;
    let errors = match saved {
        Ok(_) => return Ok(Redirect::to(&format!("/schools/{id}?done=saved")).into_response()),
        Err(StoreError::Conflict { .. }) => {
            // Show what is stored now beside what was typed; saving again is a deliberate choice
            // to overwrite it, so the form now carries the current version.
            let scope = user.scope.clone();
            let (version, current) = state
                .store
                .run(move |conn| {
                    let school = schools::get(conn, &scope, id)?;
                    let version = school.version;
                    let mut views = with_region_names(conn, &scope, vec![school])?;
                    Ok((version, views.pop().ok_or(StoreError::NotFound)?))
                })
                .await?;
            let ctx = edit_context(id, version, Some(current));
            let mut errors = FieldErrors::default();
            errors.add("form", "places.conflict");
            return form_page(&state, t, &user, form, errors, ctx, StatusCode::CONFLICT).await;
        }
        Err(e) => FieldErrors::from_store(e, "places.school.code_taken")?,
    };
    let ctx = edit_context(id, version, None);
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    form_page(&state, t, &user, form, errors, ctx, status).await
}

/// One school year's classes, for the school page.
#[derive(Debug)]
pub struct YearGroup {
    pub label: String,
    pub classes: Vec<ClassRow>,
}

#[derive(Debug)]
pub struct ClassRow {
    pub id: i64,
    pub grade: String,
    pub name: String,
    pub head_teachers: String,
}

pub fn grade_label(grade: i32) -> String {
    i8::try_from(grade)
        .ok()
        .and_then(|g| Grade::new(g).ok())
        .map_or_else(|| grade.to_string(), |g| g.to_string())
}

/// Classes arrive newest year first, then by grade; consecutive years form the groups.
fn group_by_year(list: Vec<ClassView>) -> Vec<YearGroup> {
    let mut groups: Vec<(i32, YearGroup)> = Vec::new();
    for view in list {
        let year = view.class.school_year;
        let row = ClassRow {
            id: view.class.id,
            grade: grade_label(view.class.grade),
            name: view.class.name,
            head_teachers: view
                .head_teachers
                .iter()
                .map(|h| h.display_name.as_str())
                .collect::<Vec<_>>()
                .join("、"),
        };
        match groups.last_mut() {
            Some((y, group)) if *y == year => group.classes.push(row),
            _ => groups.push((
                year,
                YearGroup {
                    label: SchoolYear::new(year).to_string(),
                    classes: vec![row],
                },
            )),
        }
    }
    groups.into_iter().map(|(_, g)| g).collect()
}

#[derive(Template)]
#[template(path = "school_show.html")]
struct SchoolShowPage {
    t: Tr,
    frame: Frame,
    school: SchoolView,
    place: String,
    years: Vec<YearGroup>,
    can_edit: bool,
    can_delete: bool,
    can_add_class: bool,
    coverage: Option<crate::pages::care::CoverageFigure>,
    compliance: Option<crate::pages::tasks::ComplianceBox>,
}

/// `GET /schools/{id}`: the school and the classes the user may open.
pub async fn show(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
    Query(q): Query<Done>,
) -> AppResult<Response> {
    let id = parse_id(&raw)?;
    let scope = user.scope.clone();
    let (school, chain, list) = state
        .store
        .run(move |conn| {
            let school = schools::get(conn, &scope, id)?;
            let chain = regions::ancestry(conn, &school.region()?)?;
            let list = classes::list(conn, &scope, id)?;
            Ok((school, chain, list))
        })
        .await?;
    // From the county down is what people say: 七星关区 / 梨树镇 / 小屯沟村.
    let place = chain
        .iter()
        .filter(|r| RegionLevel::parse(&r.level).is_ok_and(|l| l >= RegionLevel::County))
        .map(|r| r.name.as_str())
        .collect::<Vec<_>>()
        .join(" / ");
    let region_name = chain.last().map(|r| r.name.clone()).unwrap_or_default();
    let coverage = crate::pages::care::school_coverage(&state, &user, id).await?;
    let compliance = crate::pages::tasks::school_box(&state, &user, id).await?;
    let role = user.scope.role;
    let page = SchoolShowPage {
        compliance,
        coverage,
        frame: Frame::for_user(&user).with_notice(notice_key(q.done.as_deref())),
        t,
        school: SchoolView::new(school, region_name),
        place,
        years: group_by_year(list),
        can_edit: role.edits_school(),
        can_delete: role.manages_schools(),
        can_add_class: role.manages_classes(),
    };
    Ok(render(page)?.into_response())
}

fn confirm_page(t: Tr, user: &PageUser, school: &School, error: Option<String>) -> ConfirmPage {
    ConfirmPage {
        t,
        frame: Frame::for_user(user),
        title_key: "places.school.delete_title",
        question_key: "places.school.delete_question",
        button_key: "places.delete_confirm",
        subject: format!("{}（{}）", school.name, school.code),
        action: format!("/schools/{}/delete", school.id),
        back: format!("/schools/{}", school.id),
        error,
    }
}

/// `GET /schools/{id}/delete`.
pub async fn confirm_delete(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    let school = load(&state, &user, parse_id(&raw)?).await?;
    if !user.scope.role.manages_schools() {
        return Err(AppError::forbidden("denied.school.delete"));
    }
    confirm_page(t, &user, &school, None).respond(StatusCode::OK)
}

/// `POST /schools/{id}/delete`: closes a school that has no classes or staff left.
pub async fn delete(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    posted: CsrfForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let user = posted.user;
    let school = load(&state, &user, parse_id(&raw)?).await?;
    if !user.scope.role.manages_schools() {
        return Err(AppError::forbidden("denied.school.delete"));
    }
    let (scope, id) = (user.scope.clone(), school.id);
    match state
        .store
        .run(move |conn| schools::delete(conn, &scope, id))
        .await
    {
        Ok(()) => Ok(Redirect::to("/schools?done=deleted").into_response()),
        Err(e) => {
            let errors = FieldErrors::from_store(e, "error.duplicate")?;
            let key = errors.get("id").unwrap_or("error.invalid").to_owned();
            confirm_page(t, &user, &school, Some(key)).respond(StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}
