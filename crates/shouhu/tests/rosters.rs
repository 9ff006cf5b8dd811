//! Roster import and export through the roster service on both databases, with the shared
//! fixtures: exactly the bad rows refused on their columns, all-or-nothing, re-import a no-op,
//! updates with revisions, scope, classes made on confirmation, and the GBK CSV.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use common::TestApp;
use serde_json::Value;
use shouhu_store::children::{self, ChildFilter, ExportRequest};
use shouhu_store::{Scope, classes, users};
use shouhu_web::rosters::{
    ExportFormat, ExportSpec, ImportReport, ImportSpec, Source, error_sheet, export_roster,
    import_roster,
};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/fixtures/rosters"
);
/// 梨树镇九年一贯制学校, the demo principal's school.
const LISHU: &str = "5224010004";

fn fixture(name: &str) -> PathBuf {
    Path::new(FIXTURES).join(name)
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 9, 15).unwrap()
}

fn scope_of(app: &TestApp, username: &str) -> Scope {
    app.store
        .with_conn(|c| {
            let user = users::find_for_login(c, username)?.unwrap();
            users::scope_for(c, &user, None)
        })
        .unwrap()
}

fn school_id(app: &TestApp, code: &str) -> i64 {
    app.store
        .with_conn(|c| shouhu_store::schools::id_by_code(c, code))
        .unwrap()
        .unwrap()
}

struct Run<'a> {
    user: &'a str,
    path: PathBuf,
    school: Option<i64>,
    write: bool,
    skip_rejected: bool,
}

impl<'a> Run<'a> {
    fn new(user: &'a str, path: PathBuf) -> Self {
        Run {
            user,
            path,
            school: None,
            write: true,
            skip_rejected: false,
        }
    }

    fn go(&self, app: &TestApp) -> ImportReport {
        let scope = scope_of(app, self.user);
        let key = app.store.key();
        let name = self
            .path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let spec = ImportSpec {
            source: Source::File(&self.path),
            file_name: &name,
            default_school: self.school,
            write: self.write,
            skip_rejected: self.skip_rejected,
            today: today(),
        };
        app.store
            .with_conn(|c| Ok(import_roster(c, &scope, &key, &spec, &mut |_, _| {})))
            .unwrap()
            .unwrap()
    }
}

/// (name, birth date, sex) of every file the bureau sees.
fn files(app: &TestApp) -> BTreeSet<(String, String, String)> {
    let scope = scope_of(app, "bureau");
    let mut filter = ChildFilter {
        limit: Some(500),
        ..Default::default()
    };
    let mut out = BTreeSet::new();
    loop {
        let page = app
            .store
            .with_conn(|c| children::list(c, &scope, &filter))
            .unwrap();
        out.extend(
            page.items
                .iter()
                .map(|s| (s.name.clone(), s.birth_date.clone(), s.sex.clone())),
        );
        match page.next {
            Some(n) => filter.after = Some(n),
            None => return out,
        }
    }
}

fn class_count(app: &TestApp, school: i64) -> usize {
    let scope = scope_of(app, "bureau");
    app.store
        .with_conn(|c| classes::list(c, &scope, school))
        .unwrap()
        .len()
}

fn expected() -> Value {
    serde_json::from_slice(&std::fs::read(fixture("mca-roster.expected.json")).unwrap()).unwrap()
}

both_dbs!(the_mca_fixture_refuses_exactly_its_bad_rows_and_writes_nothing_until_told);
async fn the_mca_fixture_refuses_exactly_its_bad_rows_and_writes_nothing_until_told(app: TestApp) {
    let school = school_id(&app, LISHU);
    let classes_before = class_count(&app, school);
    let xlsx = fixture("mca-roster.xlsx");

    // The principal's own school is implied; bad rows refuse the whole file.
    let report = Run::new("principal", xlsx.clone()).go(&app);
    assert!(!report.summary.written);
    assert_eq!(report.summary.rejected, 8, "{:#?}", report.problems);
    assert_eq!(report.summary.imported, 53);
    assert!(files(&app).is_empty(), "a refused file leaves nothing");
    assert_eq!(class_count(&app, school), classes_before, "nor any class");

    // Each bad row is refused with a message on the listed column, and no other row is.
    let expected = expected();
    let bad = expected["bad_rows"].as_array().unwrap();
    let refused: BTreeSet<u32> = report.problems.iter().map(|p| p.sheet_row).collect();
    let listed: BTreeSet<u32> = bad
        .iter()
        .map(|b| b["row"].as_u64().unwrap() as u32)
        .collect();
    assert_eq!(refused, listed);
    for b in bad {
        let row = b["row"].as_u64().unwrap() as u32;
        let column = b["error_column"].as_str().unwrap();
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.sheet_row == row && p.column == column && !p.message.is_empty()),
            "row {row} should be refused on {column}: {:#?}",
            report.problems
        );
    }

    // The preview says which classes the import will make.
    assert!(!report.summary.new_classes.is_empty());
    assert!(
        report
            .summary
            .new_classes
            .iter()
            .any(|c| c.name == "九年级（1）班"),
        "{:?}",
        report.summary.new_classes
    );

    // The report sheet is the original with a 错误说明 column.
    let sheet = error_sheet(Source::File(&xlsx), "mca-roster.xlsx", &report.problems).unwrap();
    let read = shouhu_roster::read_roster(&sheet, "report.xlsx").unwrap();
    assert!(read.columns.iter().any(|h| h.text == "错误说明"));
    assert_eq!(read.rows.len(), 61);

    // Told to skip them, the good rows go in, in one go, with their classes.
    let mut run = Run::new("principal", xlsx.clone());
    run.skip_rejected = true;
    let report = run.go(&app);
    assert!(report.summary.written);
    assert_eq!(
        report.summary_line(),
        "imported 53, updated 0, unchanged 0, rejected 8"
    );
    assert_eq!(files(&app).len(), 53);
    assert!(class_count(&app, school) > classes_before);
    let good: BTreeSet<String> = expected["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["error_column"].is_null())
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect();
    let stored: BTreeSet<String> = files(&app).into_iter().map(|(n, _, _)| n).collect();
    assert_eq!(stored, good);

    // The same file again changes nothing.
    let report = run.go(&app);
    assert_eq!(
        report.summary_line(),
        "imported 0, updated 0, unchanged 53, rejected 8"
    );
    assert_eq!(files(&app).len(), 53);
}

both_dbs!(the_gbk_csv_imports_the_same_children_as_the_workbook);
async fn the_gbk_csv_imports_the_same_children_as_the_workbook(app: TestApp) {
    let csv = Run::new("principal", fixture("xueji-roster-gbk.csv")).go(&app);
    assert!(csv.summary.written, "{:#?}", csv.problems);
    assert_eq!(csv.summary.rejected, 0);

    // Every child of the workbook whose name GBK can write, by birth date and sex from the ID
    // (the workbook's bad rows are children too, written correctly in the CSV).
    let expected = expected();
    let mut ids: Vec<&str> = expected["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| shouhu_roster::Encoding::Gbk.can_encode(r["name"].as_str().unwrap()))
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut want: Vec<(String, String)> = ids
        .iter()
        .map(|id| {
            let id = shouhu_domain::IdCardNo::parse(id).unwrap();
            (id.birth_date().to_string(), id.sex().code().to_string())
        })
        .collect();
    want.sort();
    let mut got: Vec<(String, String)> = files(&app).into_iter().map(|(_, b, s)| (b, s)).collect();
    got.sort();
    assert_eq!(csv.summary.imported, want.len());
    assert_eq!(got, want);

    // The workbook then finds each of its good rows already filed: no new child.
    let mut run = Run::new("principal", fixture("mca-roster.xlsx"));
    run.skip_rejected = true;
    let xlsx = run.go(&app);
    assert_eq!(xlsx.summary.rejected, 8);
    assert_eq!(xlsx.summary.imported, 0, "{:#?}", xlsx.problems);
    assert_eq!(xlsx.summary.updated + xlsx.summary.unchanged, 53);
    assert_eq!(files(&app).len(), want.len());
}

fn write_csv(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

both_dbs!(a_changed_row_updates_the_file_keeps_the_rest_and_makes_a_revision);
async fn a_changed_row_updates_the_file_keeps_the_rest_and_makes_a_revision(app: TestApp) {
    let dir = tempdir();
    let mut run = Run::new("principal", fixture("mca-roster.xlsx"));
    run.skip_rejected = true;
    run.go(&app);
    // Row 4: 龙阿妹, 52052120120221232X; the father's phone changes, nothing else is given.
    let path = write_csv(
        &dir,
        "update.csv",
        "姓名,性别,民族,出生日期,公民身份证号码,父亲姓名,父亲联系电话\n\
         龙阿妹,女,苗族,2012-02-21,52052120120221232X,白怡永,13800001111\n",
    );
    let report = Run::new("principal", path).go(&app);
    assert_eq!(
        report.summary_line(),
        "imported 0, updated 1, unchanged 0, rejected 0"
    );

    let scope = scope_of(&app, "principal");
    let key = app.store.key();
    let page = app
        .store
        .with_conn(|c| {
            children::list(
                c,
                &scope,
                &ChildFilter {
                    q: Some("龙阿妹".into()),
                    ..Default::default()
                },
            )
        })
        .unwrap();
    let child = page
        .items
        .iter()
        .find(|s| s.birth_date == "2012-02-21")
        .unwrap();
    assert_eq!(child.version, 2);
    assert!(
        child.class_id.is_some(),
        "the class from the first import is kept"
    );
    let (_, file) = app
        .store
        .with_conn(|c| children::file_for(c, &scope, &key, child.id, "test"))
        .unwrap();
    let father = file.father.unwrap();
    assert_eq!(father.phone.unwrap().as_str(), "13800001111");
    assert!(
        father.away.is_some(),
        "the work place the sheet left out is kept"
    );
    assert!(
        file.mother.is_some(),
        "the mother the sheet left out is kept"
    );
    assert!(file.entrustment.is_some());
    let history = app
        .store
        .with_conn(|c| children::revisions(c, &scope, child.id))
        .unwrap();
    assert_eq!(history.len(), 2);
    assert!(
        history[0].changes.contains_key("father.phone"),
        "{:?}",
        history[0].changes
    );
    assert_eq!(history[0].changes.len(), 1, "{:?}", history[0].changes);
    assert!(history[1].changes.contains_key("name"));
}

both_dbs!(rows_outside_the_importers_reach_are_refused);
async fn rows_outside_the_importers_reach_are_refused(app: TestApp) {
    let dir = tempdir();
    // The bureau files a child at another school of the county.
    let first = "七星关区第一小学";
    let path = write_csv(
        &dir,
        "bureau.csv",
        &format!(
            "姓名,性别,民族,出生日期,公民身份证号码,学校,年级,班级\n\
             张小文,男,汉族,2017-02-07,520523201702071431,{first},四年级,3班\n"
        ),
    );
    let report = Run::new("bureau", path).go(&app);
    assert_eq!(
        report.summary_line(),
        "imported 1, updated 0, unchanged 0, rejected 0"
    );

    // The principal may not put children into that school, nor file that child again.
    let path = write_csv(
        &dir,
        "principal.csv",
        &format!(
            "姓名,性别,民族,出生日期,公民身份证号码,学校\n\
             李四,女,汉族,2015-05-11,520502201505110428,{first}\n\
             张小文,男,汉族,2017-02-07,520523201702071431,\n"
        ),
    );
    let report = Run::new("principal", path).go(&app);
    assert!(!report.summary.written);
    assert_eq!(report.summary.rejected, 2);
    assert_eq!(report.problems[0].column, "学校");
    assert_eq!(report.problems[1].column, "公民身份证号码");
    assert_eq!(report.problems[1].code, "import.exists_elsewhere");
    assert_eq!(files(&app).len(), 1);

    // A grade the school does not teach is a remark, not a refusal: the child has no class.
    let path = write_csv(
        &dir,
        "grade.csv",
        &format!(
            "姓名,性别,民族,出生日期,公民身份证号码,学校,年级,班级\n\
             王五,男,汉族,2012-02-21,{},{first},九年级,1班\n",
            id_number("520521", "20120221", "233")
        ),
    );
    let report = Run::new("bureau", path).go(&app);
    assert_eq!(report.summary.imported, 1, "{:#?}", report.problems);
    assert_eq!(report.warnings.len(), 1);
    assert_eq!(report.warnings[0].code, "import.grade_not_taught");
    assert_eq!(report.warnings[0].column, "年级");
}

both_dbs!(exports_mask_unless_asked_with_a_purpose_and_are_audited);
async fn exports_mask_unless_asked_with_a_purpose_and_are_audited(app: TestApp) {
    let mut run = Run::new("principal", fixture("mca-roster.xlsx"));
    run.skip_rejected = true;
    run.go(&app);
    let scope = scope_of(&app, "bureau");
    let key = app.store.key();
    let export = |format: ExportFormat, with_sensitive: bool, purpose: &str| {
        let spec = ExportSpec {
            form: shouhu_roster::Form::Mca,
            format,
            request: ExportRequest {
                with_sensitive,
                purpose: purpose.to_owned(),
                ..Default::default()
            },
            today: today(),
        };
        let mut out = Vec::new();
        app.store
            .with_conn(|c| export_roster(c, &scope, &key, &spec, &mut out))
            .map(|n| (n, out))
    };
    let (n, xlsx) = export(ExportFormat::Xlsx, false, "").unwrap();
    assert_eq!(n, 53);
    let sheet = shouhu_roster::read_roster(&xlsx, "out.xlsx").unwrap();
    assert_eq!(sheet.rows.len(), 53);
    let id_col = sheet
        .columns
        .iter()
        .find(|h| h.text == "公民身份证号码")
        .unwrap()
        .index;
    assert!(
        sheet
            .rows
            .iter()
            .all(|r| r.cell(id_col).display().contains("****"))
    );

    assert!(
        export(ExportFormat::Xlsx, true, " ").is_err(),
        "no purpose, no IDs"
    );
    let (_, csv) = export(
        ExportFormat::Csv(shouhu_roster::Encoding::Utf8Bom),
        true,
        "县民政局核对",
    )
    .unwrap();
    let text = String::from_utf8(csv).unwrap();
    assert!(text.contains("52052120120221232X"));

    // The export read back imports as the same children, unchanged.
    let dir = tempdir();
    let path = dir.join("back.csv");
    std::fs::write(&path, &text).unwrap();
    let report = Run::new("bureau", path).go(&app);
    assert_eq!(report.summary.unchanged, 53, "{:#?}", report.problems);
    assert_eq!(report.summary.rejected, 0);

    let log = app
        .store
        .with_conn(|c| {
            let filter = shouhu_store::audit::AuditFilter {
                limit: 500,
                ..Default::default()
            };
            shouhu_store::audit::list(c, &scope, &filter)
        })
        .unwrap();
    let exports: Vec<_> = log.iter().filter(|e| e.kind == "child.export").collect();
    assert_eq!(exports.len(), 2);
    assert!(exports.iter().any(|e| e.detail.contains("县民政局核对")));
    assert!(log.iter().any(|e| e.kind == "child.import"));
}

/// A valid ID number (male for an odd `seq`).
fn id_number(county: &str, birth: &str, seq: &str) -> String {
    let first17 = format!("{county}{birth}{seq}");
    format!("{first17}{}", shouhu_domain::check_char(first17.as_bytes()))
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shouhu-rosters-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
