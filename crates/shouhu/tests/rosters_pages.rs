//! The roster pages over HTTP on both databases, with the shared 花名册 fixture (61 rows, 8 of
//! them bad): an upload is checked without writing anything and reported row by row, the sheet
//! comes back with a 错误说明 column, a confirmation with rejected rows writes nothing unless
//! they are to be skipped, a confirmation counts once, a second import changes nothing, and an
//! upload is nobody else's. Exports are masked unless the role may see more and says why, and
//! are audit-logged; the templates download.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Cursor;
use std::time::{Duration, Instant};

use calamine::{Data, Reader, open_workbook_auto_from_rs};
use common::{Browser, TestApp};
use reqwest::StatusCode;
use serde_json::Value;
use shouhu_store::audit::{self, AuditFilter};
use shouhu_store::children::{self, ChildFilter};
use shouhu_store::{Scope, classes, schools, users};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/fixtures/rosters/mca-roster.xlsx"
);
const EXPECTED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/fixtures/rosters/mca-roster.expected.json"
);
/// 梨树镇九年一贯制学校, the demo principal's school.
const LISHU: &str = "5224010004";
/// The fixture's bad rows; 64 repeats row 5's ID number.
const BAD_ROWS: [u32; 8] = [8, 16, 24, 32, 40, 48, 56, 64];

fn fixture() -> Vec<u8> {
    std::fs::read(FIXTURE).unwrap()
}

fn expected() -> Value {
    serde_json::from_slice(&std::fs::read(EXPECTED).unwrap()).unwrap()
}

fn child_count(app: &TestApp) -> usize {
    let filter = ChildFilter {
        limit: Some(500),
        ..Default::default()
    };
    app.store
        .with_conn(|c| children::list(c, &Scope::local_operator(), &filter))
        .unwrap()
        .items
        .len()
}

fn school_id(app: &TestApp, code: &str) -> i64 {
    app.store
        .with_conn(|c| schools::id_by_code(c, code))
        .unwrap()
        .unwrap()
}

fn class_count(app: &TestApp, school: i64) -> usize {
    app.store
        .with_conn(|c| classes::list(c, &Scope::local_operator(), school))
        .unwrap()
        .len()
}

/// (kind, detail) of `username`'s audit events, newest first.
fn audit_of(app: &TestApp, username: &str) -> Vec<(String, String)> {
    let filter = AuditFilter {
        actor: Some(username.to_owned()),
        limit: 500,
        ..Default::default()
    };
    app.store
        .with_conn(|c| audit::list(c, &Scope::local_operator(), &filter))
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, e.detail))
        .collect()
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// Sends `bytes` through the upload form as a browser would, with the session's form token
/// (read from the home page, which every signed-in user has).
async fn upload(
    b: &Browser,
    name: &str,
    bytes: Vec<u8>,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let csrf = b.csrf("/").await;
    let mut form = reqwest::multipart::Form::new().text("csrf", csrf);
    for (k, v) in fields {
        form = form.text((*k).to_owned(), (*v).to_owned());
    }
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
    form = form.part("file", part);
    b.client
        .post(format!("{}/rosters/import", b.base))
        .header("Origin", b.base.clone())
        .header("Sec-Fetch-Site", "same-origin")
        .multipart(form)
        .send()
        .await
        .expect("upload")
}

/// Uploads and returns the upload's page path, `/rosters/import/{token}`.
async fn upload_ok(b: &Browser, name: &str, bytes: Vec<u8>, fields: &[(&str, &str)]) -> String {
    let r = upload(b, name, bytes, fields).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let at = location(&r);
    assert!(at.starts_with("/rosters/import/"), "{at}");
    at
}

/// Polls the upload's status until the running step is over; its phase.
async fn settle(b: &Browser, at: &str) -> String {
    let started = Instant::now();
    loop {
        let r = b.get(&format!("{at}/status")).await;
        assert_eq!(r.status(), StatusCode::OK);
        let s: Value = r.json().await.unwrap();
        let phase = s["phase"].as_str().unwrap().to_owned();
        assert!(s["done"].is_u64() && s["total"].is_u64(), "{s}");
        if phase != "checking" && phase != "writing" {
            return phase;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "still {phase}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The number in the report's count cell `id` (`count-imported`…).
fn count(html: &str, id: &str) -> usize {
    let marker = format!("id=\"{id}\">");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {id} on the page:\n{html}"))
        + marker.len();
    html[at..]
        .split('<')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

async fn confirm(b: &Browser, at: &str, skip_rejected: bool) -> reqwest::Response {
    let csrf = b.csrf(at).await;
    let fields: &[(&str, &str)] = if skip_rejected {
        &[("skip_rejected", "1")]
    } else {
        &[]
    };
    b.post_form(at, &csrf, fields).await
}

/// The cells of the first sheet of a workbook, as text.
fn cells(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut book = open_workbook_auto_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

both_dbs!(a_principal_checks_the_fixture_then_imports_it_once);
async fn a_principal_checks_the_fixture_then_imports_it_once(app: TestApp) {
    let school = school_id(&app, LISHU);
    let classes_before = class_count(&app, school);
    let b = app.login("principal").await;

    // The form: the principal's own school is implied, so there is nothing to choose.
    let (status, form) = b.get_text("/rosters/import").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("梨树镇九年一贯制学校") && !form.contains("id=\"school_id\""));
    assert!(form.contains("跳过有错误的行") && form.contains("enctype=\"multipart/form-data\""));

    // Uploaded: checked in the background, nothing written.
    let at = upload_ok(&b, "mca-roster.xlsx", fixture(), &[]).await;
    assert_eq!(settle(&b, &at).await, "checked");
    assert_eq!(child_count(&app), 0, "the check writes nothing");
    assert_eq!(class_count(&app, school), classes_before, "nor any class");

    let (status, html) = b.get_text(&at).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(count(&html, "count-imported"), 53);
    assert_eq!(count(&html, "count-rejected"), 8);
    assert!(html.contains("尚未写入任何内容"), "{html}");
    for row in BAD_ROWS {
        assert!(
            html.contains(&format!("<tr><td>{row}</td>")),
            "row {row} is listed:\n{html}"
        );
    }
    assert!(html.contains("九年级（1）班"), "the classes to be made");
    assert!(html.contains(&format!("{at}/errors.xlsx")));
    // Every bad row's problem is on its column, as the fixture lists them.
    let expected = expected();
    for bad in expected["bad_rows"].as_array().unwrap() {
        let row = bad["row"].as_u64().unwrap();
        let column = bad["error_column"].as_str().unwrap();
        assert!(
            html.contains(&format!("<tr><td>{row}</td><td>{column}</td>")),
            "row {row} on {column}"
        );
    }

    // The sheet back, with what is wrong on each bad row in a 错误说明 column.
    let r = b.get(&format!("{at}/errors.xlsx")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains("filename*=UTF-8''mca-roster-"),
        "{disposition}"
    );
    let sheet = cells(&r.bytes().await.unwrap());
    let header = sheet
        .iter()
        .find(|row| row.iter().any(|c| c == "错误说明"))
        .expect("a 错误说明 header");
    let at_col = header.iter().position(|c| c == "错误说明").unwrap();
    let explained = sheet
        .iter()
        .filter(|row| {
            row.get(at_col)
                .is_some_and(|c| !c.is_empty() && c != "错误说明")
        })
        .count();
    assert_eq!(explained, 8, "one explanation per bad row");

    // Confirmed without skipping: the bad rows keep the whole file out, and the page says so.
    let r = confirm(&b, &at, false).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), at);
    assert_eq!(settle(&b, &at).await, "written");
    let (_, html) = b.get_text(&at).await;
    assert!(html.contains("未写入任何内容"), "{html}");
    assert!(html.contains("跳过有错误的行"), "{html}");
    assert_eq!(child_count(&app), 0);
    assert_eq!(class_count(&app, school), classes_before);

    // Confirmed again, skipping them: 53 children, the new classes, in one go.
    let stale = b.csrf(&at).await;
    let r = confirm(&b, &at, true).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(settle(&b, &at).await, "written");
    let (_, html) = b.get_text(&at).await;
    assert!(html.contains("导入完成"), "{html}");
    assert_eq!(count(&html, "count-imported"), 53);
    assert!(
        !html.contains("id=\"confirm-form\""),
        "nothing left to confirm"
    );
    assert_eq!(child_count(&app), 53);
    assert!(class_count(&app, school) > classes_before);

    // The same confirmation sent again (a double click, the back button) imports nothing more.
    let r = b.post_form(&at, &stale, &[("skip_rejected", "1")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(settle(&b, &at).await, "written");
    assert_eq!(child_count(&app), 53);
    let imports = audit_of(&app, "principal")
        .into_iter()
        .filter(|(kind, _)| kind == "child.import")
        .count();
    assert_eq!(imports, 1, "one import was written");

    // The same file again: every row already filed and unchanged.
    let again = upload_ok(&b, "mca-roster.xlsx", fixture(), &[("skip_rejected", "1")]).await;
    assert_eq!(settle(&b, &again).await, "checked");
    let (_, html) = b.get_text(&again).await;
    assert_eq!(count(&html, "count-unchanged"), 53);
    assert_eq!(count(&html, "count-imported"), 0);
    assert!(
        html.contains("name=\"skip_rejected\" value=\"1\" checked"),
        "the upload's choice is offered again"
    );
    confirm(&b, &again, true).await;
    assert_eq!(settle(&b, &again).await, "written");
    let (_, html) = b.get_text(&again).await;
    assert_eq!(count(&html, "count-unchanged"), 53);
    assert_eq!(child_count(&app), 53);

    // Both uploads are listed on the roster page.
    let (_, index) = b.get_text("/rosters").await;
    assert!(index.contains(&at) && index.contains(&again), "{index}");
}

both_dbs!(an_upload_is_nobody_elses);
async fn an_upload_is_nobody_elses(app: TestApp) {
    let principal = app.login("principal").await;
    let at = upload_ok(&principal, "mca-roster.xlsx", fixture(), &[]).await;
    assert_eq!(settle(&principal, &at).await, "checked");

    // A colleague of the same school, and a county officer, find nothing there.
    for who in ["teacher1", "bureau"] {
        let other = app.login(who).await;
        for path in [
            at.clone(),
            format!("{at}/status"),
            format!("{at}/errors.xlsx"),
        ] {
            let r = other.get(&path).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{who} {path}");
        }
        let csrf = other.csrf("/").await;
        let r = other.post_form(&at, &csrf, &[("skip_rejected", "1")]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{who} confirms");
    }
    assert_eq!(child_count(&app), 0);

    // The principal in another browser is still the principal.
    let again = app.login("principal").await;
    let r = again.get(&format!("{at}/status")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (status, _) = again.get_text(&at).await;
    assert_eq!(status, StatusCode::OK);

    // Roles that may not change files are not offered the upload.
    let teacher = app.login("teacher2").await;
    let (status, _) = teacher.get_text("/rosters/import").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let r = upload(&teacher, "mca-roster.xlsx", fixture(), &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

both_dbs!(a_county_officer_chooses_the_school_and_bad_uploads_are_explained);
async fn a_county_officer_chooses_the_school_and_bad_uploads_are_explained(app: TestApp) {
    let b = app.login("bureau").await;
    let school = school_id(&app, LISHU).to_string();
    let (_, form) = b.get_text("/rosters/import").await;
    assert!(
        form.contains(&format!(
            "<option value=\"{school}\">梨树镇九年一贯制学校</option>"
        )),
        "the county's schools to choose from"
    );

    // Without a school, rows of a sheet without a 学校 column have nowhere to go.
    let at = upload_ok(&b, "mca-roster.xlsx", fixture(), &[]).await;
    assert_eq!(settle(&b, &at).await, "checked");
    let (_, html) = b.get_text(&at).await;
    assert_eq!(count(&html, "count-rejected"), 61);
    assert!(html.contains("未注明学校"), "{html}");

    // With the school chosen, as for the principal.
    let at = upload_ok(&b, "mca-roster.xlsx", fixture(), &[("school_id", &school)]).await;
    assert_eq!(settle(&b, &at).await, "checked");
    let (_, html) = b.get_text(&at).await;
    assert_eq!(count(&html, "count-imported"), 53);
    assert_eq!(count(&html, "count-rejected"), 8);

    // No file: the form again, saying so.
    let r = upload(&b, "empty.xlsx", Vec::new(), &[]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("请选择要上传的花名册文件"));

    // Not a spreadsheet: the check fails with the reader's own words.
    let at = upload_ok(&b, "notes.pdf", b"%PDF-1.4 not a roster".to_vec(), &[]).await;
    assert_eq!(settle(&b, &at).await, "failed");
    let (status, html) = b.get_text(&at).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("role=\"alert\""), "{html}");
    assert!(!html.contains("id=\"confirm-form\""));
    assert_eq!(child_count(&app), 0);

    // A form without its token is refused before anything is kept.
    let part = reqwest::multipart::Part::bytes(fixture()).file_name("mca-roster.xlsx");
    let r = b
        .client
        .post(format!("{}/rosters/import", b.base))
        .header("Origin", b.base.clone())
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// Files the fixture's good rows at the principal's school through the roster service.
fn import_fixture(app: &TestApp) {
    let scope = app
        .store
        .with_conn(|c| {
            let user = users::find_for_login(c, "principal")?.unwrap();
            users::scope_for(c, &user, None)
        })
        .unwrap();
    let key = app.store.key();
    let bytes = fixture();
    let spec = shouhu_web::rosters::ImportSpec {
        source: shouhu_web::rosters::Source::Bytes(&bytes),
        file_name: "mca-roster.xlsx",
        default_school: None,
        write: true,
        skip_rejected: true,
        today: shouhu_domain::today_shanghai(),
    };
    let report = app
        .store
        .with_conn(|c| {
            Ok(shouhu_web::rosters::import_roster(
                c,
                &scope,
                &key,
                &spec,
                &mut |_, _| {},
            ))
        })
        .unwrap()
        .unwrap();
    assert_eq!(report.summary.imported, 53);
}

/// A good row's ID number from the fixture.
fn a_good_id() -> String {
    expected()["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["error_column"].is_null())
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .unwrap()
}

both_dbs!(exports_are_masked_unless_a_purpose_is_given_and_are_logged);
async fn exports_are_masked_unless_a_purpose_is_given_and_are_logged(app: TestApp) {
    import_fixture(&app);
    let id = a_good_id();
    let b = app.login("principal").await;

    // From the child list: links to the roster pages, and its filters carried to the export.
    let (_, list) = b.get_text("/children").await;
    assert!(
        list.contains("href=\"/rosters/import\"")
            && list.contains("formaction=\"/rosters/export\"")
    );
    assert!(list.contains("href=\"/rosters\""), "花名册 in the menu");
    let (status, form) = b.get_text("/rosters/export?caliber=mca&q=zhang").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("value=\"mca\" selected") && form.contains("value=\"zhang\""));
    assert!(form.contains("包含完整身份证号和电话") && form.contains("name=\"purpose\""));

    // Masked by default: the ID numbers show their ends only.
    let csrf = b.csrf("/rosters/export").await;
    let r = b
        .post_form(
            "/rosters/export",
            &csrf,
            &[("form", "mca"), ("format", "xlsx")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let today = shouhu_domain::today_shanghai().to_string();
    let headers = r.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.contains(&format!(
            "filename*=UTF-8''%E8%8A%B1%E5%90%8D%E5%86%8C-{today}.xlsx"
        )),
        "花名册-{today}.xlsx: {disposition}"
    );
    assert_eq!(headers["x-roster-rows"], "53");
    let sheet = cells(&r.bytes().await.unwrap());
    let text = sheet.concat().join("|");
    assert!(text.contains("公民身份证号码"), "the MCA header");
    assert!(text.contains("********"), "masked ID numbers");
    assert!(!text.contains(&id), "no ID number in full");

    // Full values need a purpose …
    let r = b
        .post_form(
            "/rosters/export",
            &csrf,
            &[("form", "mca"), ("format", "xlsx"), ("with_sensitive", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("须填写用途") && html.contains("id=\"export-form\""),
        "{html}"
    );

    // … and with one, they go out, logged with it.
    let r = b
        .post_form(
            "/rosters/export",
            &csrf,
            &[
                ("form", "mca"),
                ("format", "xlsx"),
                ("with_sensitive", "1"),
                ("purpose", "县民政局核查"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let text = cells(&r.bytes().await.unwrap()).concat().join("|");
    assert!(text.contains(&id), "the ID number in full");
    let exports: Vec<String> = audit_of(&app, "principal")
        .into_iter()
        .filter(|(kind, _)| kind == "child.export")
        .map(|(_, detail)| detail)
        .collect();
    assert_eq!(exports.len(), 2, "{exports:?}");
    assert!(exports[0].contains("sensitive") && exports[0].contains("县民政局核查"));
    assert!(!exports[1].contains("sensitive"));

    // The 学籍 layout as CSV (UTF-8 with BOM), and the list's filters narrowing it.
    let r = b
        .post_form(
            "/rosters/export",
            &csrf,
            &[
                ("form", "xueji"),
                ("format", "csv"),
                ("caliber", "none"),
                ("key_child", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let rows: usize = r.headers()["x-roster-rows"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(rows < 53, "filtered");
    let body = r.bytes().await.unwrap();
    assert!(body.starts_with(b"\xEF\xBB\xBF"));
    assert!(String::from_utf8_lossy(&body).contains("全国学籍号"));

    // A subject teacher may export their children masked, never in full.
    let teacher = app.login("teacher2").await;
    let csrf = teacher.csrf("/rosters/export").await;
    let (_, form) = teacher.get_text("/rosters/export").await;
    assert!(!form.contains("name=\"with_sensitive\""));
    let r = teacher
        .post_form(
            "/rosters/export",
            &csrf,
            &[("with_sensitive", "1"), ("purpose", "想看看")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("您无权导出完整的身份证号和电话")
    );

    // Volunteers have no roster pages.
    let volunteer = app.login("volunteer").await;
    let (status, _) = volunteer.get_text("/rosters/export").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, home) = volunteer.get_text("/").await;
    assert!(!home.contains("href=\"/rosters\""));
}

both_dbs!(the_blank_templates_download);
async fn the_blank_templates_download(app: TestApp) {
    let b = app.login("teacher1").await;
    for (form, header) in [("mca", "公民身份证号码"), ("xueji", "全国学籍号")] {
        let r = b.get(&format!("/rosters/template?form={form}")).await;
        assert_eq!(r.status(), StatusCode::OK, "{form}");
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("-%E6%A8%A1%E6%9D%BF.xlsx"),
            "…-模板.xlsx"
        );
        let sheet = cells(&r.bytes().await.unwrap());
        assert!(
            sheet.iter().any(|row| row.iter().any(|c| c == header)),
            "{form}: {sheet:?}"
        );
    }
    let r = b.get("/rosters/template?form=pdf").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Signed out, nothing.
    let r = app.browser().get("/rosters/template?form=mca").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}
