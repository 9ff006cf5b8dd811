//! Rosters over the JSON API on both databases, with the shared 花名册 fixture: a check reports
//! every bad row's cell and writes nothing, an import is all or nothing unless rejected rows are
//! skipped, a second import changes nothing, bad files answer in the API's error shape, exports
//! stream masked unless a permitted role states a purpose and are audit-logged, and the
//! templates and the OpenAPI document are there.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Cursor;

use calamine::{Data, Reader, open_workbook_auto_from_rs};
use common::TestApp;
use reqwest::StatusCode;
use serde_json::Value;
use shouhu_store::Scope;
use shouhu_store::audit::{self, AuditFilter};
use shouhu_store::children::{self, ChildFilter};
use shouhu_web::api::ErrorBody;

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/fixtures/rosters"
);

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
}

fn expected() -> Value {
    serde_json::from_slice(&fixture("mca-roster.expected.json")).unwrap()
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

fn audit_of(app: &TestApp, username: &str, kind: &str) -> Vec<String> {
    let filter = AuditFilter {
        actor: Some(username.to_owned()),
        kind: Some(kind.to_owned()),
        limit: 500,
        ..Default::default()
    };
    app.store
        .with_conn(|c| audit::list(c, &Scope::local_operator(), &filter))
        .unwrap()
        .into_iter()
        .map(|e| e.detail)
        .collect()
}

fn error_of(body: &Value) -> ErrorBody {
    serde_json::from_value(body.clone())
        .unwrap_or_else(|e| panic!("not the API error shape ({e}): {body}"))
}

/// Posts a roster file as the body of an import.
async fn import(app: &TestApp, token: &str, query: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/rosters/imports?{query}")))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The cells of the first sheet of a workbook, joined, for looking things up.
fn sheet_text(bytes: &[u8]) -> String {
    let mut book = open_workbook_auto_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    range
        .rows()
        .flat_map(|row| {
            row.iter().map(|c| match c {
                Data::Empty => String::new(),
                other => other.to_string(),
            })
        })
        .collect::<Vec<_>>()
        .join("|")
}

both_dbs!(a_check_writes_nothing_and_an_import_is_all_or_nothing);
async fn a_check_writes_nothing_and_an_import_is_all_or_nothing(app: TestApp) {
    let token = app.token("principal").await;
    let xlsx = fixture("mca-roster.xlsx");

    // A check: the counts, every bad row's problem on its cell, the classes to make.
    let (status, report) = import(&app, &token, "file_name=mca-roster.xlsx", xlsx.clone()).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["written"], false);
    assert_eq!(report["imported"], 53);
    assert_eq!(report["rejected"], 8);
    assert_eq!(report["rows"], 61);
    let problems = report["problems"].as_array().unwrap();
    for bad in expected()["bad_rows"].as_array().unwrap() {
        let row = &bad["row"];
        let column = &bad["error_column"];
        assert!(
            problems.iter().any(|p| &p["sheet_row"] == row
                && &p["column"] == column
                && p["message"].as_str().is_some_and(|m| !m.is_empty())
                && p["code"].as_str().is_some_and(|c| !c.is_empty())
                && p["value"].is_string()),
            "row {row} on {column}: {problems:?}"
        );
    }
    let new_classes = report["new_classes"].as_array().unwrap();
    assert!(
        new_classes
            .iter()
            .any(|c| c["name"] == "九年级（1）班" && c["grade"] == 9),
        "{new_classes:?}"
    );
    assert!(report["warnings"].is_array() && report["unknown_columns"].is_array());
    assert_eq!(child_count(&app), 0, "a check writes nothing");

    // Written without skipping: the bad rows keep the whole file out.
    let (status, report) = import(
        &app,
        &token,
        "file_name=mca-roster.xlsx&write=true",
        xlsx.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["written"], false);
    assert_eq!(report["rejected"], 8);
    assert_eq!(child_count(&app), 0);

    // Skipping them: the 53 good rows, then a second time nothing changes.
    let query = "file_name=mca-roster.xlsx&write=true&skip_rejected=true";
    let (status, report) = import(&app, &token, query, xlsx.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["written"], true);
    assert_eq!(report["imported"], 53);
    assert_eq!(child_count(&app), 53);
    let (_, report) = import(&app, &token, query, xlsx).await;
    assert_eq!(report["unchanged"], 53);
    assert_eq!(report["imported"], 0);
    assert_eq!(child_count(&app), 53);
    let logged = audit_of(&app, "principal", "child.import");
    assert_eq!(logged.len(), 2, "{logged:?}");
    assert!(logged[0].contains("mca-roster.xlsx"));

    // A county officer names the school for a sheet without a 学校 column.
    let bureau = app.token("bureau").await;
    let school = app
        .store
        .with_conn(|c| shouhu_store::schools::id_by_code(c, "5224010004"))
        .unwrap()
        .unwrap();
    let (status, report) = import(
        &app,
        &bureau,
        &format!("file_name=mca-roster.xlsx&school_id={school}"),
        fixture("mca-roster.xlsx"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["unchanged"], 53);
    // The 学籍-style CSV in GBK, its 学校名称 cells blank, into the same school.
    let (status, report) = import(
        &app,
        &bureau,
        &format!("file_name=xueji-roster-gbk.csv&school_id={school}"),
        fixture("xueji-roster-gbk.csv"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["rejected"], 0, "{report}");
}

both_dbs!(bad_files_and_callers_answer_in_the_error_shape);
async fn bad_files_and_callers_answer_in_the_error_shape(app: TestApp) {
    let token = app.token("principal").await;

    let (status, body) = import(&app, &token, "file_name=notes.pdf", b"%PDF-1.4".to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let e = error_of(&body).error;
    assert_eq!(e.code, "roster.format");
    assert!(
        e.message
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{}",
        e.message
    );

    // Text without any header Shouhu knows.
    let (status, body) = import(
        &app,
        &token,
        "file_name=list.csv",
        "甲,乙,丙\n1,2,3\n".as_bytes().to_vec(),
    )
    .await;
    assert!(
        status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST,
        "{status} {body}"
    );
    let e = error_of(&body).error;
    assert!(e.code.starts_with("roster."), "{}", e.code);
    assert!(!e.message.is_empty());

    let (status, body) = import(&app, &token, "", Vec::new()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    error_of(&body);
    let (status, body) = import(&app, &token, "write=maybe", b"x".to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(error_of(&body).error.code, "bad_request");

    // Roles that may not change files, and nobody at all.
    let teacher = app.token("teacher2").await;
    let (status, body) = import(&app, &teacher, "", fixture("mca-roster.xlsx")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(error_of(&body).error.code, "forbidden");
    let (status, body) = import(&app, "nonsense", "", fixture("mca-roster.xlsx")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    error_of(&body);
    assert_eq!(child_count(&app), 0);
}

both_dbs!(exports_stream_masked_unless_a_purpose_is_given);
async fn exports_stream_masked_unless_a_purpose_is_given(app: TestApp) {
    let token = app.token("principal").await;
    let (status, _) = import(
        &app,
        &token,
        "file_name=mca-roster.xlsx&write=true&skip_rejected=true",
        fixture("mca-roster.xlsx"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let id = expected()["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["error_column"].is_null())
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .unwrap();
    let api = app.api(&token);

    let (status, headers, bytes) = api.get_bytes("/api/v1/rosters/export").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    assert_eq!(headers["x-roster-rows"], "53");
    let today = shouhu_domain::today_shanghai();
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("roster-{today}.xlsx")),
        "{:?}",
        headers["content-disposition"]
    );
    let text = sheet_text(&bytes);
    assert!(text.contains("********") && !text.contains(&id), "masked");

    let (status, body) = api.get("/api/v1/rosters/export?with_sensitive=true").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let e = error_of(&body).error;
    assert_eq!(e.code, "invalid");
    assert!(e.fields["purpose"].contains("用途"), "{:?}", e.fields);

    let (status, _, bytes) = api
        .get_bytes("/api/v1/rosters/export?with_sensitive=true&purpose=%E6%A0%B8%E6%9F%A5")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(sheet_text(&bytes).contains(&id), "in full");

    let (status, headers, bytes) = api
        .get_bytes("/api/v1/rosters/export?form=xueji&format=csv-gbk&caliber=mca")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains(".csv")
    );
    let rows: usize = headers["x-roster-rows"].to_str().unwrap().parse().unwrap();
    assert!(rows <= 53);
    let (text, _, bad) = encoding_rs::GBK.decode(&bytes);
    assert!(!bad && text.contains("全国学籍号"), "a GBK 学籍 sheet");

    let logged = audit_of(&app, "principal", "child.export");
    assert_eq!(logged.len(), 3, "{logged:?}");
    assert!(
        logged
            .iter()
            .any(|d| d.contains("sensitive") && d.contains("核查"))
    );

    // Codes the API does not know, a teacher asking for full values, a volunteer.
    let (status, body) = api.get("/api/v1/rosters/export?form=pdf").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let teacher = app.api(&app.token("teacher2").await);
    let (status, body) = teacher
        .get("/api/v1/rosters/export?with_sensitive=true&purpose=x")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let volunteer = app.api(&app.token("volunteer").await);
    let (status, _) = volunteer.get("/api/v1/rosters/export").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

both_dbs!(templates_and_the_document);
async fn templates_and_the_document(app: TestApp) {
    let api = app.api(&app.token("teacher1").await);
    let (status, headers, bytes) = api.get_bytes("/api/v1/rosters/template?form=xueji").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    assert!(sheet_text(&bytes).contains("全国学籍号"));
    let (status, _, bytes) = api.get_bytes("/api/v1/rosters/template").await;
    assert_eq!(status, StatusCode::OK);
    assert!(sheet_text(&bytes).contains("公民身份证号码"));
    let (status, body) = api.get("/api/v1/rosters/template?form=nope").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    error_of(&body);

    let (status, doc) = api.get("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/api/v1/rosters/imports",
        "/api/v1/rosters/export",
        "/api/v1/rosters/template",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }
}
