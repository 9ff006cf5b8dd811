//! Uploaded rosters between upload and confirmation: an in-memory registry held in the app state,
//! each upload under a random token, visible only to the user who sent it, with the rows done so
//! far for the progress bar, and forgotten an hour later.
//!
//! The bytes stay in memory rather than on disk because the preview, the confirmation and the
//! error report all read the same file again, and an upload is capped; the registry also caps
//! how much it holds in total and per user, so uploads cannot exhaust the server.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::rosters::ImportReport;

/// The largest roster accepted: a county's 100k rows as xlsx are about 10 MB, as CSV 30 MB.
pub const MAX_UPLOAD: usize = 100 * 1024 * 1024;
/// How long an upload is kept after it was sent.
const LIFETIME: Duration = Duration::from_secs(60 * 60);
/// A job still running this long after its upload is taken to be lost (its task died).
const LOST: Duration = Duration::from_secs(4 * 60 * 60);
/// Uploads kept per user; a new one pushes out the user's oldest finished one.
const PER_USER: usize = 3;
/// Bytes held for all users together.
const TOTAL_BYTES: usize = 4 * MAX_UPLOAD;
/// Imports run at the same time on PostgreSQL: each holds a connection and a core.
const RUNNING: usize = 2;

/// Where an upload is.
#[derive(Clone, Debug)]
pub enum Stage {
    /// The preview is running (or waiting for a free slot).
    Checking,
    /// The preview is done; nothing was written.
    Checked(Arc<ImportReport>),
    /// Confirmed; the import is running.
    Writing {
        preview: Arc<ImportReport>,
        skip_rejected: bool,
    },
    /// The confirmed import ended (written or, with rejected rows not skipped, not).
    Written {
        preview: Arc<ImportReport>,
        result: Arc<ImportReport>,
        skip_rejected: bool,
    },
    /// The file could not be read, or the database failed. `message` is for the user.
    Failed {
        preview: Option<Arc<ImportReport>>,
        message: String,
    },
}

impl Stage {
    /// The name the status endpoint and the page's script use.
    pub fn phase(&self) -> &'static str {
        match self {
            Stage::Checking => "checking",
            Stage::Checked(_) => "checked",
            Stage::Writing { .. } => "writing",
            Stage::Written { .. } => "written",
            Stage::Failed { .. } => "failed",
        }
    }

    fn running(&self) -> bool {
        matches!(self, Stage::Checking | Stage::Writing { .. })
    }
}

/// One uploaded file and what has become of it.
#[derive(Debug)]
pub struct ImportJob {
    pub owner: i64,
    /// The uploading session (its cookie's hash), which the status poll is checked against.
    session: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// The school chosen for rows without a 学校 cell.
    pub default_school: Option<i64>,
    /// The skip choice made on the upload form, offered again on the confirmation form.
    pub skip_rejected: bool,
    /// An xlsx or xls workbook rather than text (see [`ImportJob::set_progress`]).
    workbook: bool,
    uploaded: Instant,
    done: AtomicUsize,
    total: AtomicUsize,
    /// Rows of the preview, the end of the bar while the confirmed import runs.
    known_rows: AtomicUsize,
    stage: Mutex<Stage>,
}

impl ImportJob {
    pub fn new(
        owner: i64,
        session: String,
        file_name: String,
        bytes: Vec<u8>,
        default_school: Option<i64>,
        skip_rejected: bool,
    ) -> ImportJob {
        let workbook = bytes.starts_with(b"PK\x03\x04")
            || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
        ImportJob {
            owner,
            session,
            file_name,
            bytes,
            default_school,
            skip_rejected,
            workbook,
            uploaded: Instant::now(),
            done: AtomicUsize::new(0),
            total: AtomicUsize::new(0),
            known_rows: AtomicUsize::new(0),
            stage: Mutex::new(Stage::Checking),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Stage> {
        // A panic while the lock was held cannot leave a half-written stage: every change is
        // one assignment.
        self.stage.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn stage(&self) -> Stage {
        self.lock().clone()
    }

    /// Rows done and the rows expected; 0 expected means not known yet.
    pub fn progress(&self) -> (usize, usize) {
        (
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }

    /// Called by the import after each batch. For a CSV the import's estimate (the file's
    /// lines) is right; for a workbook it counts line-feed bytes in compressed data, which mean
    /// nothing, so the end is unknown until the preview has counted the rows.
    pub fn set_progress(&self, done: usize, estimate: usize) {
        let total = if self.workbook {
            match self.known_rows.load(Ordering::Relaxed) {
                0 => 0,
                rows => rows.max(done),
            }
        } else {
            estimate.max(done)
        };
        self.done.store(done, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }

    /// Moves a checked upload to writing and returns its preview; `None` when it is not
    /// waiting for confirmation (a second confirmation, or a stale form), so that one upload
    /// is imported at most once. A confirmed import that wrote nothing (rows were rejected
    /// and not to be skipped) may be confirmed again, with the other choice.
    pub fn begin_write(&self, skip_rejected: bool) -> Option<Arc<ImportReport>> {
        let mut stage = self.lock();
        let preview = match &*stage {
            Stage::Checked(preview) => preview.clone(),
            Stage::Written {
                preview, result, ..
            } if !result.summary.written => preview.clone(),
            _ => return None,
        };
        self.known_rows.store(preview.rows, Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
        self.total.store(preview.rows, Ordering::Relaxed);
        *stage = Stage::Writing {
            preview: preview.clone(),
            skip_rejected,
        };
        Some(preview)
    }

    /// Records how the running step ended.
    pub fn finish(&self, outcome: Result<ImportReport, String>) {
        let mut stage = self.lock();
        let writing = match &*stage {
            Stage::Writing {
                preview,
                skip_rejected,
            } => Some((preview.clone(), *skip_rejected)),
            _ => None,
        };
        *stage = match (outcome, writing) {
            (Ok(report), None) => {
                self.known_rows.store(report.rows, Ordering::Relaxed);
                Stage::Checked(Arc::new(report))
            }
            (Ok(report), Some((preview, skip_rejected))) => Stage::Written {
                preview,
                result: Arc::new(report),
                skip_rejected,
            },
            (Err(message), writing) => Stage::Failed {
                preview: writing.map(|(p, _)| p),
                message,
            },
        };
    }

    fn expired(&self, now: Instant) -> bool {
        let age = now.saturating_duration_since(self.uploaded);
        age > LOST || (age > LIFETIME && !self.lock().running())
    }
}

/// Why an upload was not taken in.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The user's earlier uploads are all still running.
    UserBusy,
    /// The registry holds as much as it may.
    Full,
}

/// The registry; one per app, in [`crate::AppState`].
#[derive(Debug)]
pub struct ImportJobs {
    jobs: Mutex<HashMap<String, Arc<ImportJob>>>,
    slots: Arc<Semaphore>,
}

impl Default for ImportJobs {
    fn default() -> Self {
        Self::new(RUNNING)
    }
}

impl ImportJobs {
    /// A registry running at most `running` imports at once.
    pub fn new(running: usize) -> ImportJobs {
        ImportJobs {
            jobs: Mutex::new(HashMap::new()),
            slots: Arc::new(Semaphore::new(running.max(1))),
        }
    }

    /// As many imports at once as the database takes: on SQLite one, since every import
    /// (a check too) writes inside its transaction and a second would wait on the first's
    /// write lock until the busy timeout failed it.
    pub fn for_store(store: &shouhu_store::Store) -> ImportJobs {
        match store.url() {
            shouhu_store::DatabaseUrl::Sqlite(_) => ImportJobs::new(1),
            _ => ImportJobs::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Arc<ImportJob>>> {
        // Inserts and removals leave the map whole even if a holder panicked.
        self.jobs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn sweep(jobs: &mut HashMap<String, Arc<ImportJob>>) {
        let now = Instant::now();
        jobs.retain(|_, job| !job.expired(now));
    }

    /// Keeps `job` under a new random token.
    pub fn insert(&self, job: ImportJob) -> Result<(String, Arc<ImportJob>), Refusal> {
        let mut jobs = self.lock();
        Self::sweep(&mut jobs);
        let mut own: Vec<(String, Instant, bool)> = jobs
            .iter()
            .filter(|(_, j)| j.owner == job.owner)
            .map(|(token, j)| (token.clone(), j.uploaded, j.lock().running()))
            .collect();
        own.sort_by_key(|(_, at, _)| *at);
        let mut excess = (own.len() + 1).saturating_sub(PER_USER);
        for (token, _, running) in &own {
            if excess == 0 {
                break;
            }
            if !running {
                jobs.remove(token);
                excess -= 1;
            }
        }
        if excess > 0 {
            return Err(Refusal::UserBusy);
        }
        let held: usize = jobs.values().map(|j| j.bytes.len()).sum();
        if held + job.bytes.len() > TOTAL_BYTES {
            return Err(Refusal::Full);
        }
        let token = hex::encode(rand::random::<[u8; 16]>());
        let job = Arc::new(job);
        jobs.insert(token.clone(), job.clone());
        Ok((token, job))
    }

    /// The upload under `token` if `user` sent it; anyone else's is as good as absent.
    pub fn get(&self, token: &str, user: i64) -> Option<Arc<ImportJob>> {
        let mut jobs = self.lock();
        Self::sweep(&mut jobs);
        jobs.get(token).filter(|j| j.owner == user).cloned()
    }

    /// The upload under `token` if it was sent in the session whose cookie hashes to `session`.
    /// The status poll asks this way rather than through the session table: checking a
    /// session there may write to it, and on SQLite a running import holds the write lock, so
    /// the poll would stall for as long as the bar should move.
    pub fn get_in_session(&self, token: &str, session: &str) -> Option<Arc<ImportJob>> {
        let mut jobs = self.lock();
        Self::sweep(&mut jobs);
        jobs.get(token)
            .filter(|j| crate::auth::constant_time_eq(j.session.as_bytes(), session.as_bytes()))
            .cloned()
    }

    /// The user's uploads still kept, newest first.
    pub fn of_user(&self, user: i64) -> Vec<(String, Arc<ImportJob>)> {
        let mut jobs = self.lock();
        Self::sweep(&mut jobs);
        let mut own: Vec<_> = jobs
            .iter()
            .filter(|(_, j)| j.owner == user)
            .map(|(t, j)| (t.clone(), j.clone()))
            .collect();
        own.sort_by_key(|(_, j)| std::cmp::Reverse(j.uploaded));
        own
    }

    /// Waits for a free slot to run an import in; the slot is free again when dropped.
    pub async fn slot(&self) -> Option<OwnedSemaphorePermit> {
        self.slots.clone().acquire_owned().await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(owner: i64, size: usize) -> ImportJob {
        ImportJob::new(
            owner,
            format!("s{owner}"),
            "a.csv".into(),
            vec![b'x'; size],
            None,
            false,
        )
    }

    fn report(rows: usize) -> ImportReport {
        ImportReport {
            summary: Default::default(),
            problems: Vec::new(),
            warnings: Vec::new(),
            unknown_columns: Vec::new(),
            rows,
        }
    }

    #[test]
    fn a_job_is_only_its_owners() {
        let jobs = ImportJobs::default();
        let (token, _) = jobs.insert(job(1, 10)).unwrap();
        assert!(jobs.get(&token, 1).is_some());
        assert!(jobs.get(&token, 2).is_none());
        assert!(jobs.get("nope", 1).is_none());
        assert!(jobs.get_in_session(&token, "s1").is_some());
        assert!(jobs.get_in_session(&token, "s2").is_none());
        assert_eq!(token.len(), 32);
    }

    #[test]
    fn a_checked_job_is_written_once() {
        let j = job(1, 10);
        assert!(j.begin_write(false).is_none(), "not checked yet");
        j.finish(Ok(report(7)));
        assert_eq!(j.stage().phase(), "checked");
        assert!(j.begin_write(false).is_some());
        assert_eq!(j.progress(), (0, 7));
        assert!(
            j.begin_write(false).is_none(),
            "a second confirmation does nothing"
        );
        // Refused: rows were rejected and not to be skipped; it may be confirmed again.
        j.finish(Ok(report(7)));
        assert_eq!(j.stage().phase(), "written");
        assert!(j.begin_write(true).is_some());
        let mut written = report(7);
        written.summary.written = true;
        j.finish(Ok(written));
        assert!(j.begin_write(true).is_none(), "written once, never again");
    }

    #[test]
    fn a_workbooks_end_is_unknown_until_counted() {
        let j = ImportJob::new(
            1,
            "s1".into(),
            "a.xlsx".into(),
            b"PK\x03\x04rest".to_vec(),
            None,
            false,
        );
        j.set_progress(500, 12);
        assert_eq!(j.progress(), (500, 0));
        j.finish(Ok(report(2000)));
        j.begin_write(false);
        j.set_progress(500, 12);
        assert_eq!(j.progress(), (500, 2000));
        let csv = job(1, 1);
        csv.set_progress(500, 2001);
        assert_eq!(csv.progress(), (500, 2001));
    }

    #[test]
    fn a_user_keeps_a_few_uploads_and_all_together_are_bounded() {
        let jobs = ImportJobs::default();
        let mut tokens = Vec::new();
        for _ in 0..PER_USER {
            tokens.push(jobs.insert(job(1, 1)).unwrap().0);
        }
        assert_eq!(
            jobs.insert(job(1, 1)).unwrap_err(),
            Refusal::UserBusy,
            "all still running"
        );
        jobs.get(&tokens[0], 1).unwrap().finish(Err("x".into()));
        assert!(
            jobs.insert(job(1, 1)).is_ok(),
            "the finished one makes room"
        );
        assert!(jobs.get(&tokens[0], 1).is_none());
        assert_eq!(jobs.of_user(1).len(), PER_USER);
        assert_eq!(jobs.insert(job(2, TOTAL_BYTES)).unwrap_err(), Refusal::Full);
    }
}
