//! One roster file through the whole import: read (xlsx, xls, or CSV streamed), each row parsed
//! and checked against the file, then handed to the store, which matches, places and writes.
//! The report merges the parser's problems and the store's refusals in sheet order.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Cursor, Read};
use std::path::Path;

use chrono::NaiveDate;
use shouhu_domain::{ChildFile, PhoneNo, RegionCode};
use shouhu_roster::read::stream_xlsx;
use shouhu_roster::{
    CellProblem, Column, DuplicateCheck, Form, HeaderCell, Layout, LayoutError, ParsedRow, RawRow,
    ReadError, RowContext, RowRejection, WriteError, csv_rows, error_report, parse_row,
    read_roster,
};
use shouhu_store::children::{
    self, ImportField, ImportOptions, ImportRow, ImportSummary, Notice, RowInput,
};
use shouhu_store::crypto::DeploymentKey;
use shouhu_store::{Conn, Scope, StoreError};

/// What to import and how.
#[derive(Clone, Debug)]
pub struct ImportSpec<'a> {
    pub source: Source<'a>,
    /// The name the user gave the file (its extension names the format when the bytes do not).
    pub file_name: &'a str,
    /// Where rows without a 学校 cell go; a principal's own school when absent.
    pub default_school: Option<i64>,
    /// False for the preview: everything checked and counted, nothing kept.
    pub write: bool,
    pub skip_rejected: bool,
    pub today: NaiveDate,
}

/// Where the sheet's bytes are: in memory (an upload) or in a file, which a CSV is streamed
/// from so that a million rows take no more memory than a thousand.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    Bytes(&'a [u8]),
    File(&'a Path),
}

impl Source<'_> {
    /// The first bytes, to tell a workbook from text.
    fn head(&self) -> Result<Vec<u8>, ReadError> {
        match self {
            Source::Bytes(b) => Ok(b[..b.len().min(8)].to_vec()),
            Source::File(path) => {
                let mut head = Vec::with_capacity(8);
                File::open(path)
                    .and_then(|f| f.take(8).read_to_end(&mut head))
                    .map_err(io_error)?;
                Ok(head)
            }
        }
    }

    /// Lines of a CSV in memory, as the progress bar's end; 0 (unknown) for one streamed.
    fn lines(&self) -> usize {
        match self {
            Source::Bytes(b) => b.iter().filter(|&&c| c == b'\n').count(),
            Source::File(_) => 0,
        }
    }
}

fn io_error(e: std::io::Error) -> ReadError {
    ReadError::Workbook(format!("无法读取文件：{e}"))
}

/// Why a file could not be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Layout(#[from] LayoutError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ImportError {
    /// API error code.
    pub fn code(&self) -> &'static str {
        match self {
            ImportError::Read(e) => e.code(),
            ImportError::Layout(e) => e.code(),
            ImportError::Store(_) => "internal",
        }
    }
}

/// What an import found and did.
#[derive(Clone, Debug)]
pub struct ImportReport {
    pub summary: ImportSummary,
    /// Every refused row's problems (parser and store), in sheet order.
    pub problems: Vec<CellProblem>,
    pub warnings: Vec<CellProblem>,
    /// Headers Shouhu does not read, as written.
    pub unknown_columns: Vec<String>,
    /// Data rows read (filler rows aside).
    pub rows: usize,
}

impl ImportReport {
    /// `imported N, updated M, unchanged U, rejected R`.
    pub fn summary_line(&self) -> String {
        let s = &self.summary;
        format!(
            "imported {}, updated {}, unchanged {}, rejected {}",
            s.imported, s.updated, s.unchanged, s.rejected
        )
    }
}

/// Keys of the file that the parser fills with a default when the sheet lacks their column;
/// an update keeps the stored values of those.
fn kept_keys(layout: &Layout) -> Vec<String> {
    [
        (Column::Health, "health"),
        (Column::SchoolingStatus, "schooling"),
        (Column::IdDocType, "id_doc_type"),
    ]
    .into_iter()
    .filter(|(c, _)| !layout.has(*c))
    .map(|(_, k)| k.to_owned())
    .collect()
}

/// A 学籍 sheet's 联系电话 belongs to nobody in particular: the entrusted guardian's phone when
/// that is blank, else a line in the notes, so it is not lost.
fn place_contact_phone(file: &mut ChildFile, phone: PhoneNo) {
    if let Some(e) = &mut file.entrustment
        && e.phone.is_none()
    {
        e.phone = Some(phone);
        return;
    }
    let line = format!("学籍表联系电话：{}", phone.as_str());
    let notes = match &file.notes {
        Some(n) if n.as_str().contains(phone.as_str()) => return,
        Some(n) => format!("{}；{line}", n.as_str()),
        None => line,
    };
    if let Ok(n) = shouhu_domain::FactText::parse(&notes) {
        file.notes = Some(n);
    }
}

/// The ID numbers on the templates' example lines: a template sent back with its example still
/// in place must not create that made-up child.
fn example_ids() -> Vec<String> {
    [Form::Mca, Form::Xueji]
        .into_iter()
        .filter_map(|f| shouhu_roster::template::example(f).file.id_number)
        .map(|n| n.as_str().to_owned())
        .collect()
}

/// Reads rows lazily: CSV and xlsx stream (xlsx on a thread of its own), other workbooks are
/// read whole.
type Rows<'a> = Box<dyn Iterator<Item = Result<RawRow, ReadError>> + Send + 'a>;

/// A sheet opened: where its header is, its columns, the rows below, and how many there are
/// as far as known before reading them (the progress bar's end; 0 when unknown).
struct Opened<'a> {
    header_row: u32,
    columns: Vec<HeaderCell>,
    rows: Rows<'a>,
    total: usize,
}

/// Opens the sheet; `stream` lets an xlsx be read as the rows are taken (the import), else it
/// is read whole, its rows as wide as its widest (the error sheet, which copies them).
fn open_rows<'a>(
    source: Source<'a>,
    file_name: &str,
    stream: bool,
) -> Result<Opened<'a>, ReadError> {
    let head = source.head()?;
    let is_zip = head.starts_with(b"PK\x03\x04");
    let is_workbook = is_zip || head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    let lower = file_name.to_ascii_lowercase();
    let is_text = lower.ends_with(".csv") || lower.ends_with(".txt") || !lower.contains('.');
    if is_zip && stream {
        // Reading a 100k-row sheet whole took a fifth of its import, with nothing else running.
        let bytes: std::sync::Arc<[u8]> = match source {
            Source::Bytes(b) => b.into(),
            Source::File(path) => std::fs::read(path).map_err(io_error)?.into(),
        };
        if let Some(sheet) = stream_xlsx(bytes.clone())? {
            return Ok(Opened {
                header_row: sheet.header_row,
                total: sheet.expected_rows,
                columns: sheet.columns,
                rows: sheet.rows,
            });
        }
        let sheet = read_roster(&bytes, file_name)?;
        return Ok(Opened {
            header_row: sheet.header_row,
            total: sheet.rows.len(),
            columns: sheet.columns,
            rows: Box::new(sheet.rows.into_iter().map(Ok)),
        });
    }
    if is_workbook || !is_text {
        // `read_roster` reads workbooks whole and refuses what is neither kind.
        let sheet = match source {
            Source::Bytes(b) => read_roster(b, file_name)?,
            Source::File(path) => read_roster(&std::fs::read(path).map_err(io_error)?, file_name)?,
        };
        return Ok(Opened {
            header_row: sheet.header_row,
            total: sheet.rows.len(),
            columns: sheet.columns,
            rows: Box::new(sheet.rows.into_iter().map(Ok)),
        });
    }
    let reader: Box<dyn Read + Send + 'a> = match source {
        Source::Bytes(b) => Box::new(Cursor::new(b)),
        Source::File(path) => Box::new(File::open(path).map_err(io_error)?),
    };
    let rows = csv_rows(reader)?;
    Ok(Opened {
        header_row: rows.header_row(),
        columns: rows.columns().to_vec(),
        total: source.lines(),
        rows: Box::new(rows),
    })
}

/// Imports one roster file. `progress(done, total)` hears the rows done; `total` is the sheet's
/// row count (a CSV's line count), or `done` itself while unknown (a CSV streamed from disk).
pub fn import_roster(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    spec: &ImportSpec<'_>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportReport, ImportError> {
    let Opened {
        columns,
        rows,
        total,
        ..
    } = open_rows(spec.source, spec.file_name, true)?;
    let layout = Layout::new(&columns)?;
    let ctx = RowContext {
        // Replaced by the school's place when a file is made; the parser needs one to start.
        default_region: scope.region.clone().unwrap_or_else(|| {
            RegionCode::parse("110000000000").unwrap_or_else(|_| unreachable!())
        }),
        today: spec.today,
    };
    let options = ImportOptions {
        default_school: spec.default_school,
        keep: kept_keys(&layout),
        source: spec.file_name.to_owned(),
        write: spec.write,
        skip_rejected: spec.skip_rejected,
        today: spec.today,
    };
    // Reading and parsing run on a thread of their own, a chunk ahead of the store, so that
    // the two halves of the work share the machine's cores.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<RowInput>>(8);
    let (summary, parsed) = std::thread::scope(|s| {
        let (layout, ctx) = (&layout, &ctx);
        let producer = s.spawn(move || parse_all(rows, layout, ctx, tx));
        let summary = children::import(
            conn,
            scope,
            key,
            &options,
            rx.into_iter().flatten(),
            &mut |done| {
                progress(done, total.max(done));
            },
        );
        (summary, producer.join())
    });
    let summary = summary?;
    let Parsed {
        mut problems,
        mut warnings,
        count,
        read_error,
    } = parsed.map_err(|_| StoreError::Internal("the roster parser panicked".into()))?;
    if let Some(e) = read_error {
        return Err(e.into());
    }
    let header_of = |f: ImportField| {
        let column = match f {
            ImportField::School => Column::School,
            ImportField::Grade => Column::Grade,
            ImportField::Class => Column::Class,
            ImportField::IdNumber => Column::IdNumber,
            ImportField::Name => Column::Name,
        };
        layout.header(column).to_owned()
    };
    let as_problem = |n: &Notice| CellProblem {
        sheet_row: n.sheet_row,
        column: header_of(n.field),
        value: String::new(),
        message: n.message().to_owned(),
        code: n.code,
    };
    problems.extend(summary.refusals.iter().map(as_problem));
    warnings.extend(summary.warnings.iter().map(as_problem));
    problems.sort_by_key(|p| p.sheet_row);
    warnings.sort_by_key(|p| p.sheet_row);
    Ok(ImportReport {
        summary,
        problems,
        warnings,
        unknown_columns: columns
            .iter()
            .filter(|h| h.column.is_none() && !h.text.is_empty())
            .map(|h| h.text.clone())
            .collect(),
        rows: count,
    })
}

/// What the parsing side found, besides the rows it handed on.
#[derive(Default)]
struct Parsed {
    problems: Vec<CellProblem>,
    warnings: Vec<CellProblem>,
    /// Data rows read (filler rows aside).
    count: usize,
    read_error: Option<ReadError>,
}

/// Rows handed to the store per message.
const CHUNK: usize = 256;

/// Parses every row and sends them on in chunks; stops early when the store stops listening.
fn parse_all(
    rows: Rows<'_>,
    layout: &Layout,
    ctx: &RowContext,
    tx: std::sync::mpsc::SyncSender<Vec<RowInput>>,
) -> Parsed {
    let examples = example_ids();
    let mut duplicates = DuplicateCheck::new();
    let mut out = Parsed::default();
    let mut chunk = Vec::with_capacity(CHUNK);
    for raw in rows {
        let raw = match raw {
            Ok(raw) if layout.is_filler(&raw) => continue,
            Ok(raw) => raw,
            Err(e) => {
                // The store rolls back on this: a file read only in part is not imported.
                out.read_error = Some(e);
                chunk.push(RowInput::Unreadable);
                break;
            }
        };
        out.count += 1;
        match duplicates.check(layout, parse_row(layout, &raw, ctx)) {
            Ok(p) if is_example(&p, &examples) => out.warnings.push(CellProblem {
                sheet_row: p.sheet_row,
                column: layout.header(Column::IdNumber).to_owned(),
                value: String::new(),
                message: "模板中的填写示例，已跳过".to_owned(),
                code: "roster.example_row",
            }),
            Ok(p) => chunk.push(RowInput::Row(Box::new(to_import_row(p, &mut out.warnings)))),
            Err(RowRejection {
                sheet_row,
                problems,
            }) => {
                out.problems.extend(problems);
                chunk.push(RowInput::Refused(sheet_row));
            }
        }
        if chunk.len() == CHUNK && tx.send(std::mem::take(&mut chunk)).is_err() {
            return out;
        }
    }
    let _ = tx.send(chunk);
    out
}

fn is_example(p: &ParsedRow, examples: &[String]) -> bool {
    p.file
        .id_number
        .as_ref()
        .is_some_and(|n| examples.iter().any(|e| e == n.as_str()))
}

fn to_import_row(p: ParsedRow, warnings: &mut Vec<CellProblem>) -> ImportRow {
    let ParsedRow {
        sheet_row,
        mut file,
        school,
        grade,
        class,
        contact_phone,
        warnings: w,
        ..
    } = p;
    warnings.extend(w);
    if let Some(phone) = contact_phone {
        place_contact_phone(&mut file, phone);
    }
    ImportRow {
        sheet_row,
        file,
        school,
        grade,
        class,
    }
}

/// The original sheet with a 错误说明 column saying what is wrong with each refused row.
pub fn error_sheet(
    source: Source<'_>,
    file_name: &str,
    problems: &[CellProblem],
) -> Result<Vec<u8>, ImportError> {
    let Opened {
        header_row,
        columns,
        rows,
        ..
    } = open_rows(source, file_name, false)?;
    let header: Vec<String> = {
        let width = columns.iter().map(|h| h.index + 1).max().unwrap_or(0);
        let mut header = vec![String::new(); width];
        for h in &columns {
            header[h.index] = h.text.clone();
        }
        header
    };
    let mut messages: BTreeMap<u32, String> = BTreeMap::new();
    for p in problems {
        let line = messages.entry(p.sheet_row).or_default();
        if !line.is_empty() {
            line.push('；');
        }
        line.push_str(&format!("{}：{}", p.column, p.message));
    }
    let mut data = Vec::new();
    for row in rows {
        let row = row?;
        data.push((
            row.sheet_row,
            row.cells.iter().map(|c| c.display()).collect(),
        ));
    }
    error_report(header_row, &header, &data, &messages)
        .map_err(|e: WriteError| ImportError::Store(StoreError::Internal(e.to_string())))
}
