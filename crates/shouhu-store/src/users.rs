//! User accounts: each has a role and a home node; managers create and change users only inside
//! their own scope and never with a role above what they may grant.

use diesel::prelude::*;
use serde::Serialize;
use shouhu_domain::{RegionCode, Role};

use crate::connection::on_inner;
use crate::schema::{api_tokens, sessions, users};
use crate::{Conn, Scope, StoreError, StoreResult, audit, classes, clock, schools};

#[derive(Clone, Debug, Queryable, Selectable, Serialize, PartialEq, Eq)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: String,
    pub region_code: String,
    pub school_id: Option<i64>,
    pub must_change_password: bool,
    pub disabled: bool,
    pub locale: Option<String>,
    pub version: i32,
    pub created_at: i64,
    pub updated_at: i64,
}

impl User {
    pub fn role(&self) -> StoreResult<Role> {
        Role::parse(&self.role).map_err(|_| StoreError::Seed(self.role.clone()))
    }

    pub fn region(&self) -> StoreResult<RegionCode> {
        RegionCode::parse(&self.region_code).map_err(|_| StoreError::Seed(self.region_code.clone()))
    }
}

/// The fields a manager sets; `region` is replaced by the school's node for school staff.
#[derive(Clone, Debug)]
pub struct UserInput {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub region: RegionCode,
    pub school_id: Option<i64>,
}

/// What a user may see, built fresh on every request so a changed role or class takes effect at once.
pub fn scope_for(conn: &mut Conn, user: &User, address: Option<String>) -> StoreResult<Scope> {
    let role = user.role()?;
    let classes = match role {
        Role::HeadTeacher | Role::Teacher | Role::Volunteer => {
            Some(classes::headed_by(conn, user.id)?)
        }
        _ => None,
    };
    Ok(Scope {
        actor: crate::Actor::User {
            id: user.id,
            username: user.username.clone(),
        },
        role,
        // The deployment operator's account sees the whole tree whatever its recorded home node.
        region: if role == Role::SystemAdmin {
            None
        } else {
            Some(user.region()?)
        },
        school: if role.works_in_school() {
            user.school_id
        } else {
            None
        },
        classes,
        address,
    })
}

/// Looks a user up by name for signing in; this is the one unscoped read, as nobody is known yet.
pub fn find_for_login(conn: &mut Conn, username: &str) -> StoreResult<Option<User>> {
    Ok(users::table
        .filter(users::username.eq(username))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

pub fn get(conn: &mut Conn, scope: &Scope, id: i64) -> StoreResult<User> {
    let user: User = users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)?;
    let visible = scope.actor.id() == Some(id)
        || (scope.role.manages_users()
            && scope.covers_region(&user.region()?)
            && scope.school.is_none_or(|s| user.school_id == Some(s)));
    if visible {
        Ok(user)
    } else {
        Err(StoreError::NotFound)
    }
}

#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub school_id: Option<i64>,
}

pub fn list(conn: &mut Conn, scope: &Scope, filter: &UserFilter) -> StoreResult<Vec<User>> {
    if !scope.role.manages_users() && scope.role != Role::Principal {
        return Err(StoreError::Forbidden("user.manage"));
    }
    let (lo, hi) = scope.region_bounds();
    let mut query = users::table
        .select(User::as_select())
        .filter(users::region_code.between(lo, hi))
        .into_boxed();
    if let Some(school) = scope.school.or(filter.school_id) {
        query = query.filter(users::school_id.eq(school));
    }
    if let Some(role) = filter.role {
        query = query.filter(users::role.eq(role.code()));
    }
    Ok(query
        .order((users::region_code, users::username))
        .load(conn)?)
}

/// Like [`list`], for the user admin page: also matching `text` against the user name or display
/// name, and stopping after `limit` rows so a province-wide scope stays one page.
pub fn search(
    conn: &mut Conn,
    scope: &Scope,
    filter: &UserFilter,
    text: &str,
    limit: i64,
) -> StoreResult<Vec<User>> {
    if !scope.role.manages_users() && scope.role != Role::Principal {
        return Err(StoreError::Forbidden("user.manage"));
    }
    let (lo, hi) = scope.region_bounds();
    let mut query = users::table
        .select(User::as_select())
        .filter(users::region_code.between(lo, hi))
        .into_boxed();
    if let Some(school) = scope.school.or(filter.school_id) {
        query = query.filter(users::school_id.eq(school));
    }
    if let Some(role) = filter.role {
        query = query.filter(users::role.eq(role.code()));
    }
    let text = text.trim();
    if !text.is_empty() {
        let escaped: String = text
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let pattern = format!("%{escaped}%");
        query = query.filter(
            users::username
                .like(pattern.to_lowercase())
                .escape('\\')
                .or(users::display_name.like(pattern).escape('\\')),
        );
    }
    Ok(query
        .order((users::region_code, users::username))
        .limit(limit.max(1))
        .load(conn)?)
}

/// Checks that the caller may give `input`'s role and home node, and fills in a school's node.
fn placed(conn: &mut Conn, scope: &Scope, mut input: UserInput) -> StoreResult<UserInput> {
    if !scope.role.manages_users() || !scope.role.may_grant(input.role) {
        return Err(StoreError::Forbidden("user.grant"));
    }
    if input.role.works_in_school() {
        let school_id = input
            .school_id
            .ok_or(StoreError::invalid("school_id", "user.school_required"))?;
        let school = schools::get(conn, scope, school_id).map_err(|e| match e {
            StoreError::NotFound => StoreError::invalid("school_id", "user.school_unknown"),
            other => other,
        })?;
        input.region = school.region()?;
    } else {
        input.school_id = None;
    }
    if !scope.covers_region(&input.region) {
        return Err(StoreError::Forbidden("user.outside_scope"));
    }
    Ok(input)
}

/// Creates a user who must choose a new password at first sign-in.
pub fn create(
    conn: &mut Conn,
    scope: &Scope,
    input: UserInput,
    password_hash: &str,
) -> StoreResult<User> {
    conn.transaction(|conn| {
        let input = placed(conn, scope, input)?;
        let now = clock::now_ms();
        let insert = diesel::insert_into(users::table)
            .values((
                users::username.eq(&input.username),
                users::display_name.eq(&input.display_name),
                users::password_hash.eq(password_hash),
                users::role.eq(input.role.code()),
                users::region_code.eq(input.region.as_str()),
                users::school_id.eq(input.school_id),
                users::must_change_password.eq(scope.actor.id().is_some()),
                users::created_at.eq(now),
                users::updated_at.eq(now),
            ))
            .returning(users::all_columns);
        let inserted = on_inner!(conn, |c| insert.get_result::<User>(c));
        let user = crate::unique_violation(inserted, "username")?;
        let detail = format!("role={} region={}", input.role.code(), input.region);
        audit::record(
            conn,
            scope,
            "user.create",
            &user.username,
            &detail,
            Some(&input.region),
        )?;
        Ok(user)
    })
}

/// Changes name, role and home node, if nobody changed the user since `version` was read.
pub fn update(
    conn: &mut Conn,
    scope: &Scope,
    id: i64,
    version: i32,
    input: UserInput,
) -> StoreResult<User> {
    conn.transaction(|conn| {
        let current = get(conn, scope, id)?;
        if current.version != version {
            return Err(StoreError::Conflict {
                expected: version,
                current: current.version,
            });
        }
        if scope.actor.id() == Some(id) {
            return Err(StoreError::Forbidden("user.self_edit"));
        }
        let input = placed(conn, scope, input)?;
        let update = diesel::update(users::table.find(id))
            .set((
                users::display_name.eq(&input.display_name),
                users::role.eq(input.role.code()),
                users::region_code.eq(input.region.as_str()),
                users::school_id.eq(input.school_id),
                users::version.eq(version + 1),
                users::updated_at.eq(clock::now_ms()),
            ))
            .returning(users::all_columns);
        let user = on_inner!(conn, |c| update.get_result::<User>(c))?;
        let detail = format!("role={} region={}", input.role.code(), input.region);
        audit::record(
            conn,
            scope,
            "user.update",
            &user.username,
            &detail,
            Some(&input.region),
        )?;
        Ok(user)
    })
}

fn end_sessions(conn: &mut Conn, user_id: i64) -> StoreResult<()> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)?;
    diesel::delete(api_tokens::table.filter(api_tokens::user_id.eq(user_id))).execute(conn)?;
    Ok(())
}

/// Disables or re-enables a user; disabling ends their sessions and tokens at once.
pub fn set_disabled(conn: &mut Conn, scope: &Scope, id: i64, disabled: bool) -> StoreResult<User> {
    conn.transaction(|conn| {
        let user = get(conn, scope, id)?;
        if scope.actor.id() == Some(id) {
            return Err(StoreError::Forbidden("user.self_disable"));
        }
        placed(
            conn,
            scope,
            UserInput {
                username: user.username.clone(),
                display_name: user.display_name.clone(),
                role: user.role()?,
                region: user.region()?,
                school_id: user.school_id,
            },
        )?;
        diesel::update(users::table.find(id))
            .set((
                users::disabled.eq(disabled),
                users::updated_at.eq(clock::now_ms()),
            ))
            .execute(conn)?;
        if disabled {
            end_sessions(conn, id)?;
        }
        let kind = if disabled {
            "user.disable"
        } else {
            "user.enable"
        };
        audit::record(conn, scope, kind, &user.username, "", Some(&user.region()?))?;
        get(conn, scope, id)
    })
}

/// Sets a new password chosen by a manager; the user must change it at next sign-in.
pub fn reset_password(
    conn: &mut Conn,
    scope: &Scope,
    id: i64,
    password_hash: &str,
) -> StoreResult<User> {
    conn.transaction(|conn| {
        let user = get(conn, scope, id)?;
        if !scope.role.manages_users() {
            return Err(StoreError::Forbidden("user.manage"));
        }
        // Setting someone's password is taking over their account: only for roles one may grant.
        if !scope.role.may_grant(user.role()?) {
            return Err(StoreError::Forbidden("user.grant"));
        }
        diesel::update(users::table.find(id))
            .set((
                users::password_hash.eq(password_hash),
                users::must_change_password.eq(scope.actor.id().is_some()),
                users::updated_at.eq(clock::now_ms()),
            ))
            .execute(conn)?;
        end_sessions(conn, id)?;
        audit::record(
            conn,
            scope,
            "user.reset_password",
            &user.username,
            "",
            Some(&user.region()?),
        )?;
        get(conn, scope, id)
    })
}

/// The signed-in user replaces their own password.
pub fn change_own_password(conn: &mut Conn, scope: &Scope, password_hash: &str) -> StoreResult<()> {
    let id = scope.actor.id().ok_or(StoreError::NotFound)?;
    conn.transaction(|conn| {
        diesel::update(users::table.find(id))
            .set((
                users::password_hash.eq(password_hash),
                users::must_change_password.eq(false),
                users::updated_at.eq(clock::now_ms()),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            scope,
            "user.change_password",
            scope.actor.name(),
            "",
            None,
        )?;
        Ok(())
    })
}

pub fn set_locale(conn: &mut Conn, scope: &Scope, locale: &str) -> StoreResult<()> {
    let id = scope.actor.id().ok_or(StoreError::NotFound)?;
    diesel::update(users::table.find(id))
        .set(users::locale.eq(locale))
        .execute(conn)?;
    Ok(())
}

pub fn count(conn: &mut Conn) -> StoreResult<i64> {
    Ok(users::table.count().get_result(conn)?)
}
