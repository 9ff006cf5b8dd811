//! The shared roster fixtures: the 民政 xlsx rejects exactly its listed bad rows and the
//! duplicate, each on the listed column; the GBK 学籍 CSV yields the same children.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use chrono::NaiveDate;
use shouhu_domain::{Boarding, HukouType, RegionCode, XuejiLeftBehind};
use shouhu_roster::{ParsedRow, RowContext, RowRejection, parse_rows, read_roster};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/rosters")
}

fn ctx() -> RowContext {
    RowContext {
        default_region: RegionCode::parse("520502").unwrap(),
        today: NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
    }
}

fn import(file: &str) -> (shouhu_roster::Sheet, Vec<ParsedRow>, Vec<RowRejection>) {
    let bytes = std::fs::read(fixtures().join(file)).unwrap();
    let sheet = read_roster(&bytes, file).unwrap();
    let (taken, refused) = parse_rows(&sheet, &ctx()).unwrap();
    (sheet, taken, refused)
}

#[test]
fn the_mca_roster_rejects_exactly_the_listed_rows_on_the_listed_columns() {
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("mca-roster.expected.json")).unwrap(),
    )
    .unwrap();
    let (sheet, taken, refused) = import("mca-roster.xlsx");
    assert_eq!(sheet.header_row, 3);
    // 序号 is known and skipped; every other header is read.
    assert_eq!(sheet.unknown_columns().count(), 0);
    assert_eq!(
        taken.len() + refused.len(),
        expected["data_rows"].as_u64().unwrap() as usize
    );

    let bad: BTreeMap<u32, String> = expected["bad_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let row = b["row"].as_u64().unwrap() as u32;
            (row, b["error_column"].as_str().unwrap().to_owned())
        })
        .collect();
    let refused_rows: BTreeMap<u32, &RowRejection> =
        refused.iter().map(|r| (r.sheet_row, r)).collect();
    assert_eq!(
        refused_rows.keys().collect::<Vec<_>>(),
        bad.keys().collect::<Vec<_>>(),
        "{refused:#?}"
    );
    for (row, column) in &bad {
        let problems = &refused_rows[row].problems;
        assert!(
            problems.iter().any(|p| &p.column == column),
            "row {row}: expected a problem on {column}, got {problems:#?}"
        );
        assert!(problems.iter().all(|p| !p.message.is_empty()));
    }
    let duplicate = &refused_rows[&64].problems[0];
    assert_eq!(duplicate.message, "身份证号与第 5 行重复");

    // Every accepted row is the child the expectation lists, with its ID and name.
    let rows: BTreeMap<u32, (&str, &str)> = expected["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let row = r["row"].as_u64().unwrap() as u32;
            (
                row,
                (r["id"].as_str().unwrap(), r["name"].as_str().unwrap()),
            )
        })
        .collect();
    for t in &taken {
        let (id, name) = rows[&t.sheet_row];
        assert_eq!(t.file.id_number.as_ref().unwrap().as_str(), id);
        assert_eq!(t.file.name.as_str(), name);
        assert!(t.warnings.is_empty(), "{:#?}", t.warnings);
    }
}

#[test]
fn the_mca_roster_fills_the_family() {
    let (_, taken, _) = import("mca-roster.xlsx");
    // Sheet row 6: 曾春, both parents away in 广东东莞 and 浙江义乌, entrusted to an aunt.
    let t = taken.iter().find(|t| t.sheet_row == 6).unwrap();
    let f = &t.file;
    assert_eq!(f.birth_date, NaiveDate::from_ymd_opt(2013, 1, 30).unwrap());
    let father = f.father.as_ref().unwrap();
    assert_eq!(father.work_place(), "广东省 东莞市");
    assert_eq!(f.mother.as_ref().unwrap().work_place(), "浙江省 义乌市");
    let e = f.entrustment.as_ref().unwrap();
    assert_eq!((e.name.as_str(), e.relation.as_str()), ("方丽家", "姑姑"));
    assert_eq!(f.boarding, Some(Boarding::DayPupil));
    assert_eq!(
        f.address.as_ref().unwrap().as_str(),
        "贵州省毕节市七星关区北村4组"
    );
    assert_eq!(
        (t.grade.unwrap().number(), t.class.as_deref()),
        (8, Some("2班"))
    );
    // Sheet row 5: father's work place blank and 双方同时外出 否: only the mother is away.
    let t = taken.iter().find(|t| t.sheet_row == 5).unwrap();
    assert!(t.file.father.as_ref().unwrap().away.is_none());
    assert!(t.file.mother.as_ref().unwrap().away.is_some());
    // 幼儿园大班 is a grade too.
    assert!(
        taken
            .iter()
            .any(|t| t.grade.is_some_and(|g| g.number() == 0))
    );
}

#[test]
fn the_gbk_csv_yields_the_same_children_as_the_xlsx() {
    let (sheet, csv_taken, csv_refused) = import("xueji-roster-gbk.csv");
    assert_eq!(sheet.header_row, 1);
    let (_, xlsx_taken, xlsx_refused) = import("mca-roster.xlsx");
    let key = |t: &ParsedRow| {
        let id = t.file.id_number.as_ref().unwrap().as_str().to_owned();
        (id, t.file.name.as_str().to_owned())
    };
    let xlsx: BTreeSet<_> = xlsx_taken.iter().map(key).collect();
    let csv: BTreeSet<_> = csv_taken.iter().map(key).collect();
    // The CSV holds all 60 children, written correctly: the xlsx's bad rows are good here.
    assert!(csv_refused.is_empty(), "{csv_refused:#?}");
    assert_eq!(csv.len(), 60);
    // Every child the xlsx accepts is in the CSV under the same ID and name.
    assert!(xlsx.is_subset(&csv), "{:?}", xlsx.difference(&csv));
    // And the rest are the children of the xlsx's bad rows, by the IDs the expectation lists.
    let rest: BTreeSet<String> = csv.difference(&xlsx).map(|(id, _)| id.clone()).collect();
    let bad_ids: BTreeSet<String> = xlsx_refused
        .iter()
        .filter(|r| r.sheet_row != 64)
        .map(|r| expected_id(r.sheet_row))
        .collect();
    assert_eq!(rest, bad_ids);
    let t = &csv_taken[0];
    assert_eq!(t.file.hukou_type, Some(HukouType::Agricultural));
    assert_eq!(t.file.boarding, Some(Boarding::DayPupil));
    assert_eq!(t.stated_left_behind, Some(XuejiLeftBehind::BothParents));
    assert!(t.contact_phone.is_some());
    assert!(csv_taken.iter().all(|t| t.warnings.is_empty()));
}

fn expected_id(sheet_row: u32) -> String {
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("mca-roster.expected.json")).unwrap(),
    )
    .unwrap();
    let rows = expected["rows"].as_array().unwrap();
    let row = rows.iter().find(|r| r["row"] == sheet_row).unwrap();
    row["id"].as_str().unwrap().to_owned()
}

#[test]
#[ignore = "prints the report, for reading"]
fn print_the_report() {
    let (_, _, refused) = import("mca-roster.xlsx");
    for r in refused {
        for p in r.problems {
            println!("{p}  [{}]", p.code);
        }
    }
}

/// A 登记表-style .xls (made by `tests/data/make_xls.py`): merged title, two-row header with
/// 父亲 and 母亲 merged over their columns, a date cell and a text date, a footer line.
#[test]
fn an_xls_with_a_two_row_header() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/registration-form.xls");
    let sheet = read_roster(&std::fs::read(path).unwrap(), "登记表.xls").unwrap();
    assert_eq!((sheet.name.as_str(), sheet.header_row), ("登记表", 4));
    let texts: Vec<_> = sheet.columns.iter().map(|h| h.text.as_str()).collect();
    assert_eq!(texts[6..9], ["父亲姓名", "父亲务工地点", "父亲联系电话"]);
    assert_eq!(sheet.unknown_columns().count(), 0);
    let (taken, refused) = parse_rows(&sheet, &ctx()).unwrap();
    let names: Vec<_> = taken.iter().map(|t| t.file.name.as_str()).collect();
    assert_eq!(names, ["吴𠮷", "阿依·木合"]);
    let first = &taken[0].file;
    assert_eq!(
        first.birth_date,
        NaiveDate::from_ymd_opt(2015, 3, 1).unwrap()
    );
    let father = first.father.as_ref().unwrap();
    assert_eq!(father.phone.as_ref().unwrap().as_str(), "13812345678");
    assert_eq!(father.work_place(), "广东省 东莞");
    // The second child's father has nothing written: no record, and only the mother is away.
    assert!(taken[1].file.father.is_none());
    assert!(taken[1].file.mother.as_ref().unwrap().away.is_some());
    // 张三's birth date disagrees with the ID; the footer line (填表人) is not a row.
    assert_eq!(refused.len(), 1);
    let p = &refused[0].problems[0];
    assert_eq!((p.sheet_row, p.column.as_str()), (7, "出生日期"));
}
