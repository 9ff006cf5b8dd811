//! The blank roster users download to fill in: a title row, the header, one example row, and
//! columns set up so that Excel keeps what is typed (ID numbers as text, dates as dates, 是/否
//! from a list).

use rust_xlsxwriter::{DataValidation, Format, FormatBorder, Workbook, Worksheet};

use crate::columns::Column;
use crate::export::{Cell, ExportRow, Form, WriteError};
use crate::export::{date_format, set_widths, write_header, write_title};
use crate::generate::{GenSpec, Rows};

/// Rows below the example that get the column formats and drop-down lists.
const FORM_ROWS: u32 = 2000;

/// The sheet row (from 1) of the example line; imports may skip a line equal to [`example`].
pub const EXAMPLE_ROW: u32 = 3;

/// The template for `form` as xlsx bytes.
pub fn template(form: Form) -> Result<Vec<u8>, WriteError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(crate::export::SHEET_NAME)?;
    let title = format!(
        "{}（第{EXAMPLE_ROW}行为填写示例，请删除后填写）",
        form.default_title()
    );
    write_title(sheet, 0, form, &title)?;
    write_header(sheet, 1, form.headers())?;
    let columns: Vec<Column> = form.columns().iter().map(|&(c, _)| c).collect();
    set_widths(sheet, columns.iter().copied())?;
    sheet.set_freeze_panes(2, 0)?;
    let example = example(form);
    let cells = form.cells(&example, 1, true);
    // Grey italics say "not real data" without words; the title says it in words.
    let grey = Format::new().set_italic().set_font_color(0x808080);
    write_example(sheet, EXAMPLE_ROW - 1, &cells, &grey)?;
    for (col, &column) in (0u16..).zip(&columns) {
        prepare_column(sheet, form, col, column)?;
    }
    Ok(workbook.save_to_buffer()?)
}

/// The made-up child on the example line: a complete file with both parents away, the same
/// every time.
pub fn example(form: Form) -> ExportRow {
    let complete = |r: &ExportRow| {
        r.file.missing().is_empty()
            && r.grade.is_some_and(|g| g.is_compulsory())
            && [&r.file.father, &r.file.mother]
                .iter()
                .all(|p| p.as_ref().is_some_and(|p| p.away.is_some()))
    };
    // The stream never ends, and about one child in five qualifies.
    let mut rows = Rows::new(&GenSpec::new(usize::MAX, 2016), form);
    loop {
        if let Some(line) = rows.next()
            && complete(&line.row)
        {
            return line.row;
        }
    }
}

fn write_example(
    sheet: &mut Worksheet,
    row: u32,
    cells: &[Cell<'_>],
    format: &Format,
) -> Result<(), WriteError> {
    let date = date_format().set_italic().set_font_color(0x808080);
    for (col, cell) in (0u16..).zip(cells) {
        match cell {
            Cell::Empty => {}
            Cell::Text(s) => {
                sheet.write_string_with_format(row, col, s.as_ref(), format)?;
            }
            Cell::Number(n) => {
                sheet.write_number_with_format(row, col, *n, format)?;
            }
            Cell::Date(d) => {
                sheet.write_date_with_format(row, col, d, &date)?;
            }
        }
    }
    Ok(())
}

/// Column format and list for what users type below the example.
fn prepare_column(
    sheet: &mut Worksheet,
    form: Form,
    col: u16,
    column: Column,
) -> Result<(), WriteError> {
    use Column as C;
    let text = Format::new()
        .set_num_format("@")
        .set_border(FormatBorder::None);
    let (first, last) = (EXAMPLE_ROW, EXAMPLE_ROW + FORM_ROWS);
    let list: Option<&[&str]> = match (form, column) {
        (Form::Mca, C::Sex) => Some(&["男", "女"]),
        (Form::Xueji, C::Sex) => Some(&["1", "2"]),
        (Form::Mca, C::Boarding | C::BothParentsAway) => Some(&["是", "否"]),
        (Form::Xueji, C::Boarding | C::HukouType) => Some(&["1", "2"]),
        (Form::Xueji, C::LeftBehind) => Some(&["0", "1", "2"]),
        _ => None,
    };
    match (form, column) {
        // A real date column: typed dates stay dates, shown one way.
        (Form::Mca, C::BirthDate) => {
            sheet.set_column_format(col, &date_format())?;
        }
        // Everything else is text, above all the 18-digit numbers Excel would round.
        _ if column != C::SerialNo => {
            sheet.set_column_format(col, &text)?;
        }
        _ => {}
    }
    if let Some(list) = list {
        let rule = DataValidation::new().allow_list_strings(list)?;
        sheet.add_data_validation(first, col, last, col, &rule)?;
    }
    Ok(())
}
