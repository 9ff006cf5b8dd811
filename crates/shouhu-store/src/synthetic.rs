//! For benchmarks only (`shouhu bench duties`): synthetic evidence written straight into its
//! tables, a thousand rows a statement, without the hooks, sealing or audit of the real writers;
//! and the plain SQL scans a benchmark times as its anchor. Nothing in the application calls
//! these.

use chrono::NaiveDate;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use crate::connection::on_inner;
use crate::schema::{care_records, duties, help_plans, pairings};
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
