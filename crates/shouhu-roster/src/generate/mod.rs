//! Synthetic rosters for tests and benchmarks: children from `shouhu-synth` (valid ID numbers
//! agreeing with birth date and sex, real county codes, minority names, rare characters,
//! parents' work places) written in either form, with a chosen share of rows made bad in
//! known ways and a list of which.
//!
//! The same spec gives the same file, byte for byte in CSV.

mod bad;
mod places;

use std::collections::VecDeque;
use std::fs::File;
use std::path::Path;

use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shouhu_domain::{FactText, Grade, RegionCode, SchoolYear, age_on};
use shouhu_synth::{Generator, Setting};

pub use self::bad::BadKind;
pub use self::places::{GenSchool, bijie_villages, schools_of};
use crate::columns::Column;
use crate::export::{Cell, CsvExport, Encoding, ExportRow, Form, WriteError, XlsxExport};
use bad::DateStyle;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenSpec {
    pub children: usize,
    pub seed: u64,
    /// Share of rows to make bad, 0.0–1.0; the count is rounded to the nearest row.
    pub bad_share: f64,
    /// 12-digit village codes the children live in.
    pub villages: Vec<RegionCode>,
    /// The day ages, grades and calibers are taken on.
    pub today: NaiveDate,
    /// For CSV output; GBK skips children whose names it cannot encode.
    pub encoding: Encoding,
}

impl GenSpec {
    /// `children` children of 毕节's villages on 2026-09-01 (the fixtures' date), no bad rows.
    pub fn new(children: usize, seed: u64) -> GenSpec {
        GenSpec {
            children,
            seed,
            bad_share: 0.0,
            villages: bijie_villages(),
            today: NaiveDate::from_ymd_opt(2026, 9, 1).unwrap_or_default(),
            encoding: Encoding::Utf8Bom,
        }
    }

    /// The number of bad rows the spec asks for.
    pub fn bad_rows(&self) -> usize {
        let share = self.bad_share.clamp(0.0, 1.0);
        // Rounded, and at most every row; the cast cannot overflow after the clamp.
        ((self.children as f64 * share).round() as usize).min(self.children)
    }
}

/// A bad row as written: where it is, what is wrong, in which column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BadRow {
    /// The sheet row (from 1, as Excel and the import report count).
    pub sheet_row: u32,
    pub kind: BadKind,
    pub column: Column,
    /// For [`BadKind::DuplicateId`], the sheet row it repeats.
    pub duplicate_of: Option<u32>,
}

/// One generated line before it is written.
#[derive(Debug, Clone)]
pub struct GenRow {
    /// From 0, in file order.
    pub index: usize,
    pub row: ExportRow,
    pub bad: Option<BadKind>,
    /// For a duplicate, the index of the row it repeats.
    pub duplicate_of: Option<usize>,
    /// A birth date typed as text (2015年3月1日) rather than a real date, as in real sheets.
    date_as_text: bool,
    tweak: u32,
}

impl GenRow {
    /// The line's cells in `form`, bad value planted; `serial` is its 序号.
    pub fn cells(&self, form: Form, serial: u32) -> Vec<Cell<'_>> {
        let mut cells = form.cells(&self.row, serial, true);
        if self.date_as_text
            && form == Form::Mca
            && let Some(at) = form.position(Column::BirthDate)
        {
            cells[at] = DateStyle::Chinese.write(self.row.file.birth_date).into();
        }
        if let Some(kind) = self.bad {
            bad::plant(&mut cells, form, kind, self.tweak);
        }
        cells
    }
}

/// Earlier good rows kept for duplicating: copies are pasted near their source in real sheets,
/// and a bounded window keeps memory flat at any size.
const DUPLICATE_WINDOW: usize = 200;

/// The generated lines, one at a time.
#[derive(Debug)]
pub struct Rows {
    children: usize,
    form: Form,
    encoding: Encoding,
    today: NaiveDate,
    synth: Generator,
    /// Draws for each line (class, date style, the wrong value); kept apart from `bad_rng` so
    /// that one seed gives the same lines whatever the size and the share of bad rows.
    rng: StdRng,
    /// Draws for which rows go bad and how.
    bad_rng: StdRng,
    /// Indexes of bad rows, ascending, and the next one to reach.
    bad: Vec<usize>,
    next_bad: usize,
    /// Kinds go round in turn from a seeded start, so every kind is planted about equally.
    kind_turn: usize,
    recent: VecDeque<GenRow>,
    index: usize,
}

impl Rows {
    pub fn new(spec: &GenSpec, form: Form) -> Rows {
        let mut bad_rng = StdRng::seed_from_u64(spec.seed ^ 0x0005_EED0_FBAD_0005);
        let mut bad = match spec.bad_rows() {
            0 => Vec::new(),
            n => rand::seq::index::sample(&mut bad_rng, spec.children, n).into_vec(),
        };
        bad.sort_unstable();
        let kind_turn = bad_rng.gen_range(0..BadKind::ALL.len());
        let setting = Setting {
            villages: spec.villages.clone(),
            today: spec.today,
        };
        Rows {
            children: spec.children,
            form,
            encoding: spec.encoding,
            today: spec.today,
            synth: Generator::new(spec.seed, setting),
            rng: StdRng::seed_from_u64(spec.seed ^ 0x0005_EED0_F11E_0005),
            bad_rng,
            bad,
            next_bad: 0,
            kind_turn,
            recent: VecDeque::with_capacity(DUPLICATE_WINDOW),
            index: 0,
        }
    }

    fn fresh(&mut self) -> GenRow {
        loop {
            // One in seven is of kindergarten age, which 学籍 never counts as left-behind.
            let file = if self.rng.gen_range(0..7) == 0 {
                self.synth.child_aged(3..=5)
            } else {
                self.synth.child()
            };
            // Bad ID, date and sex rows need a number to disagree with.
            if file.id_number.is_none() {
                continue;
            }
            let row = self.placed(file);
            let line = GenRow {
                index: self.index,
                row,
                bad: None,
                duplicate_of: None,
                date_as_text: self.rng.gen_range(0..5) == 0,
                tweak: self.rng.r#gen(),
            };
            let encodable = self.encoding == Encoding::Utf8Bom
                || line
                    .cells(self.form, 0)
                    .iter()
                    .all(|c| self.encoding.can_encode(&c.to_text()));
            if encodable {
                return line;
            }
        }
    }

    /// Puts the child in the school and class of their village and age, with place names.
    fn placed(&mut self, mut file: shouhu_domain::ChildFile) -> ExportRow {
        let village = file.residence_region.clone();
        let grade = grade_on(file.birth_date, self.today);
        if let (Some(county), Some(address)) = (places::county_name(&village), &file.address) {
            let full = format!("贵州省毕节市{county}{address}");
            file.address = FactText::parse(&full).ok().or(file.address.take());
        }
        ExportRow {
            school: places::school(&village, grade),
            grade,
            class: format!("{}班", self.rng.gen_range(1..=4)),
            hukou_place: file.hukou_region.as_ref().and_then(places::hukou_place),
            as_of: self.today,
            file,
        }
    }
}

impl Iterator for Rows {
    type Item = GenRow;

    fn next(&mut self) -> Option<GenRow> {
        if self.index >= self.children {
            return None;
        }
        // Drawn even when a duplicate replaces it, so that line i is the same child at any
        // share of bad rows.
        let fresh = self.fresh();
        let is_bad = self.bad.get(self.next_bad) == Some(&self.index);
        let mut line = if is_bad {
            self.next_bad += 1;
            let kind = BadKind::ALL[self.kind_turn % BadKind::ALL.len()];
            self.kind_turn += 1;
            let source = (kind == BadKind::DuplicateId && !self.recent.is_empty())
                .then(|| self.bad_rng.gen_range(0..self.recent.len()));
            match source.and_then(|i| self.recent.get(i)) {
                Some(source) => GenRow {
                    bad: Some(BadKind::DuplicateId),
                    duplicate_of: Some(source.index),
                    ..source.clone()
                },
                // Nothing good to copy yet (the first rows): plant another kind.
                None if kind == BadKind::DuplicateId => GenRow {
                    bad: Some(BadKind::IdCheckChar),
                    ..fresh
                },
                None => GenRow {
                    bad: Some(kind),
                    ..fresh
                },
            }
        } else {
            if self.recent.len() == DUPLICATE_WINDOW {
                self.recent.pop_front();
            }
            self.recent.push_back(fresh.clone());
            fresh
        };
        line.index = self.index;
        self.index += 1;
        Some(line)
    }
}

/// The grade a child is in on `today`: six full years by 31 August starts 一年级, younger
/// children are in kindergarten, and the oldest stay in 九年级.
pub fn grade_on(birth: NaiveDate, today: NaiveDate) -> Option<Grade> {
    let year = SchoolYear::containing(today).start_year();
    let cutoff = NaiveDate::from_ymd_opt(year, 8, 31)?;
    let age = i64::from(age_on(birth, cutoff));
    let number = i8::try_from((age - 5).clamp(-2, 9)).ok()?;
    Grade::new(number).ok()
}

/// Writes `spec`'s roster to `out` (`.xlsx` or `.csv` by its extension) and returns the bad
/// rows. The 花名册 form gets a title row in xlsx, as the county forms have.
pub fn generate(spec: &GenSpec, form: Form, out: &Path) -> Result<Vec<BadRow>, WriteError> {
    let extension = out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("xlsx") => {
            let title = (form == Form::Mca).then(|| form.default_title());
            let mut sheet = XlsxExport::new(form, title, true)?;
            let first = sheet.first_data_row();
            let bad = write_rows(spec, form, first, |cells| sheet.push_cells(cells))?;
            sheet.finish(out)?;
            Ok(bad)
        }
        Some("csv") => {
            let file = File::create(out)?;
            let mut sheet = CsvExport::new(file, form, true, spec.encoding)?;
            let first = sheet.first_data_row();
            let bad = write_rows(spec, form, first, |cells| sheet.push_cells(cells))?;
            sheet.finish()?.sync_all()?;
            Ok(bad)
        }
        _ => Err(WriteError::Extension(out.to_path_buf())),
    }
}

fn write_rows(
    spec: &GenSpec,
    form: Form,
    first: u32,
    mut push: impl FnMut(&[Cell<'_>]) -> Result<u32, WriteError>,
) -> Result<Vec<BadRow>, WriteError> {
    let sheet_row = |index: usize| first.saturating_add(u32::try_from(index).unwrap_or(u32::MAX));
    let mut bad = Vec::with_capacity(spec.bad_rows());
    for (serial, line) in (1..).zip(Rows::new(spec, form)) {
        push(&line.cells(form, serial))?;
        if let Some(kind) = line.bad {
            bad.push(BadRow {
                sheet_row: sheet_row(line.index),
                kind,
                column: kind.column(form),
                duplicate_of: line.duplicate_of.map(sheet_row),
            });
        }
    }
    Ok(bad)
}
