//! Pairings (结对帮扶): who looks after each child and from when to when, bulk pairing of a
//! class's left-behind children with one teacher, and coverage — left-behind children with an
//! active teacher pairing over all left-behind children — for any school or region.
//!
//! A pairing also opens the child to its partner: a paired teacher or volunteer reaches the
//! child's care records through [`child_in_reach`] while the pairing runs.

use chrono::NaiveDate;
use diesel::dsl::exists;
use diesel::prelude::*;
use serde::Serialize;
use shouhu_domain::{
    PairingError, PairingKind, PairingSpan, Partner, PersonName, RegionCode, Role, today_shanghai,
};

use crate::connection::on_inner;
use crate::duties::{self, Subject};
use crate::schema::{children, pairings, users};
use crate::{Conn, Scope, StoreError, StoreResult, audit, clock};

/// Schooling codes of children still on a school's roll (`SchoolingStatus::on_roll`).
const ON_ROLL: [&str; 3] = ["in_school", "suspended", "home_taught"];
/// The evidence kind the pairing duty listens for.
const EVIDENCE: &str = "pairing";

/// A child as far as care work needs it, once in the caller's reach.
#[derive(Clone, Debug, Serialize)]
pub struct ChildHead {
    pub id: i64,
    pub name: String,
    pub school_id: i64,
    pub class_id: Option<i64>,
    pub school_region: String,
    /// Reached only through the caller's own pairing, not through their scope.
    pub by_pairing: bool,
}

#[derive(Queryable)]
struct ChildRow {
    id: i64,
    name: String,
    school_id: i64,
    class_id: Option<i64>,
    school_region: String,
    residence_region: String,
}

fn child_row(conn: &mut Conn, id: i64) -> StoreResult<ChildRow> {
    children::table
        .find(id)
        .select((
            children::id,
            children::name,
            children::school_id,
            children::class_id,
            children::school_region,
            children::residence_region,
        ))
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)
}

fn head(row: ChildRow, by_pairing: bool) -> ChildHead {
    ChildHead {
        id: row.id,
        name: row.name,
        school_id: row.school_id,
        class_id: row.class_id,
        school_region: row.school_region,
        by_pairing,
    }
}

fn in_scope(scope: &Scope, row: &ChildRow) -> bool {
    crate::children::visible(
        scope,
        row.school_id,
        row.class_id,
        [&row.school_region, &row.residence_region],
    )
}

/// Whether the caller's account has a pairing with the child running today.
fn paired_with(conn: &mut Conn, scope: &Scope, child_id: i64) -> StoreResult<bool> {
    let Some(user_id) = scope.actor.id() else {
        return Ok(false);
    };
    let today = today_shanghai().to_string();
    let n: i64 = pairings::table
        .filter(pairings::child_id.eq(child_id))
        .filter(pairings::user_id.eq(user_id))
        .filter(pairings::from_date.le(today.clone()))
        .filter(pairings::to_date.is_null().or(pairings::to_date.ge(today)))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The child if the caller may work with them: in their scope (as for the child's file), or
/// paired with them today. Not audited: nothing of the file is opened.
pub fn child_in_reach(conn: &mut Conn, scope: &Scope, child_id: i64) -> StoreResult<ChildHead> {
    let row = child_row(conn, child_id)?;
    if in_scope(scope, &row) {
        return Ok(head(row, false));
    }
    if paired_with(conn, scope, child_id)? {
        return Ok(head(row, true));
    }
    Err(StoreError::NotFound)
}

/// The child if in the caller's scope proper (pairings are managed by those over the child).
fn child_in_scope(conn: &mut Conn, scope: &Scope, child_id: i64) -> StoreResult<ChildRow> {
    let row = child_row(conn, child_id)?;
    if in_scope(scope, &row) {
        Ok(row)
    } else {
        Err(StoreError::NotFound)
    }
}

/// Which roles pair children, by kind: school leaders and head teachers any kind; 民政 and
/// child directors the village side (volunteers, child directors, party members).
pub fn may_pair(role: Role, kind: PairingKind) -> bool {
    match role {
        Role::SystemAdmin | Role::Bureau | Role::Principal | Role::HeadTeacher => true,
        Role::CivilAffairs | Role::ChildDirector => matches!(
            kind,
            PairingKind::Volunteer | PairingKind::ChildDirector | PairingKind::PartyMember
        ),
        Role::Teacher | Role::Volunteer => false,
    }
}

/// A pairing as pages and the API show it.
#[derive(Clone, Debug, Serialize)]
pub struct Pairing {
    pub id: i64,
    pub child_id: i64,
    pub child_name: String,
    pub kind: PairingKind,
    pub user_id: Option<i64>,
    pub buddy_child_id: Option<i64>,
    pub partner_name: String,
    pub from_date: NaiveDate,
    /// The last day of the pairing, once ended.
    pub to_date: Option<NaiveDate>,
    pub note: String,
    /// Running today (Asia/Shanghai).
    pub active: bool,
    pub created_by: String,
    pub created_at: i64,
    pub ended_by: Option<String>,
}

type Row = (
    i64,
    i64,
    String,
    Option<i64>,
    Option<i64>,
    String,
    String,
    Option<String>,
    String,
    String,
    i64,
    Option<String>,
    String,
);

type Columns = (
    pairings::id,
    pairings::child_id,
    pairings::kind,
    pairings::user_id,
    pairings::buddy_child_id,
    pairings::partner_name,
    pairings::from_date,
    pairings::to_date,
    pairings::note,
    pairings::created_by,
    pairings::created_at,
    pairings::ended_by,
    children::name,
);

const COLUMNS: Columns = (
    pairings::id,
    pairings::child_id,
    pairings::kind,
    pairings::user_id,
    pairings::buddy_child_id,
    pairings::partner_name,
    pairings::from_date,
    pairings::to_date,
    pairings::note,
    pairings::created_by,
    pairings::created_at,
    pairings::ended_by,
    children::name,
);

fn date(s: &str) -> StoreResult<NaiveDate> {
    s.parse()
        .map_err(|_| StoreError::Internal(format!("stored date {s:?}")))
}

fn view(r: Row) -> StoreResult<Pairing> {
    let kind = PairingKind::parse(&r.2).map_err(|_| StoreError::Internal("pairing kind".into()))?;
    let from_date = date(&r.6)?;
    let to_date = r.7.as_deref().map(date).transpose()?;
    let active = PairingSpan {
        from: from_date,
        to: to_date,
    }
    .active_on(today_shanghai());
    Ok(Pairing {
        id: r.0,
        child_id: r.1,
        kind,
        user_id: r.3,
        buddy_child_id: r.4,
        partner_name: r.5,
        from_date,
        to_date,
        note: r.8,
        active,
        created_by: r.9,
        created_at: r.10,
        ended_by: r.11,
        child_name: r.12,
    })
}

fn load(conn: &mut Conn, id: i64) -> StoreResult<Pairing> {
    let row: Row = pairings::table
        .inner_join(children::table.on(children::id.eq(pairings::child_id)))
        .filter(pairings::id.eq(id))
        .select(COLUMNS)
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)?;
    view(row)
}

/// What a new pairing says.
#[derive(Clone, Debug)]
pub struct PairingInput {
    pub kind: PairingKind,
    pub partner: Partner,
    pub from: NaiveDate,
    /// A short note (每周二辅导数学); at most 200 characters.
    pub note: String,
}

fn domain(e: PairingError, field: &'static str) -> StoreError {
    StoreError::invalid(field, e.code())
}

/// The partner's stored name, checked against the kind and the child.
fn partner_name(
    conn: &mut Conn,
    scope: &Scope,
    child: &ChildRow,
    kind: PairingKind,
    partner: &Partner,
) -> StoreResult<String> {
    kind.check_partner(partner)
        .map_err(|e| domain(e, "partner"))?;
    match partner {
        Partner::User(id) => {
            let found: Option<(String, String, String, Option<i64>, bool)> = users::table
                .find(id)
                .select((
                    users::display_name,
                    users::role,
                    users::region_code,
                    users::school_id,
                    users::disabled,
                ))
                .first(conn)
                .optional()?;
            let unknown = || StoreError::invalid("partner", "pairing.partner_unknown");
            let (name, role, region, school, disabled) = found.ok_or_else(unknown)?;
            let role = Role::parse(&role).map_err(|_| unknown())?;
            let near = RegionCode::parse(&region).is_ok_and(|r| {
                [&child.school_region, &child.residence_region]
                    .iter()
                    .any(|c| RegionCode::parse(c).is_ok_and(|c| r.contains(&c)))
            });
            let fits = match kind {
                PairingKind::Teacher => role.works_in_school() && school == Some(child.school_id),
                PairingKind::Volunteer => role == Role::Volunteer && near,
                PairingKind::ChildDirector => role == Role::ChildDirector && near,
                PairingKind::PartyMember | PairingKind::Buddy => {
                    near || school == Some(child.school_id)
                }
            };
            if disabled || !fits {
                return Err(if kind == PairingKind::Teacher {
                    domain(PairingError::TeacherAccount, "partner")
                } else {
                    unknown()
                });
            }
            Ok(name)
        }
        Partner::Pupil(id) => {
            let buddy = child_in_scope(conn, scope, *id)
                .ok()
                .filter(|b| b.id != child.id && b.school_id == child.school_id)
                .ok_or_else(|| domain(PairingError::BuddyPupil, "partner"))?;
            Ok(buddy.name)
        }
        Partner::Named(name) => PersonName::parse(name)
            .map(|n| n.to_string())
            .map_err(|_| domain(PairingError::Partner, "partner")),
    }
}

fn clean_note(note: &str) -> StoreResult<String> {
    let note = note.trim();
    if note.chars().count() > 200 {
        return Err(StoreError::invalid("note", "pairing.note_too_long"));
    }
    if note.chars().any(char::is_control) {
        return Err(StoreError::invalid("note", "pairing.note_character"));
    }
    Ok(note.to_owned())
}

fn audit_pairing(
    conn: &mut Conn,
    scope: &Scope,
    kind: &str,
    target: &str,
    detail: &str,
    school_region: &str,
) -> StoreResult<()> {
    let region = RegionCode::parse(school_region).ok();
    audit::record(conn, scope, kind, target, detail, region.as_ref())
}

/// The same partner paired with the child, of the same kind, running on `on`.
fn running_same(
    conn: &mut Conn,
    child_id: i64,
    kind: PairingKind,
    partner: &Partner,
    on: NaiveDate,
) -> StoreResult<Option<i64>> {
    let on = on.to_string();
    let mut q = pairings::table
        .filter(pairings::child_id.eq(child_id))
        .filter(pairings::kind.eq(kind.code()))
        .filter(pairings::from_date.le(on.clone()))
        .filter(pairings::to_date.is_null().or(pairings::to_date.ge(on)))
        .select(pairings::id)
        .into_boxed();
    q = match partner {
        Partner::User(id) => q.filter(pairings::user_id.eq(*id)),
        Partner::Pupil(id) => q.filter(pairings::buddy_child_id.eq(*id)),
        Partner::Named(name) => q
            .filter(pairings::user_id.is_null())
            .filter(pairings::buddy_child_id.is_null())
            .filter(pairings::partner_name.eq(name.trim().to_owned())),
    };
    Ok(q.first(conn).optional()?)
}

fn insert(
    conn: &mut Conn,
    scope: &Scope,
    child: &ChildRow,
    input: &PairingInput,
    name: &str,
    note: &str,
) -> StoreResult<i64> {
    let (user_id, buddy) = match input.partner {
        Partner::User(id) => (Some(id), None),
        Partner::Pupil(id) => (None, Some(id)),
        Partner::Named(_) => (None, None),
    };
    let insert = diesel::insert_into(pairings::table)
        .values((
            pairings::child_id.eq(child.id),
            pairings::kind.eq(input.kind.code()),
            pairings::user_id.eq(user_id),
            pairings::buddy_child_id.eq(buddy),
            pairings::partner_name.eq(name),
            pairings::from_date.eq(input.from.to_string()),
            pairings::note.eq(note),
            pairings::created_by.eq(scope.actor.name()),
            pairings::created_at.eq(clock::now_ms()),
        ))
        .returning(pairings::id);
    let id: i64 = on_inner!(conn, |c| insert.get_result(c))?;
    if input.kind == PairingKind::Teacher {
        duties::evidence_changed(conn, Subject::Child(child.id), EVIDENCE, input.from)?;
    }
    Ok(id)
}

/// Pairs one child. The same partner already paired with the child (same kind, running on the
/// start day) is returned as it is, so a form sent twice pairs once.
pub fn create(
    conn: &mut Conn,
    scope: &Scope,
    child_id: i64,
    input: &PairingInput,
) -> StoreResult<Pairing> {
    conn.transaction(|conn| {
        let child = child_in_scope(conn, scope, child_id)?;
        scope.require(may_pair(scope.role, input.kind), "pairing.create")?;
        let note = clean_note(&input.note)?;
        let name = partner_name(conn, scope, &child, input.kind, &input.partner)?;
        if let Some(id) = running_same(conn, child.id, input.kind, &input.partner, input.from)? {
            return load(conn, id);
        }
        let id = insert(conn, scope, &child, input, &name, &note)?;
        let detail = format!("child:{} {}", child.id, input.kind.code());
        audit_pairing(
            conn,
            scope,
            "pairing.create",
            &id.to_string(),
            &detail,
            &child.school_region,
        )?;
        load(conn, id)
    })
}

/// One pairing, if its child is in reach (a partner sees their own).
pub fn get(conn: &mut Conn, scope: &Scope, id: i64) -> StoreResult<Pairing> {
    let pairing = load(conn, id)?;
    let own = scope.actor.id().is_some() && pairing.user_id == scope.actor.id();
    if !own {
        child_in_scope(conn, scope, pairing.child_id)?;
    }
    Ok(pairing)
}

/// Ends a pairing: `to` is its last day, not before its first. Ending one already ended is
/// refused.
pub fn end(conn: &mut Conn, scope: &Scope, id: i64, to: NaiveDate) -> StoreResult<Pairing> {
    conn.transaction(|conn| {
        let pairing = load(conn, id)?;
        let child = child_in_scope(conn, scope, pairing.child_id)?;
        scope.require(may_pair(scope.role, pairing.kind), "pairing.end")?;
        if pairing.to_date.is_some() {
            return Err(StoreError::invalid("to_date", "pairing.already_ended"));
        }
        PairingSpan::new(pairing.from_date, Some(to)).map_err(|e| domain(e, "to_date"))?;
        diesel::update(pairings::table.find(id).filter(pairings::to_date.is_null()))
            .set((
                pairings::to_date.eq(Some(to.to_string())),
                pairings::ended_by.eq(Some(scope.actor.name())),
            ))
            .execute(conn)?;
        if pairing.kind == PairingKind::Teacher {
            duties::evidence_changed(conn, Subject::Child(child.id), EVIDENCE, to)?;
        }
        audit_pairing(
            conn,
            scope,
            "pairing.end",
            &id.to_string(),
            &to.to_string(),
            &child.school_region,
        )?;
        load(conn, id)
    })
}

/// Every pairing of a child, newest first.
pub fn history(conn: &mut Conn, scope: &Scope, child_id: i64) -> StoreResult<Vec<Pairing>> {
    child_in_reach(conn, scope, child_id)?;
    let rows: Vec<Row> = pairings::table
        .inner_join(children::table.on(children::id.eq(pairings::child_id)))
        .filter(pairings::child_id.eq(child_id))
        .order((pairings::from_date.desc(), pairings::id.desc()))
        .select(COLUMNS)
        .load(conn)?;
    rows.into_iter().map(view).collect()
}

/// A user's pairings running today: the caller's own, or, for others, those whose child the
/// caller's scope reaches.
pub fn active_of_user(conn: &mut Conn, scope: &Scope, user_id: i64) -> StoreResult<Vec<Pairing>> {
    let today = today_shanghai().to_string();
    let rows: Vec<Row> = pairings::table
        .inner_join(children::table.on(children::id.eq(pairings::child_id)))
        .filter(pairings::user_id.eq(user_id))
        .filter(pairings::from_date.le(today.clone()))
        .filter(pairings::to_date.is_null().or(pairings::to_date.ge(today)))
        .order((children::name_pinyin, pairings::id))
        .select(COLUMNS)
        .load(conn)?;
    let own = scope.actor.id() == Some(user_id);
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let p = view(row)?;
        if own || child_in_scope(conn, scope, p.child_id).is_ok() {
            out.push(p);
        }
    }
    Ok(out)
}

/// Staff of a school who may be a child's teacher partner: (user id, name), by name.
pub fn teachers(conn: &mut Conn, scope: &Scope, school_id: i64) -> StoreResult<Vec<(i64, String)>> {
    crate::schools::get(conn, scope, school_id)?;
    let roles = [Role::Principal, Role::HeadTeacher, Role::Teacher].map(Role::code);
    Ok(users::table
        .filter(users::school_id.eq(school_id))
        .filter(users::role.eq_any(roles))
        .filter(users::disabled.eq(false))
        .order(users::display_name)
        .select((users::id, users::display_name))
        .load(conn)?)
}

/// Bulk pairing of a class, before it is done: who would be paired, who already has a teacher.
#[derive(Clone, Debug, Serialize)]
pub struct ClassPlan {
    pub class_id: i64,
    pub teacher_id: i64,
    pub teacher_name: String,
    pub from: NaiveDate,
    /// (child id, name) of the left-behind children without a teacher pairing.
    pub to_pair: Vec<(i64, String)>,
    /// (child id, name) of those who already have one, left as they are.
    pub already_paired: Vec<(i64, String)>,
}

fn class_plan(
    conn: &mut Conn,
    scope: &Scope,
    class_id: i64,
    teacher_id: i64,
    from: NaiveDate,
) -> StoreResult<(ClassPlan, Vec<ChildRow>)> {
    let class = crate::classes::get(conn, scope, class_id)?;
    scope.require(may_pair(scope.role, PairingKind::Teacher), "pairing.create")?;
    let rows: Vec<ChildRow> = children::table
        .filter(children::class_id.eq(class_id))
        .filter(children::schooling.eq_any(ON_ROLL))
        .filter(children::lb_mca.eq(true).or(children::lb_xueji.gt(0)))
        .order((children::name_pinyin, children::id))
        .select((
            children::id,
            children::name,
            children::school_id,
            children::class_id,
            children::school_region,
            children::residence_region,
        ))
        .load(conn)?;
    let on = from.to_string();
    let paired: Vec<i64> = pairings::table
        .inner_join(children::table.on(children::id.eq(pairings::child_id)))
        .filter(children::class_id.eq(class_id))
        .filter(pairings::kind.eq(PairingKind::Teacher.code()))
        .filter(pairings::from_date.le(on.clone()))
        .filter(pairings::to_date.is_null().or(pairings::to_date.ge(on)))
        .select(pairings::child_id)
        .load(conn)?;
    let rows: Vec<ChildRow> = rows.into_iter().filter(|r| in_scope(scope, r)).collect();
    let teacher_name = match rows.first() {
        Some(first) => partner_name(
            conn,
            scope,
            first,
            PairingKind::Teacher,
            &Partner::User(teacher_id),
        )?,
        None => {
            let name: Option<(String, Option<i64>)> = users::table
                .find(teacher_id)
                .select((users::display_name, users::school_id))
                .first(conn)
                .optional()?;
            match name {
                Some((name, Some(school))) if school == class.class.school_id => name,
                _ => return Err(domain(PairingError::TeacherAccount, "partner")),
            }
        }
    };
    let (with, without): (Vec<ChildRow>, Vec<ChildRow>) =
        rows.into_iter().partition(|r| paired.contains(&r.id));
    let plan = ClassPlan {
        class_id,
        teacher_id,
        teacher_name,
        from,
        to_pair: without.iter().map(|r| (r.id, r.name.clone())).collect(),
        already_paired: with.into_iter().map(|r| (r.id, r.name)).collect(),
    };
    Ok((plan, without))
}

/// Who [`pair_class`] would pair: the class's left-behind children on roll (民政 or 学籍
/// caliber) without a teacher pairing running on `from`.
pub fn plan_class(
    conn: &mut Conn,
    scope: &Scope,
    class_id: i64,
    teacher_id: i64,
    from: NaiveDate,
) -> StoreResult<ClassPlan> {
    class_plan(conn, scope, class_id, teacher_id, from).map(|(plan, _)| plan)
}

/// Pairs every child of [`plan_class`] with the teacher, in one transaction; running it again
/// pairs nobody twice.
pub fn pair_class(
    conn: &mut Conn,
    scope: &Scope,
    class_id: i64,
    teacher_id: i64,
    from: NaiveDate,
    note: &str,
) -> StoreResult<Vec<Pairing>> {
    conn.transaction(|conn| {
        let note = clean_note(note)?;
        let (plan, rows) = class_plan(conn, scope, class_id, teacher_id, from)?;
        let input = PairingInput {
            kind: PairingKind::Teacher,
            partner: Partner::User(teacher_id),
            from,
            note: note.clone(),
        };
        let mut ids = Vec::with_capacity(rows.len());
        for child in &rows {
            ids.push(insert(
                conn,
                scope,
                child,
                &input,
                &plan.teacher_name,
                &note,
            )?);
        }
        if let Some(first) = rows.first() {
            audit_pairing(
                conn,
                scope,
                "pairing.bulk",
                &format!("class:{class_id}"),
                &format!("{} children, teacher user {teacher_id}", ids.len()),
                &first.school_region,
            )?;
        }
        ids.into_iter().map(|id| load(conn, id)).collect()
    })
}

/// Where coverage is counted.
#[derive(Clone, Debug)]
pub enum Area {
    Region(RegionCode),
    School(i64),
}

/// Which left-behind children coverage counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CoverageCaliber {
    /// 民政 caliber (the dashboards' default).
    #[default]
    Mca,
    /// 学籍 caliber: one or both parents away.
    Xueji,
}

/// Left-behind children with a teacher pairing running on `on`, out of all left-behind
/// children on roll.
#[derive(Clone, Debug, Serialize)]
pub struct Coverage {
    pub paired: i64,
    pub left_behind: i64,
    pub on: NaiveDate,
    pub caliber: CoverageCaliber,
}

impl Coverage {
    /// Percent with one decimal, `None` when there is nobody to cover.
    pub fn percent(&self) -> Option<f64> {
        (self.left_behind > 0)
            .then(|| (self.paired as f64 * 1000.0 / self.left_behind as f64).round() / 10.0)
    }
}

/// Coverage for a school or a region, counted over what the caller's scope reaches.
pub fn coverage(
    conn: &mut Conn,
    scope: &Scope,
    area: &Area,
    caliber: CoverageCaliber,
    on: NaiveDate,
) -> StoreResult<Coverage> {
    if matches!(scope.role, Role::Teacher | Role::Volunteer) {
        return Err(StoreError::Forbidden("pairing.coverage"));
    }
    let bounds = match area {
        Area::School(id) => {
            crate::schools::get(conn, scope, *id)?;
            None
        }
        Area::Region(code) => {
            if !scope.covers_region(code) {
                return Err(StoreError::NotFound);
            }
            Some(code.subtree_bounds())
        }
    };
    let day = on.to_string();
    // Built twice, for the two counts, so that both run in the database.
    let left_behind = || {
        let mut query = children::table
            .filter(children::schooling.eq_any(ON_ROLL))
            .into_boxed();
        if let Area::School(id) = area {
            query = query.filter(children::school_id.eq(*id));
        }
        if let Some((lo, hi)) = bounds.clone() {
            query = query.filter(children::school_region.between(lo, hi));
        }
        if let Some(school) = scope.school {
            query = query.filter(children::school_id.eq(school));
        }
        if let Some(classes) = &scope.classes {
            query = query.filter(children::class_id.eq_any(classes.clone()));
        }
        match caliber {
            CoverageCaliber::Mca => query.filter(children::lb_mca.eq(true)),
            CoverageCaliber::Xueji => query.filter(children::lb_xueji.gt(0)),
        }
    };
    let total: i64 = left_behind().count().get_result(conn)?;
    let running = pairings::table
        .filter(pairings::child_id.eq(children::id))
        .filter(pairings::kind.eq(PairingKind::Teacher.code()))
        .filter(pairings::from_date.le(day.clone()))
        .filter(pairings::to_date.is_null().or(pairings::to_date.ge(day)));
    let paired: i64 = left_behind()
        .filter(exists(running))
        .count()
        .get_result(conn)?;
    Ok(Coverage {
        paired,
        left_behind: total,
        on,
        caliber,
    })
}

/// Who may be offered as `kind`'s partner for a child, as (value, name): `user:ID` for
/// accounts that [`create`] would accept, `pupil:ID` for classmates of a study buddy.
pub fn partner_candidates(
    conn: &mut Conn,
    scope: &Scope,
    child_id: i64,
    kind: PairingKind,
) -> StoreResult<Vec<(String, String)>> {
    let child = child_in_scope(conn, scope, child_id)?;
    if kind == PairingKind::Buddy {
        let Some(class_id) = child.class_id else {
            return Ok(Vec::new());
        };
        let mates: Vec<ChildRow> = children::table
            .filter(children::class_id.eq(class_id))
            .filter(children::id.ne(child.id))
            .filter(children::schooling.eq_any(ON_ROLL))
            .order((children::name_pinyin, children::id))
            .select((
                children::id,
                children::name,
                children::school_id,
                children::class_id,
                children::school_region,
                children::residence_region,
            ))
            .load(conn)?;
        return Ok(mates
            .into_iter()
            .filter(|m| in_scope(scope, m))
            .map(|m| (format!("pupil:{}", m.id), m.name))
            .collect());
    }
    let roles: Vec<&str> = match kind {
        PairingKind::Teacher => vec!["principal", "head_teacher", "teacher"],
        PairingKind::Volunteer => vec!["volunteer"],
        PairingKind::ChildDirector => vec!["child_director"],
        _ => Role::ALL.iter().map(|r| r.code()).collect(),
    };
    let ids: Vec<i64> = users::table
        .filter(users::role.eq_any(roles))
        .filter(users::disabled.eq(false))
        .filter(
            users::school_id
                .eq(child.school_id)
                .or(users::school_id.is_null()),
        )
        .order(users::display_name)
        .select(users::id)
        .limit(500)
        .load(conn)?;
    let mut out = Vec::new();
    for id in ids {
        if let Ok(name) = partner_name(conn, scope, &child, kind, &Partner::User(id)) {
            out.push((format!("user:{id}"), name));
        }
    }
    Ok(out)
}
