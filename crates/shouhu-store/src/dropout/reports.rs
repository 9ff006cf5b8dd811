//! 一月一报告: each school's monthly dropout figures. The principal submits the month (the
//! figures are the school's [`panel`] at that moment, kept as JSON), may submit again to
//! replace them until signing, then signs; a signed report is locked. Counties see which
//! schools have reported and which have not.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use shouhu_domain::{RegionCode, ReportMonth, Role, SchoolKind};

use super::cases::text;
use super::ledgers::{may_see, place};
use super::panels::{Panel, panel};
use crate::duties::Node;
use crate::schema::{dropout_reports, schools, users};
use crate::{Conn, Scope, StoreError, StoreResult, audit, clock};

/// A school as the missing list names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SchoolRef {
    pub id: i64,
    pub name: String,
}

/// One school's report of a month.
#[derive(Clone, Debug, Serialize)]
pub struct ReportRow {
    pub school_id: i64,
    pub school: String,
    pub month: String,
    pub submitted_by: String,
    pub submitted_at: i64,
    pub signed: bool,
    pub signed_by: Option<String>,
    pub signed_at: Option<i64>,
    pub note: Option<String>,
    pub figures: Option<Panel>,
}

type Stored = (
    i64,
    i64,
    String,
    String,
    Option<String>,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
);

fn stored(conn: &mut Conn, school_id: i64, month: ReportMonth) -> StoreResult<Option<Stored>> {
    Ok(dropout_reports::table
        .filter(dropout_reports::school_id.eq(school_id))
        .filter(dropout_reports::month.eq(month.to_string()))
        .select((
            dropout_reports::id,
            dropout_reports::school_id,
            dropout_reports::month,
            dropout_reports::figures,
            dropout_reports::note,
            dropout_reports::submitted_by,
            dropout_reports::submitted_at,
            dropout_reports::signed_by,
            dropout_reports::signed_at,
        ))
        .first(conn)
        .optional()?)
}

fn user_name(conn: &mut Conn, id: i64) -> StoreResult<String> {
    Ok(users::table
        .find(id)
        .select(users::display_name)
        .first::<String>(conn)
        .optional()?
        .unwrap_or_default())
}

fn row_of(conn: &mut Conn, school: String, s: Stored) -> StoreResult<ReportRow> {
    let (_, school_id, month, figures, note, by, at, signed_by, signed_at) = s;
    let signed_name = match signed_by {
        Some(id) => Some(user_name(conn, id)?),
        None => None,
    };
    Ok(ReportRow {
        school_id,
        school,
        month,
        submitted_by: user_name(conn, by)?,
        submitted_at: at,
        signed: signed_at.is_some(),
        signed_by: signed_name,
        signed_at,
        note,
        figures: serde_json::from_str(&figures).ok(),
    })
}

/// The principal of this school (or a system administrator acting for one).
fn is_principal_of(scope: &Scope, school_id: i64) -> bool {
    match scope.role {
        Role::Principal => scope.school == Some(school_id),
        Role::SystemAdmin => true,
        _ => false,
    }
}

/// The school's report of `month`, if submitted.
pub fn report_of(
    conn: &mut Conn,
    scope: &Scope,
    school_id: i64,
    month: ReportMonth,
) -> StoreResult<Option<ReportRow>> {
    scope.require(may_see(scope), "dropout.ledger")?;
    let school = crate::schools::get(conn, scope, school_id)?;
    match stored(conn, school_id, month)? {
        Some(s) => Ok(Some(row_of(conn, school.name, s)?)),
        None => Ok(None),
    }
}

/// Submits (or, before signing, resubmits) the school's figures of `month` as they stand on
/// `today`; a signed month is refused with `dropout.report_locked`, a future one with
/// `dropout.report_month`.
pub fn submit_report(
    conn: &mut Conn,
    scope: &Scope,
    school_id: i64,
    month: ReportMonth,
    note: &str,
    today: NaiveDate,
) -> StoreResult<ReportRow> {
    let school = crate::schools::get(conn, scope, school_id)?;
    scope.require(is_principal_of(scope, school_id), "dropout.report")?;
    let note = text("note", note, false, 1000)?;
    if month > ReportMonth::of(today) {
        return Err(StoreError::invalid("month", "dropout.report_month"));
    }
    let Some(user) = scope.actor.id() else {
        return Err(StoreError::Forbidden("dropout.report"));
    };
    crate::transaction(conn, |conn| {
        let figures = panel(conn, scope, Some(&Node::School(school_id)), today)?;
        let json = serde_json::to_string(&figures)
            .map_err(|e| StoreError::Internal(format!("report figures: {e}")))?;
        let now = clock::now_ms();
        match stored(conn, school_id, month)? {
            Some(s) if s.8.is_some() => {
                return Err(StoreError::invalid("month", "dropout.report_locked"));
            }
            Some(s) => {
                diesel::update(dropout_reports::table.find(s.0))
                    .set((
                        dropout_reports::figures.eq(&json),
                        dropout_reports::note.eq(&note),
                        dropout_reports::submitted_by.eq(user),
                        dropout_reports::submitted_at.eq(now),
                    ))
                    .execute(conn)?;
            }
            None => {
                diesel::insert_into(dropout_reports::table)
                    .values((
                        dropout_reports::school_id.eq(school_id),
                        dropout_reports::school_region.eq(&school.region_code),
                        dropout_reports::month.eq(month.to_string()),
                        dropout_reports::figures.eq(&json),
                        dropout_reports::note.eq(&note),
                        dropout_reports::submitted_by.eq(user),
                        dropout_reports::submitted_at.eq(now),
                    ))
                    .execute(conn)?;
            }
        }
        let region = RegionCode::parse(&school.region_code).ok();
        audit::record(
            conn,
            scope,
            "dropout.report_submit",
            &format!("school:{school_id}"),
            &format!(
                "{month}: 疑似辍学 {}, 辍学 {}, 辍学率 {}/{}",
                figures.suspected,
                figures.dropped_out,
                figures.rate.numerator,
                figures.rate.denominator
            ),
            region.as_ref(),
        )?;
        let s = stored(conn, school_id, month)?.ok_or(StoreError::NotFound)?;
        row_of(conn, school.name.clone(), s)
    })
}

/// The principal signs the submitted report of `month`, which locks it; signing a signed
/// report again changes nothing. Without a submission: `dropout.report_missing`.
pub fn sign_report(
    conn: &mut Conn,
    scope: &Scope,
    school_id: i64,
    month: ReportMonth,
) -> StoreResult<ReportRow> {
    let school = crate::schools::get(conn, scope, school_id)?;
    scope.require(is_principal_of(scope, school_id), "dropout.report_sign")?;
    let Some(user) = scope.actor.id() else {
        return Err(StoreError::Forbidden("dropout.report_sign"));
    };
    crate::transaction(conn, |conn| {
        let Some(s) = stored(conn, school_id, month)? else {
            return Err(StoreError::invalid("month", "dropout.report_missing"));
        };
        if s.8.is_none() {
            diesel::update(dropout_reports::table.find(s.0))
                .filter(dropout_reports::signed_at.is_null())
                .set((
                    dropout_reports::signed_by.eq(user),
                    dropout_reports::signed_at.eq(clock::now_ms()),
                ))
                .execute(conn)?;
            let region = RegionCode::parse(&school.region_code).ok();
            audit::record(
                conn,
                scope,
                "dropout.report_sign",
                &format!("school:{school_id}"),
                &month.to_string(),
                region.as_ref(),
            )?;
        }
        let s = stored(conn, school_id, month)?.ok_or(StoreError::NotFound)?;
        row_of(conn, school.name.clone(), s)
    })
}

/// Schools under the node that owe monthly reports: every school in reach but kindergartens,
/// which have no compulsory schooling to drop out of.
fn schools_under(
    conn: &mut Conn,
    scope: &Scope,
    node: Option<&Node>,
) -> StoreResult<Vec<SchoolRef>> {
    let place = place(conn, scope, node)?;
    let mut q = schools::table
        .filter(schools::region_code.between(place.low.clone(), place.high.clone()))
        .filter(schools::kind.ne(SchoolKind::Kindergarten.code()))
        .select((schools::id, schools::name))
        .order((schools::region_code, schools::code))
        .into_boxed();
    if let Some(s) = place.school.or(scope.school) {
        q = q.filter(schools::id.eq(s));
    }
    Ok(q.load::<(i64, String)>(conn)?
        .into_iter()
        .map(|(id, name)| SchoolRef { id, name })
        .collect())
}

/// The reports of `month` submitted by schools under the node (or the caller's own).
pub fn reports_for(
    conn: &mut Conn,
    scope: &Scope,
    node: Option<&Node>,
    month: ReportMonth,
) -> StoreResult<Vec<ReportRow>> {
    scope.require(may_see(scope), "dropout.ledger")?;
    let mut out = Vec::new();
    for school in schools_under(conn, scope, node)? {
        if let Some(s) = stored(conn, school.id, month)? {
            out.push(row_of(conn, school.name, s)?);
        }
    }
    Ok(out)
}

/// Schools under the node without a submitted report of `month`.
pub fn missing_reports(
    conn: &mut Conn,
    scope: &Scope,
    node: Option<&Node>,
    month: ReportMonth,
) -> StoreResult<Vec<SchoolRef>> {
    scope.require(may_see(scope), "dropout.ledger")?;
    let month_s = month.to_string();
    let mut out = Vec::new();
    for school in schools_under(conn, scope, node)? {
        let done = dropout_reports::table
            .filter(dropout_reports::school_id.eq(school.id))
            .filter(dropout_reports::month.eq(&month_s))
            .select(dropout_reports::id)
            .first::<i64>(conn)
            .optional()?
            .is_some();
        if !done {
            out.push(school);
        }
    }
    Ok(out)
}
