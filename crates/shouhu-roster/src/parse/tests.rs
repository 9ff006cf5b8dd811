//! Row parsing on small hand-made sheets: the spellings rosters use, and the problems reported.

use chrono::NaiveDate;
use shouhu_domain::{Boarding, RegionCode, Sex, XuejiLeftBehind, check_char};

use super::*;
use crate::read::{Cell, RawRow};

fn id(birth: &str, seq: &str) -> String {
    let first17 = format!("520502{birth}{seq}");
    format!("{first17}{}", check_char(first17.as_bytes()))
}

fn ctx() -> RowContext {
    RowContext {
        default_region: RegionCode::parse("520502").unwrap(),
        today: NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
    }
}

fn header(names: &[&str]) -> Vec<HeaderCell> {
    names
        .iter()
        .enumerate()
        .map(|(index, text)| HeaderCell {
            index,
            text: (*text).to_owned(),
            column: Column::from_header(text),
        })
        .collect()
}

fn row(cells: &[&str]) -> RawRow {
    RawRow {
        sheet_row: 4,
        cells: cells.iter().map(|s| Cell::text(s)).collect(),
    }
}

const HEAD: [&str; 10] = [
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "身份证号",
    "父亲务工地点",
    "母亲务工地点",
    "父亲电话",
    "受委托监护人电话",
    "是否留守儿童",
];

fn parse(cells: &[&str]) -> Result<ParsedRow, RowRejection> {
    let layout = Layout::new(&header(&HEAD)).unwrap();
    parse_row(&layout, &row(cells), &ctx())
}

fn problems(cells: &[&str]) -> Vec<(String, &'static str)> {
    parse(cells)
        .unwrap_err()
        .problems
        .into_iter()
        .map(|p| (p.column, p.code))
        .collect()
}

#[test]
fn ids_and_phones_as_people_type_them() {
    let good = id("20150301", "123");
    let typed = format!("{} {}", &good[..6], &good[6..]).replace('X', "x");
    let wide: String = typed
        .chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(c as u32 + 0xFEE0).unwrap(),
            c => c,
        })
        .collect();
    let t = parse(&[
        "张三",
        "男",
        "汉",
        "2015年3月1日",
        &wide,
        "",
        "",
        "+86 138-1234-5678",
        "",
        "",
    ])
    .unwrap();
    assert_eq!(t.file.id_number.unwrap().as_str(), good);
    assert_eq!(
        t.file.father.unwrap().phone.unwrap().as_str(),
        "13812345678"
    );
}

#[test]
fn blank_sex_and_birth_date_come_from_the_id() {
    let t = parse(&[
        "张三",
        "",
        "汉族",
        "",
        &id("20150301", "123"),
        "",
        "",
        "",
        "",
        "",
    ])
    .unwrap();
    assert_eq!(
        t.file.birth_date,
        NaiveDate::from_ymd_opt(2015, 3, 1).unwrap()
    );
    assert_eq!(t.file.sex, Sex::Male);
    let codes: Vec<_> = t.warnings.iter().map(|w| w.code).collect();
    assert_eq!(codes, ["roster.from_id", "roster.from_id"]);
    // Without an ID, both are required.
    let p = problems(&["张三", "", "汉族", "", "", "", "", "", "", ""]);
    assert_eq!(
        p,
        [
            ("性别".to_owned(), "roster.required"),
            ("出生日期".to_owned(), "roster.required")
        ]
    );
}

#[test]
fn an_id_kept_as_a_number_has_lost_digits() {
    let layout = Layout::new(&header(&HEAD)).unwrap();
    let mut r = row(&["张三", "男", "汉族", "2015-03-01"]);
    r.cells.push(Cell::Number(520502201503011230.0));
    let err = parse_row(&layout, &r, &ctx()).unwrap_err();
    assert_eq!(err.problems[0].code, "roster.id_as_number");
}

#[test]
fn every_problem_of_a_row_is_reported() {
    let p = problems(&[
        "",
        "男",
        "火星族",
        "2015-03-01",
        "123",
        "",
        "",
        "12345",
        "",
        "",
    ]);
    let columns: Vec<_> = p.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(columns, ["姓名", "民族", "身份证号", "父亲电话"]);
}

#[test]
fn an_entrusted_phone_needs_a_name() {
    let p = problems(&[
        "张三",
        "男",
        "汉族",
        "2015-03-01",
        "",
        "",
        "",
        "",
        "13812345678",
        "",
    ]);
    assert_eq!(p, [("委托监护人姓名".to_owned(), "roster.entrusted_name")]);
}

#[test]
fn the_stated_left_behind_code_is_compared_not_stored() {
    let both = [
        "张三",
        "男",
        "汉族",
        "2015-03-01",
        "",
        "广东东莞",
        "浙江义乌",
        "",
        "",
    ];
    let with = |code: &str| {
        let mut cells = both.to_vec();
        cells.push(code);
        parse(&cells).unwrap()
    };
    let t = with("2");
    assert_eq!(t.stated_left_behind, Some(XuejiLeftBehind::BothParents));
    assert!(t.warnings.is_empty());
    let t = with("1");
    assert_eq!(t.warnings[0].code, "roster.left_behind_disagrees");
    assert_eq!(
        t.warnings[0].message,
        "表中为“单亲留守”，按父母外出情况应为“双亲留守”"
    );
    assert!(with("是").warnings.is_empty());
    assert_eq!(with("不清楚").warnings[0].code, "roster.left_behind_unread");
}

#[test]
fn coded_xueji_rows() {
    let head = [
        "姓名",
        "性别",
        "出生日期",
        "身份证件类型",
        "身份证件号",
        "民族",
        "户口性质",
        "就读方式",
        "年级",
    ];
    let layout = Layout::new(&header(&head)).unwrap();
    let cells = [
        "李四",
        "2",
        "20150301",
        "1",
        &id("20150301", "224"),
        "苗族",
        "2",
        "2",
        "初一",
    ];
    let t = parse_row(&layout, &row(&cells), &ctx()).unwrap();
    assert_eq!(t.file.sex, Sex::Female);
    assert_eq!(
        t.file.hukou_type,
        Some(shouhu_domain::HukouType::NonAgricultural)
    );
    assert_eq!(t.file.boarding, Some(Boarding::Boarder));
    assert_eq!(t.grade.unwrap().number(), 7);
}

#[test]
fn layouts_need_the_columns_a_file_cannot_do_without() {
    let err = Layout::new(&header(&["姓名", "性别", "出生日期"])).unwrap_err();
    assert_eq!(err.missing, [Column::Ethnicity]);
    assert_eq!(err.to_string(), "表中缺少必需的列：民族");
    assert!(Layout::new(&header(&["姓名", "民族", "身份证号"])).is_ok());
}

#[test]
fn duplicates_and_fillers_across_a_sheet() {
    let good = id("20150301", "123");
    let child = ["张三", "男", "汉族", "2015-03-01", good.as_str()];
    let mut rows = vec![row(&child), row(&child), row(&["", "男"])];
    rows[1].sheet_row = 5;
    rows[2].sheet_row = 6;
    let mut sheet = Sheet {
        name: "花名册".into(),
        header_row: 3,
        columns: header(&HEAD),
        rows,
    };
    sheet.columns.insert(
        0,
        HeaderCell {
            index: 10,
            text: "序号".into(),
            column: Some(Column::SerialNo),
        },
    );
    let mut numbered = row(&["", "", "", "", "", "", "", "", "", "", "3"]);
    numbered.sheet_row = 7;
    sheet.rows.push(numbered);
    let (taken, refused) = parse_rows(&sheet, &ctx()).unwrap();
    assert_eq!(taken.len(), 1);
    let rows: Vec<_> = refused.iter().map(|r| r.sheet_row).collect();
    // Row 6 has a 性别 and no name: reported; row 7 only a 序号: skipped.
    assert_eq!(rows, [5, 6]);
    assert_eq!(refused[0].problems[0].message, "身份证号与第 4 行重复");
}
