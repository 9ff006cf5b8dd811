//! For benchmarks only (`shouhu bench duties`, `shouhu bench dropout`): synthetic evidence (and,
//! for the dropout benchmark, children, roll calls and absences) written straight into its
//! tables, a thousand rows a statement, without the hooks, sealing or audit of the real writers;
//! and the plain SQL scans a benchmark times as its anchor. Nothing in the application calls
//! these.

use chrono::NaiveDate;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use crate::connection::on_inner;
use crate::schema::{
    absences, care_records, children, duties, enrolments, help_plans, pairings, roll_calls,
};
use crate::{Conn, StoreResult, clock};

/// One piece of synthetic evidence for a child.
#[derive(Clone, Debug)]
pub enum Evidence {
    /// A care record of `kind` (a care record kind code).
    Care {
        child_id: i64,
        school_id: i64,
        school_region: String,
        kind: &'static str,
        date: NaiveDate,
        entered_on: NaiveDate,
    },
    /// A teacher pairing running from `from`, not ended.
    Pairing { child_id: i64, from: NaiveDate },
    /// A help plan for a term, entered on `entered_on`.
    HelpPlan {
        child_id: i64,
        school_id: i64,
        school_region: String,
        term_key: String,
        entered_on: NaiveDate,
    },
}

#[derive(Insertable)]
#[diesel(table_name = care_records)]
#[diesel(treat_none_as_default_value = false)]
struct NewCare {
    child_id: i64,
    school_id: i64,
    school_region: String,
    kind: &'static str,
    record_date: String,
    entered_on: String,
    author_name: &'static str,
    author_role: &'static str,
    confidential: bool,
    body_sealed: Vec<u8>,
    version: i32,
    created_at: i64,
    updated_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = pairings)]
#[diesel(treat_none_as_default_value = false)]
struct NewPairing {
    child_id: i64,
    kind: &'static str,
    partner_name: &'static str,
    from_date: String,
    note: &'static str,
    created_by: &'static str,
    created_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = help_plans)]
#[diesel(treat_none_as_default_value = false)]
struct NewPlan {
    child_id: i64,
    school_id: i64,
    school_region: String,
    term_key: String,
    status: &'static str,
    body_sealed: Vec<u8>,
    author_name: &'static str,
    entered_on: String,
    version: i32,
    created_at: i64,
    updated_at: i64,
}

/// The size of a sealed record body, about what a short talk note seals to.
const BODY_BYTES: usize = 240;
const ROWS_PER_STATEMENT: usize = 1000;

/// Inserts `items` as they are; returns how many rows were written. The caller chooses the
/// transaction.
pub fn insert_evidence(conn: &mut Conn, items: &[Evidence]) -> StoreResult<usize> {
    let now = clock::now_ms();
    let (mut care, mut paired, mut plans) = (Vec::new(), Vec::new(), Vec::new());
    for item in items {
        match item {
            Evidence::Care {
                child_id,
                school_id,
                school_region,
                kind,
                date,
                entered_on,
            } => care.push(NewCare {
                child_id: *child_id,
                school_id: *school_id,
                school_region: school_region.clone(),
                kind,
                record_date: date.to_string(),
                entered_on: entered_on.to_string(),
                author_name: "bench",
                author_role: "head_teacher",
                confidential: false,
                body_sealed: vec![0; BODY_BYTES],
                version: 1,
                created_at: now,
                updated_at: now,
            }),
            Evidence::Pairing { child_id, from } => paired.push(NewPairing {
                child_id: *child_id,
                kind: "teacher",
                partner_name: "bench",
                from_date: from.to_string(),
                note: "",
                created_by: "bench",
                created_at: now,
            }),
            Evidence::HelpPlan {
                child_id,
                school_id,
                school_region,
                term_key,
                entered_on,
            } => plans.push(NewPlan {
                child_id: *child_id,
                school_id: *school_id,
                school_region: school_region.clone(),
                term_key: term_key.clone(),
                status: "signed",
                body_sealed: vec![0; BODY_BYTES],
                author_name: "bench",
                entered_on: entered_on.to_string(),
                version: 1,
                created_at: now,
                updated_at: now,
            }),
        }
    }
    let mut written = 0;
    for chunk in care.chunks(ROWS_PER_STATEMENT) {
        let insert = diesel::insert_into(care_records::table).values(chunk);
        written += on_inner!(conn, |c| insert.execute(c))?;
    }
    for chunk in paired.chunks(ROWS_PER_STATEMENT) {
        let insert = diesel::insert_into(pairings::table).values(chunk);
        written += on_inner!(conn, |c| insert.execute(c))?;
    }
    for chunk in plans.chunks(ROWS_PER_STATEMENT) {
        let insert = diesel::insert_into(help_plans::table).values(chunk);
        written += on_inner!(conn, |c| insert.execute(c))?;
    }
    Ok(written)
}

/// The anchor over the records: `SELECT count(*), sum(length(kind)) FROM care_records`, a full
/// scan of the table.
pub fn scan_care_records(conn: &mut Conn) -> StoreResult<(i64, i64)> {
    let (n, len): (i64, Option<i64>) = care_records::table
        .select(sql::<(BigInt, Nullable<BigInt>)>(
            "count(*), sum(length(kind))",
        ))
        .get_result(conn)?;
    Ok((n, len.unwrap_or(0)))
}

/// The anchor over the instances: `SELECT status, count(*) FROM duties GROUP BY status`.
pub fn scan_duty_statuses(conn: &mut Conn) -> StoreResult<Vec<(String, i64)>> {
    Ok(duties::table
        .group_by(duties::status)
        .select(sql::<(Text, BigInt)>("status, count(*)"))
        .order(duties::status)
        .load(conn)?)
}

/// Instances by rule and subject kind, for the report.
pub fn duties_by_rule(conn: &mut Conn) -> StoreResult<Vec<(String, String, i64)>> {
    Ok(duties::table
        .group_by((duties::rule_code, duties::subject_kind))
        .select(sql::<(Text, Text, BigInt)>(
            "rule_code, subject_kind, count(*)",
        ))
        .order(duties::rule_code)
        .load(conn)?)
}

// ---------------------------------------------------------------------------------------------
// `shouhu bench dropout`: children, roll calls and absences written straight into their tables.

/// A child row for the dropout benchmark: plain columns only, the sealed file a fixed
/// placeholder (the dropout run never opens files). `id` is given, so the caller can number
/// absences without reading ids back.
#[derive(Clone, Debug)]
pub struct BenchChild {
    pub id: i64,
    pub school_id: i64,
    pub class_id: i64,
    pub school_region: String,
    pub residence_region: String,
    pub name: String,
    pub name_pinyin: String,
    pub name_initials: String,
    /// GB/T 2261.1: "1" or "2".
    pub sex: &'static str,
    pub birth_date: NaiveDate,
    /// The day the calibers count as derived (the benchmark's today, so no refresh unseals the
    /// placeholder).
    pub as_of: NaiveDate,
}

#[derive(Insertable)]
#[diesel(table_name = children)]
#[diesel(treat_none_as_default_value = false)]
struct NewChild<'a> {
    id: i64,
    school_id: i64,
    class_id: Option<i64>,
    school_region: &'a str,
    residence_region: &'a str,
    name: &'a str,
    name_pinyin: &'a str,
    name_initials: &'a str,
    sex: &'static str,
    ethnicity: &'static str,
    birth_date: String,
    id_hash: Option<String>,
    id_last4: Option<String>,
    hukou_type: Option<&'static str>,
    schooling: &'static str,
    care_arrangement: Option<&'static str>,
    rating: Option<&'static str>,
    tags: &'static str,
    key_child: bool,
    lb_mca: bool,
    lb_xueji: i32,
    lb_census: bool,
    lb_as_of: String,
    completeness: i32,
    file_sealed: &'a [u8],
    submit_key: Option<String>,
    version: i32,
    created_at: i64,
    updated_at: i64,
}

/// What a sealed child file is replaced by: never opened by the dropout code.
const PLACEHOLDER_FILE: [u8; 64] = [0; 64];

/// Inserts children with their given ids, 1000 rows a statement, in the caller's transaction.
pub fn insert_children(conn: &mut Conn, rows: &[BenchChild]) -> StoreResult<usize> {
    let now = clock::now_ms();
    let rows: Vec<NewChild<'_>> = rows
        .iter()
        .map(|c| NewChild {
            id: c.id,
            school_id: c.school_id,
            class_id: Some(c.class_id),
            school_region: &c.school_region,
            residence_region: &c.residence_region,
            name: &c.name,
            name_pinyin: &c.name_pinyin,
            name_initials: &c.name_initials,
            sex: c.sex,
            ethnicity: "han",
            birth_date: c.birth_date.to_string(),
            id_hash: Some(format!("bench-{:016x}", c.id)),
            id_last4: Some(format!("{:04}", c.id % 10_000)),
            hukou_type: Some("agricultural"),
            schooling: "in_school",
            care_arrangement: None,
            rating: None,
            tags: "",
            key_child: false,
            lb_mca: c.id % 5 == 0,
            lb_xueji: 0,
            lb_census: false,
            lb_as_of: c.as_of.to_string(),
            completeness: 60,
            file_sealed: &PLACEHOLDER_FILE,
            submit_key: None,
            version: 1,
            created_at: now,
            updated_at: now,
        })
        .collect();
    let mut written = 0;
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let insert = diesel::insert_into(children::table).values(chunk);
        written += on_inner!(conn, |c| insert.execute(c))?;
    }
    Ok(written)
}

/// A submitted roll call with its given id.
#[derive(Clone, Debug)]
pub struct BenchRollCall {
    pub id: i64,
    pub class_id: i64,
    pub school_id: i64,
    pub day: NaiveDate,
    pub submitted_by: i64,
}

#[derive(Insertable)]
#[diesel(table_name = roll_calls)]
#[diesel(treat_none_as_default_value = false)]
struct NewRollCall {
    id: i64,
    class_id: i64,
    school_id: i64,
    day: String,
    submitted_by: i64,
    submitted_at: i64,
    version: i32,
    updated_at: i64,
}

/// Inserts roll calls with their given ids, 1000 rows a statement, in the caller's transaction.
pub fn insert_roll_calls(conn: &mut Conn, rows: &[BenchRollCall]) -> StoreResult<usize> {
    let now = clock::now_ms();
    let rows: Vec<NewRollCall> = rows
        .iter()
        .map(|r| NewRollCall {
            id: r.id,
            class_id: r.class_id,
            school_id: r.school_id,
            day: r.day.to_string(),
            submitted_by: r.submitted_by,
            submitted_at: now,
            version: 1,
            updated_at: now,
        })
        .collect();
    let mut written = 0;
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let insert = diesel::insert_into(roll_calls::table).values(chunk);
        written += on_inner!(conn, |c| insert.execute(c))?;
    }
    Ok(written)
}

/// One absence marked on a roll call.
#[derive(Clone, Debug)]
pub struct BenchAbsence {
    pub roll_call_id: i64,
    pub child_id: i64,
    pub day: NaiveDate,
    /// An `AbsenceKind` code.
    pub kind: &'static str,
    pub reason: Option<&'static str>,
    pub recorded_by: i64,
}

#[derive(Insertable)]
#[diesel(table_name = absences)]
#[diesel(treat_none_as_default_value = false)]
struct NewAbsence {
    roll_call_id: i64,
    child_id: i64,
    day: String,
    kind: &'static str,
    reason: Option<&'static str>,
    recorded_by: i64,
    recorded_at: i64,
}

/// Inserts absences, 1000 rows a statement, in the caller's transaction.
pub fn insert_absences(conn: &mut Conn, rows: &[BenchAbsence]) -> StoreResult<usize> {
    let now = clock::now_ms();
    let rows: Vec<NewAbsence> = rows
        .iter()
        .map(|a| NewAbsence {
            roll_call_id: a.roll_call_id,
            child_id: a.child_id,
            day: a.day.to_string(),
            kind: a.kind,
            reason: a.reason,
            recorded_by: a.recorded_by,
            recorded_at: now,
        })
        .collect();
    let mut written = 0;
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let insert = diesel::insert_into(absences::table).values(chunk);
        written += on_inner!(conn, |c| insert.execute(c))?;
    }
    Ok(written)
}

/// The next free ids of `children` and `roll_calls` (max + 1), for numbering rows up front.
pub fn next_ids(conn: &mut Conn) -> StoreResult<(i64, i64)> {
    let child: Option<i64> = children::table
        .select(diesel::dsl::max(children::id))
        .first(conn)?;
    let roll: Option<i64> = roll_calls::table
        .select(diesel::dsl::max(roll_calls::id))
        .first(conn)?;
    Ok((child.unwrap_or(0) + 1, roll.unwrap_or(0) + 1))
}

/// On PostgreSQL, moves the id sequences of the tables written with given ids past their rows
/// (SQLite's AUTOINCREMENT follows by itself).
pub fn sync_sequences(conn: &mut Conn) -> StoreResult<()> {
    if let Conn::Postgres(c) = conn {
        for table in ["children", "roll_calls"] {
            diesel::sql_query(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 (SELECT coalesce(max(id), 1) FROM {table}))"
            ))
            .execute(c)?;
        }
    }
    Ok(())
}

/// On PostgreSQL, `ANALYZE` after the bulk load, as autovacuum would do within minutes.
pub fn analyze(conn: &mut Conn) -> StoreResult<()> {
    if let Conn::Postgres(c) = conn {
        diesel::sql_query("ANALYZE").execute(c)?;
    }
    Ok(())
}

/// The anchor over the absences: `SELECT count(*), sum(length(kind)) FROM absences`, a full
/// scan of the table.
pub fn scan_absences(conn: &mut Conn) -> StoreResult<(i64, i64)> {
    let (n, len): (i64, Option<i64>) = absences::table
        .select(sql::<(BigInt, Nullable<BigInt>)>(
            "count(*), sum(length(kind))",
        ))
        .get_result(conn)?;
    Ok((n, len.unwrap_or(0)))
}

/// Stored enrolment states and how many children stand in each, for the report.
pub fn enrolments_by_state(conn: &mut Conn) -> StoreResult<Vec<(String, i64)>> {
    Ok(enrolments::table
        .group_by(enrolments::state)
        .select(sql::<(Text, BigInt)>("state, count(*)"))
        .order(enrolments::state)
        .load(conn)?)
}
