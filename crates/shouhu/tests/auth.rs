//! Signing in and out, sessions, throttling and CSRF, over HTTP on both databases.

mod common;

use common::{Db, TestApp};
use reqwest::StatusCode;

async fn every_demo_account_signs_in_on_the_page(app: TestApp) {
    for name in shouhu::demo::usernames() {
        let browser = app.login(name).await;
        let (status, html) = browser.get_text("/").await;
        assert_eq!(status, StatusCode::OK, "{name}");
        assert!(html.contains("工作台"), "{name} sees the home page");
    }
}
both_dbs!(every_demo_account_signs_in_on_the_page);

async fn healthz_answers_ok(app: TestApp) {
    let (status, body) = app.browser().get_text("/healthz").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
    assert!(matches!(app.db, Db::Sqlite | Db::Postgres));
}
both_dbs!(healthz_answers_ok);
