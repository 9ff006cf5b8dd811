//! The xlsx writer: a thin layer over `rust_xlsxwriter` in constant-memory mode, where each
//! row goes to a temporary file as soon as the next one starts.

use std::io::Write;
use std::path::Path;

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet};

use super::{Cell, ExportRow, Form, WriteError};
use crate::columns::Column;

/// An xlsx roster being written: title row (optional), header, then one line per [`push`].
///
/// [`push`]: XlsxExport::push
pub struct XlsxExport {
    workbook: Workbook,
    sheet: Worksheet,
    form: Form,
    with_sensitive: bool,
    /// The next sheet row to write, counting from 0 as `rust_xlsxwriter` does.
    next_row: u32,
    first_data_row: u32,
    date: Format,
}

impl std::fmt::Debug for XlsxExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XlsxExport")
            .field("form", &self.form)
            .field("with_sensitive", &self.with_sensitive)
            .field("next_row", &self.next_row)
            .finish_non_exhaustive()
    }
}

/// The sheet's name in the workbook.
pub(crate) const SHEET_NAME: &str = "花名册";

impl XlsxExport {
    /// Starts a roster in `form`. `title` goes in a merged row above the header (the 花名册
    /// has one; a flat sheet for another system leaves it out). Without `with_sensitive`, ID
    /// numbers, phones, 学籍号 and addresses are masked.
    pub fn new(
        form: Form,
        title: Option<&str>,
        with_sensitive: bool,
    ) -> Result<XlsxExport, WriteError> {
        let mut workbook = Workbook::new();
        let mut sheet = workbook.new_worksheet_with_constant_memory()?;
        sheet.set_name(SHEET_NAME)?;
        let mut row = 0;
        if let Some(title) = title {
            write_title(&mut sheet, row, form, title)?;
            row += 1;
        }
        write_header(&mut sheet, row, form.headers())?;
        set_widths(&mut sheet, form.columns().iter().map(|&(c, _)| c))?;
        sheet.set_freeze_panes(row + 1, 0)?;
        Ok(XlsxExport {
            workbook,
            sheet,
            form,
            with_sensitive,
            next_row: row + 1,
            first_data_row: row + 2,
            date: date_format(),
        })
    }

    /// The sheet row (from 1, as Excel shows it) of the first line pushed.
    pub fn first_data_row(&self) -> u32 {
        self.first_data_row
    }

    /// Lines written so far.
    pub fn len(&self) -> u32 {
        self.next_row + 1 - self.first_data_row
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes one child; returns its sheet row (from 1). The 序号 counts the lines.
    pub fn push(&mut self, row: &ExportRow) -> Result<u32, WriteError> {
        let serial = self.len() + 1;
        let cells = self.form.cells(row, serial, self.with_sensitive);
        self.push_cells(&cells)
    }

    /// Writes one line of ready cells (the generator's bad rows are made this way).
    pub fn push_cells(&mut self, cells: &[Cell<'_>]) -> Result<u32, WriteError> {
        let row = self.next_row;
        write_cells(&mut self.sheet, row, cells, &self.date)?;
        self.next_row += 1;
        Ok(row + 1)
    }

    /// Closes the sheet and saves the workbook at `path`.
    pub fn finish(self, path: &Path) -> Result<(), WriteError> {
        let mut workbook = self.into_workbook();
        workbook.save(path)?;
        Ok(())
    }

    /// Closes the sheet and writes the workbook to `out` (a response body, a temporary file).
    pub fn finish_to_writer<W: Write + Send>(self, out: W) -> Result<(), WriteError> {
        let mut workbook = self.into_workbook();
        workbook.save_to_writer(out)?;
        Ok(())
    }

    pub fn finish_to_buffer(self) -> Result<Vec<u8>, WriteError> {
        let mut workbook = self.into_workbook();
        Ok(workbook.save_to_buffer()?)
    }

    fn into_workbook(self) -> Workbook {
        let mut workbook = self.workbook;
        workbook.push_worksheet(self.sheet);
        workbook
    }
}

/// Writes `cells` on sheet row `row` (from 0); empty cells are left unwritten.
pub(crate) fn write_cells(
    sheet: &mut Worksheet,
    row: u32,
    cells: &[Cell<'_>],
    date: &Format,
) -> Result<(), WriteError> {
    for (col, cell) in (0u16..).zip(cells) {
        match cell {
            Cell::Empty => {}
            Cell::Text(s) => {
                sheet.write_string(row, col, s.as_ref())?;
            }
            Cell::Number(n) => {
                sheet.write_number(row, col, *n)?;
            }
            Cell::Date(d) => {
                sheet.write_date_with_format(row, col, d, date)?;
            }
        }
    }
    Ok(())
}

pub(crate) fn date_format() -> Format {
    Format::new().set_num_format("yyyy-mm-dd")
}

pub(crate) fn header_format() -> Format {
    Format::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap()
        .set_border(FormatBorder::Thin)
        .set_background_color(0xDDEBF7)
}

/// A merged, centred title across the form's width.
pub(crate) fn write_title(
    sheet: &mut Worksheet,
    row: u32,
    form: Form,
    title: &str,
) -> Result<(), WriteError> {
    let format = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let last = last_col(form.columns().len());
    sheet.set_row_height(row, 30)?;
    if last == 0 {
        sheet.write_string_with_format(row, 0, title, &format)?;
    } else {
        sheet.merge_range(row, 0, row, last, title, &format)?;
    }
    Ok(())
}

pub(crate) fn write_header<'a>(
    sheet: &mut Worksheet,
    row: u32,
    headers: impl IntoIterator<Item = &'a str>,
) -> Result<(), WriteError> {
    let format = header_format();
    for (col, header) in (0u16..).zip(headers) {
        sheet.write_string_with_format(row, col, header, &format)?;
    }
    Ok(())
}

pub(crate) fn last_col(columns: usize) -> u16 {
    u16::try_from(columns.saturating_sub(1)).unwrap_or(u16::MAX)
}

/// Widths that show a whole ID number, phone or date without the user widening anything.
pub(crate) fn set_widths(
    sheet: &mut Worksheet,
    columns: impl IntoIterator<Item = Column>,
) -> Result<(), WriteError> {
    for (col, column) in (0u16..).zip(columns) {
        sheet.set_column_width(col, width(column))?;
    }
    Ok(())
}

fn width(column: Column) -> f64 {
    use Column as C;
    match column {
        C::SerialNo | C::Sex | C::HukouType | C::LeftBehind | C::IdDocType => 8.0,
        C::IdNumber | C::XuejiNo | C::FatherIdNumber | C::MotherIdNumber => 21.0,
        C::FatherPhone | C::MotherPhone | C::EntrustedPhone | C::ContactPhone => 14.0,
        C::BirthDate | C::FatherAwaySince | C::MotherAwaySince => 12.0,
        C::Address | C::Notes => 32.0,
        C::HukouPlace | C::School => 22.0,
        C::FatherWorkPlace | C::MotherWorkPlace => 16.0,
        _ => 10.0,
    }
}
