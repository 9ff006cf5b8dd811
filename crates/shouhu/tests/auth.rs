//! Signing in and out, sessions, throttling and CSRF, over HTTP on both databases.
// Test bodies are plain async fns run by `both_dbs!`, so clippy's in-test allowance misses them.
#![allow(clippy::unwrap_used)]

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

async fn wrong_passwords_are_throttled_per_user_name(app: TestApp) {
    let browser = app.browser();
    for _ in 0..5 {
        let r = browser.sign_in("teacher1", "wrong-password1").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(r.text().await.unwrap().contains("用户名或密码错误"));
    }
    // Even the right password is refused while throttled, with a clear Chinese message.
    let r = browser.sign_in("teacher1", common::DEMO_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.unwrap().contains("登录失败次数过多"));
    // Another user from the same address is not locked out by this user's failures.
    let other = app
        .browser()
        .sign_in("principal", common::DEMO_PASSWORD)
        .await;
    assert_eq!(other.status(), StatusCode::SEE_OTHER);
    let kinds = audit_kinds(&app, "teacher1");
    assert_eq!(kinds.iter().filter(|k| *k == "login.failure").count(), 5);
    assert!(kinds.iter().any(|k| k == "login.throttled"));
}
both_dbs!(wrong_passwords_are_throttled_per_user_name);

async fn a_form_post_without_the_token_is_refused(app: TestApp) {
    let browser = app.login("teacher1").await;
    let r = browser.post_form("/logout", "not-the-token", &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("表单已过期或来源不明"));
    // Still signed in: the refused post did nothing.
    assert_eq!(browser.get("/").await.status(), StatusCode::OK);
    let login_without_token = app
        .browser()
        .client
        .post(app.url("/login"))
        .form(&[
            ("username", "teacher1"),
            ("password", common::DEMO_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(login_without_token.status(), StatusCode::FORBIDDEN);
}
both_dbs!(a_form_post_without_the_token_is_refused);

async fn a_cross_site_post_is_refused_even_with_the_token(app: TestApp) {
    let browser = app.login("teacher1").await;
    let csrf = browser.csrf("/").await;
    let r = browser
        .client
        .post(app.url("/logout"))
        .header("Origin", "http://evil.example")
        .header("Sec-Fetch-Site", "cross-site")
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(browser.get("/").await.status(), StatusCode::OK);
}
both_dbs!(a_cross_site_post_is_refused_even_with_the_token);

async fn logout_ends_the_session(app: TestApp) {
    let browser = app.login("principal").await;
    let csrf = browser.csrf("/").await;
    let r = browser.post_form("/logout", &csrf, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let home = browser.get("/").await;
    assert_eq!(home.status(), StatusCode::SEE_OTHER);
    assert_eq!(home.headers()["location"], "/login");
}
both_dbs!(logout_ends_the_session);

async fn a_disabled_users_session_stops_at_once(app: TestApp) {
    let browser = app.login("teacher2").await;
    assert_eq!(browser.get("/").await.status(), StatusCode::OK);
    let id = app.user_id("teacher2");
    app.store
        .with_conn(|c| {
            shouhu_store::users::set_disabled(c, &shouhu_store::Scope::local_operator(), id, true)
        })
        .unwrap();
    let r = browser.get("/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let again = app
        .browser()
        .sign_in("teacher2", common::DEMO_PASSWORD)
        .await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
}
both_dbs!(a_disabled_users_session_stops_at_once);

async fn pages_need_a_session_and_remember_where_to_go(app: TestApp) {
    let r = app.browser().get("/password").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login?next=/password");
    // After signing in, the user lands where they were going, never on another site.
    let browser = app.browser();
    let csrf = browser.csrf("/login").await;
    let r = browser
        .post_form(
            "/login",
            &csrf,
            &[
                ("username", "bureau"),
                ("password", common::DEMO_PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(r.headers()["location"], "/");
}
both_dbs!(pages_need_a_session_and_remember_where_to_go);

async fn the_language_can_be_switched_to_english(app: TestApp) {
    let browser = app.login("bureau").await;
    let r = browser.get("/lang/en").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = browser.get_text("/").await;
    assert!(html.contains("Workbench") && html.contains("lang=\"en\""));
    // The choice is kept on the account: a fresh sign-in elsewhere comes back in English.
    let elsewhere = app.login("bureau").await;
    let (_, html) = elsewhere.get_text("/").await;
    assert!(html.contains("Workbench"));
    browser.get("/lang/zh-CN").await;
    let (_, html) = browser.get_text("/").await;
    assert!(html.contains("工作台"));
}
both_dbs!(the_language_can_be_switched_to_english);

async fn cookies_are_http_only_and_same_site(app: TestApp) {
    let browser = app.browser();
    let csrf = browser.csrf("/login").await;
    let r = browser
        .post_form(
            "/login",
            &csrf,
            &[("username", "bureau"), ("password", common::DEMO_PASSWORD)],
        )
        .await;
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("shouhu_session="))
        .expect("session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
}
both_dbs!(cookies_are_http_only_and_same_site);

fn audit_kinds(app: &TestApp, actor: &str) -> Vec<String> {
    let filter = shouhu_store::audit::AuditFilter {
        actor: Some(actor.to_owned()),
        limit: 500,
        ..Default::default()
    };
    app.store
        .with_conn(|c| {
            shouhu_store::audit::list(c, &shouhu_store::Scope::local_operator(), &filter)
        })
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}
