//! Help plans (帮扶计划) of key children, one per child and term: sealed with the deployment key,
//! written only for children the caller may see and only for key children, versioned, signed off
//! by the school's principal (or above) and then locked until reopened with a reason. Every
//! write and every reading is audit-logged, and creation, summary and sign-off tell the duty
//! engine the child's `help_plan` evidence changed.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use shouhu_domain::{
    HelpPlan, HelpPlanError, Measure, PlanStatus, RegionCode, Role, StageResult, TermKey,
    may_sign_plan, may_write_plan, parse_reopen_reason, today_shanghai,
};

use crate::children::{self, ChildFilter, ChildSummary};
use crate::connection::on_inner;
use crate::crypto::DeploymentKey;
use crate::duties::{self, Subject};
use crate::schema::help_plans;
use crate::{Conn, Scope, StoreError, StoreResult, audit, clock};

/// Submit keys remembered per plan: enough for the retries of one sitting.
const KEYS_KEPT: usize = 20;
/// The evidence kind duty rules name.
const EVIDENCE: &str = "help_plan";

/// A signed plan reopened: when, by whom, why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reopening {
    pub at: i64,
    pub by: String,
    pub reason: String,
}

/// What is sealed: the plan, the submit keys already saved, and the reopenings.
#[derive(Serialize, Deserialize)]
struct Sealed {
    plan: HelpPlan,
    #[serde(default)]
    submit_keys: Vec<String>,
    #[serde(default)]
    reopenings: Vec<Reopening>,
}

/// A plan's head, as lists show it; nothing sealed is opened for it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PlanSummary {
    pub id: i64,
    pub child_id: i64,
    pub school_id: i64,
    pub term_key: String,
    pub status: String,
    pub author_name: String,
    pub signed_by: Option<String>,
    pub signed_at: Option<i64>,
    pub version: i32,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A plan opened.
#[derive(Clone, Debug, Serialize)]
pub struct PlanRecord {
    #[serde(flatten)]
    pub summary: PlanSummary,
    pub child_name: String,
    pub class_name: Option<String>,
    pub school_name: String,
    pub plan: HelpPlan,
    pub reopenings: Vec<Reopening>,
}

/// A change to a plan; any of the three, at once.
#[derive(Clone, Debug, Default)]
pub struct PlanChange {
    /// New goals and measures.
    pub content: Option<(String, Vec<Measure>)>,
    /// A stage result to add (its author is set by the store).
    pub stage: Option<StageResult>,
    /// The end-of-term summary; writing it makes a draft `summarised`.
    pub summary: Option<String>,
}

/// A key child of a school and their plan for the term, if any.
#[derive(Clone, Debug, Serialize)]
pub struct KeyChildPlan {
    pub child: ChildSummary,
    pub plan: Option<PlanSummary>,
}

#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = help_plans)]
struct Row {
    id: i64,
    child_id: i64,
    school_id: i64,
    school_region: String,
    term_key: String,
    status: String,
    body_sealed: Vec<u8>,
    author_name: String,
    signed_by: Option<String>,
    signed_at: Option<i64>,
    version: i32,
    created_at: i64,
    updated_at: i64,
}

impl Row {
    fn summary(&self) -> PlanSummary {
        PlanSummary {
            id: self.id,
            child_id: self.child_id,
            school_id: self.school_id,
            term_key: self.term_key.clone(),
            status: self.status.clone(),
            author_name: self.author_name.clone(),
            signed_by: self.signed_by.clone(),
            signed_at: self.signed_at,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    fn status(&self) -> StoreResult<PlanStatus> {
        PlanStatus::parse(&self.status).map_err(|_| StoreError::Seed(self.status.clone()))
    }
}

fn refused(e: HelpPlanError) -> StoreError {
    StoreError::invalid(e.field(), e.code())
}

/// The child, if the caller may see them and may read plans at all (volunteers may not).
fn child_in_reach(conn: &mut Conn, scope: &Scope, child_id: i64) -> StoreResult<ChildSummary> {
    if scope.role == Role::Volunteer {
        return Err(StoreError::NotFound);
    }
    children::summary_of(conn, scope, child_id)
}

/// The plan, if its child is in the caller's reach.
fn load(conn: &mut Conn, scope: &Scope, id: i64) -> StoreResult<(Row, ChildSummary)> {
    let row: Row = help_plans::table
        .find(id)
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)?;
    let child = child_in_reach(conn, scope, row.child_id)?;
    Ok((row, child))
}

fn unseal(key: &DeploymentKey, row: &Row) -> StoreResult<Sealed> {
    serde_json::from_str(&key.decrypt(&row.body_sealed)?)
        .map_err(|e| StoreError::Internal(format!("stored plan: {e}")))
}

fn seal(key: &DeploymentKey, sealed: &Sealed) -> StoreResult<Vec<u8>> {
    let json = serde_json::to_string(sealed).map_err(|e| StoreError::Internal(e.to_string()))?;
    key.encrypt(&json)
}

fn record(
    conn: &mut Conn,
    key: &DeploymentKey,
    row: &Row,
    child: ChildSummary,
) -> StoreResult<PlanRecord> {
    let sealed = unseal(key, row)?;
    let school_name = crate::schools::public_name(conn, row.school_id)?;
    Ok(PlanRecord {
        summary: row.summary(),
        child_name: child.name,
        class_name: child.class_name,
        school_name,
        plan: sealed.plan,
        reopenings: sealed.reopenings,
    })
}

fn audit_plan(
    conn: &mut Conn,
    scope: &Scope,
    kind: &str,
    row: &Row,
    detail: &str,
) -> StoreResult<()> {
    let region = RegionCode::parse(&row.school_region).ok();
    let detail = if detail.is_empty() {
        format!("{} {}", row.term_key, row.status)
    } else {
        format!("{} {}: {detail}", row.term_key, row.status)
    };
    audit::record(
        conn,
        scope,
        kind,
        &row.id.to_string(),
        &detail,
        region.as_ref(),
    )
}

fn remember(keys: &mut Vec<String>, submit_key: Option<&str>) {
    if let Some(sk) = submit_key {
        keys.push(sk.to_owned());
        let over = keys.len().saturating_sub(KEYS_KEPT);
        keys.drain(..over);
    }
}

fn reload(conn: &mut Conn, scope: &Scope, key: &DeploymentKey, id: i64) -> StoreResult<PlanRecord> {
    let (row, child) = load(conn, scope, id)?;
    record(conn, key, &row, child)
}

/// A child's plans, newest term first, with the child's list row; no plan is opened.
pub fn list_for_child(
    conn: &mut Conn,
    scope: &Scope,
    child_id: i64,
) -> StoreResult<(ChildSummary, Vec<PlanSummary>)> {
    let child = child_in_reach(conn, scope, child_id)?;
    let rows: Vec<Row> = help_plans::table
        .filter(help_plans::child_id.eq(child_id))
        .select(Row::as_select())
        .order(help_plans::term_key.desc())
        .load(conn)?;
    Ok((child, rows.iter().map(Row::summary).collect()))
}

/// Opens a plan; every opening is audit-logged.
pub fn get(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    id: i64,
) -> StoreResult<PlanRecord> {
    let (row, child) = load(conn, scope, id)?;
    audit_plan(conn, scope, "help_plan.view", &row, "")?;
    record(conn, key, &row, child)
}

/// Writes a key child's plan for `term`. A second plan for the same term is a duplicate,
/// unless it is the same request again (`submit_key`), which answers the first.
pub fn create(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    child_id: i64,
    term: TermKey,
    plan: &HelpPlan,
    submit_key: Option<&str>,
) -> StoreResult<PlanRecord> {
    conn.transaction(|conn| {
        let child = child_in_reach(conn, scope, child_id)?;
        scope.require(may_write_plan(scope.role), "help_plan.edit")?;
        let term_key = term.to_string();
        let existing: Option<Row> = help_plans::table
            .filter(help_plans::child_id.eq(child_id))
            .filter(help_plans::term_key.eq(&term_key))
            .select(Row::as_select())
            .first(conn)
            .optional()?;
        if let Some(row) = existing {
            let sealed = unseal(key, &row)?;
            if submit_key.is_some_and(|sk| sealed.submit_keys.iter().any(|k| k == sk)) {
                return record(conn, key, &row, child);
            }
            return Err(StoreError::Duplicate { field: "term" });
        }
        if !child.key_child {
            return Err(refused(HelpPlanError::NotKeyChild));
        }
        let school = crate::schools::get(conn, scope, child.school_id)?;
        let mut sealed = Sealed {
            plan: plan.clone(),
            submit_keys: Vec::new(),
            reopenings: Vec::new(),
        };
        remember(&mut sealed.submit_keys, submit_key);
        let now = clock::now_ms();
        let today = today_shanghai();
        let insert = diesel::insert_into(help_plans::table)
            .values((
                help_plans::child_id.eq(child_id),
                help_plans::school_id.eq(school.id),
                help_plans::school_region.eq(&school.region_code),
                help_plans::term_key.eq(&term_key),
                help_plans::status.eq(PlanStatus::Draft.code()),
                help_plans::body_sealed.eq(seal(key, &sealed)?),
                help_plans::author_id.eq(scope.actor.id()),
                help_plans::author_name.eq(scope.actor.name()),
                help_plans::entered_on.eq(today.to_string()),
                help_plans::created_at.eq(now),
                help_plans::updated_at.eq(now),
            ))
            .returning(help_plans::id);
        // Two saves racing past the check meet the unique index on (child, term).
        let inserted = on_inner!(conn, |c| insert.get_result::<i64>(c));
        let id = crate::unique_violation(inserted, "term")?;
        duties::evidence_changed(conn, Subject::Child(child_id), EVIDENCE, today)?;
        let (row, child) = load(conn, scope, id)?;
        audit_plan(conn, scope, "help_plan.create", &row, "")?;
        record(conn, key, &row, child)
    })
}

/// A plan for a write: in reach, a role that may write, and not stale.
fn load_for_write(
    conn: &mut Conn,
    scope: &Scope,
    id: i64,
    version: i32,
) -> StoreResult<(Row, ChildSummary)> {
    let (row, child) = load(conn, scope, id)?;
    scope.require(may_write_plan(scope.role), "help_plan.edit")?;
    if row.version != version {
        return Err(StoreError::Conflict {
            expected: version,
            current: row.version,
        });
    }
    Ok((row, child))
}

fn save(
    conn: &mut Conn,
    key: &DeploymentKey,
    row: &Row,
    sealed: &Sealed,
    status: PlanStatus,
    signed: Option<(Option<String>, Option<i64>)>,
) -> StoreResult<()> {
    let now = clock::now_ms();
    let target = help_plans::table
        .find(row.id)
        .filter(help_plans::version.eq(row.version));
    let body = seal(key, sealed)?;
    let changed = match signed {
        Some((by, at)) => diesel::update(target)
            .set((
                help_plans::body_sealed.eq(body),
                help_plans::status.eq(status.code()),
                help_plans::signed_by.eq(by),
                help_plans::signed_at.eq(at),
                help_plans::version.eq(row.version + 1),
                help_plans::updated_at.eq(now),
            ))
            .execute(conn)?,
        None => diesel::update(target)
            .set((
                help_plans::body_sealed.eq(body),
                help_plans::status.eq(status.code()),
                help_plans::version.eq(row.version + 1),
                help_plans::updated_at.eq(now),
            ))
            .execute(conn)?,
    };
    if changed == 0 {
        return Err(StoreError::Conflict {
            expected: row.version,
            current: row.version + 1,
        });
    }
    Ok(())
}

/// Changes the goals and measures, adds a stage result, or writes the summary, if nobody saved
/// since `version` and the plan is not signed. A request sent twice (`submit_key`) saves once:
/// the second answers the plan as it is.
pub fn update(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    id: i64,
    version: i32,
    change: &PlanChange,
    submit_key: Option<&str>,
) -> StoreResult<PlanRecord> {
    conn.transaction(|conn| {
        let (row, _) = load(conn, scope, id)?;
        let mut sealed = unseal(key, &row)?;
        if submit_key.is_some_and(|sk| sealed.submit_keys.iter().any(|k| k == sk)) {
            return reload(conn, scope, key, id);
        }
        let (row, child) = load_for_write(conn, scope, id, version)?;
        let status = row.status()?;
        status.check_editable().map_err(refused)?;
        if let Some((goals, measures)) = &change.content {
            sealed
                .plan
                .set_content(goals, measures.clone())
                .map_err(refused)?;
        }
        if let Some(stage) = &change.stage {
            let mut stage = stage.clone();
            stage.author = scope.actor.name().to_owned();
            sealed.plan.add_stage(stage).map_err(refused)?;
        }
        let mut status_after = status;
        if let Some(summary) = &change.summary {
            sealed.plan.set_summary(summary).map_err(refused)?;
            status_after = PlanStatus::Summarised;
        }
        remember(&mut sealed.submit_keys, submit_key);
        save(conn, key, &row, &sealed, status_after, None)?;
        if change.summary.is_some() {
            duties::evidence_changed(conn, Subject::Child(child.id), EVIDENCE, today_shanghai())?;
        }
        let (row, child) = load(conn, scope, id)?;
        let kind = if change.summary.is_some() {
            "help_plan.summarise"
        } else {
            "help_plan.update"
        };
        audit_plan(conn, scope, kind, &row, "")?;
        record(conn, key, &row, child)
    })
}

/// The principal's sign-off (or the bureau's): a summarised plan becomes `signed` and locked.
pub fn sign(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    id: i64,
    version: i32,
) -> StoreResult<PlanRecord> {
    conn.transaction(|conn| {
        let (row, child) = load(conn, scope, id)?;
        scope.require(may_sign_plan(scope.role), "help_plan.sign")?;
        if row.version != version {
            return Err(StoreError::Conflict {
                expected: version,
                current: row.version,
            });
        }
        let status = row.status()?.sign().map_err(refused)?;
        let sealed = unseal(key, &row)?;
        let by = Some(scope.actor.name().to_owned());
        save(
            conn,
            key,
            &row,
            &sealed,
            status,
            Some((by, Some(clock::now_ms()))),
        )?;
        duties::evidence_changed(conn, Subject::Child(child.id), EVIDENCE, today_shanghai())?;
        let (row, child) = load(conn, scope, id)?;
        audit_plan(conn, scope, "help_plan.sign", &row, "")?;
        record(conn, key, &row, child)
    })
}

/// Takes a signed plan back to `summarised` so it can be corrected; the reason is kept with the
/// plan and in the audit log.
pub fn reopen(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    id: i64,
    version: i32,
    reason: &str,
) -> StoreResult<PlanRecord> {
    conn.transaction(|conn| {
        let (row, child) = load(conn, scope, id)?;
        scope.require(may_sign_plan(scope.role), "help_plan.sign")?;
        let reason = parse_reopen_reason(reason).map_err(refused)?;
        if row.version != version {
            return Err(StoreError::Conflict {
                expected: version,
                current: row.version,
            });
        }
        let status = row.status()?.reopen().map_err(refused)?;
        let mut sealed = unseal(key, &row)?;
        sealed.reopenings.push(Reopening {
            at: clock::now_ms(),
            by: scope.actor.name().to_owned(),
            reason: reason.clone(),
        });
        save(conn, key, &row, &sealed, status, Some((None, None)))?;
        // A signed plan no longer is: the duty it closed may be open again.
        duties::evidence_changed(conn, Subject::Child(child.id), EVIDENCE, today_shanghai())?;
        let (row, child) = load(conn, scope, id)?;
        audit_plan(conn, scope, "help_plan.reopen", &row, &reason)?;
        record(conn, key, &row, child)
    })
}

/// A school's key children in the caller's reach, by pinyin, each with their plan for `term`.
pub fn school_overview(
    conn: &mut Conn,
    scope: &Scope,
    school_id: i64,
    term: TermKey,
) -> StoreResult<Vec<KeyChildPlan>> {
    crate::schools::get(conn, scope, school_id)?;
    if scope.role == Role::Volunteer {
        return Ok(Vec::new());
    }
    let mut kids = Vec::new();
    let mut filter = ChildFilter {
        school_id: Some(school_id),
        key_child: Some(true),
        limit: Some(500),
        ..ChildFilter::default()
    };
    loop {
        let page = children::list(conn, scope, &filter)?;
        kids.extend(page.items);
        match page.next {
            Some(next) => filter.after = Some(next),
            None => break,
        }
    }
    let ids: Vec<i64> = kids.iter().map(|c| c.id).collect();
    let mut plans: Vec<Row> = Vec::new();
    for chunk in ids.chunks(500) {
        plans.extend(
            help_plans::table
                .filter(help_plans::child_id.eq_any(chunk))
                .filter(help_plans::term_key.eq(term.to_string()))
                .select(Row::as_select())
                .load::<Row>(conn)?,
        );
    }
    Ok(kids
        .into_iter()
        .map(|child| {
            let plan = plans
                .iter()
                .find(|p| p.child_id == child.id)
                .map(Row::summary);
            KeyChildPlan { child, plan }
        })
        .collect())
}
