//! The error report of an import: the user's own sheet given back with a 错误说明 column, each
//! message on the row it is about, so they can fix the sheet where they keep it and import it
//! again.

use std::collections::BTreeMap;

use rust_xlsxwriter::{Format, Workbook};

use crate::export::{SHEET_NAME, WriteError, header_format};

/// The added column's header.
pub const ERROR_COLUMN: &str = "错误说明";

/// The report as xlsx bytes. `header_row` and the rows' numbers are sheet rows from 1, as the
/// import read them; each line goes back on its own row so that "第8行" means the same row in
/// both files. `problems` maps a sheet row to its message (several messages joined already).
/// A problem on a row not among `rows` is still written there, with the message alone.
pub fn error_report(
    header_row: u32,
    header: &[String],
    rows: &[(u32, Vec<String>)],
    problems: &BTreeMap<u32, String>,
) -> Result<Vec<u8>, WriteError> {
    let width = rows
        .iter()
        .map(|(_, cells)| cells.len())
        .chain([header.len()])
        .max()
        .unwrap_or(0);
    let message_col = u16::try_from(width).unwrap_or(u16::MAX);
    let mut workbook = Workbook::new();
    // Reports are as long as the imports they answer; rows go out as they are written.
    let mut sheet = workbook.new_worksheet_with_constant_memory()?;
    sheet.set_name(SHEET_NAME)?;
    sheet.set_column_width(message_col, 40)?;
    let marked = Format::new()
        .set_font_color(0xC00000)
        .set_background_color(0xFDE9E7);
    let marked_header = header_format().set_font_color(0xC00000);

    let mut order: Vec<&(u32, Vec<String>)> = rows.iter().collect();
    order.sort_by_key(|(row, _)| *row);
    let lines = merge(header_row, &order, problems);
    // Constant-memory sheets are written in row order; a line whose row is taken (two lines
    // claiming one row) goes on the next free row rather than being lost.
    let mut next_free = 0u32;
    let mut last_written = 0u32;
    for line in lines {
        let at = line.row.saturating_sub(1).max(next_free);
        match line.kind {
            Line::Header => {
                for (col, text) in (0u16..).zip(header) {
                    sheet.write_string_with_format(at, col, text, &header_format())?;
                }
                sheet.write_string_with_format(at, message_col, ERROR_COLUMN, &marked_header)?;
                sheet.set_freeze_panes(at + 1, 0)?;
            }
            Line::Data(cells, message) => {
                for (col, text) in (0u16..).zip(cells) {
                    if !text.is_empty() {
                        sheet.write_string(at, col, text)?;
                    }
                }
                if let Some(message) = message {
                    sheet.write_string_with_format(at, message_col, message, &marked)?;
                }
            }
        }
        next_free = at + 1;
        last_written = at;
    }
    let header_at = header_row.saturating_sub(1);
    if last_written > header_at {
        sheet.autofilter(header_at, 0, last_written, message_col)?;
    }
    workbook.push_worksheet(sheet);
    Ok(workbook.save_to_buffer()?)
}

struct Numbered<'a> {
    row: u32,
    kind: Line<'a>,
}

enum Line<'a> {
    Header,
    Data(&'a [String], Option<&'a str>),
}

/// The header, the rows and the problems as one list in row order.
fn merge<'a>(
    header_row: u32,
    rows: &[&'a (u32, Vec<String>)],
    problems: &'a BTreeMap<u32, String>,
) -> Vec<Numbered<'a>> {
    let mut lines = Vec::with_capacity(rows.len() + 1);
    lines.push(Numbered {
        row: header_row.max(1),
        kind: Line::Header,
    });
    for (row, cells) in rows.iter().map(|r| (r.0, &r.1)) {
        let message = problems.get(&row).map(String::as_str);
        lines.push(Numbered {
            row,
            kind: Line::Data(cells, message),
        });
    }
    let has_row: std::collections::HashSet<u32> = rows.iter().map(|r| r.0).collect();
    for (&row, message) in problems {
        if !has_row.contains(&row) {
            lines.push(Numbered {
                row,
                kind: Line::Data(&[], Some(message)),
            });
        }
    }
    // Stable: the header stays before a data line that claims its row.
    lines.sort_by_key(|l| l.row);
    lines
}
