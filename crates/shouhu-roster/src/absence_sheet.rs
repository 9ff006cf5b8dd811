//! Absences entered in bulk (缺勤登记表): a sheet a head teacher fills in with one line per
//! child and day, columns 姓名, 身份证号, 班级, 日期, 类型, 原因, under any title rows.
//!
//! Read with the roster readers (xlsx, xls, CSV in UTF-8 or GBK) and the roster date spellings.
//! Every line is judged on its own: a good line comes back as an [`AbsenceLine`], a bad one as
//! one [`AbsenceProblem`] per bad cell and no line, so the caller can refuse the file whole
//! (imports are all-or-nothing) with a row-by-row report.

use chrono::NaiveDate;
use rust_xlsxwriter::{Format, Workbook};
use shouhu_domain::{AbsenceKind, IdCardNo, PersonName, normalize_width};

use crate::export::{WriteError, date_format, write_header};
use crate::parse::{DateValue, RowError, date};
use crate::read::{Cell, RawRow, ReadError, read_tables};

/// The header is sought in the first rows of the sheet, down to this one (1-based).
pub const HEADER_ROWS: u32 = 5;

/// Longest 原因 taken, in characters.
pub const REASON_MAX: usize = 200;

/// The columns, as the template writes them.
pub const HEADERS: [&str; 6] = ["姓名", "身份证号", "班级", "日期", "类型", "原因"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Name,
    IdCard,
    Class,
    Day,
    Kind,
    Reason,
}

impl Col {
    const ALL: [Col; 6] = [
        Col::Name,
        Col::IdCard,
        Col::Class,
        Col::Day,
        Col::Kind,
        Col::Reason,
    ];
    const REQUIRED: [Col; 3] = [Col::Name, Col::Day, Col::Kind];

    fn header(self) -> &'static str {
        HEADERS[self as usize]
    }

    /// The spellings head teachers use; a note in brackets after the name is ignored
    /// (日期（年-月-日）).
    fn from_header(text: &str) -> Option<Col> {
        let text = normalize_width(text);
        let text: String = text
            .split(['(', '（'])
            .next()
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '*')
            .collect();
        match text.as_str() {
            "姓名" | "学生姓名" | "儿童姓名" => Some(Col::Name),
            "身份证号" | "身份证号码" | "公民身份证号码" | "公民身份证号" | "身份证" => {
                Some(Col::IdCard)
            }
            "班级" | "班别" | "年级班级" => Some(Col::Class),
            "日期" | "缺勤日期" | "缺课日期" | "请假日期" => Some(Col::Day),
            "类型" | "缺勤类型" | "缺勤类别" | "类别" | "请假类型" => {
                Some(Col::Kind)
            }
            "原因" | "事由" | "缺勤原因" | "请假事由" | "备注" => Some(Col::Reason),
            _ => None,
        }
    }
}

/// One absence as read from a line of the sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbsenceLine {
    /// 1-based sheet row (for CSV, the line it starts on).
    pub row: u32,
    pub name: String,
    /// Normalised by [`IdCardNo::parse`] (half-width, upper-case X, 18 characters).
    pub id_card: Option<String>,
    pub class: Option<String>,
    pub day: NaiveDate,
    pub kind: AbsenceKind,
    pub reason: Option<String>,
}

/// A cell that could not be taken; its line is left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbsenceProblem {
    /// 1-based sheet row.
    pub row: u32,
    /// The column's header as the sheet writes it.
    pub column: String,
    /// What is wrong, in Chinese.
    pub message: String,
}

impl std::fmt::Display for AbsenceProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "第 {} 行“{}”：{}", self.row, self.column, self.message)
    }
}

/// Why a sheet gave no lines at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AbsenceSheetError {
    /// The file could not be read (not a spreadsheet, damaged, bad CSV).
    #[error(transparent)]
    Read(#[from] ReadError),
    /// No row among the first five has all the required columns; `missing` names those the
    /// best candidate lacks.
    #[error("前 5 行中找不到表头：缺少{}列", quoted(.missing))]
    NoHeader { missing: Vec<&'static str> },
}

impl AbsenceSheetError {
    pub fn code(&self) -> &'static str {
        match self {
            AbsenceSheetError::Read(e) => e.code(),
            AbsenceSheetError::NoHeader { .. } => "absence_sheet.no_header",
        }
    }
}

fn quoted(names: &[&str]) -> String {
    names.iter().map(|n| format!("“{n}”")).collect()
}

/// Where each known column is, with its header as written.
#[derive(Debug, Default)]
struct Columns {
    at: [Option<(usize, String)>; 6],
}

impl Columns {
    fn of(row: &RawRow) -> Columns {
        let mut found = Columns::default();
        for (index, cell) in row.cells.iter().enumerate() {
            let text = cell.display();
            if let Some(col) = Col::from_header(&text) {
                // The first column of a kind counts; a second is someone's note.
                found.at[col as usize].get_or_insert((index, text.trim().to_owned()));
            }
        }
        found
    }

    fn count(&self) -> usize {
        self.at.iter().flatten().count()
    }

    fn missing(&self) -> Vec<&'static str> {
        Col::REQUIRED
            .iter()
            .filter(|c| self.at[**c as usize].is_none())
            .map(|c| c.header())
            .collect()
    }

    fn cell<'r>(&self, row: &'r RawRow, col: Col) -> &'r Cell {
        self.at[col as usize]
            .as_ref()
            .map_or(&Cell::Empty, |(i, _)| row.cell(*i))
    }

    fn name(&self, col: Col) -> String {
        self.at[col as usize]
            .as_ref()
            .map_or_else(|| col.header().to_owned(), |(_, text)| text.clone())
    }
}

fn date_message(e: &RowError) -> &'static str {
    match e {
        RowError::NoSuchDay => "日期不存在（该月没有这一天）",
        _ => "无法识别的日期，应写作 2026-10-09 或 2026年10月9日",
    }
}

/// Reads one line, or notes every bad cell in it.
fn read_line(
    row: &RawRow,
    cols: &Columns,
    problems: &mut Vec<AbsenceProblem>,
) -> Option<AbsenceLine> {
    let before = problems.len();
    let mut problem = |col: Col, message: String| {
        problems.push(AbsenceProblem {
            row: row.sheet_row,
            column: cols.name(col),
            message,
        });
    };

    let name = match cols.cell(row, Col::Name) {
        Cell::Empty => {
            problem(Col::Name, "请填写姓名".to_owned());
            None
        }
        cell => PersonName::parse(&cell.display())
            .map_err(|e| problem(Col::Name, e.to_string()))
            .ok(),
    };
    let id_card = match cols.cell(row, Col::IdCard) {
        Cell::Empty => None,
        cell @ Cell::Number(_) => {
            // 15 digits survive a number cell, 18 do not.
            match IdCardNo::parse(&cell.display()) {
                Ok(id) => Some(id.as_str().to_owned()),
                Err(_) => {
                    problem(Col::IdCard, RowError::IdAsNumber.to_string());
                    None
                }
            }
        }
        cell => IdCardNo::parse(&cell.display())
            .map(|id| id.as_str().to_owned())
            .map_err(|e| problem(Col::IdCard, e.to_string()))
            .ok(),
    };
    let class = Some(normalize_width(&cols.cell(row, Col::Class).display()))
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    let day = match cols.cell(row, Col::Day) {
        Cell::Empty => {
            problem(Col::Day, "请填写缺勤日期".to_owned());
            None
        }
        cell => match date(cell) {
            Ok(DateValue::Day(d)) => Some(d),
            Ok(DateValue::Month(..)) => {
                problem(Col::Day, "日期只写了年月，请写到日".to_owned());
                None
            }
            Err(e) => {
                problem(Col::Day, date_message(&e).to_owned());
                None
            }
        },
    };
    let kind = match cols.cell(row, Col::Kind) {
        Cell::Empty => {
            problem(Col::Kind, "请填写缺勤类型（病假、事假或旷课）".to_owned());
            None
        }
        cell => AbsenceKind::parse(&cell.display())
            .map_err(|_| problem(Col::Kind, "缺勤类型应为病假、事假或旷课".to_owned()))
            .ok(),
    };
    let reason = cols.cell(row, Col::Reason).display().trim().to_owned();
    if reason.chars().count() > REASON_MAX {
        problem(Col::Reason, format!("原因不能超过 {REASON_MAX} 字"));
    }
    let reason = Some(reason).filter(|r| !r.is_empty());

    match (name, day, kind, problems.len() == before) {
        (Some(name), Some(day), Some(kind), true) => Some(AbsenceLine {
            row: row.sheet_row,
            name: name.as_str().to_owned(),
            id_card,
            class,
            day,
            kind,
            reason,
        }),
        _ => None,
    }
}

/// Finds the header in a sheet's first rows: the row with the most known columns.
fn header_of(rows: &[RawRow]) -> Option<(usize, Columns)> {
    let mut best: Option<(usize, Columns)> = None;
    for (i, row) in rows.iter().enumerate() {
        if row.sheet_row > HEADER_ROWS {
            break;
        }
        let cols = Columns::of(row);
        if cols.count() > best.as_ref().map_or(0, |(_, b)| b.count()) {
            best = Some((i, cols));
        }
    }
    best
}

/// Reads an absence sheet: the first worksheet whose header (in its first five rows) has the
/// required columns 姓名, 日期 and 类型, every non-blank line below it. Returns the good lines
/// and the problems, both in sheet order.
pub fn read_absences(
    bytes: &[u8],
    file_name: &str,
) -> Result<(Vec<AbsenceLine>, Vec<AbsenceProblem>), AbsenceSheetError> {
    let tables = read_tables(bytes, file_name)?;
    let mut fewest_missing: Option<Vec<&'static str>> = None;
    for (_, rows) in &tables {
        let Some((at, cols)) = header_of(rows) else {
            continue;
        };
        let missing = cols.missing();
        if !missing.is_empty() {
            if fewest_missing
                .as_ref()
                .is_none_or(|m| missing.len() < m.len())
            {
                fewest_missing = Some(missing);
            }
            continue;
        }
        let mut lines = Vec::new();
        let mut problems = Vec::new();
        for row in &rows[at + 1..] {
            // A line with only a 序号 or a note in an unknown column is as good as blank.
            if Col::ALL.iter().all(|c| cols.cell(row, *c).is_empty()) {
                continue;
            }
            lines.extend(read_line(row, &cols, &mut problems));
        }
        return Ok((lines, problems));
    }
    Err(AbsenceSheetError::NoHeader {
        missing: fewest_missing
            .unwrap_or_else(|| Col::REQUIRED.iter().map(|c| c.header()).collect()),
    })
}

/// The blank sheet to download: title row "缺勤登记表", the header, one example line in grey.
/// The ID column is text, so that Excel keeps all 18 digits.
pub fn absence_template() -> Vec<u8> {
    // Nothing here depends on input; a failure would be a bug in the writer.
    build_template().unwrap_or_default()
}

fn build_template() -> Result<Vec<u8>, WriteError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("缺勤登记")?;
    let bold = Format::new().set_bold().set_font_size(14);
    sheet.write_string_with_format(0, 0, "缺勤登记表", &bold)?;
    write_header(sheet, 1, HEADERS)?;
    let text = Format::new().set_num_format("@");
    let grey = Format::new().set_italic().set_font_color(0x808080);
    let grey_text = grey.clone().set_num_format("@");
    let grey_date = date_format().set_italic().set_font_color(0x808080);
    sheet.write_string_with_format(2, 0, "王小明", &grey)?;
    sheet.write_string_with_format(2, 1, "520502201305060016", &grey_text)?;
    sheet.write_string_with_format(2, 2, "七年级(2)班", &grey)?;
    let day = NaiveDate::from_ymd_opt(2026, 10, 9).unwrap_or_default();
    sheet.write_date_with_format(2, 3, day, &grey_date)?;
    sheet.write_string_with_format(2, 4, "病假", &grey)?;
    sheet.write_string_with_format(2, 5, "发烧，家长电话请假", &grey)?;
    for (col, width) in (0u16..).zip([10.0, 21.0, 14.0, 12.0, 10.0, 30.0]) {
        sheet.set_column_width(col, width)?;
    }
    sheet.set_column_format(1, &text)?;
    sheet.set_freeze_panes(2, 0)?;
    Ok(workbook.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use rust_xlsxwriter::Workbook;

    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn line(
        row: u32,
        name: &str,
        id: Option<&str>,
        class: Option<&str>,
        day: &str,
        kind: AbsenceKind,
        reason: Option<&str>,
    ) -> AbsenceLine {
        AbsenceLine {
            row,
            name: name.into(),
            id_card: id.map(Into::into),
            class: class.map(Into::into),
            day: d(day),
            kind,
            reason: reason.map(Into::into),
        }
    }

    fn problem(row: u32, column: &str, message: &str) -> AbsenceProblem {
        AbsenceProblem {
            row,
            column: column.into(),
            message: message.into(),
        }
    }

    /// A valid number: 520502 (七星关区) 2013-05-06, sequence 001, check 6.
    const ID: &str = "520502201305060016";
    const ID_FULL_WIDTH: &str = "５２０５０２２０１３０５０６００１６";

    fn sheet() -> Vec<u8> {
        let mut workbook = Workbook::new();
        let s = workbook.add_worksheet();
        s.write_string(0, 0, "鸭池镇中心小学缺勤登记表").unwrap();
        s.write_string(1, 0, "填表人：张老师").unwrap();
        for (col, h) in (0u16..).zip([
            "序号",
            "姓名",
            "公民身份证号码",
            "班级",
            "缺勤日期",
            "缺勤类型",
            "事由",
        ]) {
            s.write_string(2, col, h).unwrap();
        }
        let date = date_format();
        // Row 4: a date cell.
        s.write_number(3, 0, 1).unwrap();
        s.write_string(3, 1, "王小明").unwrap();
        s.write_string(3, 2, ID_FULL_WIDTH).unwrap();
        s.write_string(3, 3, "三年级(2)班").unwrap();
        s.write_date_with_format(3, 4, d("2026-10-09"), &date)
            .unwrap();
        s.write_string(3, 5, "病假").unwrap();
        s.write_string(3, 6, "发烧").unwrap();
        // Row 5: text with dashes, a code for the kind.
        s.write_string(4, 1, "李 四").unwrap();
        s.write_string(4, 4, "2026-10-9").unwrap();
        s.write_string(4, 5, "unexcused").unwrap();
        // Row 6: slashes, an alias.
        s.write_string(5, 1, "阿依古丽·买买提").unwrap();
        s.write_string(5, 4, "2026/10/09").unwrap();
        s.write_string(5, 5, "事").unwrap();
        // Row 7: Chinese date, a serial number (2026-10-12 is 46307).
        s.write_string(6, 1, "赵六").unwrap();
        s.write_string(6, 4, "2026年10月9日").unwrap();
        s.write_string(6, 5, "旷课").unwrap();
        s.write_string(7, 1, "钱七").unwrap();
        s.write_number(7, 4, 46307).unwrap();
        s.write_string(7, 5, "事假").unwrap();
        // Row 9: digits only.
        s.write_string(8, 1, "孙八").unwrap();
        s.write_string(8, 4, "20261009").unwrap();
        s.write_string(8, 5, "病假").unwrap();
        // Row 10: a bad date. Row 11: a bad kind. Row 12: no name. Row 13 blank but for 序号.
        s.write_string(9, 1, "周九").unwrap();
        s.write_string(9, 4, "10月9日").unwrap();
        s.write_string(9, 5, "病假").unwrap();
        s.write_string(10, 1, "吴十").unwrap();
        s.write_string(10, 4, "2026-10-09").unwrap();
        s.write_string(10, 5, "迟到").unwrap();
        s.write_string(11, 4, "2026-10-09").unwrap();
        s.write_string(11, 5, "旷课").unwrap();
        s.write_number(12, 0, 13).unwrap();
        // Row 14 wholly blank (never written); row 15 a bad ID, an impossible day, a long reason.
        s.write_string(14, 1, "郑十一").unwrap();
        s.write_string(14, 2, "520502201305060013").unwrap();
        s.write_string(14, 4, "2026-02-30").unwrap();
        s.write_string(14, 5, "病假").unwrap();
        s.write_string(14, 6, "病".repeat(201)).unwrap();
        workbook.save_to_buffer().unwrap()
    }

    #[test]
    fn reads_good_lines_and_names_every_bad_cell() {
        use AbsenceKind::*;
        let (lines, problems) = read_absences(&sheet(), "缺勤.xlsx").unwrap();
        assert_eq!(
            lines,
            [
                line(
                    4,
                    "王小明",
                    Some(ID),
                    Some("三年级(2)班"),
                    "2026-10-09",
                    Sick,
                    Some("发烧")
                ),
                line(5, "李 四", None, None, "2026-10-09", Unexcused, None),
                line(
                    6,
                    "阿依古丽·买买提",
                    None,
                    None,
                    "2026-10-09",
                    Personal,
                    None
                ),
                line(7, "赵六", None, None, "2026-10-09", Unexcused, None),
                line(8, "钱七", None, None, "2026-10-12", Personal, None),
                line(9, "孙八", None, None, "2026-10-09", Sick, None),
            ]
        );
        let id_error = IdCardNo::parse("520502201305060013")
            .unwrap_err()
            .to_string();
        assert_eq!(
            problems,
            [
                problem(
                    10,
                    "缺勤日期",
                    "无法识别的日期，应写作 2026-10-09 或 2026年10月9日"
                ),
                problem(11, "缺勤类型", "缺勤类型应为病假、事假或旷课"),
                problem(12, "姓名", "请填写姓名"),
                problem(15, "公民身份证号码", &id_error),
                problem(15, "缺勤日期", "日期不存在（该月没有这一天）"),
                problem(15, "事由", "原因不能超过 200 字"),
            ]
        );
        assert_eq!(
            problems[1].to_string(),
            "第 11 行“缺勤类型”：缺勤类型应为病假、事假或旷课"
        );
    }

    #[test]
    fn reads_the_same_from_csv() {
        let csv = format!(
            "缺勤登记表\n\
             姓名,身份证号,班级,日期,类型,原因\n\
             王小明,{ID_FULL_WIDTH},三年级(2)班,2026-10-9,病假,发烧\n\
             ,,,,,\n\
             李四,,,2026/10/09,旷课,\n\
             王五,,,2026.13.01,病假,\n\
             ,,,2026-10-09,事假,\n\
             钱七,,,20261012,请假,\n"
        );
        let (lines, problems) = read_absences(csv.as_bytes(), "缺勤.csv").unwrap();
        assert_eq!(
            lines,
            [
                line(
                    3,
                    "王小明",
                    Some(ID),
                    Some("三年级(2)班"),
                    "2026-10-09",
                    AbsenceKind::Sick,
                    Some("发烧")
                ),
                line(
                    5,
                    "李四",
                    None,
                    None,
                    "2026-10-09",
                    AbsenceKind::Unexcused,
                    None
                ),
            ]
        );
        assert_eq!(
            problems,
            [
                problem(
                    6,
                    "日期",
                    "无法识别的日期，应写作 2026-10-09 或 2026年10月9日"
                ),
                problem(7, "姓名", "请填写姓名"),
                problem(8, "类型", "缺勤类型应为病假、事假或旷课"),
            ]
        );
        let (gbk, _, _) = encoding_rs::GB18030.encode(&csv);
        assert_eq!(read_absences(&gbk, "缺勤.csv").unwrap(), (lines, problems));
    }

    #[test]
    fn a_sheet_without_the_required_columns_says_which() {
        let err = read_absences(
            "缺勤登记表\n姓名,班级,原因\n王小明,1班,\n".as_bytes(),
            "a.csv",
        )
        .unwrap_err();
        assert_eq!(
            err,
            AbsenceSheetError::NoHeader {
                missing: vec!["日期", "类型"]
            }
        );
        assert_eq!(err.to_string(), "前 5 行中找不到表头：缺少“日期”“类型”列");
        assert_eq!(err.code(), "absence_sheet.no_header");
        // The header below row 5 is not sought.
        let late = "a\nb\nc\nd\ne\n姓名,日期,类型\n王小明,2026-10-09,病假\n";
        let err = read_absences(late.as_bytes(), "a.csv").unwrap_err();
        assert_eq!(
            err.to_string(),
            "前 5 行中找不到表头：缺少“姓名”“日期”“类型”列"
        );
        let err = read_absences(b"x", "a.pdf").unwrap_err();
        assert_eq!(err.code(), "roster.format");
        assert!(matches!(err, AbsenceSheetError::Read(_)));
    }

    #[test]
    fn the_template_reads_back_as_its_example() {
        let (lines, problems) = read_absences(&absence_template(), "缺勤登记表.xlsx").unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            lines,
            [line(
                3,
                "王小明",
                Some(ID),
                Some("七年级(2)班"),
                "2026-10-09",
                AbsenceKind::Sick,
                Some("发烧，家长电话请假")
            )]
        );
    }
}
