//! Roster export: every file in the caller's scope and filters, a page at a time, so a county's
//! sheet streams in constant memory. Each export is audit-logged, and the full ID numbers and
//! phones go out only to roles allowed to reveal them, with the purpose stated.
//!
//! Three threads share the work, a page or two apart: one reads pages (summaries and sealed
//! files in one query), one unseals and parses the files, and the caller's thread writes them.
//! Opening the files cost as much as writing them, and the reads as much again.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use diesel::prelude::*;
use shouhu_domain::ChildFile;

use super::list::{ChildFilter, ExportPlace, SealedPage, list, page_with_files, search};
use super::{may_reveal, unseal};
use crate::crypto::DeploymentKey;
use crate::schema::children;
use crate::{Conn, Scope, StoreError, StoreResult, audit};

/// Files are read and unsealed this many at a time.
const PAGE: i64 = 500;

/// Pages in flight between two threads.
const AHEAD: usize = 2;

/// What an export is for; `purpose` is required for the sensitive columns.
#[derive(Clone, Debug, Default)]
pub struct ExportRequest {
    pub filter: ChildFilter,
    pub with_sensitive: bool,
    pub purpose: String,
    /// The form and format, for the audit log (`mca xlsx`).
    pub description: String,
}

/// Calls `each` with every file in scope and filter and where its child is on roll, in pinyin
/// order; returns how many.
pub fn export(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    request: &ExportRequest,
    each: &mut dyn FnMut(&ExportPlace, ChildFile) -> StoreResult<()>,
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
    let count = std::thread::scope(|s| -> StoreResult<usize> {
        let (to_open, sealed) = sync_channel(AHEAD);
        let (to_write, opened) = sync_channel(AHEAD);
        let reader = s.spawn(|| read_pages(conn, scope, filter, to_open));
        let opener = s.spawn(|| open_pages(key, sealed, to_write));
        let mut count = 0;
        // An error on this side drops `opened`, which stops the other two at their next page.
        let written: StoreResult<()> = opened.iter().try_for_each(|page: Vec<Opened>| {
            page.into_iter().try_for_each(|(place, file)| {
                each(&place, file?)?;
                count += 1;
                StoreResult::Ok(())
            })
        });
        drop(opened);
        let read = reader
            .join()
            .map_err(|_| StoreError::Internal("the export's reader panicked".into()))?;
        opener
            .join()
            .map_err(|_| StoreError::Internal("the export's unsealer panicked".into()))?;
        written?;
        read?;
        Ok(count)
    })?;
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

/// A file as the writer gets it: its place and the file unsealed, or why it could not be.
type Opened = (ExportPlace, StoreResult<ChildFile>);

/// Sends every page of files in scope and filter, in the list's order, until done or until
/// nobody listens.
fn read_pages(
    conn: &mut Conn,
    scope: &Scope,
    mut filter: ChildFilter,
    out: SyncSender<Vec<(ExportPlace, Vec<u8>)>>,
) -> StoreResult<()> {
    let searching = filter.q.as_deref().and_then(search).is_some();
    loop {
        let (page, next) = if searching {
            search_page(conn, scope, &filter)?
        } else {
            page_with_files(conn, scope, &filter)?
        };
        if out.send(page).is_err() {
            return Ok(());
        }
        match next {
            Some(next) => filter.after = Some(next),
            None => return Ok(()),
        }
    }
}

/// A page of a search, which only `list` knows how to run (one query per search branch), with
/// its sealed files read by id afterwards.
fn search_page(conn: &mut Conn, scope: &Scope, filter: &ChildFilter) -> StoreResult<SealedPage> {
    let page = list(conn, scope, filter)?;
    let ids: Vec<i64> = page.items.iter().map(|s| s.id).collect();
    let mut sealed: Vec<(i64, Vec<u8>)> = children::table
        .filter(children::id.eq_any(&ids))
        .select((children::id, children::file_sealed))
        .load(conn)?;
    sealed.sort_unstable_by_key(|(id, _)| *id);
    let items = page
        .items
        .into_iter()
        .filter_map(|summary| {
            let at = sealed
                .binary_search_by_key(&summary.id, |(id, _)| *id)
                .ok()?;
            Some((summary.into(), std::mem::take(&mut sealed[at].1)))
        })
        .collect();
    Ok((items, page.next))
}

/// Unseals and parses each page's files, keeping the order.
fn open_pages(
    key: &DeploymentKey,
    pages: Receiver<Vec<(ExportPlace, Vec<u8>)>>,
    out: SyncSender<Vec<Opened>>,
) {
    for page in pages {
        let opened = page
            .into_iter()
            .map(|(place, sealed)| {
                let file = unseal(key, &sealed);
                (place, file)
            })
            .collect();
        if out.send(opened).is_err() {
            return;
        }
    }
}
