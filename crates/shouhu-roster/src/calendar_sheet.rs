//! The school calendar (校历) as counties send it round: a sheet with one line per term,
//! holiday or make-up school day (调休上课), columns 类型, 名称, 开始日期, 结束日期, under any
//! title rows. Read with the roster readers (xlsx, xls, CSV in UTF-8 or GBK) and the roster date
//! spellings; every problem is reported with its row, nothing is half taken.

use std::fmt;

use chrono::{Datelike, NaiveDate, Weekday};
use rust_xlsxwriter::{Format, Workbook};
use shouhu_domain::{
    Calendar, CalendarError, Holiday, MakeUpDay, SchoolYear, Term, normalize_width,
};

use crate::export::{WriteError, date_format, write_header};
use crate::parse::{DateValue, RowError, date};
use crate::read::{Cell, HEADER_SEARCH_ROWS, RawRow, ReadError, read_tables};

/// The columns, as the template writes them.
pub const HEADERS: [&str; 4] = ["类型", "名称", "开始日期", "结束日期"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Kind,
    Name,
    Start,
    End,
}

impl Col {
    fn header(self) -> &'static str {
        match self {
            Col::Kind => HEADERS[0],
            Col::Name => HEADERS[1],
            Col::Start => HEADERS[2],
            Col::End => HEADERS[3],
        }
    }

    /// The spellings seen in county notices; a note in brackets after the name is ignored
    /// (开始日期（年-月-日）).
    fn from_header(text: &str) -> Option<Col> {
        let text = normalize_width(text);
        let text: String = text
            .split(['(', '（'])
            .next()
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        match text.as_str() {
            "类型" | "类别" | "项目" | "种类" => Some(Col::Kind),
            "名称" | "事项" | "节日" | "说明" | "内容" => Some(Col::Name),
            "开始日期" | "开始" | "起始日期" | "起始" | "起" | "日期" | "开始时间" => {
                Some(Col::Start)
            }
            "结束日期" | "结束" | "截止日期" | "终止日期" | "止" | "结束时间" => {
                Some(Col::End)
            }
            _ => None,
        }
    }
}

/// What one line of the sheet is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A term; its number when the type says which.
    Term(Option<u8>),
    Holiday,
    MakeUp,
}

fn kind_of(text: &str) -> Option<Kind> {
    let text: String = normalize_width(text)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    match text.as_str() {
        "学期" => Some(Kind::Term(None)),
        "上学期" | "第一学期" | "秋季学期" | "秋季" => Some(Kind::Term(Some(1))),
        "下学期" | "第二学期" | "春季学期" | "春季" => Some(Kind::Term(Some(2))),
        "假期" | "放假" | "节假日" | "假日" | "休假" | "法定节假日" => {
            Some(Kind::Holiday)
        }
        "调休上课" | "调休" | "补课" | "调休补课" | "上课" => Some(Kind::MakeUp),
        _ => None,
    }
}

/// A problem with a line, or with the sheet as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    #[error("请填写此项")]
    Required,
    #[error("无法识别的类型，应为 学期、上学期、下学期、假期、放假 或 调休上课")]
    Kind,
    #[error("无法识别的日期，应写作 2026-09-01 或 2026年9月1日")]
    Date,
    #[error("日期不存在（该月没有这一天）")]
    NoSuchDay,
    #[error("日期只写了年月，请写到日")]
    MonthOnly,
    #[error("结束日期早于开始日期")]
    EndBeforeStart,
    #[error("表中没有学期：请至少填写一行“上学期”或“下学期”")]
    NoTerm,
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

impl SheetError {
    pub fn code(&self) -> &'static str {
        match self {
            SheetError::Required => "calendar_sheet.required",
            SheetError::Kind => "calendar_sheet.kind",
            SheetError::Date => "calendar_sheet.date",
            SheetError::NoSuchDay => "calendar_sheet.no_such_day",
            SheetError::MonthOnly => "calendar_sheet.month_only",
            SheetError::EndBeforeStart => "calendar_sheet.end_before_start",
            SheetError::NoTerm => "calendar_sheet.no_term",
            SheetError::Calendar(e) => e.code(),
        }
    }

    /// Every code, so that the web catalogs can be checked to hold them all.
    pub const CODES: [&'static str; 7] = [
        "calendar_sheet.required",
        "calendar_sheet.kind",
        "calendar_sheet.date",
        "calendar_sheet.no_such_day",
        "calendar_sheet.month_only",
        "calendar_sheet.end_before_start",
        "calendar_sheet.no_term",
    ];
}

/// One problem, placed in the sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetProblem {
    /// 1-based row as the spreadsheet shows it; `None` for the sheet as a whole.
    pub sheet_row: Option<u32>,
    /// The column's header as the template writes it.
    pub column: Option<&'static str>,
    /// The cell as a person reads it.
    pub value: String,
    pub error: SheetError,
}

impl SheetProblem {
    pub fn code(&self) -> &'static str {
        self.error.code()
    }
}

impl fmt::Display for SheetProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(row) = self.sheet_row {
            write!(f, "第 {row} 行")?;
        }
        if let Some(column) = self.column {
            write!(f, "“{column}”")?;
        }
        if !self.value.is_empty() {
            write!(f, "（{}）", self.value)?;
        }
        if self.sheet_row.is_some() || self.column.is_some() {
            f.write_str("：")?;
        }
        write!(f, "{}", self.error)
    }
}

/// Why a calendar sheet gave no calendar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarSheetError {
    /// The file could not be read at all.
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("前 10 行中找不到表头：表头应包含“类型”“名称”“开始日期”“结束日期”")]
    NoHeader,
    /// Lines that could not be taken, all of them.
    #[error("校历表有 {} 处问题", .0.len())]
    Problems(Vec<SheetProblem>),
}

impl CalendarSheetError {
    pub fn code(&self) -> &'static str {
        match self {
            CalendarSheetError::Read(e) => e.code(),
            CalendarSheetError::NoHeader => "calendar_sheet.no_header",
            CalendarSheetError::Problems(_) => "calendar_sheet.problems",
        }
    }
}

/// Reads a date the ways rosters write one (2026-09-01, 2026/9/1, 2026年9月1日, 20260901, a
/// date cell or its serial number). For forms that take typed dates too.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    match date(&Cell::text(text)) {
        Ok(DateValue::Day(d)) => Some(d),
        _ => None,
    }
}

/// Where each known column is in the header row.
#[derive(Debug, Default)]
struct Columns {
    kind: Option<usize>,
    name: Option<usize>,
    start: Option<usize>,
    end: Option<usize>,
}

impl Columns {
    fn of(row: &RawRow) -> Columns {
        let mut found = Columns::default();
        for (index, cell) in row.cells.iter().enumerate() {
            let slot = match Col::from_header(&cell.display()) {
                Some(Col::Kind) => &mut found.kind,
                Some(Col::Name) => &mut found.name,
                Some(Col::Start) => &mut found.start,
                Some(Col::End) => &mut found.end,
                None => continue,
            };
            // The first column of a kind counts; a second is someone's note.
            slot.get_or_insert(index);
        }
        found
    }

    fn usable(&self) -> bool {
        self.kind.is_some() && self.start.is_some()
    }
}

/// One line, its cells read.
struct Line {
    row: u32,
    kind: Kind,
    name: String,
    start: NaiveDate,
    /// The end date as written; `None` for a single day.
    end: Option<NaiveDate>,
}

fn cell_of(row: &RawRow, index: Option<usize>) -> &Cell {
    index.map_or(&Cell::Empty, |i| row.cell(i))
}

fn read_date(cell: &Cell) -> Result<NaiveDate, SheetError> {
    match date(cell) {
        Ok(DateValue::Day(d)) => Ok(d),
        Ok(DateValue::Month(..)) => Err(SheetError::MonthOnly),
        Err(RowError::NoSuchDay) => Err(SheetError::NoSuchDay),
        Err(_) => Err(SheetError::Date),
    }
}

/// Reads one data row into a line, or notes every problem in it.
fn read_line(row: &RawRow, cols: &Columns, problems: &mut Vec<SheetProblem>) -> Option<Line> {
    let before = problems.len();
    let mut problem = |col: Col, cell: &Cell, error: SheetError| {
        problems.push(SheetProblem {
            sheet_row: Some(row.sheet_row),
            column: Some(col.header()),
            value: cell.display(),
            error,
        });
    };
    let kind_cell = cell_of(row, cols.kind);
    let kind = match kind_cell {
        Cell::Empty => {
            problem(Col::Kind, kind_cell, SheetError::Required);
            None
        }
        cell => {
            let kind = kind_of(&cell.display());
            if kind.is_none() {
                problem(Col::Kind, cell, SheetError::Kind);
            }
            kind
        }
    };
    let start_cell = cell_of(row, cols.start);
    let start = match start_cell {
        Cell::Empty => {
            problem(Col::Start, start_cell, SheetError::Required);
            None
        }
        cell => read_date(cell)
            .map_err(|e| problem(Col::Start, cell, e))
            .ok(),
    };
    let end_cell = cell_of(row, cols.end);
    let end = match end_cell {
        Cell::Empty => None,
        cell => read_date(cell).map_err(|e| problem(Col::End, cell, e)).ok(),
    };
    if let (Some(Kind::Term(_)), Cell::Empty) = (kind, end_cell) {
        problem(Col::End, end_cell, SheetError::Required);
    }
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        problem(Col::End, end_cell, SheetError::EndBeforeStart);
    }
    let name = cell_of(row, cols.name).display();
    match (kind, start, problems.len() == before) {
        (Some(kind), Some(start), true) => Some(Line {
            row: row.sheet_row,
            kind,
            name,
            start,
            end,
        }),
        _ => None,
    }
}

/// A term's number: the type's, else the name's (上学期, 第二学期, 秋季), else by its start
/// (autumn starts the first term).
fn term_number(line: &Line, stated: Option<u8>) -> u8 {
    if let Some(n) = stated {
        return n;
    }
    let name = &line.name;
    if ["上", "一", "秋"].iter().any(|k| name.contains(k)) {
        1
    } else if ["下", "二", "春"].iter().any(|k| name.contains(k)) {
        2
    } else if line.start.month() >= 8 {
        1
    } else {
        2
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Builds the calendar from its lines, placing each rule broken on the line that broke it.
fn assemble(
    lines: Vec<Line>,
    school_year: SchoolYear,
    problems: &mut Vec<SheetProblem>,
) -> Option<Calendar> {
    let first = NaiveDate::from_ymd_opt(school_year.start_year(), 8, 1)?;
    let last = NaiveDate::from_ymd_opt(school_year.start_year() + 1, 8, 31)?;
    let at = |line: &Line, col: Col, error: SheetError| SheetProblem {
        sheet_row: Some(line.row),
        column: Some(col.header()),
        value: String::new(),
        error,
    };
    let mut terms: Vec<(u32, Term)> = Vec::new();
    let mut holidays = Vec::new();
    let mut workdays = Vec::new();
    for line in &lines {
        let end = line.end.unwrap_or(line.start);
        match line.kind {
            Kind::Term(stated) => {
                let term = Term {
                    number: term_number(line, stated),
                    start: line.start,
                    end,
                };
                if term.start < first || term.end > last {
                    problems.push(at(line, Col::Start, CalendarError::TermOutsideYear.into()));
                } else if terms.iter().any(|(_, t)| t.number == term.number) {
                    problems.push(at(line, Col::Kind, CalendarError::TermNumber.into()));
                } else if terms
                    .iter()
                    .any(|(_, t)| t.start <= term.end && term.start <= t.end)
                {
                    problems.push(at(line, Col::Start, CalendarError::TermOverlap.into()));
                } else {
                    terms.push((line.row, term));
                }
            }
            Kind::Holiday => {
                let name = if line.name.is_empty() {
                    "放假".to_owned()
                } else {
                    line.name.clone()
                };
                holidays.push(Holiday {
                    name,
                    start: line.start,
                    end,
                });
            }
            Kind::MakeUp => {
                let name = if line.name.is_empty() {
                    "调休上课".to_owned()
                } else {
                    line.name.clone()
                };
                for date in line.start.iter_days().take_while(|d| *d <= end) {
                    workdays.push((
                        line,
                        MakeUpDay {
                            date,
                            name: name.clone(),
                        },
                    ));
                }
            }
        }
    }
    if terms.is_empty() && problems.is_empty() {
        problems.push(SheetProblem {
            sheet_row: None,
            column: None,
            value: String::new(),
            error: SheetError::NoTerm,
        });
    }
    // A term line already refused would make every make-up day in it look out of term: then
    // only the weekday is judged, and the rest once the terms are fixed.
    let terms_sure = problems.is_empty();
    let in_term = |d: NaiveDate| terms.iter().any(|(_, t)| t.start <= d && d <= t.end);
    for (line, day) in &workdays {
        if !is_weekend(day.date) || (terms_sure && !in_term(day.date)) {
            let mut p = at(line, Col::Start, CalendarError::WorkdayNotWeekend.into());
            p.value = day.date.to_string();
            problems.push(p);
        }
    }
    if !problems.is_empty() {
        return None;
    }
    let terms = terms.into_iter().map(|(_, t)| t).collect();
    let workdays = workdays.into_iter().map(|(_, w)| w).collect();
    match Calendar::new(school_year, terms, holidays, workdays) {
        Ok(calendar) => Some(calendar),
        Err(e) => {
            // The checks above place every rule `Calendar::new` knows; this is a backstop.
            problems.push(SheetProblem {
                sheet_row: None,
                column: None,
                value: String::new(),
                error: e.into(),
            });
            None
        }
    }
}

/// Reads a calendar sheet for `school_year`: the first worksheet with a 类型 … 开始日期
/// header, every line below it. All problems are returned together, each with its row.
pub fn read_calendar(
    bytes: &[u8],
    file_name: &str,
    school_year: SchoolYear,
) -> Result<Calendar, CalendarSheetError> {
    let tables = read_tables(bytes, file_name)?;
    let found = tables.iter().find_map(|(_, rows)| {
        rows.iter()
            .take(HEADER_SEARCH_ROWS)
            .enumerate()
            .map(|(i, row)| (i, Columns::of(row)))
            .find(|(_, cols)| cols.usable())
            .map(|(i, cols)| (&rows[i + 1..], cols))
    });
    let (rows, cols) = found.ok_or(CalendarSheetError::NoHeader)?;
    let mut problems = Vec::new();
    let lines: Vec<Line> = rows
        .iter()
        .filter_map(|row| read_line(row, &cols, &mut problems))
        .collect();
    match assemble(lines, school_year, &mut problems) {
        Some(calendar) if problems.is_empty() => Ok(calendar),
        _ => Err(CalendarSheetError::Problems(problems)),
    }
}

/// The lines a calendar is written back as: terms, holidays, make-up days, in date order within
/// each; consecutive make-up days of one name stay separate lines (they are rarely adjacent).
pub fn lines_of(calendar: &Calendar) -> Vec<(&'static str, String, NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    for term in &calendar.terms {
        let (kind, name) = if term.number == 1 {
            ("上学期", "第一学期")
        } else {
            ("下学期", "第二学期")
        };
        out.push((kind, name.to_owned(), term.start, term.end));
    }
    for h in &calendar.holidays {
        out.push(("放假", h.name.clone(), h.start, h.end));
    }
    for w in &calendar.workdays {
        out.push(("调休上课", w.name.clone(), w.date, w.date));
    }
    out
}

/// A typical year as the template's example: the default terms, the national holidays that
/// fall in term, and a make-up Sunday before National Day.
pub fn example(school_year: SchoolYear) -> Calendar {
    let y = school_year.start_year();
    let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN);
    let holiday = |name: &str, start, end| Holiday {
        name: name.to_owned(),
        start,
        end,
    };
    let fallback = Calendar::fallback(school_year);
    // The last Sunday of September: a weekend day in term, as 国庆调休 usually is.
    let sunday = d(y, 9, 30)
        .iter_days()
        .rev()
        .find(|d| d.weekday() == Weekday::Sun)
        .unwrap_or(d(y, 9, 27));
    let holidays = vec![
        holiday("国庆节", d(y, 10, 1), d(y, 10, 7)),
        holiday("元旦", d(y + 1, 1, 1), d(y + 1, 1, 1)),
        holiday("清明节", d(y + 1, 4, 5), d(y + 1, 4, 5)),
        holiday("劳动节", d(y + 1, 5, 1), d(y + 1, 5, 5)),
    ];
    let workdays = vec![MakeUpDay {
        date: sunday,
        name: "国庆调休".to_owned(),
    }];
    Calendar::new(school_year, fallback.terms.clone(), holidays, workdays).unwrap_or(fallback)
}

/// The calendar sheet to download: a title, the header and `calendar`'s lines (the example
/// when there is none yet), dates as date cells.
pub fn template(
    school_year: SchoolYear,
    calendar: Option<&Calendar>,
) -> Result<Vec<u8>, WriteError> {
    let example = example(school_year);
    let filled = calendar.is_some();
    let calendar = calendar.unwrap_or(&example);
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("校历")?;
    let title = if filled {
        format!("{school_year}学年校历")
    } else {
        format!(
            "{school_year}学年校历（以下为示例，请按本地通知修改；类型填 上学期、下学期、放假 或 调休上课）"
        )
    };
    let bold = Format::new().set_bold().set_font_size(14);
    sheet.write_string_with_format(0, 0, &title, &bold)?;
    write_header(sheet, 1, HEADERS)?;
    let date = date_format();
    for (row, (kind, name, start, end)) in (2u32..).zip(lines_of(calendar)) {
        sheet.write_string(row, 0, kind)?;
        sheet.write_string(row, 1, &name)?;
        sheet.write_date_with_format(row, 2, start, &date)?;
        sheet.write_date_with_format(row, 3, end, &date)?;
    }
    sheet.set_column_width(0, 12)?;
    sheet.set_column_width(1, 16)?;
    sheet.set_column_width(2, 14)?;
    sheet.set_column_width(3, 14)?;
    sheet.set_freeze_panes(2, 0)?;
    Ok(workbook.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn year() -> SchoolYear {
        SchoolYear::new(2026)
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    const SHEET: &str = "七星关区2026-2027学年校历\n\
        填报单位：七星关区教育局\n\
        类型,名称,开始日期,结束日期\n\
        上学期,第一学期,2026年9月1日,2027年1月22日\n\
        放假,国庆节,2026-10-01,2026-10-07\n\
        调休上课,国庆调休,2026/10/10,\n\
        放假,元旦,2027.1.1,\n\
        下学期,第二学期,20270222,2027-07-02\n\
        放假,劳动节,2027-05-01,2027-05-05\n\
        调休,劳动节调休,2027-04-25,\n";

    #[test]
    fn reads_a_notice_under_its_title_in_utf8_and_gbk() {
        let calendar = read_calendar(SHEET.as_bytes(), "校历.csv", year()).unwrap();
        assert_eq!(calendar.terms.len(), 2);
        assert_eq!(calendar.terms[0].start, d("2026-09-01"));
        assert_eq!(calendar.terms[1].number, 2);
        assert_eq!(calendar.holidays.len(), 3);
        assert_eq!(calendar.holidays[1].end, d("2027-01-01"));
        assert_eq!(calendar.workdays[0].date, d("2026-10-10"));
        assert!(calendar.is_school_day(d("2027-04-25")));
        let (gbk, _, _) = encoding_rs::GB18030.encode(SHEET);
        assert_eq!(read_calendar(&gbk, "校历.csv", year()).unwrap(), calendar);
        let bom = [b"\xEF\xBB\xBF".as_slice(), SHEET.as_bytes()].concat();
        assert_eq!(read_calendar(&bom, "校历.csv", year()).unwrap(), calendar);
    }

    #[test]
    fn every_bad_line_is_named_by_row() {
        let sheet = "类型,名称,开始日期,结束日期\n\
            上学期,,2026-09-01,2027-01-22\n\
            寒暑假,,2027-01-23,2027-02-21\n\
            放假,国庆节,2026-10-08,2026-10-01\n\
            调休上课,,2026-10-12,\n\
            下学期,,2027-02-30,2027-07-02\n\
            下学期,,2027-03,\n";
        let Err(CalendarSheetError::Problems(problems)) =
            read_calendar(sheet.as_bytes(), "a.csv", year())
        else {
            panic!("should be refused");
        };
        let found: Vec<(Option<u32>, &str)> =
            problems.iter().map(|p| (p.sheet_row, p.code())).collect();
        assert_eq!(
            found,
            [
                (Some(3), "calendar_sheet.kind"),
                (Some(4), "calendar_sheet.end_before_start"),
                (Some(6), "calendar_sheet.no_such_day"),
                (Some(7), "calendar_sheet.month_only"),
                (Some(7), "calendar_sheet.required"),
                // A Monday, placed on its row once the rows above were read.
                (Some(5), "calendar.workday_not_weekend"),
            ]
        );
        assert_eq!(
            problems[0].to_string(),
            "第 3 行“类型”（寒暑假）：无法识别的类型，应为 学期、上学期、下学期、假期、放假 或 调休上课"
        );
    }

    #[test]
    fn terms_outside_the_year_or_twice_are_refused_on_their_row() {
        let sheet = "类型,开始日期,结束日期\n学期,2025-09-01,2026-01-20\n学期,2026-09-01,2027-01-20\n上学期,2026-09-02,2027-01-10\n";
        let Err(CalendarSheetError::Problems(problems)) =
            read_calendar(sheet.as_bytes(), "a.csv", year())
        else {
            panic!("should be refused");
        };
        let found: Vec<(Option<u32>, &str)> =
            problems.iter().map(|p| (p.sheet_row, p.code())).collect();
        assert_eq!(
            found,
            [
                (Some(2), "calendar.term_outside_year"),
                (Some(4), "calendar.term_number"),
            ]
        );
    }

    #[test]
    fn a_sheet_without_header_or_terms_is_refused() {
        let err = read_calendar("a,b\n1,2\n".as_bytes(), "a.csv", year()).unwrap_err();
        assert_eq!(err, CalendarSheetError::NoHeader);
        let err = read_calendar("类型,开始日期\n".as_bytes(), "a.csv", year()).unwrap_err();
        assert_eq!(err.code(), "calendar_sheet.problems");
        let err = read_calendar(b"x", "a.pdf", year()).unwrap_err();
        assert_eq!(err.code(), "roster.format");
    }

    #[test]
    fn the_template_reads_back_as_its_example() {
        let bytes = template(year(), None).unwrap();
        let calendar = read_calendar(&bytes, "校历.xlsx", year()).unwrap();
        assert_eq!(calendar, example(year()));
        assert_eq!(calendar.workdays[0].date.weekday(), Weekday::Sun);
        let sample = read_calendar(SHEET.as_bytes(), "a.csv", year()).unwrap();
        let bytes = template(year(), Some(&sample)).unwrap();
        assert_eq!(read_calendar(&bytes, "a.xlsx", year()).unwrap(), sample);
    }

    #[test]
    fn typed_dates_in_the_usual_forms() {
        assert_eq!(parse_date("2026年9月1日"), Some(d("2026-09-01")));
        assert_eq!(parse_date("2026/9/1"), Some(d("2026-09-01")));
        assert_eq!(parse_date("2026-09"), None);
        assert_eq!(parse_date(""), None);
    }
}
