//! Classes of a school for one school year, with their head teachers.

use diesel::prelude::*;
use serde::Serialize;
use shouhu_domain::{Grade, Role, SchoolYear};

use crate::connection::on_inner;
use crate::schema::{class_head_teachers, classes, schools, users};
use crate::{Conn, Scope, StoreError, StoreResult, audit, clock, schools as school_repo};

#[derive(Clone, Debug, Queryable, Selectable, Serialize, PartialEq, Eq)]
#[diesel(table_name = classes)]
pub struct Class {
    pub id: i64,
    pub school_id: i64,
    pub school_year: i32,
    pub grade: i32,
    pub name: String,
    pub version: i32,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A class with the names of its head teachers, as pages and the API show it.
#[derive(Clone, Debug, Serialize)]
pub struct ClassView {
    #[serde(flatten)]
    pub class: Class,
    pub head_teachers: Vec<HeadTeacher>,
}

#[derive(Clone, Debug, Queryable, Serialize, PartialEq, Eq)]
pub struct HeadTeacher {
    pub user_id: i64,
    pub display_name: String,
}

#[derive(Clone, Debug)]
pub struct ClassInput {
    pub school_id: i64,
    pub school_year: SchoolYear,
    pub grade: Grade,
    pub name: String,
    pub head_teachers: Vec<i64>,
}

fn head_teachers_of(conn: &mut Conn, class_ids: &[i64]) -> StoreResult<Vec<(i64, HeadTeacher)>> {
    Ok(class_head_teachers::table
        .inner_join(users::table)
        .filter(class_head_teachers::class_id.eq_any(class_ids))
        .select((
            class_head_teachers::class_id,
            (users::id, users::display_name),
        ))
        .order(users::display_name)
        .load(conn)?)
}

fn with_teachers(conn: &mut Conn, list: Vec<Class>) -> StoreResult<Vec<ClassView>> {
    let ids: Vec<i64> = list.iter().map(|c| c.id).collect();
    let mut teachers = head_teachers_of(conn, &ids)?;
    Ok(list
        .into_iter()
        .map(|class| {
            let head_teachers = teachers
                .iter_mut()
                .filter(|(cid, _)| *cid == class.id)
                .map(|(_, t)| t.clone())
                .collect();
            ClassView {
                class,
                head_teachers,
            }
        })
        .collect())
}

/// Classes of one school the caller may open, newest school year first.
pub fn list(conn: &mut Conn, scope: &Scope, school_id: i64) -> StoreResult<Vec<ClassView>> {
    school_repo::get(conn, scope, school_id)?;
    let mut query = classes::table
        .filter(classes::school_id.eq(school_id))
        .select(Class::as_select())
        .into_boxed();
    if let Some(allowed) = &scope.classes {
        query = query.filter(classes::id.eq_any(allowed.clone()));
    }
    let list = query
        .order((classes::school_year.desc(), classes::grade, classes::name))
        .load(conn)?;
    with_teachers(conn, list)
}

pub fn get(conn: &mut Conn, scope: &Scope, id: i64) -> StoreResult<ClassView> {
    let class: Class = classes::table
        .find(id)
        .select(Class::as_select())
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)?;
    if !scope.covers_class(id) {
        return Err(StoreError::NotFound);
    }
    school_repo::get(conn, scope, class.school_id)?;
    let mut views = with_teachers(conn, vec![class])?;
    views.pop().ok_or(StoreError::NotFound)
}

/// Head teachers must be staff of the same school.
fn check_teachers(conn: &mut Conn, input: &ClassInput) -> StoreResult<()> {
    let staff: i64 = users::table
        .filter(users::id.eq_any(&input.head_teachers))
        .filter(users::school_id.eq(input.school_id))
        .filter(users::role.eq_any([
            Role::HeadTeacher.code(),
            Role::Teacher.code(),
            Role::Principal.code(),
        ]))
        .count()
        .get_result(conn)?;
    if staff as usize != input.head_teachers.len() {
        return Err(StoreError::invalid(
            "head_teachers",
            "class.head_teacher_not_staff",
        ));
    }
    Ok(())
}

fn set_teachers(conn: &mut Conn, class_id: i64, teachers: &[i64]) -> StoreResult<()> {
    diesel::delete(class_head_teachers::table.filter(class_head_teachers::class_id.eq(class_id)))
        .execute(conn)?;
    let rows: Vec<_> = teachers
        .iter()
        .map(|u| {
            (
                class_head_teachers::class_id.eq(class_id),
                class_head_teachers::user_id.eq(*u),
            )
        })
        .collect();
    let insert = diesel::insert_into(class_head_teachers::table).values(rows);
    on_inner!(conn, |c| insert.execute(c))?;
    Ok(())
}

fn check_grade(conn: &mut Conn, scope: &Scope, input: &ClassInput) -> StoreResult<()> {
    let school = school_repo::get(conn, scope, input.school_id)?;
    let kind = shouhu_domain::SchoolKind::parse(&school.kind)
        .map_err(|_| StoreError::Seed(school.kind.clone()))?;
    if !kind.teaches(input.grade) {
        return Err(StoreError::invalid("grade", "class.grade_not_taught"));
    }
    Ok(())
}

pub fn create(conn: &mut Conn, scope: &Scope, input: &ClassInput) -> StoreResult<ClassView> {
    scope.require(scope.role.manages_classes(), "class.create")?;
    if scope.classes.is_some() {
        return Err(StoreError::Forbidden("class.create"));
    }
    conn.transaction(|conn| {
        check_grade(conn, scope, input)?;
        check_teachers(conn, input)?;
        let now = clock::now_ms();
        let insert = diesel::insert_into(classes::table)
            .values((
                classes::school_id.eq(input.school_id),
                classes::school_year.eq(input.school_year.start_year()),
                classes::grade.eq(i32::from(input.grade.number())),
                classes::name.eq(&input.name),
                classes::created_at.eq(now),
                classes::updated_at.eq(now),
            ))
            .returning(classes::all_columns);
        let inserted = on_inner!(conn, |c| insert.get_result::<Class>(c));
        let class = crate::unique_violation(inserted, "name")?;
        set_teachers(conn, class.id, &input.head_teachers)?;
        let region = school_region(conn, input.school_id)?;
        audit::record(
            conn,
            scope,
            "class.create",
            &class.id.to_string(),
            &class.name,
            Some(&region),
        )?;
        get(conn, scope, class.id)
    })
}

pub fn update(
    conn: &mut Conn,
    scope: &Scope,
    id: i64,
    version: i32,
    input: &ClassInput,
) -> StoreResult<ClassView> {
    scope.require(scope.role.edits_class(), "class.edit")?;
    conn.transaction(|conn| {
        let current = get(conn, scope, id)?;
        if current.class.school_id != input.school_id {
            return Err(StoreError::invalid("school_id", "class.school_fixed"));
        }
        if current.class.version != version {
            return Err(StoreError::Conflict {
                expected: version,
                current: current.class.version,
            });
        }
        check_grade(conn, scope, input)?;
        check_teachers(conn, input)?;
        let updated = diesel::update(classes::table.find(id).filter(classes::version.eq(version)))
            .set((
                classes::school_year.eq(input.school_year.start_year()),
                classes::grade.eq(i32::from(input.grade.number())),
                classes::name.eq(&input.name),
                classes::version.eq(version + 1),
                classes::updated_at.eq(clock::now_ms()),
            ))
            .execute(conn);
        crate::unique_violation(updated, "name")?;
        set_teachers(conn, id, &input.head_teachers)?;
        let region = school_region(conn, input.school_id)?;
        audit::record(
            conn,
            scope,
            "class.update",
            &id.to_string(),
            &input.name,
            Some(&region),
        )?;
        get(conn, scope, id)
    })
}

pub fn delete(conn: &mut Conn, scope: &Scope, id: i64) -> StoreResult<()> {
    scope.require(scope.role.manages_classes(), "class.delete")?;
    if scope.classes.is_some() {
        return Err(StoreError::Forbidden("class.delete"));
    }
    conn.transaction(|conn| {
        let current = get(conn, scope, id)?;
        diesel::delete(class_head_teachers::table.filter(class_head_teachers::class_id.eq(id)))
            .execute(conn)?;
        diesel::delete(classes::table.find(id)).execute(conn)?;
        let region = school_region(conn, current.class.school_id)?;
        audit::record(
            conn,
            scope,
            "class.delete",
            &id.to_string(),
            &current.class.name,
            Some(&region),
        )?;
        Ok(())
    })
}

/// Ids of the classes a user heads, for building their scope.
pub fn headed_by(conn: &mut Conn, user_id: i64) -> StoreResult<Vec<i64>> {
    Ok(class_head_teachers::table
        .filter(class_head_teachers::user_id.eq(user_id))
        .select(class_head_teachers::class_id)
        .load(conn)?)
}

fn school_region(conn: &mut Conn, school_id: i64) -> StoreResult<shouhu_domain::RegionCode> {
    let code: String = schools::table
        .find(school_id)
        .select(schools::region_code)
        .first(conn)?;
    shouhu_domain::RegionCode::parse(&code).map_err(|_| StoreError::Seed(code))
}
