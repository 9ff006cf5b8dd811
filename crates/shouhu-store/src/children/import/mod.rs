//! Roster import: many files applied in one transaction. Each row is matched to a stored file by
//! ID number (its keyed hash), else by name, birth date and school; a new child gets a file, a
//! changed one an update and a revision, an unchanged one nothing. Nothing stays written unless
//! the caller asked to write and every row was taken (or rejected rows were to be skipped).
//!
//! Rows arrive already parsed (`shouhu-roster` reads the sheet); this module only knows the
//! database side: scope, placement, matching, and writing in batches, so a million rows stream.

mod merge;
mod placement;

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;
use shouhu_domain::{ChildFile, Grade, RegionCode};

pub use placement::NewClass;

use super::projection::{Columns, Projection};
use super::{Placement, Stored, may_edit, revisions, unseal, visible};
use crate::crypto::DeploymentKey;
use crate::schema::{child_revisions, children};
use crate::{Conn, Scope, StoreError, StoreResult, audit, clock};
use placement::{Place, Placer};

/// Rows applied per round trip: well under SQLite's 32,766 bound parameters at 26 a row.
const BATCH: usize = 500;

/// Rows per insert statement on SQLite. A statement of a fixed number of rows has a type of its
/// own, so diesel prepares it once and keeps it in its statement cache instead of writing and
/// preparing the SQL of every batch again (`perf` shows no preparing during an import).
const CHUNK: usize = 100;

/// Inserts `rows` on SQLite with `INSERT OR IGNORE`, `CHUNK` rows to a statement and the rest one
/// by one, so that only two statements are ever prepared; returns how many were written.
macro_rules! insert_cached {
    ($c:expr, $table:expr, $rows:expr) => {{
        let mut written = 0;
        for chunk in $rows.chunks(CHUNK) {
            match <&[_; CHUNK]>::try_from(chunk) {
                Ok(full) => {
                    written += diesel::insert_or_ignore_into($table)
                        .values(full)
                        .execute($c)?
                }
                Err(_) => {
                    for one in chunk {
                        written += diesel::insert_or_ignore_into($table)
                            .values(std::array::from_ref(one))
                            .execute($c)?;
                    }
                }
            }
        }
        written
    }};
}

/// One parsed sheet row and where the sheet places the child.
#[derive(Clone, Debug)]
pub struct ImportRow {
    pub sheet_row: u32,
    pub file: ChildFile,
    /// The 学校 cell: a 学校标识码 or a school's name.
    pub school: Option<String>,
    pub grade: Option<Grade>,
    pub class: Option<String>,
}

/// What the import is given per sheet row: a parsed row, or the sheet row of one the parser
/// refused (counted, so a file with refused rows is not written unless asked).
#[derive(Clone, Debug)]
pub enum RowInput {
    Row(Box<ImportRow>),
    Refused(u32),
    /// The file could not be read on: nothing is written, whatever the options say.
    Unreadable,
}

/// The cell a notice is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    School,
    Grade,
    Class,
    IdNumber,
    Name,
}

/// A row refused, or taken with a remark, by the database side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub sheet_row: u32,
    pub field: Field,
    /// Message-catalog key.
    pub code: &'static str,
}

impl Notice {
    pub(super) fn new(sheet_row: u32, field: Field, code: &'static str) -> Notice {
        Notice {
            sheet_row,
            field,
            code,
        }
    }

    /// The notice in Chinese, for reports written into the sheet itself.
    pub fn message(&self) -> &'static str {
        match self.code {
            "import.school_unknown" => "没有这所学校，或不在您的管辖范围内",
            "import.school_missing" => "未注明学校：请在表中填写学校，或导入时选择学校",
            "import.class_unknown" => "班级不存在，且您无权新建班级",
            "import.class_without_grade" => "未填年级，无法确定班级，已导入但未分班",
            "import.grade_not_taught" => "学校不开设该年级，已导入但未分班",
            "import.exists_elsewhere" => "该儿童已在您管辖范围以外建档，请联系其所在学校",
            "import.twin_elsewhere" => "同乡镇已有同名同出生日期的儿童档案，请核实后手工处理",
            "import.repeated_row" => "与表中前面一行的姓名、出生日期和学校相同",
            "import.conflict" => "与已有档案合并后信息矛盾（出生日期或性别与身份证号不一致）",
            _ => "无法导入此行",
        }
    }
}

/// How to run an import.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// Where rows without a 学校 cell go (a principal's own school when absent).
    pub default_school: Option<i64>,
    /// Top-level file keys the sheet has no column for but the parser fills with a default;
    /// an update keeps the stored values of these.
    pub keep: Vec<String>,
    /// The file's name, for the audit log.
    pub source: String,
    /// False for a preview: everything is worked out, then rolled back.
    pub write: bool,
    /// Write the taken rows even though some were refused.
    pub skip_rejected: bool,
    pub today: NaiveDate,
}

/// What an import did, or (when not `written`) would do.
#[derive(Clone, Debug, Default)]
pub struct ImportSummary {
    pub imported: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Rows refused by the parser or here.
    pub rejected: usize,
    /// Refusals found here (the parser keeps its own).
    pub refusals: Vec<Notice>,
    pub warnings: Vec<Notice>,
    pub new_classes: Vec<NewClass>,
    pub written: bool,
}

/// A stored file a row may be.
#[derive(Queryable, Selectable)]
#[diesel(table_name = children)]
struct Existing {
    #[diesel(embed)]
    stored: Stored,
    id_hash: Option<String>,
}

/// A stored file of the same name and birth date, without its sealed file: common names make
/// many of these in a full county.
#[derive(Queryable, Selectable)]
#[diesel(table_name = children)]
struct Twin {
    id: i64,
    school_id: i64,
    residence_region: String,
    id_hash: Option<String>,
    name: String,
    birth_date: String,
}

/// Not `treat_none_as_default_value`, although nothing here is optional: with it diesel takes
/// every field for one that may be `DEFAULT`, which SQLite's `VALUES` lacks, so it inserted a
/// batch row by row inside a savepoint, and the savepoint copied each page it touched into a
/// journal (the same holds for [`Columns`]).
#[derive(Insertable)]
#[diesel(table_name = children, treat_none_as_default_value = false)]
struct NewChild {
    #[diesel(embed)]
    columns: Columns,
    created_at: i64,
    updated_at: i64,
}

struct Pending {
    row: ImportRow,
    place: Place,
    hash: Option<String>,
}

/// One import's running state.
struct Importer<'a> {
    scope: &'a Scope,
    key: &'a DeploymentKey,
    opts: &'a ImportOptions,
    placer: Placer,
    /// (name, birth date, school) of new files without an ID number, to catch a row repeated.
    unnumbered: HashSet<(String, NaiveDate, i64)>,
    summary: ImportSummary,
}

/// Runs an import of `rows`; `progress` hears the number of sheet rows done after each batch.
/// Errors are the database's; everything wrong with a row is in the summary.
pub fn import(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    opts: &ImportOptions,
    rows: impl IntoIterator<Item = RowInput>,
    progress: &mut dyn FnMut(usize),
) -> StoreResult<ImportSummary> {
    scope.require(may_edit(scope), "child.import")?;
    let mut summary = None;
    crate::connection::begin_bulk(conn)?;
    let outcome = conn.transaction(|conn| {
        let mut im = Importer {
            scope,
            key,
            opts,
            placer: Placer::new(conn, scope, opts.default_school, opts.today)?,
            unnumbered: HashSet::new(),
            summary: ImportSummary::default(),
        };
        let unreadable = im.run(conn, rows, progress)?;
        if unreadable {
            summary = Some(im.summary);
            return Err(StoreError::RolledBack);
        }
        let s = &mut im.summary;
        s.new_classes = std::mem::take(&mut im.placer.new_classes);
        let write = opts.write && (s.rejected == 0 || opts.skip_rejected);
        if write {
            let detail = format!(
                "{}: imported {}, updated {}, unchanged {}, rejected {}",
                opts.source, s.imported, s.updated, s.unchanged, s.rejected
            );
            audit::record(
                conn,
                scope,
                "child.import",
                "roster",
                &detail,
                scope.region.as_ref(),
            )?;
        }
        s.written = write;
        summary = Some(im.summary);
        if write {
            Ok(())
        } else {
            Err(StoreError::RolledBack)
        }
    });
    crate::connection::end_bulk(conn)?;
    match outcome {
        Ok(()) | Err(StoreError::RolledBack) => {
            summary.ok_or_else(|| StoreError::Internal("import ended without a summary".into()))
        }
        Err(e) => Err(e),
    }
}

/// Inserts new files; returns each one's id, name and birth date, in the order given.
///
/// On SQLite, `INSERT OR IGNORE` without `RETURNING`: either of those makes SQLite keep a
/// statement journal, and once the import's pages spill from the cache that journal is never
/// truncated, so closing each statement walked all of it. The import holds SQLite's one write
/// lock, so the new ids are the ones above the largest before. PostgreSQL has no such journal
/// and returns the ids itself. A row either database ignored comes back missing, which the
/// caller turns into an error.
fn insert_rows(conn: &mut Conn, rows: &[NewChild]) -> StoreResult<Vec<(i64, String, String)>> {
    let returning = (children::id, children::name, children::birth_date);
    match conn {
        Conn::Sqlite(c) => {
            let before: Option<i64> = children::table
                .select(diesel::dsl::max(children::id))
                .first(c)?;
            insert_cached!(c, children::table, rows);
            Ok(children::table
                .filter(children::id.gt(before.unwrap_or(0)))
                .order(children::id)
                .select(returning)
                .load(c)?)
        }
        Conn::Postgres(c) => Ok(diesel::insert_into(children::table)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(returning)
            .get_results(c)?),
    }
}

/// New files with their columns and first revision worked out, ready to insert.
struct Ready {
    new: Vec<Pending>,
    rows: Vec<NewChild>,
    leaves: Vec<String>,
}

/// Seals new files and writes their first revisions: most of the work per row, and none of
/// it needs the database, so it runs on a thread of its own beside the inserts.
fn prepare(key: &DeploymentKey, today: NaiveDate, new: Vec<Pending>) -> StoreResult<Ready> {
    let now = clock::now_ms();
    let mut rows = Vec::with_capacity(new.len());
    let mut leaves = Vec::with_capacity(new.len());
    for p in &new {
        let proj = Projection::of(key, &p.row.file, p.place.compulsory, today)?;
        let at = Placement {
            school_id: p.place.school.id,
            class_id: p.place.class.as_ref().map(|(id, _)| *id),
        };
        let class = p.place.class.as_ref().map(|(_, name)| name.as_str());
        leaves.push(revisions::first_changes(
            &p.row.file,
            &p.place.school.name,
            class,
        )?);
        rows.push(NewChild {
            columns: proj.columns(at, &p.place.school.region),
            created_at: now,
            updated_at: now,
        });
    }
    Ok(Ready { new, rows, leaves })
}

impl Importer<'_> {
    /// Feeds every row through: batches are placed and matched here, sealed on a second
    /// thread, and inserted here one batch behind, so the database and the sealing overlap.
    /// Returns true when the source could not be read to its end.
    fn run(
        &mut self,
        conn: &mut Conn,
        rows: impl IntoIterator<Item = RowInput>,
        progress: &mut dyn FnMut(usize),
    ) -> StoreResult<bool> {
        let (key, today) = (self.key, self.opts.today);
        std::thread::scope(|s| {
            let (to_prepare, batches) = std::sync::mpsc::sync_channel::<Vec<Pending>>(1);
            let (prepared, ready) = std::sync::mpsc::sync_channel::<StoreResult<Ready>>(1);
            s.spawn(move || {
                for batch in batches {
                    if prepared.send(prepare(key, today, batch)).is_err() {
                        break;
                    }
                }
            });
            // Sheet rows done as of each batch sent, for progress once it is written.
            let mut in_flight = std::collections::VecDeque::new();
            let mut finish_one = |im: &mut Self,
                                  conn: &mut Conn,
                                  marks: &mut std::collections::VecDeque<usize>|
             -> StoreResult<()> {
                let batch = ready
                    .recv()
                    .map_err(|_| StoreError::Internal("row preparation stopped".into()))??;
                im.insert(conn, batch)?;
                if let Some(done) = marks.pop_front() {
                    progress(done);
                }
                Ok(())
            };
            let mut batch = Vec::with_capacity(BATCH);
            let mut done = 0;
            let mut unreadable = false;
            let mut rows = rows.into_iter().peekable();
            while let Some(input) = rows.next() {
                done += 1;
                match input {
                    RowInput::Row(row) => batch.push(*row),
                    RowInput::Refused(_) => self.summary.rejected += 1,
                    RowInput::Unreadable => {
                        unreadable = true;
                        break;
                    }
                }
                if batch.len() == BATCH || rows.peek().is_none() {
                    let new = self.apply(conn, std::mem::take(&mut batch))?;
                    to_prepare
                        .send(new)
                        .map_err(|_| StoreError::Internal("row preparation stopped".into()))?;
                    in_flight.push_back(done);
                    if in_flight.len() > 1 {
                        finish_one(self, conn, &mut in_flight)?;
                    }
                }
            }
            drop(to_prepare);
            if unreadable {
                return Ok(true);
            }
            while !in_flight.is_empty() {
                finish_one(self, conn, &mut in_flight)?;
            }
            progress(done);
            Ok(false)
        })
    }

    fn refuse(&mut self, notice: Notice) {
        self.summary.rejected += 1;
        self.summary.refusals.push(notice);
    }

    /// Places and matches a batch: updates what is filed already, returns the new files.
    fn apply(&mut self, conn: &mut Conn, batch: Vec<ImportRow>) -> StoreResult<Vec<Pending>> {
        let mut pending = Vec::with_capacity(batch.len());
        for row in batch {
            let place = self
                .placer
                .place(conn, self.scope, &row, &mut self.summary.warnings)?;
            match place {
                Ok(place) => {
                    let hash = row
                        .file
                        .id_number
                        .as_ref()
                        .map(|n| self.key.lookup_hash(n.as_str()));
                    pending.push(Pending { row, place, hash });
                }
                Err(notice) => self.refuse(notice),
            }
        }
        let hashes: Vec<&str> = pending.iter().filter_map(|p| p.hash.as_deref()).collect();
        let mut by_hash: HashMap<String, Existing> = HashMap::new();
        if !hashes.is_empty() {
            let found: Vec<Existing> = children::table
                .filter(children::id_hash.eq_any(&hashes))
                .select(Existing::as_select())
                .load(conn)?;
            for e in found {
                if let Some(h) = e.id_hash.clone() {
                    by_hash.insert(h, e);
                }
            }
        }
        // Rows not found by ID number may be a file kept without one (or the row has none).
        let unmatched = pending
            .iter()
            .filter(|p| p.hash.as_ref().is_none_or(|h| !by_hash.contains_key(h)));
        // A twin matters only where one side lacks an ID number: rows without one meet every
        // file of their name, rows with one only files kept without. By name alone, since IN
        // lists on both columns of the (name, birth_date) index make SQLite probe every pair.
        let (numbered, unnumbered): (Vec<&Pending>, Vec<&Pending>) =
            unmatched.partition(|p| p.hash.is_some());
        let names = |list: &[&Pending]| -> Vec<String> {
            let set: HashSet<&str> = list.iter().map(|p| p.row.file.name.as_str()).collect();
            set.into_iter().map(str::to_owned).collect()
        };
        let mut twins: Vec<Twin> = Vec::new();
        if !numbered.is_empty() {
            twins.extend(
                children::table
                    .filter(children::name.eq_any(names(&numbered)))
                    .filter(children::id_hash.is_null())
                    .select(Twin::as_select())
                    .load(conn)?,
            );
        }
        if !unnumbered.is_empty() {
            twins.extend(
                children::table
                    .filter(children::name.eq_any(names(&unnumbered)))
                    .filter(children::id_hash.is_not_null())
                    .select(Twin::as_select())
                    .load(conn)?,
            );
        }
        let mut new = Vec::new();
        for p in pending {
            let birth = p.row.file.birth_date.to_string();
            let twin_of = |e: &&Twin| {
                e.name == p.row.file.name.as_str()
                    && e.birth_date == birth
                    && (e.id_hash.is_none() || p.hash.is_none())
            };
            let found = match p.hash.as_ref().and_then(|h| by_hash.remove(h)) {
                Some(e) => Some(e),
                None => match twins
                    .iter()
                    .filter(twin_of)
                    .find(|e| e.school_id == p.place.school.id)
                {
                    Some(twin) => Some(
                        children::table
                            .find(twin.id)
                            .select(Existing::as_select())
                            .first(conn)?,
                    ),
                    None => None,
                },
            };
            if let Some(existing) = found {
                self.update(conn, existing, p)?;
                continue;
            }
            let township = &p.place.school.region[..9.min(p.place.school.region.len())];
            let field = if p.hash.is_some() {
                Field::IdNumber
            } else {
                Field::Name
            };
            if twins
                .iter()
                .filter(twin_of)
                .any(|e| e.residence_region.starts_with(township))
            {
                self.refuse(Notice::new(p.row.sheet_row, field, "import.twin_elsewhere"));
                continue;
            }
            if p.hash.is_none() {
                let key = (
                    p.row.file.name.as_str().to_owned(),
                    p.row.file.birth_date,
                    p.place.school.id,
                );
                if !self.unnumbered.insert(key) {
                    self.refuse(Notice::new(
                        p.row.sheet_row,
                        Field::Name,
                        "import.repeated_row",
                    ));
                    continue;
                }
            }
            // A sheet says where a child lives only in words: a new file starts at the school's
            // place, to be corrected on the file.
            let mut p = p;
            p.row.file.residence_region = RegionCode::parse(&p.place.school.region)
                .map_err(|e| StoreError::Internal(format!("school region: {e}")))?;
            new.push(p);
        }
        Ok(new)
    }

    /// A stored file the row matched: refused when out of reach, else merged and saved if it
    /// changed.
    fn update(&mut self, conn: &mut Conn, e: Existing, p: Pending) -> StoreResult<()> {
        let s = &e.stored;
        let field = if p.hash.is_some() {
            Field::IdNumber
        } else {
            Field::Name
        };
        if !visible(
            self.scope,
            s.school_id,
            s.class_id,
            [&s.school_region, &s.residence_region],
        ) {
            self.refuse(Notice::new(
                p.row.sheet_row,
                field,
                "import.exists_elsewhere",
            ));
            return Ok(());
        }
        let before = unseal(self.key, &s.file_sealed)?;
        let after = match merge::merged(&before, &p.row.file, &self.opts.keep) {
            Ok(f) if f.check().is_ok() => f,
            _ => {
                self.refuse(Notice::new(p.row.sheet_row, field, "import.conflict"));
                return Ok(());
            }
        };
        let was = Placement {
            school_id: s.school_id,
            class_id: s.class_id,
        };
        let same_school = p.place.school.id == s.school_id;
        let at = Placement {
            school_id: p.place.school.id,
            class_id: match &p.place.class {
                Some((id, _)) => Some(*id),
                None if same_school => s.class_id,
                None => None,
            },
        };
        if before == after && at == was {
            self.summary.unchanged += 1;
            return Ok(());
        }
        let proj = Projection::of(self.key, &after, p.place.compulsory, self.opts.today)?;
        let version = s.version + 1;
        diesel::update(
            children::table
                .find(s.id)
                .filter(children::version.eq(s.version)),
        )
        .set((
            &proj.columns(at, &p.place.school.region),
            children::version.eq(version),
            children::updated_at.eq(clock::now_ms()),
        ))
        .execute(conn)?;
        revisions::record(
            conn,
            self.scope,
            s.id,
            version,
            Some((&before, was)),
            (&after, at),
        )?;
        self.summary.updated += 1;
        Ok(())
    }

    /// New files, a batch per statement, each with its first revision.
    fn insert(&mut self, conn: &mut Conn, ready: Ready) -> StoreResult<()> {
        let Ready { new, rows, leaves } = ready;
        if new.is_empty() {
            return Ok(());
        }
        let now = rows[0].created_at;
        // `OR IGNORE` (`ON CONFLICT DO NOTHING`) so that SQLite needs no statement journal for
        // a statement that cannot abort half-way: that journal is kept across the whole import
        // once pages spill, and truncating it grew with every batch. A row the database would
        // have refused instead comes back missing, which the check below turns into an error.
        let ids = insert_rows(conn, &rows)?;
        // Rows come back in the order given; checked, not assumed.
        let in_order = ids.len() == new.len()
            && ids.iter().zip(&new).all(|((_, name, birth), p)| {
                name == p.row.file.name.as_str() && *birth == p.row.file.birth_date.to_string()
            });
        if !in_order {
            return Err(StoreError::Internal(
                "inserted rows came back out of order".into(),
            ));
        }
        let revisions: Vec<_> = ids
            .iter()
            .zip(leaves)
            .map(|((id, _, _), changes)| {
                (
                    child_revisions::child_id.eq(*id),
                    child_revisions::at.eq(now),
                    child_revisions::actor_id.eq(self.scope.actor.id()),
                    child_revisions::actor_name.eq(self.scope.actor.name().to_owned()),
                    child_revisions::version.eq(1),
                    child_revisions::changes.eq(changes),
                )
            })
            .collect();
        let count = revisions.len();
        let written = match conn {
            Conn::Sqlite(c) => insert_cached!(c, child_revisions::table, revisions),
            Conn::Postgres(c) => diesel::insert_into(child_revisions::table)
                .values(revisions)
                .on_conflict_do_nothing()
                .execute(c)?,
        };
        if written != count {
            return Err(StoreError::Internal("a revision was not written".into()));
        }
        self.summary.imported += new.len();
        Ok(())
    }
}
