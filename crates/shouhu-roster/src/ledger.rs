//! The dropout ledgers (控辍保学台账) counties ask schools for: 疑似辍学学生台账 and 辍学学生台账,
//! one line per child with the parents, the address and every 劝返 attempt with its result.
//!
//! Written in constant-memory mode like the roster export, so a county's whole ledger streams
//! out one row at a time. The caller supplies plain text (masked or not, as the user may see).

use std::io::{Seek, Write};

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};

use crate::export::{WriteError, write_header};

/// Which of the two ledgers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerKind {
    /// 疑似辍学: unexcused absence streak reached, not yet a month.
    Suspected,
    /// 辍学: suspected for a month without return.
    DroppedOut,
}

impl LedgerKind {
    pub fn title_zh(self) -> &'static str {
        match self {
            LedgerKind::Suspected => "疑似辍学学生台账",
            LedgerKind::DroppedOut => "辍学学生台账",
        }
    }

    /// The header of the column holding the day the state began.
    fn since_header(self) -> &'static str {
        match self {
            LedgerKind::Suspected => "疑似辍学日期",
            LedgerKind::DroppedOut => "辍学日期",
        }
    }
}

/// One child on a ledger, every field as it should be printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerRow {
    pub name: String,
    pub sex: String,
    pub birth_date: String,
    pub school: String,
    pub grade: String,
    pub class: String,
    pub father: String,
    pub mother: String,
    pub guardian: String,
    pub address: String,
    pub phone: String,
    /// The day the state (疑似辍学 or 辍学) began.
    pub since: String,
    /// The day the case was opened (立案).
    pub opened_on: String,
    pub reason: String,
    /// Every 劝返 attempt, oldest first.
    pub attempts: Vec<LedgerAttempt>,
    /// 当前状态, e.g. "疑似辍学", "已复学".
    pub state: String,
    /// The owning county (负责县区); a migrant child's case may be owned by the hukou county.
    pub owner: String,
}

/// One 劝返 attempt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerAttempt {
    pub date: String,
    /// e.g. "家访".
    pub method: String,
    /// Who went, e.g. "张老师、李村主任".
    pub people: String,
    /// Whom they met, e.g. "祖母".
    pub met: String,
    /// e.g. "同意返校".
    pub outcome: String,
}

/// The column headers of `kind`'s ledger, in order.
pub fn ledger_headers(kind: LedgerKind) -> Vec<&'static str> {
    vec![
        "序号",
        "姓名",
        "性别",
        "出生日期",
        "学校",
        "年级",
        "班级",
        "父亲",
        "母亲",
        "监护人",
        "家庭住址",
        "联系电话",
        kind.since_header(),
        "立案日期",
        "辍学原因",
        "劝返记录",
        "劝返次数",
        "当前状态",
        "负责县区",
    ]
}

/// One attempt as a line of the 劝返记录 cell:
/// "2026-10-11 家访（张老师、李村主任）见到：祖母；结果：同意返校".
pub fn attempt_line(a: &LedgerAttempt) -> String {
    let mut line = format!("{} {}", a.date.trim(), a.method.trim());
    if !a.people.trim().is_empty() {
        line.push_str(&format!("（{}）", a.people.trim()));
    }
    line.push_str(&format!(
        "见到：{}；结果：{}",
        a.met.trim(),
        a.outcome.trim()
    ));
    line
}

/// The 劝返记录 cell: every attempt on its own line.
pub fn attempts_text(attempts: &[LedgerAttempt]) -> String {
    attempts
        .iter()
        .map(attempt_line)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Column widths, in the order of [`ledger_headers`].
const WIDTHS: [f64; 19] = [
    6.0, 10.0, 6.0, 12.0, 20.0, 8.0, 8.0, 10.0, 10.0, 10.0, 28.0, 14.0, 13.0, 12.0, 16.0, 48.0,
    9.0, 10.0, 12.0,
];

/// Writes `kind`'s ledger for `scope_name` (a school, township or county name, which heads
/// the title) to `out`: row 1 the merged title `"<scope_name><title>"`, row 2 `"填报日期：<date>"`
/// (`date` may be empty for the school to fill in), row 3 the headers of [`ledger_headers`],
/// then one line per row. Returns the number of lines written.
pub fn write_ledger(
    kind: LedgerKind,
    scope_name: &str,
    date: &str,
    rows: impl Iterator<Item = LedgerRow>,
    out: impl Write + Seek + Send,
) -> Result<usize, WriteError> {
    let headers = ledger_headers(kind);
    let last = u16::try_from(headers.len() - 1).unwrap_or(u16::MAX);
    let mut workbook = Workbook::new();
    let mut sheet = workbook.new_worksheet_with_constant_memory()?;
    sheet.set_name(kind.title_zh())?;

    let title_format = Format::new()
        .set_bold()
        .set_font_size(16)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    sheet.set_row_height(0, 30)?;
    let title = format!("{}{}", scope_name.trim(), kind.title_zh());
    sheet.merge_range(0, 0, 0, last, &title, &title_format)?;
    sheet.write_string(1, 0, format!("填报日期：{}", date.trim()))?;
    write_header(&mut sheet, 2, headers.iter().copied())?;
    for (col, width) in (0u16..).zip(WIDTHS) {
        sheet.set_column_width(col, width)?;
    }
    sheet.set_freeze_panes(3, 2)?;

    let cell = Format::new()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::VerticalCenter);
    let wrap = cell.clone().set_text_wrap();
    let mut written = 0usize;
    for (row, line) in (3u32..).zip(rows) {
        written += 1;
        let serial = u32::try_from(written).unwrap_or(u32::MAX);
        sheet.write_number_with_format(row, 0, f64::from(serial), &cell)?;
        let texts = [
            &line.name,
            &line.sex,
            &line.birth_date,
            &line.school,
            &line.grade,
            &line.class,
            &line.father,
            &line.mother,
            &line.guardian,
        ];
        for (col, text) in (1u16..).zip(texts) {
            sheet.write_string_with_format(row, col, text, &cell)?;
        }
        sheet.write_string_with_format(row, 10, &line.address, &wrap)?;
        sheet.write_string_with_format(row, 11, &line.phone, &cell)?;
        sheet.write_string_with_format(row, 12, &line.since, &cell)?;
        sheet.write_string_with_format(row, 13, &line.opened_on, &cell)?;
        sheet.write_string_with_format(row, 14, &line.reason, &wrap)?;
        sheet.write_string_with_format(row, 15, attempts_text(&line.attempts), &wrap)?;
        let count = u32::try_from(line.attempts.len()).unwrap_or(u32::MAX);
        sheet.write_number_with_format(row, 16, f64::from(count), &cell)?;
        sheet.write_string_with_format(row, 17, &line.state, &cell)?;
        sheet.write_string_with_format(row, 18, &line.owner, &cell)?;
    }
    workbook.push_worksheet(sheet);
    workbook.save_to_writer(out)?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use calamine::{Data, Reader, Xlsx};

    use super::*;

    fn attempt(date: &str, method: &str, people: &str, met: &str, outcome: &str) -> LedgerAttempt {
        LedgerAttempt {
            date: date.into(),
            method: method.into(),
            people: people.into(),
            met: met.into(),
            outcome: outcome.into(),
        }
    }

    fn row(name: &str, attempts: Vec<LedgerAttempt>) -> LedgerRow {
        LedgerRow {
            name: name.into(),
            sex: "男".into(),
            birth_date: "2013-05-06".into(),
            school: "七星关区第一中学".into(),
            grade: "七年级".into(),
            class: "2班".into(),
            father: "王大山（广东东莞务工）".into(),
            mother: "李小红".into(),
            guardian: "祖母 张桂芝".into(),
            address: "贵州省毕节市七星关区鸭池镇石桥村三组".into(),
            phone: "13800000001".into(),
            since: "2026-10-09".into(),
            opened_on: "2026-10-10".into(),
            reason: "厌学".into(),
            attempts,
            state: "疑似辍学".into(),
            owner: "七星关区".into(),
        }
    }

    fn text(d: &Data) -> String {
        match d {
            Data::Empty => String::new(),
            Data::String(s) => s.clone(),
            Data::Float(f) => f.to_string(),
            Data::Int(i) => i.to_string(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn every_cell_reads_back_as_written() {
        let rows = vec![
            row("王小明", vec![]),
            row(
                "阿依古丽·买买提",
                vec![
                    attempt("2026-10-11", "家访", "张老师、李村主任", "祖母", "同意返校"),
                    attempt("2026-10-15", "电话", "张老师", "父亲", "未接通"),
                    attempt("2026-10-20", "联合家访", "", "母亲", "拒绝返校"),
                ],
            ),
            LedgerRow {
                address: String::new(),
                ..row(
                    "禤晓燕",
                    vec![attempt(
                        "2026-11-01",
                        "书面通知",
                        "王校长",
                        "祖父",
                        "已签收",
                    )],
                )
            },
        ];
        let mut out = Cursor::new(Vec::new());
        let n = write_ledger(
            LedgerKind::Suspected,
            "七星关区",
            "2026-12-02",
            rows.clone().into_iter(),
            &mut out,
        )
        .unwrap();
        assert_eq!(n, 3);

        let mut book = Xlsx::new(Cursor::new(out.into_inner())).unwrap();
        let range = book.worksheet_range_at(0).unwrap().unwrap();
        let cells: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(text).collect()).collect();
        assert_eq!(range.start(), Some((0, 0)));
        assert_eq!(cells[0][0], "七星关区疑似辍学学生台账");
        assert_eq!(cells[1][0], "填报日期：2026-12-02");
        let headers = ledger_headers(LedgerKind::Suspected);
        assert_eq!(cells[2], headers);
        assert_eq!(
            headers,
            [
                "序号",
                "姓名",
                "性别",
                "出生日期",
                "学校",
                "年级",
                "班级",
                "父亲",
                "母亲",
                "监护人",
                "家庭住址",
                "联系电话",
                "疑似辍学日期",
                "立案日期",
                "辍学原因",
                "劝返记录",
                "劝返次数",
                "当前状态",
                "负责县区"
            ]
        );
        assert_eq!(cells.len(), 6);
        for (i, (got, want)) in cells[3..].iter().zip(&rows).enumerate() {
            let expected = vec![
                (i + 1).to_string(),
                want.name.clone(),
                want.sex.clone(),
                want.birth_date.clone(),
                want.school.clone(),
                want.grade.clone(),
                want.class.clone(),
                want.father.clone(),
                want.mother.clone(),
                want.guardian.clone(),
                want.address.clone(),
                want.phone.clone(),
                want.since.clone(),
                want.opened_on.clone(),
                want.reason.clone(),
                attempts_text(&want.attempts),
                want.attempts.len().to_string(),
                want.state.clone(),
                want.owner.clone(),
            ];
            assert_eq!(got, &expected, "row {}", i + 4);
        }
        assert_eq!(cells[3][15], "");
        assert_eq!(
            cells[4][15],
            "2026-10-11 家访（张老师、李村主任）见到：祖母；结果：同意返校\n\
             2026-10-15 电话（张老师）见到：父亲；结果：未接通\n\
             2026-10-20 联合家访见到：母亲；结果：拒绝返校"
        );
    }

    #[test]
    fn the_dropout_ledger_names_its_date_column() {
        let headers = ledger_headers(LedgerKind::DroppedOut);
        assert_eq!(headers[12], "辍学日期");
        assert_eq!(LedgerKind::DroppedOut.title_zh(), "辍学学生台账");
        assert_eq!(headers.len(), WIDTHS.len());
        let mut out = Cursor::new(Vec::new());
        let n = write_ledger(
            LedgerKind::DroppedOut,
            "鸭池镇",
            "",
            std::iter::empty(),
            &mut out,
        )
        .unwrap();
        assert_eq!(n, 0);
        let mut book = Xlsx::new(Cursor::new(out.into_inner())).unwrap();
        let range = book.worksheet_range_at(0).unwrap().unwrap();
        assert_eq!(
            range.get((0, 0)).map(text).as_deref(),
            Some("鸭池镇辍学学生台账")
        );
        assert_eq!(range.get((1, 0)).map(text).as_deref(), Some("填报日期："));
    }
}
