//! What may satisfy a duty, read from where it is written: care records, group events, help
//! plans, teacher pairings, roll calls and 劝返 attempts. Only dates and kinds are read; nothing sealed is opened.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use shouhu_domain::{DutyRule, Evidence, ReturnMethod};

use crate::schema::{
    care_records, group_events, help_plans, pairings, return_attempts, roll_calls,
};
use crate::{Conn, StoreResult};

/// Evidence kinds that are not care record kinds.
const PAIRING: &str = "pairing";
const HELP_PLAN: &str = "help_plan";
const ROLL_CALL: &str = "roll_call";
const EVENT_KINDS: [&str; 4] = [
    "guardian_meeting",
    "forum",
    "parent_school",
    "class_meeting",
];

/// Evidence by subject id.
pub(crate) type ById = HashMap<i64, Vec<Item>>;

/// One piece of evidence: a dated act, or a pairing in force over a span.
#[derive(Clone, Debug)]
pub(crate) enum Item {
    Act {
        kind: String,
        date: NaiveDate,
        entered_on: NaiveDate,
    },
    Span {
        kind: String,
        from: NaiveDate,
        to: Option<NaiveDate>,
        entered_on: NaiveDate,
    },
}

impl Item {
    /// As evidence for a window: a pairing counts from the later of its start and the window's.
    pub(crate) fn for_window(
        &self,
        kinds: &[String],
        start: NaiveDate,
        end: NaiveDate,
    ) -> Option<Evidence> {
        match self {
            Item::Act {
                kind,
                date,
                entered_on,
            } => kinds.contains(kind).then_some(Evidence {
                date: *date,
                entered_on: *entered_on,
            }),
            Item::Span {
                kind,
                from,
                to,
                entered_on,
            } => {
                if !kinds.contains(kind) || *from > end || to.is_some_and(|t| t < start) {
                    return None;
                }
                let date = (*from).max(start);
                Some(Evidence {
                    date,
                    entered_on: (*entered_on).max(date),
                })
            }
        }
    }
}

fn day(s: &str) -> Option<NaiveDate> {
    s.parse().ok()
}

fn ms_to_day(ms: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&shouhu_domain::shanghai()).date_naive())
        .unwrap_or_default()
}

/// Evidence for children, by child id, dated from `from` on.
pub(crate) fn for_children(
    conn: &mut Conn,
    ids: &[i64],
    from: NaiveDate,
) -> StoreResult<HashMap<i64, Vec<Item>>> {
    let mut out: HashMap<i64, Vec<Item>> = HashMap::new();
    let from_s = from.to_string();
    for chunk in ids.chunks(500) {
        let records: Vec<(i64, String, String, String)> = care_records::table
            .filter(care_records::child_id.eq_any(chunk))
            .filter(care_records::deleted_at.is_null())
            .filter(care_records::record_date.ge(&from_s))
            .select((
                care_records::child_id,
                care_records::kind,
                care_records::record_date,
                care_records::entered_on,
            ))
            .load(conn)?;
        for (child, kind, date, entered) in records {
            if let (Some(date), Some(entered_on)) = (day(&date), day(&entered)) {
                out.entry(child).or_default().push(Item::Act {
                    kind,
                    date,
                    entered_on,
                });
            }
        }
        let plans: Vec<(i64, String)> = help_plans::table
            .filter(help_plans::child_id.eq_any(chunk))
            .filter(help_plans::entered_on.ge(&from_s))
            .select((help_plans::child_id, help_plans::entered_on))
            .load(conn)?;
        for (child, entered) in plans {
            if let Some(date) = day(&entered) {
                out.entry(child).or_default().push(Item::Act {
                    kind: HELP_PLAN.to_owned(),
                    date,
                    entered_on: date,
                });
            }
        }
        let paired: Vec<(i64, String, Option<String>, i64)> = pairings::table
            .filter(pairings::child_id.eq_any(chunk))
            .filter(pairings::kind.eq("teacher"))
            .filter(
                pairings::to_date
                    .is_null()
                    .or(pairings::to_date.ge(&from_s)),
            )
            .select((
                pairings::child_id,
                pairings::from_date,
                pairings::to_date,
                pairings::created_at,
            ))
            .load(conn)?;
        let attempts: Vec<(i64, String, String, i64)> = return_attempts::table
            .filter(return_attempts::child_id.eq_any(chunk))
            .filter(return_attempts::day.ge(&from_s))
            .select((
                return_attempts::child_id,
                return_attempts::method,
                return_attempts::day,
                return_attempts::recorded_at,
            ))
            .load(conn)?;
        for (child, method, date, recorded_at) in attempts {
            let (Ok(method), Some(date)) = (ReturnMethod::parse(&method), day(&date)) else {
                continue;
            };
            // An attempt meets its own ladder step and every lower one.
            for kind in DutyRule::return_evidence_kinds(method) {
                out.entry(child).or_default().push(Item::Act {
                    kind,
                    date,
                    entered_on: ms_to_day(recorded_at),
                });
            }
        }
        for (child, from_date, to_date, created_at) in paired {
            if let Some(start) = day(&from_date) {
                out.entry(child).or_default().push(Item::Span {
                    kind: PAIRING.to_owned(),
                    from: start,
                    to: to_date.as_deref().and_then(day),
                    entered_on: ms_to_day(created_at),
                });
            }
        }
    }
    Ok(out)
}

/// Evidence for schools (their events) or classes (their class events), by id.
pub(crate) fn for_groups(
    conn: &mut Conn,
    schools: &[i64],
    classes: &[i64],
    from: NaiveDate,
) -> StoreResult<(ById, ById)> {
    let from_s = from.to_string();
    let mut by_school: HashMap<i64, Vec<Item>> = HashMap::new();
    let mut by_class: HashMap<i64, Vec<Item>> = HashMap::new();
    let events: Vec<(i64, Option<i64>, String, String, String)> = group_events::table
        .filter(
            group_events::school_id
                .eq_any(schools)
                .or(group_events::class_id.eq_any(classes)),
        )
        .filter(group_events::deleted_at.is_null())
        .filter(group_events::event_date.ge(&from_s))
        .filter(group_events::kind.eq_any(EVENT_KINDS))
        .select((
            group_events::school_id,
            group_events::class_id,
            group_events::kind,
            group_events::event_date,
            group_events::entered_on,
        ))
        .load(conn)?;
    for (school, class, kind, date, entered) in events {
        let (Some(date), Some(entered_on)) = (day(&date), day(&entered)) else {
            continue;
        };
        let item = Item::Act {
            kind,
            date,
            entered_on,
        };
        if let Some(class) = class {
            by_class.entry(class).or_default().push(item.clone());
        }
        by_school.entry(school).or_default().push(item);
    }
    let calls: Vec<(i64, String, i64)> = roll_calls::table
        .filter(roll_calls::class_id.eq_any(classes))
        .filter(roll_calls::day.ge(&from_s))
        .select((
            roll_calls::class_id,
            roll_calls::day,
            roll_calls::submitted_at,
        ))
        .load(conn)?;
    for (class, date, submitted_at) in calls {
        if let Some(date) = day(&date) {
            by_class.entry(class).or_default().push(Item::Act {
                kind: ROLL_CALL.to_owned(),
                date,
                entered_on: ms_to_day(submitted_at),
            });
        }
    }
    Ok((by_school, by_class))
}
