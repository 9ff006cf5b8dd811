//! Roster export: every file in the caller's scope and filters, a page at a time, so a county's
//! sheet streams in constant memory. Each export is audit-logged, and the full ID numbers and
//! phones go out only to roles allowed to reveal them, with the purpose stated.

use diesel::prelude::*;
use shouhu_domain::ChildFile;

use super::list::{ChildFilter, ChildSummary, list};
use super::{may_reveal, unseal};
use crate::crypto::DeploymentKey;
use crate::schema::children;
use crate::{Conn, Scope, StoreError, StoreResult, audit};

/// Files are unsealed this many at a time.
const PAGE: i64 = 500;

/// What an export is for; `purpose` is required for the sensitive columns.
#[derive(Clone, Debug, Default)]
pub struct ExportRequest {
    pub filter: ChildFilter,
    pub with_sensitive: bool,
    pub purpose: String,
    /// The form and format, for the audit log (`mca xlsx`).
    pub description: String,
}

/// Calls `each` with every file in scope and filter, in pinyin order; returns how many.
pub fn export(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    request: &ExportRequest,
    each: &mut dyn FnMut(&ChildSummary, ChildFile) -> StoreResult<()>,
) -> StoreResult<usize> {
    let purpose = request.purpose.trim();
    if request.with_sensitive {
        scope.require(may_reveal(scope.role), "child.export_sensitive")?;
        if purpose.is_empty() {
            return Err(StoreError::invalid("purpose", "export.purpose_required"));
        }
    }
    let mut filter = request.filter.clone();
    filter.limit = Some(PAGE);
    filter.after = None;
    let mut count = 0;
    loop {
        let page = list(conn, scope, &filter)?;
        let ids: Vec<i64> = page.items.iter().map(|s| s.id).collect();
        let mut sealed: Vec<(i64, Vec<u8>)> = children::table
            .filter(children::id.eq_any(&ids))
            .select((children::id, children::file_sealed))
            .load(conn)?;
        sealed.sort_unstable_by_key(|(id, _)| *id);
        for summary in &page.items {
            let Ok(at) = sealed.binary_search_by_key(&summary.id, |(id, _)| *id) else {
                continue;
            };
            each(summary, unseal(key, &sealed[at].1)?)?;
            count += 1;
        }
        match page.next {
            Some(next) => filter.after = Some(next),
            None => break,
        }
    }
    let purpose: String = purpose.chars().take(200).collect();
    let detail = format!(
        "{} rows, {}{}{}",
        count,
        request.description,
        if request.with_sensitive {
            ", sensitive"
        } else {
            ""
        },
        if purpose.is_empty() {
            String::new()
        } else {
            format!(", purpose: {purpose}")
        }
    );
    audit::record(
        conn,
        scope,
        "child.export",
        "roster",
        &detail,
        scope.region.as_ref(),
    )?;
    Ok(count)
}
