//! The write side read back: exports in both forms (masked and not), the template, the error
//! report and the generator, checked cell by cell through calamine.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::{Days, NaiveDate};
use shouhu_domain::{IdCardNo, LeftBehind, PersonName, PhoneNo, Sex};
use shouhu_roster::generate::{GenRow, Rows, generate, grade_on};
use shouhu_roster::report::ERROR_COLUMN;
use shouhu_roster::{
    BadKind, Column, CsvExport, Encoding, ExportRow, Form, GenSpec, XlsxExport, error_report,
    template,
};

/// Every cell of the first sheet as text, from A1, empty rows kept.
fn grid(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    let Some((_, _)) = range.start() else {
        return vec![];
    };
    let (end_row, end_col) = range.end().unwrap();
    (0..=end_row)
        .map(|r| {
            (0..=end_col)
                .map(|c| range.get_value((r, c)).map_or(String::new(), text))
                .collect()
        })
        .collect()
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::DateTime(dt) => {
            let days = dt.as_f64() as u64;
            let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
            (epoch + Days::new(days)).format("%Y-%m-%d").to_string()
        }
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn rows(n: usize, seed: u64) -> Vec<ExportRow> {
    Rows::new(&GenSpec::new(n, seed), Form::Mca)
        .map(|l| l.row)
        .collect()
}

fn col(form: Form, column: Column) -> usize {
    form.position(column).unwrap()
}

fn export_xlsx(form: Form, rows: &[ExportRow], sensitive: bool) -> Vec<u8> {
    let mut sheet = XlsxExport::new(form, Some("测试花名册"), sensitive).unwrap();
    for r in rows {
        sheet.push(r).unwrap();
    }
    assert_eq!(sheet.len() as usize, rows.len());
    sheet.finish_to_buffer().unwrap()
}

#[test]
fn every_header_reads_back_as_its_column() {
    for form in Form::ALL {
        for &(column, header) in form.columns() {
            assert_eq!(Column::from_header(header), Some(column), "{header}");
        }
    }
}

#[test]
fn the_mca_export_holds_the_files_in_full_with_the_export_permission() {
    let rows = rows(12, 3);
    let g = grid(&export_xlsx(Form::Mca, &rows, true));
    assert_eq!(g[0][0], "测试花名册");
    let headers: Vec<&str> = Form::Mca.headers().collect();
    assert_eq!(g[1], headers);
    assert_eq!(g.len(), 2 + rows.len());
    let c = |column| col(Form::Mca, column);
    for (i, (line, r)) in g[2..].iter().zip(&rows).enumerate() {
        let f = &r.file;
        assert_eq!(line[c(Column::SerialNo)], (i + 1).to_string());
        assert_eq!(line[c(Column::Name)], f.name.as_str());
        assert_eq!(line[c(Column::Sex)], f.sex.label_zh());
        assert_eq!(line[c(Column::Ethnicity)], f.ethnicity.label_zh());
        assert_eq!(
            line[c(Column::BirthDate)],
            f.birth_date.format("%Y-%m-%d").to_string()
        );
        let id = f.id_number.as_ref().unwrap();
        assert_eq!(line[c(Column::IdNumber)], id.as_str());
        assert_eq!(
            &line[c(Column::HukouPlace)],
            r.hukou_place.as_ref().unwrap()
        );
        let phone = f.father.as_ref().and_then(|p| p.phone.as_ref());
        assert_eq!(
            line[c(Column::FatherPhone)],
            phone.map_or("", |p| p.as_str())
        );
        assert_eq!(line[c(Column::School)], r.school);
        assert_eq!(line[c(Column::Grade)], r.grade.unwrap().to_string());
        let both_away = [&f.father, &f.mother]
            .iter()
            .all(|p| p.as_ref().is_some_and(|p| p.away.is_some()));
        let cell = &line[c(Column::BothParentsAway)];
        assert!(cell == "是" || cell == "否");
        if !both_away {
            assert_eq!(cell, "否");
        }
    }
}

#[test]
fn without_the_permission_no_id_number_or_phone_appears_whole() {
    let rows = rows(30, 5);
    for form in Form::ALL {
        let g = grid(&export_xlsx(form, &rows, false));
        let all: Vec<&String> = g.iter().flatten().collect();
        for r in &rows {
            let f = &r.file;
            let id = f.id_number.as_ref().unwrap();
            assert!(all.iter().all(|c| !c.contains(id.as_str())), "{id}");
            let phones = [&f.father, &f.mother]
                .into_iter()
                .flatten()
                .filter_map(|p| p.phone.as_ref())
                .chain(f.guardians.iter().filter_map(|g| g.phone.as_ref()))
                .chain(f.entrustment.iter().filter_map(|e| e.phone.as_ref()));
            for p in phones {
                assert!(all.iter().all(|c| !c.contains(p.as_str())), "{p}");
            }
        }
        let c = col(form, Column::IdNumber);
        for (line, r) in g[2..].iter().zip(&rows) {
            let id = r.file.id_number.as_ref().unwrap();
            assert_eq!(line[c], id.masked());
            assert!(line[c].contains("********"));
        }
    }
    let g = grid(&export_xlsx(Form::Mca, &rows, false));
    let c = col(Form::Mca, Column::FatherPhone);
    let masked = g[2..]
        .iter()
        .map(|l| &l[c])
        .find(|p| !p.is_empty())
        .unwrap();
    assert!(masked.contains("****"), "{masked}");
}

#[test]
fn the_xueji_export_codes_values_and_derives_the_left_behind_number() {
    let rows = rows(60, 8);
    let g = grid(&export_xlsx(Form::Xueji, &rows, true));
    assert_eq!(g[1], Form::Xueji.headers().collect::<Vec<_>>());
    let c = |column| col(Form::Xueji, column);
    let mut seen = [0; 3];
    for (line, r) in g[2..].iter().zip(&rows) {
        let f = &r.file;
        let compulsory = r.grade.is_some_and(|g| g.is_compulsory());
        let code = LeftBehind::of(&f.facts(compulsory), r.as_of).xueji.number();
        assert_eq!(line[c(Column::LeftBehind)], code.to_string());
        seen[usize::from(code)] += 1;
        let sex = if f.sex == Sex::Male { "1" } else { "2" };
        assert_eq!(line[c(Column::Sex)], sex);
        assert_eq!(
            line[c(Column::BirthDate)],
            f.birth_date.format("%Y%m%d").to_string()
        );
        assert_eq!(line[c(Column::IdDocType)], "1");
        assert!(["1", "2", ""].contains(&line[c(Column::HukouType)].as_str()));
        assert!(["1", "2"].contains(&line[c(Column::Boarding)].as_str()));
    }
    assert!(seen.iter().all(|&n| n > 0), "{seen:?}");
}

#[test]
fn csv_exports_start_with_a_bom_or_are_gbk() {
    let rows = rows(20, 11);
    let mut csv = CsvExport::new(Vec::new(), Form::Xueji, false, Encoding::Utf8Bom).unwrap();
    for r in &rows {
        csv.push(r).unwrap();
    }
    let bytes = csv.finish().unwrap();
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap()).unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 21);
    assert_eq!(
        lines[0],
        Form::Xueji.headers().collect::<Vec<_>>().join(",")
    );
    let id = rows[0].file.id_number.as_ref().unwrap();
    assert!(lines[1].contains(&id.masked()) && !text.contains(id.as_str()));

    // GBK: what it can encode goes out; a rare character is refused, naming the line, and
    // the writer carries on with the next record.
    let mut csv = CsvExport::new(Vec::new(), Form::Mca, true, Encoding::Gbk).unwrap();
    let mut refused = 0;
    for r in &rows {
        match csv.push(r) {
            Ok(_) => {}
            Err(shouhu_roster::WriteError::NotGbk { .. }) => refused += 1,
            Err(e) => panic!("{e}"),
        }
    }
    let mut rare = rows[0].clone();
    rare.file.name = PersonName::parse("吉𠮷").unwrap();
    match csv.push(&rare) {
        Err(shouhu_roster::WriteError::NotGbk { row, text }) => {
            assert_eq!(text, "𠮷");
            assert!(row >= 2);
        }
        other => panic!("{other:?}"),
    }
    let bytes = csv.finish().unwrap();
    let (text, _, bad) = encoding_rs::GBK.decode(&bytes);
    assert!(!bad);
    assert!(text.starts_with("序号,姓名,性别"));
    assert_eq!(text.lines().count(), 1 + rows.len() - refused);
}

#[test]
fn the_template_has_title_headers_and_one_example() {
    for form in Form::ALL {
        let g = grid(&template(form).unwrap());
        assert!(g[0][0].contains("示例"), "{}", g[0][0]);
        assert_eq!(g[1], form.headers().collect::<Vec<_>>());
        assert_eq!(g.len(), 3, "one example row only");
        let id = &g[2][col(form, Column::IdNumber)];
        let id = IdCardNo::parse(id).unwrap();
        assert!(!g[2][col(form, Column::Name)].is_empty());
        let birth = &g[2][col(form, Column::BirthDate)];
        let format = if form == Form::Mca {
            "%Y-%m-%d"
        } else {
            "%Y%m%d"
        };
        assert_eq!(*birth, id.birth_date().format(format).to_string());
    }
}

#[test]
fn the_error_report_puts_each_message_on_its_row() {
    let header: Vec<String> = ["序号", "姓名", "公民身份证号码"]
        .map(String::from)
        .to_vec();
    let line = |n: &str, name: &str, id: &str| vec![n.into(), name.into(), id.into()];
    // Out of order on purpose; row 5 has no cells (the import skipped it) but a message.
    let rows = vec![
        (6, line("3", "王芳", "520502201503011236")),
        (4, line("1", "李雷", "52050220150301123X")),
        (7, line("4", "", "520502201503011252")),
    ];
    let problems = BTreeMap::from([
        (4, "公民身份证号码：校验位不对".to_owned()),
        (5, "空行".to_owned()),
        (7, "姓名：请填写姓名".to_owned()),
    ]);
    let g = grid(&error_report(3, &header, &rows, &problems).unwrap());
    assert_eq!(g[2], ["序号", "姓名", "公民身份证号码", ERROR_COLUMN]);
    assert_eq!(
        g[3],
        [
            "1",
            "李雷",
            "52050220150301123X",
            "公民身份证号码：校验位不对"
        ]
    );
    assert_eq!(g[4], ["", "", "", "空行"]);
    assert_eq!(g[5], ["3", "王芳", "520502201503011236", ""]);
    assert_eq!(g[6], ["4", "", "520502201503011252", "姓名：请填写姓名"]);
    assert_eq!(g.len(), 7);
}

fn spec(children: usize, seed: u64, bad_share: f64) -> GenSpec {
    GenSpec {
        bad_share,
        ..GenSpec::new(children, seed)
    }
}

#[test]
fn the_generator_is_deterministic() {
    let dir = std::env::temp_dir().join(format!("shouhu-roster-gen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let s = spec(150, 42, 0.1);
    let (a, b) = (dir.join("a.csv"), dir.join("b.csv"));
    let bad_a = generate(&s, Form::Mca, &a).unwrap();
    let bad_b = generate(&s, Form::Mca, &b).unwrap();
    assert_eq!(bad_a, bad_b);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let other = generate(&spec(150, 43, 0.1), Form::Mca, &b).unwrap();
    assert_ne!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert_ne!(bad_a, other);
    let (x, y) = (dir.join("a.xlsx"), dir.join("b.xlsx"));
    generate(&s, Form::Xueji, &x).unwrap();
    generate(&s, Form::Xueji, &y).unwrap();
    // xlsx files carry their creation time; their cells must agree.
    assert_eq!(
        grid(&std::fs::read(&x).unwrap()),
        grid(&std::fs::read(&y).unwrap())
    );
    assert!(matches!(
        generate(&s, Form::Mca, &dir.join("a.ods")),
        Err(shouhu_roster::WriteError::Extension(_))
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_seed_gives_the_same_children_at_any_size_and_share_of_bad_rows() {
    let lines = |n, share| Rows::new(&spec(n, 21, share), Form::Mca).collect::<Vec<_>>();
    let (all, half, some_bad) = (lines(120, 0.0), lines(60, 0.0), lines(120, 0.25));
    assert_eq!(some_bad.iter().filter(|l| l.bad.is_some()).count(), 30);
    for (a, b) in all.iter().zip(&half) {
        assert_eq!(a.row, b.row);
    }
    for (a, b) in all.iter().zip(&some_bad) {
        if b.bad.is_none() {
            assert_eq!(a.row, b.row);
        }
    }
}

#[test]
fn generated_files_are_valid_where_good() {
    let lines: Vec<GenRow> = Rows::new(&spec(2000, 7, 0.2), Form::Mca).collect();
    assert_eq!(lines.len(), 2000);
    for line in lines.iter().filter(|l| l.bad.is_none()) {
        line.row.file.check().unwrap();
        assert_eq!(
            line.row.grade,
            grade_on(line.row.file.birth_date, line.row.as_of)
        );
    }
    // Realistic: minority and rare-character names, parents away in many places.
    let names: Vec<&str> = lines.iter().map(|l| l.row.file.name.as_str()).collect();
    assert!(names.iter().any(|n| n.contains('·')), "no Uyghur name");
    let minorities = lines
        .iter()
        .filter(|l| l.row.file.ethnicity != shouhu_domain::Ethnicity::Han)
        .count();
    assert!(minorities > 300, "{minorities}");
    assert!(
        names
            .iter()
            .any(|n| n.chars().any(|c| u32::from(c) > 0xFFFF)),
        "no rare character"
    );
    let places: std::collections::HashSet<String> = lines
        .iter()
        .filter_map(|l| l.row.file.father.as_ref())
        .map(|p| p.work_place())
        .collect();
    assert!(places.len() > 10, "{places:?}");
}

/// Reads a generated sheet back and checks every row: good rows hold together, each bad row
/// is wrong in exactly the recorded way.
fn check_generated(form: Form, g: &[Vec<String>], first: usize, bad: &[shouhu_roster::BadRow]) {
    let c = |column| col(form, column);
    let by_row: BTreeMap<u32, &shouhu_roster::BadRow> =
        bad.iter().map(|b| (b.sheet_row, b)).collect();
    let today = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
    let mut ids = std::collections::HashMap::new();
    for (i, line) in g[first - 1..].iter().enumerate() {
        let sheet_row = u32::try_from(first + i).unwrap();
        let kind = by_row.get(&sheet_row).map(|b| b.kind);
        let id_text = &line[c(Column::IdNumber)];
        let id = IdCardNo::parse_as_of(id_text, today);
        assert_eq!(
            id.is_err(),
            kind == Some(BadKind::IdCheckChar),
            "{sheet_row} {id_text}"
        );
        let previous = ids.insert(id_text.clone(), sheet_row);
        match kind {
            Some(BadKind::DuplicateId) => {
                assert_eq!(previous, by_row[&sheet_row].duplicate_of, "{sheet_row}");
            }
            _ => assert_eq!(previous, None, "{sheet_row}"),
        }
        let Ok(id) = id else { continue };
        let birth = &line[c(Column::BirthDate)];
        let birth = ["%Y-%m-%d", "%Y%m%d", "%Y年%m月%d日"]
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(birth, f).ok())
            .unwrap_or_else(|| panic!("{birth}"));
        assert_eq!(
            birth != id.birth_date(),
            kind == Some(BadKind::BirthDateMismatch),
            "{sheet_row}"
        );
        let sex = Sex::parse(&line[c(Column::Sex)]).unwrap();
        assert_eq!(sex != id.sex(), kind == Some(BadKind::SexMismatch));
        let name = PersonName::parse(&line[c(Column::Name)]);
        assert_eq!(name.is_err(), kind == Some(BadKind::EmptyName));
        let phone_col = BadKind::BadPhone.column(form);
        let phone = &line[c(phone_col)];
        let phone_ok = phone.is_empty() || PhoneNo::parse(phone).is_ok();
        assert_eq!(
            !phone_ok,
            kind == Some(BadKind::BadPhone),
            "{sheet_row} {phone}"
        );
    }
}

#[test]
fn the_generator_plants_exactly_the_share_of_bad_rows_it_reports() {
    let dir = std::env::temp_dir().join(format!("shouhu-roster-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let s = spec(600, 99, 0.05);
    for form in Form::ALL {
        let out = dir.join(format!("{}.xlsx", form.code()));
        let bad = generate(&s, form, &out).unwrap();
        assert_eq!(bad.len(), 30);
        let kinds: std::collections::BTreeSet<BadKind> = bad.iter().map(|b| b.kind).collect();
        assert_eq!(kinds.len(), BadKind::ALL.len(), "{kinds:?}");
        for b in &bad {
            assert_eq!(b.column, b.kind.column(form));
            assert_eq!(b.duplicate_of.is_some(), b.kind == BadKind::DuplicateId);
        }
        let g = grid(&std::fs::read(&out).unwrap());
        let first = if form == Form::Mca { 3 } else { 2 };
        assert_eq!(g.len(), first - 1 + 600);
        check_generated(form, &g, first, &bad);
    }
    // CSV, GBK: the same checks on the decoded text.
    let gbk = GenSpec {
        encoding: Encoding::Gbk,
        ..spec(300, 5, 0.1)
    };
    let out = dir.join("xueji.csv");
    let bad = generate(&gbk, Form::Xueji, &out).unwrap();
    assert_eq!(bad.len(), 30);
    let bytes = std::fs::read(&out).unwrap();
    let (text, _, errors) = encoding_rs::GBK.decode(&bytes);
    assert!(!errors);
    let g: Vec<Vec<String>> = text
        .lines()
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    assert_eq!(g[0], Form::Xueji.headers().collect::<Vec<_>>());
    check_generated(Form::Xueji, &g, 2, &bad);
    let all = Rows::new(&spec(300, 0, 1.0), Form::Mca).filter(|l| l.bad.is_some());
    assert_eq!(all.count(), 300);
    std::fs::remove_dir_all(&dir).unwrap();
}

mod round_trip {
    //! What the write side makes, the read side takes: exports import as the same children,
    //! and each planted bad row is refused on its recorded column.

    use super::*;
    use shouhu_domain::RegionCode;
    use shouhu_roster::{ParsedRow, RowContext, RowRejection, parse_rows, read_roster};

    fn import(bytes: &[u8], name: &str) -> (u32, Vec<ParsedRow>, Vec<RowRejection>) {
        let sheet = read_roster(bytes, name).unwrap();
        assert_eq!(sheet.unknown_columns().count(), 0, "{:?}", sheet.columns);
        let ctx = RowContext {
            default_region: RegionCode::parse("520502").unwrap(),
            today: NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
        };
        let (taken, refused) = parse_rows(&sheet, &ctx).unwrap();
        (sheet.header_row, taken, refused)
    }

    fn same_child(form: Form, parsed: &ParsedRow, row: &ExportRow) {
        let (a, b) = (&parsed.file, &row.file);
        let at = parsed.sheet_row;
        assert_eq!(a.name, b.name, "{at}");
        assert_eq!(a.sex, b.sex, "{at}");
        assert_eq!(a.birth_date, b.birth_date, "{at}");
        assert_eq!(a.id_number, b.id_number, "{at}");
        assert_eq!(a.ethnicity, b.ethnicity, "{at}");
        assert_eq!(a.boarding, b.boarding, "{at}");
        assert_eq!(parsed.grade, row.grade, "{at}");
        assert_eq!(parsed.class.as_deref(), Some(row.class.as_str()), "{at}");
        assert_eq!(parsed.school.as_deref(), Some(row.school.as_str()), "{at}");
        match form {
            Form::Mca => {
                let phone =
                    |f: &shouhu_domain::ChildFile| f.father.as_ref().and_then(|p| p.phone.clone());
                assert_eq!(phone(a), phone(b), "{at}");
                let name =
                    |f: &shouhu_domain::ChildFile| f.mother.as_ref().and_then(|p| p.name.clone());
                assert_eq!(name(a), name(b), "{at}");
            }
            Form::Xueji => {
                assert_eq!(a.hukou_type, b.hukou_type, "{at}");
                let compulsory = row.grade.is_some_and(|g| g.is_compulsory());
                let code = LeftBehind::of(&b.facts(compulsory), row.as_of).xueji;
                assert_eq!(parsed.stated_left_behind, Some(code), "{at}");
            }
        }
    }

    #[test]
    fn exports_import_as_the_same_children() {
        let rows = rows(80, 13);
        for form in Form::ALL {
            let xlsx = export_xlsx(form, &rows, true);
            let mut csv = CsvExport::new(Vec::new(), form, true, Encoding::Utf8Bom).unwrap();
            for r in &rows {
                csv.push(r).unwrap();
            }
            let csv = csv.finish().unwrap();
            for (bytes, name, header_row) in [(&xlsx, "a.xlsx", 2), (&csv, "a.csv", 1)] {
                let (header, taken, refused) = import(bytes, name);
                assert_eq!(header, header_row, "{form:?} {name}");
                assert!(refused.is_empty(), "{form:?} {name}: {refused:#?}");
                assert_eq!(taken.len(), rows.len());
                for (parsed, row) in taken.iter().zip(&rows) {
                    same_child(form, parsed, row);
                }
            }
        }
    }

    #[test]
    fn the_template_imports_as_its_one_example() {
        for form in Form::ALL {
            let (header, taken, refused) = import(&template(form).unwrap(), "t.xlsx");
            assert_eq!(header, 2);
            assert!(refused.is_empty(), "{refused:#?}");
            assert_eq!(taken.len(), 1);
            same_child(form, &taken[0], &shouhu_roster::template::example(form));
        }
    }

    #[test]
    fn generated_bad_rows_are_refused_on_their_column_and_no_others() {
        refused_exactly_where_planted(
            "xlsx",
            &[
                (Form::Mca, "mca.xlsx", Encoding::Utf8Bom),
                (Form::Xueji, "xueji.xlsx", Encoding::Utf8Bom),
            ],
        );
    }

    #[test]
    fn generated_bad_rows_in_csv_are_refused_on_their_row_and_column() {
        refused_exactly_where_planted(
            "csv",
            &[
                (Form::Mca, "mca.csv", Encoding::Utf8Bom),
                (Form::Xueji, "xueji.csv", Encoding::Gbk),
            ],
        );
    }

    fn refused_exactly_where_planted(tag: &str, cases: &[(Form, &str, Encoding)]) {
        let dir =
            std::env::temp_dir().join(format!("shouhu-roster-rt-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for &(form, name, encoding) in cases {
            let s = GenSpec {
                encoding,
                ..spec(300, 17, 0.1)
            };
            let out = dir.join(name);
            let bad = generate(&s, form, &out).unwrap();
            let (_, taken, refused) = import(&std::fs::read(&out).unwrap(), name);
            assert_eq!(taken.len() + refused.len(), 300, "{name}");
            let refused: BTreeMap<u32, &RowRejection> =
                refused.iter().map(|r| (r.sheet_row, r)).collect();
            let planted: BTreeMap<u32, &shouhu_roster::BadRow> =
                bad.iter().map(|b| (b.sheet_row, b)).collect();
            assert_eq!(
                refused.keys().collect::<Vec<_>>(),
                planted.keys().collect::<Vec<_>>(),
                "{name}: {:#?}",
                refused
                    .values()
                    .filter(|r| !planted.contains_key(&r.sheet_row))
                    .collect::<Vec<_>>()
            );
            for (row, b) in planted {
                let header = form.columns()[form.position(b.column).unwrap()].1;
                let columns: Vec<&str> = refused[&row]
                    .problems
                    .iter()
                    .map(|p| p.column.as_str())
                    .collect();
                assert!(columns.contains(&header), "{name} {row} {b:?}: {columns:?}");
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
