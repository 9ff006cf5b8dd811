//! The anchors: the `sqlite3` shell's `.import` of the CSV, calamine alone reading the xlsx and
//! rust_xlsxwriter alone writing the export's cells.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use calamine::{Data, Reader, open_workbook_auto};
use rust_xlsxwriter::{Format, Workbook};

use super::process::{Run, timed};

/// The anchor table's indexes, one for each of `children`'s ten (migrations 000002 and 000003),
/// on the roster columns nearest to what each indexes there.
const INDEXES: [(&str, &str); 10] = [
    // children_school (school_id, class_id, name_pinyin, id)
    ("roster_school", r#"("学校", "年级", "班级", "姓名")"#),
    // children_school_region (school_region)
    ("roster_hukou", r#"("户籍所在地")"#),
    // children_residence (residence_region)
    ("roster_residence", r#"("现居住地")"#),
    // children_pinyin (name_pinyin, id)
    ("roster_name", r#"("姓名", "序号")"#),
    // children_initials (name_initials)
    ("roster_surname", r#"(substr("姓名", 1, 1))"#),
    // children_last4 (id_last4)
    ("roster_last4", r#"(substr("公民身份证号码", -4))"#),
    // children_twin (name, birth_date)
    ("roster_twin", r#"("姓名", "出生日期")"#),
    // children_lb_as_of (lb_as_of)
    ("roster_away", r#"("父母双方同时外出")"#),
    // UNIQUE id_hash
    ("UNIQUE roster_id", r#"("公民身份证号码")"#),
    // UNIQUE submit_key
    ("UNIQUE roster_key", r#"("姓名", "公民身份证号码")"#),
];

pub(super) struct Shell {
    path: PathBuf,
    pub(super) version: String,
}

impl Shell {
    pub(super) fn find(path: &Path) -> anyhow::Result<Shell> {
        let out = Command::new(path)
            .arg("-version")
            .output()
            .with_context(|| format!("cannot run {} (apt-get install sqlite3)", path.display()))?;
        if !out.status.success() {
            bail!("{} -version failed", path.display());
        }
        let version = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .next()
            .unwrap_or("?")
            .to_owned();
        Ok(Shell {
            path: path.to_path_buf(),
            version,
        })
    }

    fn script(&self, db: &Path, sql: &str) -> anyhow::Result<String> {
        let mut child = Command::new(&self.path)
            .arg("-batch")
            .arg("-bail")
            .arg(db)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("running {}", self.path.display()))?;
        child
            .stdin
            .take()
            .context("sqlite3's stdin")?
            .write_all(sql.as_bytes())?;
        let out = child.wait_with_output()?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() || !stderr.trim().is_empty() {
            bail!("sqlite3 failed: {}", stderr.trim());
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// A table `roster` of the sheet's columns, all TEXT, with [`INDEXES`].
    pub(super) fn create_table(&self, db: &Path, header: &[String]) -> anyhow::Result<()> {
        let columns: Vec<String> = header.iter().map(|h| format!("\"{h}\" TEXT")).collect();
        let mut sql = format!("CREATE TABLE roster ({});\n", columns.join(", "));
        for (name, on) in INDEXES {
            sql.push_str(&format!("CREATE {} ON roster {on};\n", index_name(name)));
        }
        self.script(db, &sql).context("the anchor table")?;
        let indexes = self.script(
            db,
            "SELECT count(*) FROM sqlite_master WHERE type = 'index';",
        )?;
        if indexes.trim() != INDEXES.len().to_string() {
            bail!("the anchor table has {} indexes", indexes.trim());
        }
        Ok(())
    }

    /// `.import --csv --skip 1` of `csv` into `roster`, timed; any message from the shell (a row
    /// it refused) fails the benchmark. The header line skipped holds the byte-order mark.
    pub(super) fn import(&self, db: &Path, csv: &Path, work: &Path) -> anyhow::Result<Run> {
        let command = format!(".import --csv --skip 1 \"{}\" roster", csv.display());
        let args: Vec<OsString> = vec!["-batch".into(), db.into(), command.into()];
        let (run, _, stderr) = timed(&self.path, &args, work)?;
        if !stderr.trim().is_empty() {
            bail!("sqlite3 .import: {}", stderr.trim());
        }
        Ok(run)
    }

    pub(super) fn count(&self, db: &Path) -> anyhow::Result<usize> {
        let first = self.script(db, "SELECT \"序号\" FROM roster ORDER BY rowid LIMIT 1;")?;
        if first.trim() != "1" {
            bail!("the anchor table's first 序号 is {:?}, not 1", first.trim());
        }
        let n = self.script(db, "SELECT count(*) FROM roster;")?;
        n.trim().parse().context("counting the anchor table")
    }
}

/// `CREATE INDEX name` or `CREATE UNIQUE INDEX name` for the table's entries.
fn index_name(entry: &str) -> String {
    match entry.strip_prefix("UNIQUE ") {
        Some(name) => format!("UNIQUE INDEX {name}"),
        None => format!("INDEX {entry}"),
    }
}

/// calamine opening the workbook and reading its first sheet, every cell looked at: the time,
/// after checking the sheet holds `rows` rows under the title and header.
pub(super) fn calamine_read(path: &Path, rows: usize) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut book = open_workbook_auto(path)?;
    let name = book.sheet_names().first().cloned().context("no sheet")?;
    let range = book.worksheet_range(&name)?;
    let (mut cells, mut bytes) = (0usize, 0usize);
    for row in range.rows() {
        for cell in row {
            match cell {
                Data::Empty => {}
                Data::String(s) => {
                    cells += 1;
                    bytes += s.len();
                }
                _ => cells += 1,
            }
        }
    }
    let elapsed = started.elapsed();
    std::hint::black_box((cells, bytes));
    if range.height() != rows + 2 {
        bail!("calamine read {} rows, not {} + 2", range.height(), rows);
    }
    Ok(elapsed)
}

/// The cells of a sheet, read into memory: its first row and column, then the rows.
pub(super) struct Cells {
    start: (u32, u16),
    rows: Vec<Vec<Data>>,
}

/// Reads the export back (untimed), checking it holds `rows` children under the title and
/// header.
pub(super) fn read_back(path: &Path, rows: usize) -> anyhow::Result<Cells> {
    let mut book = open_workbook_auto(path)?;
    let name = book.sheet_names().first().cloned().context("no sheet")?;
    let range = book.worksheet_range(&name)?;
    let (row, col) = range.start().unwrap_or((0, 0));
    let start = (row, u16::try_from(col).context("column")?);
    let rows_read: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
    if rows_read.len() != rows + 2 {
        bail!("the export has {} rows, not {} + 2", rows_read.len(), rows);
    }
    Ok(Cells {
        start,
        rows: rows_read,
    })
}

/// rust_xlsxwriter in constant-memory mode, as the export uses it, writing `cells` to `out`:
/// strings, numbers and dates (as numbers with the export's date format), the top two rows
/// (title and header) bold. The export's merged title, widths and frozen panes are left out.
pub(super) fn xlsxwriter_write(cells: &Cells, out: &Path) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut workbook = Workbook::new();
    let mut sheet = workbook.new_worksheet_with_constant_memory()?;
    sheet.set_name("花名册")?;
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let bold = Format::new().set_bold();
    for (r, row) in (cells.start.0..).zip(&cells.rows) {
        let head = r < cells.start.0 + 2;
        for (c, cell) in (cells.start.1..).zip(row) {
            match cell {
                Data::Empty | Data::Error(_) => {}
                Data::String(s) if head => {
                    sheet.write_string_with_format(r, c, s, &bold)?;
                }
                Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
                    sheet.write_string(r, c, s)?;
                }
                Data::Float(f) => {
                    sheet.write_number(r, c, *f)?;
                }
                Data::Int(i) => {
                    sheet.write_number(r, c, *i as f64)?;
                }
                Data::Bool(b) => {
                    sheet.write_boolean(r, c, *b)?;
                }
                Data::DateTime(d) => {
                    sheet.write_number_with_format(r, c, d.as_f64(), &date)?;
                }
            }
        }
    }
    workbook.push_worksheet(sheet);
    workbook.save(out)?;
    Ok(started.elapsed())
}
