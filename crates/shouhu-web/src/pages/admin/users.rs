//! User pages: the list with filters, create, details, edit, and disable / enable / reset behind a
//! confirmation. A generated password is shown once, on the page answering the post, never stored
//! in clear and never put in a link.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shouhu_domain::{Password, RegionCode, Role, hash_password};
use shouhu_store::users::{self, User, UserFilter, UserInput};
use shouhu_store::{Conn, Scope, StoreError, StoreResult, regions, schools};

use super::audit::shanghai_time;
use super::user_form::{Checked, FieldErrors, UserForm};
use super::{generate_password, require_manager};
use crate::auth::{CsrfForm, PageUser};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::Done;
use crate::pages::frame::{Frame, render};
use crate::pages::notice_key;
use crate::state::AppState;

/// Rows on the list page; a larger scope is narrowed with the filters.
const LIST_LIMIT: usize = 200;
const DENIED: &str = "denied.user.manage";

/// One option of a `<select>`, its label already in the page's language.
#[derive(Clone, Debug)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Clone, Debug)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role_key: String,
    pub node_name: String,
    pub node_code: String,
    pub school_name: String,
    pub disabled: bool,
    pub must_change: bool,
    pub created: String,
    pub updated: String,
}

/// Names of regions and schools, looked up once per page.
#[derive(Default)]
struct Names {
    regions: HashMap<String, String>,
    schools: HashMap<i64, String>,
}

impl Names {
    fn load(conn: &mut Conn, scope: &Scope, users: &[User]) -> StoreResult<Self> {
        let mut names = Self::default();
        for u in users {
            if !names.regions.contains_key(&u.region_code) {
                let name = match regions::get(conn, scope, &u.region()?) {
                    Ok(r) => r.name,
                    Err(StoreError::NotFound) => String::new(),
                    Err(e) => return Err(e),
                };
                names.regions.insert(u.region_code.clone(), name);
            }
        }
        for s in schools::list(conn, scope, &schools::SchoolFilter::default())? {
            names.schools.insert(s.id, s.name);
        }
        Ok(names)
    }

    fn row(&self, u: &User) -> UserRow {
        UserRow {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role_key: format!("role.{}", u.role),
            node_name: self
                .regions
                .get(&u.region_code)
                .cloned()
                .unwrap_or_default(),
            node_code: u.region_code.clone(),
            school_name: u
                .school_id
                .and_then(|id| self.schools.get(&id).cloned())
                .unwrap_or_default(),
            disabled: u.disabled,
            must_change: u.must_change_password,
            created: shanghai_time(u.created_at),
            updated: shanghai_time(u.updated_at),
        }
    }

    fn school_choices(&self, selected: &str) -> Vec<Choice> {
        let mut list: Vec<Choice> = self
            .schools
            .iter()
            .map(|(id, name)| Choice {
                value: id.to_string(),
                label: name.clone(),
                selected: id.to_string() == selected,
            })
            .collect();
        list.sort_by(|a, b| a.label.cmp(&b.label));
        list
    }
}

fn role_choices(t: &Tr, roles: impl Iterator<Item = Role>, selected: &str) -> Vec<Choice> {
    roles
        .map(|r| Choice {
            value: r.code().to_owned(),
            label: t.t(r.label_key()).to_owned(),
            selected: r.code() == selected,
        })
        .collect()
}

fn parse_id(raw: &str) -> AppResult<i64> {
    raw.parse().map_err(|_| AppError::not_found())
}

// ---------------------------------------------------------------- list

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    t: Tr,
    frame: Frame,
    rows: Vec<UserRow>,
    roles: Vec<Choice>,
    schools: Vec<Choice>,
    q: String,
    truncated: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    role: String,
    school: String,
    q: String,
    done: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Query(query): Query<ListQuery>,
) -> AppResult<Response> {
    require_manager(&user, DENIED)?;
    let filter = UserFilter {
        role: Role::parse(&query.role).ok(),
        school_id: query.school.trim().parse().ok(),
    };
    let scope = user.scope.clone();
    let text = query.q.clone();
    let (found, names) = state
        .store
        .run(move |conn| {
            let limit = i64::try_from(LIST_LIMIT + 1).unwrap_or(i64::MAX);
            let found = users::search(conn, &scope, &filter, &text, limit)?;
            let names = Names::load(conn, &scope, &found)?;
            Ok((found, names))
        })
        .await?;
    let truncated = found.len() > LIST_LIMIT;
    let page = UsersPage {
        frame: Frame::for_user(&user).with_notice(notice_key(query.done.as_deref())),
        rows: found
            .iter()
            .take(LIST_LIMIT)
            .map(|u| names.row(u))
            .collect(),
        roles: role_choices(&t, Role::ALL.into_iter(), query.role.trim()),
        schools: names.school_choices(query.school.trim()),
        q: query.q,
        truncated,
        t,
    };
    Ok(render(page)?.into_response())
}

// ---------------------------------------------------------------- create and edit

/// The user being edited, for the form's heading and action.
#[derive(Clone, Debug)]
pub struct Editing {
    pub id: i64,
    pub username: String,
}

#[derive(Template)]
#[template(path = "user_form.html")]
struct FormPage {
    t: Tr,
    frame: Frame,
    editing: Option<Editing>,
    form: UserForm,
    errors: FieldErrors,
    roles: Vec<Choice>,
    schools: Vec<Choice>,
    /// The manager's own node, as a hint for the region code.
    scope_hint: String,
    /// A message for the whole form, as a catalog key (the conflict message).
    message: Option<&'static str>,
    /// On a conflict: what the manager had typed, as (label, value) pairs.
    typed: Vec<(String, String)>,
}

impl FormPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

/// Everything a form page needs besides the form: the choices and the scope hint.
async fn form_page(
    state: &AppState,
    t: Tr,
    user: &PageUser,
    editing: Option<Editing>,
    form: UserForm,
    errors: FieldErrors,
) -> AppResult<FormPage> {
    let scope = user.scope.clone();
    let (names, hint) = state
        .store
        .run(move |conn| {
            let names = Names::load(conn, &scope, &[])?;
            let hint = match &scope.region {
                Some(code) => {
                    let name = regions::get(conn, &scope, code).map(|r| r.name)?;
                    format!("{name} {code}")
                }
                None => String::new(),
            };
            Ok((names, hint))
        })
        .await?;
    let manager = user.scope.role;
    Ok(FormPage {
        frame: Frame::for_user(user),
        editing,
        roles: role_choices(
            &t,
            Role::ALL.into_iter().filter(|r| manager.may_grant(*r)),
            form.role.trim(),
        ),
        schools: names.school_choices(form.school_id.trim()),
        form,
        errors,
        scope_hint: hint,
        message: None,
        typed: Vec::new(),
        t,
    })
}

fn with_status(status: StatusCode, page: FormPage) -> AppResult<Response> {
    Ok((status, render(page)?).into_response())
}

pub async fn new_form(State(state): State<AppState>, t: Tr, user: PageUser) -> AppResult<Response> {
    require_manager(&user, DENIED)?;
    let form = UserForm {
        region: user
            .scope
            .region
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default(),
        ..UserForm::default()
    };
    let page = form_page(&state, t, &user, None, form, FieldErrors::new()).await?;
    with_status(StatusCode::OK, page)
}

/// Where a checked form puts the user: the school's node for school staff, else the typed code.
/// A school or region that does not exist is a field error; one outside the manager's scope is
/// left for the store to refuse (403), so that such attempts are denials, not typing mistakes.
fn place(
    conn: &mut Conn,
    scope: &Scope,
    checked: &Checked,
) -> StoreResult<Result<RegionCode, FieldErrors>> {
    let field = |name: &str, key: &str| Ok(Err(FieldErrors::from([(name.into(), key.into())])));
    if let Some(school_id) = checked.school_id {
        return match schools::get(conn, scope, school_id) {
            Ok(school) => Ok(Ok(school.region()?)),
            Err(StoreError::NotFound) => field("school_id", "user.school_unknown"),
            Err(e) => Err(e),
        };
    }
    let Some(code) = checked.region.clone() else {
        return field("region", "region_code.empty");
    };
    if scope.covers_region(&code) {
        match regions::get(conn, scope, &code) {
            Ok(_) => {}
            Err(StoreError::NotFound) => return field("region", "region.unknown"),
            Err(e) => return Err(e),
        }
    }
    Ok(Ok(code))
}

/// Store refusals that belong next to a field rather than on an error page.
fn field_error(e: StoreError) -> Result<FieldErrors, StoreError> {
    match e {
        StoreError::Duplicate { field: "username" } => Ok(FieldErrors::from([(
            "username".into(),
            "user.username_taken".into(),
        )])),
        StoreError::Invalid { field, code } => Ok(FieldErrors::from([(field.into(), code.into())])),
        other => Err(other),
    }
}

async fn hash(password: Password) -> AppResult<String> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)
}

#[derive(Template)]
#[template(path = "user_password.html")]
struct PasswordPage {
    t: Tr,
    frame: Frame,
    title_key: &'static str,
    user: UserRow,
    password: String,
}

/// The one time a generated password is shown; the browser is told not to keep the page.
fn password_page(page: PasswordPage) -> AppResult<Response> {
    let html = render(page)?;
    Ok((
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        html,
    )
        .into_response())
}

pub async fn create(
    State(state): State<AppState>,
    t: Tr,
    posted: CsrfForm<UserForm>,
) -> AppResult<Response> {
    let CsrfForm { user, form } = posted;
    require_manager(&user, DENIED)?;
    let checked = match form.check(true) {
        Ok(c) => c,
        Err(errors) => {
            let page = form_page(&state, t, &user, None, form, errors).await?;
            return with_status(StatusCode::UNPROCESSABLE_ENTITY, page);
        }
    };
    let (password, generated) = match checked.password.clone() {
        Some(p) => (p, None),
        None => {
            let plain = generate_password();
            (
                Password::parse(&plain).map_err(AppError::internal)?,
                Some(plain),
            )
        }
    };
    let hashed = hash(password).await?;
    let scope = user.scope.clone();
    let outcome = state
        .store
        .run(move |conn| {
            let region = match place(conn, &scope, &checked)? {
                Ok(region) => region,
                Err(errors) => return Ok(Err(errors)),
            };
            let input = UserInput {
                username: checked.username,
                display_name: checked.display_name,
                role: checked.role,
                region,
                school_id: checked.school_id,
            };
            match users::create(conn, &scope, input, &hashed) {
                Ok(created) => {
                    let names = Names::load(conn, &scope, std::slice::from_ref(&created))?;
                    Ok(Ok(names.row(&created)))
                }
                Err(e) => field_error(e).map(Err),
            }
        })
        .await?;
    let row = match outcome {
        Ok(row) => row,
        Err(errors) => {
            let page = form_page(&state, t, &user, None, form, errors).await?;
            return with_status(StatusCode::UNPROCESSABLE_ENTITY, page);
        }
    };
    match generated {
        Some(password) => password_page(PasswordPage {
            frame: Frame::for_user(&user),
            title_key: "users.created_title",
            user: row,
            password,
            t,
        }),
        None => Ok(Redirect::to(&format!("/admin/users/{}?done=created", row.id)).into_response()),
    }
}

/// The form filled with a stored user's values.
fn form_of(u: &User) -> UserForm {
    let school_staff = u.role().is_ok_and(Role::works_in_school);
    UserForm {
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role: u.role.clone(),
        region: if school_staff {
            String::new()
        } else {
            u.region_code.clone()
        },
        school_id: u.school_id.map(|id| id.to_string()).unwrap_or_default(),
        password: String::new(),
        version: u.version.to_string(),
    }
}

async fn load(state: &AppState, user: &PageUser, id: i64) -> AppResult<UserRow> {
    let scope = user.scope.clone();
    Ok(state
        .store
        .run(move |conn| {
            let found = users::get(conn, &scope, id)?;
            let names = Names::load(conn, &scope, std::slice::from_ref(&found))?;
            Ok(names.row(&found))
        })
        .await?)
}

pub async fn edit_form(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    require_manager(&user, DENIED)?;
    let id = parse_id(&id)?;
    let scope = user.scope.clone();
    let found = state
        .store
        .run(move |conn| users::get(conn, &scope, id))
        .await?;
    let editing = Editing {
        id,
        username: found.username.clone(),
    };
    let page = form_page(
        &state,
        t,
        &user,
        Some(editing),
        form_of(&found),
        FieldErrors::new(),
    )
    .await?;
    with_status(StatusCode::OK, page)
}

enum Edited {
    Saved,
    Fields(FieldErrors),
    /// Someone saved first: the stored user as it is now.
    Stale(Box<User>),
}

pub async fn edit(
    State(state): State<AppState>,
    t: Tr,
    Path(id): Path<String>,
    posted: CsrfForm<UserForm>,
) -> AppResult<Response> {
    let CsrfForm { user, form } = posted;
    require_manager(&user, DENIED)?;
    let id = parse_id(&id)?;
    let version: i32 = form
        .version
        .trim()
        .parse()
        .map_err(|_| AppError::bad_request("error.bad_form"))?;
    let scope = user.scope.clone();
    let current = state
        .store
        .run(move |conn| users::get(conn, &scope, id))
        .await?;
    let editing = Editing {
        id,
        username: current.username.clone(),
    };
    let checked = match form.check(false) {
        Ok(c) => c,
        Err(errors) => {
            let page = form_page(&state, t, &user, Some(editing), form, errors).await?;
            return with_status(StatusCode::UNPROCESSABLE_ENTITY, page);
        }
    };
    let scope = user.scope.clone();
    let username = current.username.clone();
    let outcome = state
        .store
        .run(move |conn| {
            let region = match place(conn, &scope, &checked)? {
                Ok(region) => region,
                Err(errors) => return Ok(Edited::Fields(errors)),
            };
            let input = UserInput {
                username,
                display_name: checked.display_name,
                role: checked.role,
                region,
                school_id: checked.school_id,
            };
            match users::update(conn, &scope, id, version, input) {
                Ok(_) => Ok(Edited::Saved),
                Err(StoreError::Conflict { .. }) => {
                    Ok(Edited::Stale(Box::new(users::get(conn, &scope, id)?)))
                }
                Err(e) => field_error(e).map(Edited::Fields),
            }
        })
        .await?;
    match outcome {
        Edited::Saved => Ok(Redirect::to(&format!("/admin/users/{id}?done=saved")).into_response()),
        Edited::Fields(errors) => {
            let page = form_page(&state, t, &user, Some(editing), form, errors).await?;
            with_status(StatusCode::UNPROCESSABLE_ENTITY, page)
        }
        Edited::Stale(now) => {
            let typed = typed_summary(&t, &form);
            let mut page = form_page(
                &state,
                t,
                &user,
                Some(editing),
                form_of(&now),
                FieldErrors::new(),
            )
            .await?;
            page.message = Some("users.conflict");
            page.typed = typed;
            with_status(StatusCode::CONFLICT, page)
        }
    }
}

/// What the manager had typed, shown beside the newer stored values after a conflict.
fn typed_summary(t: &Tr, form: &UserForm) -> Vec<(String, String)> {
    let role = Role::parse(&form.role)
        .map(|r| t.t(r.label_key()).to_owned())
        .unwrap_or_else(|_| form.role.clone());
    vec![
        (
            t.t("users.display_name").to_owned(),
            form.display_name.clone(),
        ),
        (t.t("users.role").to_owned(), role),
        (t.t("users.region").to_owned(), form.region.clone()),
        (t.t("users.school").to_owned(), form.school_id.clone()),
    ]
}

// ---------------------------------------------------------------- details and actions

#[derive(Template)]
#[template(path = "user_show.html")]
struct ShowPage {
    t: Tr,
    frame: Frame,
    user: UserRow,
    is_self: bool,
}

pub async fn show(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(id): Path<String>,
    Query(q): Query<Done>,
) -> AppResult<Response> {
    require_manager(&user, DENIED)?;
    let id = parse_id(&id)?;
    let row = load(&state, &user, id).await?;
    let page = ShowPage {
        frame: Frame::for_user(&user).with_notice(notice_key(q.done.as_deref())),
        is_self: user.user.id == id,
        user: row,
        t,
    };
    Ok(render(page)?.into_response())
}

/// The three acts behind a confirmation page.
#[derive(Clone, Copy, Debug)]
pub enum Act {
    Disable,
    Enable,
    Reset,
}

impl Act {
    pub fn path(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Enable => "enable",
            Self::Reset => "reset",
        }
    }

    pub fn key(self, part: &str) -> String {
        format!("users.confirm.{}.{part}", self.path())
    }
}

#[derive(Template)]
#[template(path = "user_confirm.html")]
struct ConfirmPage {
    t: Tr,
    frame: Frame,
    user: UserRow,
    act: Act,
}

async fn confirm(
    state: &AppState,
    t: Tr,
    user: PageUser,
    id: &str,
    act: Act,
) -> AppResult<Response> {
    require_manager(&user, DENIED)?;
    let row = load(state, &user, parse_id(id)?).await?;
    let page = ConfirmPage {
        frame: Frame::for_user(&user),
        user: row,
        act,
        t,
    };
    Ok(render(page)?.into_response())
}

pub async fn confirm_disable(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    confirm(&state, t, user, &id, Act::Disable).await
}

pub async fn confirm_enable(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    confirm(&state, t, user, &id, Act::Enable).await
}

pub async fn confirm_reset(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    confirm(&state, t, user, &id, Act::Reset).await
}

#[derive(Deserialize)]
pub struct Empty {}

async fn set_disabled(
    state: &AppState,
    user: &PageUser,
    id: &str,
    disabled: bool,
) -> AppResult<Response> {
    require_manager(user, DENIED)?;
    let id = parse_id(id)?;
    let scope = user.scope.clone();
    state
        .store
        .run(move |conn| users::set_disabled(conn, &scope, id, disabled))
        .await?;
    let done = if disabled { "disabled" } else { "enabled" };
    Ok(Redirect::to(&format!("/admin/users/{id}?done={done}")).into_response())
}

pub async fn disable(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: CsrfForm<Empty>,
) -> AppResult<Response> {
    set_disabled(&state, &posted.user, &id, true).await
}

pub async fn enable(
    State(state): State<AppState>,
    Path(id): Path<String>,
    posted: CsrfForm<Empty>,
) -> AppResult<Response> {
    set_disabled(&state, &posted.user, &id, false).await
}

pub async fn reset(
    State(state): State<AppState>,
    t: Tr,
    Path(id): Path<String>,
    posted: CsrfForm<Empty>,
) -> AppResult<Response> {
    let user = posted.user;
    require_manager(&user, DENIED)?;
    let id = parse_id(&id)?;
    let plain = generate_password();
    let hashed = hash(Password::parse(&plain).map_err(AppError::internal)?).await?;
    let scope = user.scope.clone();
    let row = state
        .store
        .run(move |conn| {
            let changed = users::reset_password(conn, &scope, id, &hashed)?;
            let names = Names::load(conn, &scope, std::slice::from_ref(&changed))?;
            Ok(names.row(&changed))
        })
        .await?;
    password_page(PasswordPage {
        frame: Frame::for_user(&user),
        title_key: "users.reset_title",
        user: row,
        password: plain,
        t,
    })
}
