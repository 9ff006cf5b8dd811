//! Materialising duty instances: for a school, each rule in force there, each subject it applies
//! to and each period asked for, one row, inserted only if missing and born with its status
//! worked out from the evidence already written.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use shouhu_domain::{
    Calendars, DutyFacts, GuardianshipRating, HardshipTag, Instance, SchoolYear, SchoolingStatus,
    SubjectKind, standing,
};

use super::calendars::CalendarBook;
use super::evidence::{self, Item};
use super::rules::{self, RuleInForce};
use crate::connection::on_inner;
use crate::schema::{children, classes, duties, schools};
use crate::{Conn, StoreResult, clock};

/// Which periods to materialise.
#[derive(Clone, Copy, Debug)]
pub enum Span {
    /// The current and the next period of each rule, as the nightly job keeps them.
    Upcoming(NaiveDate),
    /// Every period overlapping these days (a rebuild).
    Range(NaiveDate, NaiveDate),
}

impl Span {
    fn first_day(self) -> NaiveDate {
        match self {
            Span::Upcoming(d) | Span::Range(d, _) => d,
        }
    }
}

#[derive(Queryable)]
pub(crate) struct ChildRow {
    pub id: i64,
    pub school_id: i64,
    pub class_id: Option<i64>,
    pub school_region: String,
    lb_mca: bool,
    lb_xueji: i32,
    lb_census: bool,
    tags: String,
    rating: Option<String>,
    schooling: String,
    key_child: bool,
}

pub(crate) type ChildColumns = (
    children::id,
    children::school_id,
    children::class_id,
    children::school_region,
    children::lb_mca,
    children::lb_xueji,
    children::lb_census,
    children::tags,
    children::rating,
    children::schooling,
    children::key_child,
);

pub(crate) const CHILD_COLUMNS: ChildColumns = (
    children::id,
    children::school_id,
    children::class_id,
    children::school_region,
    children::lb_mca,
    children::lb_xueji,
    children::lb_census,
    children::tags,
    children::rating,
    children::schooling,
    children::key_child,
);

impl ChildRow {
    pub(crate) fn facts(&self) -> DutyFacts {
        DutyFacts {
            lb_mca: self.lb_mca,
            lb_xueji: u8::try_from(self.lb_xueji).unwrap_or(0),
            lb_census: self.lb_census,
            tags: self
                .tags
                .split(',')
                .filter(|t| !t.is_empty())
                .filter_map(|t| HardshipTag::parse(t).ok())
                .collect(),
            rating: self
                .rating
                .as_deref()
                .and_then(|r| GuardianshipRating::parse(r).ok()),
            schooling: SchoolingStatus::parse(&self.schooling).unwrap_or(SchoolingStatus::InSchool),
            key_child: self.key_child,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = duties)]
// NULLs written as NULL, so SQLite can take a batch of rows in one statement.
#[diesel(treat_none_as_default_value = false)]
struct NewDuty {
    rule_id: i64,
    rule_code: String,
    subject_kind: &'static str,
    subject_id: i64,
    class_id: Option<i64>,
    school_id: i64,
    school_region: String,
    responsible_role: &'static str,
    period_key: String,
    window_start: String,
    window_end: String,
    due_date: String,
    required: i32,
    done_count: i32,
    status: &'static str,
    done_on: Option<String>,
    updated_at: i64,
}

/// One school's part of a run: where it is, its calendars and the rules in force there.
pub(crate) struct SchoolRun<'a> {
    pub id: i64,
    pub region: String,
    pub cals: Calendars,
    pub rules: Vec<&'a RuleInForce>,
}

/// The school years a span touches, for loading calendars.
pub(crate) fn years_of(span: Span) -> (i32, i32) {
    match span {
        Span::Upcoming(d) => {
            let y = SchoolYear::containing(d).start_year();
            (y, y + 1)
        }
        Span::Range(a, b) => (
            SchoolYear::containing(a).start_year(),
            SchoolYear::containing(b).start_year() + 1,
        ),
    }
}

pub(crate) fn school_runs<'a>(
    conn: &mut Conn,
    all_rules: &'a [RuleInForce],
    book: &CalendarBook,
    only: Option<&[i64]>,
) -> StoreResult<Vec<SchoolRun<'a>>> {
    let mut query = schools::table
        .select((schools::id, schools::region_code))
        .order(schools::id)
        .into_boxed();
    if let Some(ids) = only {
        query = query.filter(schools::id.eq_any(ids.to_vec()));
    }
    let list: Vec<(i64, String)> = query.load(conn)?;
    Ok(list
        .into_iter()
        .map(|(id, region)| SchoolRun {
            cals: book.for_school(id, &region),
            rules: rules::in_force(all_rules, &region)
                .into_iter()
                .filter(|r| r.enabled)
                .collect(),
            id,
            region,
        })
        .collect())
}

fn instances(rule: &RuleInForce, span: Span, cals: &Calendars) -> Vec<Instance> {
    match span {
        Span::Upcoming(today) => rule.rule.upcoming(today, cals),
        Span::Range(from, to) => rule.rule.instances(from, to, cals),
    }
}

/// What a generation call covers within one school.
pub(crate) struct Subjects<'a> {
    /// `None`: every child of the school.
    pub children: Option<&'a [i64]>,
    pub groups: bool,
    /// Rule codes to generate; `None`: all in force.
    pub codes: Option<&'a [String]>,
    /// A subject that came under its rules on this day owes only the rest of the current period.
    pub since: Option<NaiveDate>,
}

/// Generates one school's instances for `span`; returns how many rows were new.
pub(crate) fn school(
    conn: &mut Conn,
    run: &SchoolRun,
    subjects: &Subjects,
    span: Span,
    today: NaiveDate,
) -> StoreResult<usize> {
    let rules: Vec<(&RuleInForce, Vec<Instance>)> = run
        .rules
        .iter()
        .filter(|r| subjects.codes.is_none_or(|c| c.contains(&r.rule.code)))
        .map(|r| (*r, instances(r, span, &run.cals)))
        .filter(|(_, list)| !list.is_empty())
        .collect();
    if rules.is_empty() {
        return Ok(0);
    }
    let evidence_from = rules
        .iter()
        .flat_map(|(_, list)| list.first().map(|i| i.window_start))
        .min()
        .unwrap_or(span.first_day());
    let mut rows: Vec<NewDuty> = Vec::new();
    let wants_children = rules
        .iter()
        .any(|(r, _)| r.rule.subject == SubjectKind::Child);
    if wants_children {
        let mut query = children::table
            .filter(children::school_id.eq(run.id))
            .select(CHILD_COLUMNS)
            .into_boxed();
        if let Some(ids) = subjects.children {
            query = query.filter(children::id.eq_any(ids.to_vec()));
        }
        let kids: Vec<ChildRow> = query.load(conn)?;
        let ids: Vec<i64> = kids.iter().map(|k| k.id).collect();
        let evidence = evidence::for_children(conn, &ids, evidence_from)?;
        for kid in &kids {
            let facts = kid.facts();
            let items = evidence.get(&kid.id).map(Vec::as_slice).unwrap_or(&[]);
            for (rule, list) in &rules {
                if rule.rule.subject != SubjectKind::Child || !rule.rule.applies_to.holds(&facts) {
                    continue;
                }
                for instance in list {
                    let instance = match subjects.since {
                        Some(since) => match instance.clone().from(since) {
                            Some(i) => i,
                            None => continue,
                        },
                        None => instance.clone(),
                    };
                    let target = Target {
                        kind: SubjectKind::Child,
                        id: kid.id,
                        class_id: kid.class_id,
                    };
                    rows.push(new_row(run, rule, &target, &instance, items, today));
                }
            }
        }
    }
    if subjects.groups {
        let year = SchoolYear::containing(today).start_year();
        let class_ids: Vec<i64> = classes::table
            .filter(classes::school_id.eq(run.id))
            .filter(classes::school_year.eq(year))
            .select(classes::id)
            .load(conn)?;
        let (by_school, by_class) =
            evidence::for_groups(conn, &[run.id], &class_ids, evidence_from)?;
        for (rule, list) in &rules {
            let targets: Vec<Target> = match rule.rule.subject {
                SubjectKind::Child => continue,
                SubjectKind::School => vec![Target {
                    kind: SubjectKind::School,
                    id: run.id,
                    class_id: None,
                }],
                SubjectKind::Class => class_ids
                    .iter()
                    .map(|&id| Target {
                        kind: SubjectKind::Class,
                        id,
                        class_id: Some(id),
                    })
                    .collect(),
            };
            for target in &targets {
                let items = match target.kind {
                    SubjectKind::School => by_school.get(&run.id),
                    _ => by_class.get(&target.id),
                };
                let items = items.map(Vec::as_slice).unwrap_or(&[]);
                for instance in list {
                    rows.push(new_row(run, rule, target, instance, items, today));
                }
            }
        }
    }
    insert(conn, &rows)
}

struct Target {
    kind: SubjectKind,
    id: i64,
    class_id: Option<i64>,
}

fn new_row(
    run: &SchoolRun,
    rule: &RuleInForce,
    target: &Target,
    instance: &Instance,
    items: &[Item],
    today: NaiveDate,
) -> NewDuty {
    let kinds = &rule.rule.satisfied_by;
    let evidence: Vec<_> = items
        .iter()
        .filter_map(|i| i.for_window(kinds, instance.window_start, instance.window_end))
        .collect();
    let required = u32::from(rule.rule.count);
    let s = standing(
        instance.window_start,
        instance.due(),
        required,
        &evidence,
        false,
        today,
    );
    NewDuty {
        rule_id: rule.id,
        rule_code: rule.rule.code.clone(),
        subject_kind: target.kind.code(),
        subject_id: target.id,
        class_id: target.class_id,
        school_id: run.id,
        school_region: run.region.clone(),
        responsible_role: rule.rule.responsible.code(),
        period_key: instance.period_key.clone(),
        window_start: instance.window_start.to_string(),
        window_end: instance.window_end.to_string(),
        due_date: instance.due().to_string(),
        required: i32::from(rule.rule.count),
        done_count: s.done_count as i32,
        status: s.status.code(),
        done_on: s.done_on.map(|d| d.to_string()),
        updated_at: clock::now_ms(),
    }
}

fn insert(conn: &mut Conn, rows: &[NewDuty]) -> StoreResult<usize> {
    let mut added = 0;
    for chunk in rows.chunks(1000) {
        let insert = diesel::insert_into(duties::table)
            .values(chunk)
            .on_conflict_do_nothing();
        added += on_inner!(conn, |c| insert.execute(c))?;
    }
    Ok(added)
}

/// Children of `ids` grouped by school, for hooks that start from children.
pub(crate) fn children_by_school(
    conn: &mut Conn,
    ids: &[i64],
) -> StoreResult<HashMap<i64, Vec<ChildRow>>> {
    let rows: Vec<ChildRow> = children::table
        .filter(children::id.eq_any(ids))
        .select(CHILD_COLUMNS)
        .load(conn)?;
    let mut out: HashMap<i64, Vec<ChildRow>> = HashMap::new();
    for row in rows {
        out.entry(row.school_id).or_default().push(row);
    }
    Ok(out)
}
