//! Export speed against plain `rust_xlsxwriter` writing the very same cells: the budget is an
//! export taking at most 1.5 times as long.
//!
//! `cargo run --release -p shouhu-roster --example export_vs_plain -- [ROWS] [mca|xueji]`

use std::path::Path;
use std::time::{Duration, Instant};

use rust_xlsxwriter::{Format, Workbook};
use shouhu_roster::export::Cell;
use shouhu_roster::generate::Rows;
use shouhu_roster::{CsvExport, Encoding, ExportRow, Form, GenSpec, XlsxExport};

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let form = args
        .next()
        .map_or(Some(Form::Mca), |a| Form::parse(&a))
        .ok_or("form is mca or xueji")?;
    let dir = std::env::temp_dir().join(format!("shouhu-export-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;

    let started = Instant::now();
    let rows: Vec<ExportRow> = Rows::new(&GenSpec::new(n, 1), form)
        .map(|l| l.row)
        .collect();
    println!("generated {n} children in {:.2?}", started.elapsed());
    // The plain writer gets the cells ready-made: only the writing is timed.
    let cells: Vec<Vec<Cell<'_>>> = (1..)
        .zip(&rows)
        .map(|(serial, r)| form.cells(r, serial, false))
        .collect();

    let mut best = [Duration::MAX; 3];
    for round in 0..2 {
        let plain = time(|| plain(form, &cells, &dir.join("plain.xlsx")))?;
        let export = time(|| export(form, &rows, &dir.join("export.xlsx")))?;
        let csv = time(|| csv(form, &rows, &dir.join("export.csv")))?;
        println!("round {round}: plain {plain:.2?}, export {export:.2?}, csv {csv:.2?}");
        for (b, t) in best.iter_mut().zip([plain, export, csv]) {
            *b = (*b).min(t);
        }
    }
    let rate = |d: Duration| n as f64 / d.as_secs_f64();
    let [plain, export, csv] = best;
    println!(
        "{n} rows, {} columns, best of two:\n  plain rust_xlsxwriter {:>9.0} rows/s\n  XlsxExport            {:>9.0} rows/s  ({:.2}× plain's time)\n  CsvExport             {:>9.0} rows/s",
        form.columns().len(),
        rate(plain),
        rate(export),
        export.as_secs_f64() / plain.as_secs_f64(),
        rate(csv),
    );
    let size = std::fs::metadata(dir.join("export.xlsx"))?.len();
    println!("  xlsx size {:.1} MB", size as f64 / 1e6);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

fn time(f: impl FnOnce() -> Result<(), Error>) -> Result<Duration, Error> {
    let started = Instant::now();
    f()?;
    Ok(started.elapsed())
}

/// What an export would be without this crate: the same header and cells, written directly.
fn plain(form: Form, cells: &[Vec<Cell<'_>>], out: &Path) -> Result<(), Error> {
    let mut workbook = Workbook::new();
    let mut sheet = workbook.new_worksheet_with_constant_memory()?;
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (col, header) in (0u16..).zip(form.headers()) {
        sheet.write_string(0, col, header)?;
    }
    for (row, line) in (1u32..).zip(cells) {
        for (col, cell) in (0u16..).zip(line) {
            match cell {
                Cell::Empty => {}
                Cell::Text(s) => {
                    sheet.write_string(row, col, s.as_ref())?;
                }
                Cell::Number(n) => {
                    sheet.write_number(row, col, *n)?;
                }
                Cell::Date(d) => {
                    sheet.write_date_with_format(row, col, d, &date)?;
                }
            }
        }
    }
    workbook.push_worksheet(sheet);
    workbook.save(out)?;
    Ok(())
}

fn export(form: Form, rows: &[ExportRow], out: &Path) -> Result<(), Error> {
    let mut sheet = XlsxExport::new(form, None, false)?;
    for r in rows {
        sheet.push(r)?;
    }
    sheet.finish(out)?;
    Ok(())
}

fn csv(form: Form, rows: &[ExportRow], out: &Path) -> Result<(), Error> {
    let file = std::fs::File::create(out)?;
    let mut sheet = CsvExport::new(file, form, false, Encoding::Utf8Bom)?;
    for r in rows {
        sheet.push(r)?;
    }
    sheet.finish()?;
    Ok(())
}
