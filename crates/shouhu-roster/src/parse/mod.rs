//! Parsing raw roster rows into child files, with a problem report per cell.
//!
//! Each row is read on its own ([`parse_row`]) so that a million-row CSV streams; the one check
//! that spans rows, a repeated ID number, is kept incrementally by [`DuplicateCheck`].

mod error;
mod family;
mod row;
mod values;

use std::collections::HashMap;
use std::fmt;

use chrono::NaiveDate;
use shouhu_domain::{ChildFile, Grade, PhoneNo, RegionCode, XuejiLeftBehind};

use crate::Column;
use crate::read::{HeaderCell, RawRow, Sheet};

pub use error::RowError;
// The calendar sheet reads its dates the way rosters do.
pub use row::parse_row;
pub(crate) use values::{DateValue, date};

/// What a roster does not say and the importer knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowContext {
    /// The region children live in: a roster has only address text, so the importer says
    /// where (the school's village or township, or the county being imported).
    pub default_region: RegionCode,
    /// Dates after this are in the future (ID numbers, birth dates); also the day the
    /// left-behind code on the sheet is compared on.
    pub today: NaiveDate,
}

/// One problem with one cell, as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellProblem {
    pub sheet_row: u32,
    /// The header as written in the sheet.
    pub column: String,
    /// The cell's value as a person reads it.
    pub value: String,
    /// Chinese, ready to show.
    pub message: String,
    /// Stable key of the message, for translation.
    pub code: &'static str,
}

impl fmt::Display for CellProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "第 {} 行“{}”", self.sheet_row, self.column)?;
        if !self.value.is_empty() {
            write!(f, "（{}）", self.value)?;
        }
        write!(f, "：{}", self.message)
    }
}

/// A row taken: the child's file and where the sheet places the child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRow {
    pub sheet_row: u32,
    pub file: ChildFile,
    pub school: Option<String>,
    pub grade: Option<Grade>,
    pub class: Option<String>,
    /// 联系电话 with no named person (学籍 tables): the caller decides whose it is.
    pub contact_phone: Option<PhoneNo>,
    /// The 学籍 留守 code the sheet states, when it gives one. Not stored: Shouhu derives it.
    pub stated_left_behind: Option<XuejiLeftBehind>,
    /// Cells taken with a remark (a value filled from the ID, a disagreeing 留守 code).
    pub warnings: Vec<CellProblem>,
}

/// A row refused, with every problem found in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowRejection {
    pub sheet_row: u32,
    pub problems: Vec<CellProblem>,
}

/// Columns a roster cannot do without.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("表中缺少必需的列：{}", .missing.iter().map(|c| c.header()).collect::<Vec<_>>().join("、"))]
pub struct LayoutError {
    pub missing: Vec<Column>,
}

impl LayoutError {
    pub fn code(&self) -> &'static str {
        "roster.missing_columns"
    }
}

/// Where each known column sits in the sheet, and what its header says.
#[derive(Debug, Clone)]
pub struct Layout {
    slots: Vec<Option<(usize, String)>>,
}

impl Layout {
    /// Requires 姓名 and 民族, and 性别 and 出生日期 unless an ID column can supply them.
    pub fn new(columns: &[HeaderCell]) -> Result<Layout, LayoutError> {
        let size = Column::all().map(|c| c as usize + 1).max().unwrap_or(0);
        let mut slots = vec![None; size];
        for h in columns {
            if let Some(c) = h.column {
                slots[c as usize] = Some((h.index, h.text.clone()));
            }
        }
        let layout = Layout { slots };
        let has_id = layout.has(Column::IdNumber);
        let missing: Vec<Column> = [
            (Column::Name, true),
            (Column::Sex, !has_id),
            (Column::BirthDate, !has_id),
            (Column::Ethnicity, true),
        ]
        .into_iter()
        .filter(|&(c, needed)| needed && !layout.has(c))
        .map(|(c, _)| c)
        .collect();
        if missing.is_empty() {
            Ok(layout)
        } else {
            Err(LayoutError { missing })
        }
    }

    pub fn has(&self, column: Column) -> bool {
        self.index(column).is_some()
    }

    /// A row with nothing in any known column but 序号: a footer (填表人：…, 合计) or a
    /// numbered blank line, not a child.
    pub fn is_filler(&self, row: &RawRow) -> bool {
        self.slots
            .iter()
            .enumerate()
            .filter(|&(c, _)| c != Column::SerialNo as usize)
            .filter_map(|(_, slot)| slot.as_ref())
            .all(|(i, _)| row.cell(*i).is_empty())
    }

    pub(crate) fn index(&self, column: Column) -> Option<usize> {
        self.slots.get(column as usize)?.as_ref().map(|(i, _)| *i)
    }

    /// The header as the sheet writes it, or Shouhu's own when the sheet lacks the column.
    pub fn header(&self, column: Column) -> &str {
        match self.slots.get(column as usize) {
            Some(Some((_, text))) => text,
            _ => column.header(),
        }
    }
}

/// Refuses a row whose ID number an earlier taken row already has. Feed it rows in order.
#[derive(Debug, Default)]
pub struct DuplicateCheck {
    /// The ID's 17 digits and check character as one number (X as 10): a million IDs take
    /// 16 MB rather than a string each.
    seen: HashMap<u64, u32>,
}

fn id_key(id: &str) -> u64 {
    id.bytes().fold(0, |n, b| {
        // IdCardNo holds only digits and X; wrapping keeps a surprise from panicking.
        let digit = if b == b'X' {
            10
        } else {
            u64::from(b.wrapping_sub(b'0'))
        };
        n * 11 + digit
    })
}

impl DuplicateCheck {
    pub fn new() -> DuplicateCheck {
        DuplicateCheck::default()
    }

    /// Passes the row on, or refuses it for repeating an earlier row's ID.
    pub fn check(
        &mut self,
        layout: &Layout,
        row: Result<ParsedRow, RowRejection>,
    ) -> Result<ParsedRow, RowRejection> {
        let parsed = row?;
        let Some(id) = &parsed.file.id_number else {
            return Ok(parsed);
        };
        let key = id_key(id.as_str());
        match self.seen.get(&key) {
            Some(&first) => Err(RowRejection {
                sheet_row: parsed.sheet_row,
                problems: vec![CellProblem {
                    sheet_row: parsed.sheet_row,
                    column: layout.header(Column::IdNumber).to_owned(),
                    value: id.as_str().to_owned(),
                    message: RowError::DuplicateId(first).to_string(),
                    code: RowError::DuplicateId(first).code(),
                }],
            }),
            None => {
                self.seen.insert(key, parsed.sheet_row);
                Ok(parsed)
            }
        }
    }
}

/// Parses every row of a sheet: the rows taken and the rows refused, each in sheet order.
/// Filler rows ([`Layout::is_filler`]) are neither.
pub fn parse_rows(
    sheet: &Sheet,
    ctx: &RowContext,
) -> Result<(Vec<ParsedRow>, Vec<RowRejection>), LayoutError> {
    let layout = Layout::new(&sheet.columns)?;
    let mut duplicates = DuplicateCheck::new();
    let mut taken = Vec::new();
    let mut refused = Vec::new();
    for row in sheet.rows.iter().filter(|r| !layout.is_filler(r)) {
        match duplicates.check(&layout, parse_row(&layout, row, ctx)) {
            Ok(parsed) => taken.push(parsed),
            Err(rejection) => refused.push(rejection),
        }
    }
    Ok((taken, refused))
}

#[cfg(test)]
mod tests;
