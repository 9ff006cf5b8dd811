//! Keeping stored statuses true: re-deriving the instances of some subjects from their evidence
//! with the domain's one status function, and writing back only what changed.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use shouhu_domain::{DutyStatus, standing};

use super::Subject;
use super::evidence::{self, Item};
use super::rules::RuleInForce;
use crate::schema::duties;
use crate::{Conn, StoreResult, clock};

#[derive(Queryable, Selectable)]
#[diesel(table_name = duties)]
struct Stored {
    id: i64,
    rule_id: i64,
    rule_code: String,
    subject_kind: String,
    window_start: String,
    window_end: String,
    required: i32,
    done_count: i32,
    status: String,
    done_on: Option<String>,
    waived_reason: Option<String>,
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap_or_default()
}

/// Re-derives every instance of `subjects` whose window ends on or after `from` and has begun
/// by `today`; returns how many rows changed.
pub(crate) fn refresh(
    conn: &mut Conn,
    rules: &[RuleInForce],
    subjects: &[Subject],
    from: NaiveDate,
    today: NaiveDate,
) -> StoreResult<usize> {
    let mut changed = 0;
    let kinds_of = |rule_id: i64, code: &str| {
        rules
            .iter()
            .find(|r| r.id == rule_id)
            .or_else(|| rules.iter().find(|r| r.rule.code == code))
            .map(|r| r.rule.satisfied_by.clone())
            .unwrap_or_default()
    };
    for subject in subjects {
        let (kind, id) = subject.key();
        let stored: Vec<Stored> = duties::table
            .filter(duties::subject_kind.eq(kind))
            .filter(duties::subject_id.eq(id))
            .filter(duties::window_end.ge(from.to_string()))
            .filter(duties::window_start.le(today.to_string()))
            .select(Stored::as_select())
            .load(conn)?;
        if stored.is_empty() {
            continue;
        }
        let earliest = stored
            .iter()
            .map(|s| day(&s.window_start))
            .min()
            .unwrap_or(from);
        let items: Vec<Item> = match subject {
            Subject::Child(id) => evidence::for_children(conn, &[*id], earliest)?
                .remove(id)
                .unwrap_or_default(),
            Subject::School(id) => evidence::for_groups(conn, &[*id], &[], earliest)?
                .0
                .remove(id)
                .unwrap_or_default(),
            Subject::Class(id) => evidence::for_groups(conn, &[], &[*id], earliest)?
                .1
                .remove(id)
                .unwrap_or_default(),
        };
        let mut kinds: HashMap<(i64, String), Vec<String>> = HashMap::new();
        for row in stored {
            debug_assert_eq!(row.subject_kind, kind);
            let satisfied_by = kinds
                .entry((row.rule_id, row.rule_code.clone()))
                .or_insert_with(|| kinds_of(row.rule_id, &row.rule_code));
            let (start, end) = (day(&row.window_start), day(&row.window_end));
            let evidence: Vec<_> = items
                .iter()
                .filter_map(|i| i.for_window(satisfied_by, start, end))
                .collect();
            let s = standing(
                start,
                end,
                u32::try_from(row.required).unwrap_or(1),
                &evidence,
                row.waived_reason.is_some(),
                today,
            );
            let done_on = s.done_on.map(|d| d.to_string());
            let same = row.status == s.status.code()
                && row.done_count == s.done_count as i32
                && row.done_on == done_on;
            if same {
                continue;
            }
            changed += diesel::update(duties::table.find(row.id))
                .set((
                    duties::status.eq(s.status.code()),
                    duties::done_count.eq(s.done_count as i32),
                    duties::done_on.eq(done_on),
                    duties::updated_at.eq(clock::now_ms()),
                ))
                .execute(conn)?;
        }
    }
    Ok(changed)
}

/// Marks open instances due before `today` as missed: the nightly job's one scan, over the
/// partial index of open rows. An open row is never satisfied (writes keep it current).
pub(crate) fn close_overdue(conn: &mut Conn, today: NaiveDate) -> StoreResult<usize> {
    Ok(diesel::update(
        duties::table
            .filter(duties::status.eq(DutyStatus::Open.code()))
            .filter(duties::due_date.lt(today.to_string())),
    )
    .set((
        duties::status.eq(DutyStatus::Missed.code()),
        duties::updated_at.eq(clock::now_ms()),
    ))
    .execute(conn)?)
}
