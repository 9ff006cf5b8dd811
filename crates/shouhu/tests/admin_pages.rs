//! The user admin pages and the audit log page, over HTTP on both databases: who may manage whom,
//! forced password changes, disabling, resets, stale edits, and denials landing in the audit log.
// The bodies run inside the `#[tokio::test]` wrappers that `both_dbs!` generates, which clippy's
// allow-unwrap-in-tests does not see through; a failed unwrap here is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Browser, DEMO_PASSWORD, TestApp};
use reqwest::StatusCode;
use shouhu_store::audit::{self, AuditEvent, AuditFilter};
use shouhu_store::users::User;
use shouhu_store::{Scope, schools, users};

const SCHOOL_3: &str = "梨树镇九年一贯制学校";

fn school_3(app: &TestApp) -> i64 {
    app.store
        .with_conn(|c| schools::list(c, &Scope::local_operator(), &Default::default()))
        .unwrap()
        .into_iter()
        .find(|s| s.name == SCHOOL_3)
        .expect("demo school 3")
        .id
}

fn find_user(app: &TestApp, name: &str) -> Option<User> {
    app.store
        .with_conn(|c| users::find_for_login(c, name))
        .unwrap()
}

fn events(app: &TestApp, kind: &str) -> Vec<AuditEvent> {
    let filter = AuditFilter {
        kind: Some(kind.to_owned()),
        limit: 500,
        ..AuditFilter::default()
    };
    app.store
        .with_conn(|c| audit::list(c, &Scope::local_operator(), &filter))
        .unwrap()
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The password shown once on the result page.
fn shown_password(html: &str) -> String {
    let start = html.find("id=\"password\">").expect("password shown") + "id=\"password\">".len();
    let rest = &html[start..];
    rest[..rest.find('<').unwrap()].to_owned()
}

/// Posts the new-user form as `manager`, with the page's own form token.
async fn create_user(manager: &Browser, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = manager.csrf("/admin/users/new").await;
    manager.post_form("/admin/users", &csrf, fields).await
}

/// Cells of the audit table with this raw kind.
fn audit_cells(html: &str, kind: &str) -> usize {
    html.matches(&format!("<td title=\"{kind}\">")).count()
}

async fn bureau_creates_a_head_teacher_who_must_change_password(app: TestApp) {
    let school = school_3(&app).to_string();
    let bureau = app.login("bureau").await;
    let response = create_user(
        &bureau,
        &[
            ("username", " Long.Er "),
            ("display_name", "龙二老师（班主任）"),
            ("role", "head_teacher"),
            ("school_id", &school),
            ("region", ""),
            ("password", ""),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get("cache-control").unwrap(), "no-store");
    let html = response.text().await.unwrap();
    assert!(html.contains("用户已创建") && html.contains("只显示这一次"));
    let password = shown_password(&html);
    assert_eq!(password.len(), 12);

    let stored = find_user(&app, "long.er").expect("stored lower-cased");
    assert_eq!(stored.role, "head_teacher");
    assert_eq!(stored.display_name, "龙二老师（班主任）");
    assert_eq!(stored.school_id, Some(school_3(&app)));
    assert_eq!(
        stored.region_code, "520502101000",
        "placed at the school's node"
    );
    assert!(stored.must_change_password && !stored.disabled);

    let (status, list) = bureau.get_text("/admin/users?role=head_teacher").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("long.er") && list.contains("待首次改密"));
    assert!(list.contains(SCHOOL_3));

    // First sign-in goes to the password page, and so does every other page until it is changed.
    let newcomer = app.browser();
    let r = newcomer.sign_in("long.er", &password).await;
    assert_eq!(
        (r.status(), location(&r).as_str()),
        (StatusCode::SEE_OTHER, "/password")
    );
    let r = newcomer.get("/").await;
    assert_eq!(
        (r.status(), location(&r).as_str()),
        (StatusCode::SEE_OTHER, "/password")
    );
    let r = newcomer.get("/admin/audit").await;
    assert_eq!(location(&r), "/password");
    let csrf = newcomer.csrf("/password").await;
    let r = newcomer
        .post_form(
            "/password",
            &csrf,
            &[
                ("current", &password),
                ("new", "longer2026x"),
                ("repeat", "longer2026x"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, home) = newcomer.get_text("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("工作台"));
    assert!(!find_user(&app, "long.er").unwrap().must_change_password);
}
both_dbs!(bureau_creates_a_head_teacher_who_must_change_password);

async fn a_typed_initial_password_is_not_shown(app: TestApp) {
    let bureau = app.login("bureau").await;
    let response = create_user(
        &bureau,
        &[
            ("username", "yang.director"),
            ("display_name", "杨主任"),
            ("role", "child_director"),
            ("region", "520502101206"),
            ("password", "village2026"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let created = find_user(&app, "yang.director").unwrap();
    assert_eq!(
        location(&response),
        format!("/admin/users/{}?done=created", created.id)
    );
    assert_eq!(created.region_code, "520502101206");
    assert!(created.school_id.is_none() && created.must_change_password);
    let (status, html) = bureau.get_text(&location(&response)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("已创建") && html.contains("上小河村"));
    assert!(!html.contains("village2026"));
    let r = app.browser().sign_in("yang.director", "village2026").await;
    assert_eq!(location(&r), "/password");
}
both_dbs!(a_typed_initial_password_is_not_shown);

async fn civil_affairs_is_not_a_user_manager(app: TestApp) {
    let minzheng = app.login("minzheng").await;
    let director = format!("/admin/users/{}", app.user_id("director"));
    for path in [
        "/admin/users",
        "/admin/users/new",
        "/admin/audit",
        &director,
    ] {
        let (status, html) = minzheng.get_text(path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(
            html.contains("无权") || html.contains("只有"),
            "{path}: {html}"
        );
    }
    let (_, home) = minzheng.get_text("/").await;
    assert!(!home.contains("/admin/users"), "no menu entry");
    let csrf = minzheng.csrf("/").await;
    let r = minzheng
        .post_form(
            "/admin/users",
            &csrf,
            &[
                ("username", "sneaky"),
                ("display_name", "某人"),
                ("role", "child_director"),
                ("region", "520502101205"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(find_user(&app, "sneaky").is_none());
}
both_dbs!(civil_affairs_is_not_a_user_manager);

async fn bureau_cannot_place_above_its_county_nor_grant_system_admin(app: TestApp) {
    let bureau = app.login("bureau").await;
    let (_, form) = bureau.get_text("/admin/users/new").await;
    assert!(form.contains("value=\"bureau\"") && form.contains("value=\"head_teacher\""));
    assert!(!form.contains("value=\"system_admin\""), "not offered");
    assert!(form.contains("520502000000"), "scope hint");
    let before = app.store.with_conn(users::count).unwrap();

    let r = create_user(
        &bureau,
        &[
            ("username", "province.officer"),
            ("display_name", "省厅某人"),
            ("role", "civil_affairs"),
            ("region", "520000000000"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("只能在您的管辖范围内"));

    let r = create_user(
        &bureau,
        &[
            ("username", "second.admin"),
            ("display_name", "第二管理员"),
            ("role", "system_admin"),
            ("region", "520502000000"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("您无权授予该角色"));

    assert!(find_user(&app, "province.officer").is_none());
    assert!(find_user(&app, "second.admin").is_none());
    assert_eq!(app.store.with_conn(users::count).unwrap(), before);
    assert!(
        events(&app, "user.create")
            .iter()
            .all(|e| e.actor_name != "bureau")
    );
    // Both refusals are on record.
    let denied = events(&app, "access.denied");
    assert_eq!(
        denied
            .iter()
            .filter(|e| e.actor_name == "bureau" && e.target == "POST /admin/users")
            .count(),
        2
    );
}
both_dbs!(bureau_cannot_place_above_its_county_nor_grant_system_admin);

async fn form_errors_come_back_in_chinese_with_what_was_typed(app: TestApp) {
    let bureau = app.login("bureau").await;
    let r = create_user(
        &bureau,
        &[
            ("username", "teacher1"),
            ("display_name", "另一个龙老师"),
            ("role", "child_director"),
            ("region", "520502101205"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("该用户名已被使用"));
    assert!(html.contains("value=\"另一个龙老师\""));
    assert!(html.contains("value=\"520502101205\""));
    assert!(html.contains("<option value=\"child_director\" selected>"));

    let r = create_user(
        &bureau,
        &[
            ("username", "龙"),
            ("display_name", " "),
            ("role", "teacher"),
            ("school_id", ""),
            ("password", "abc"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    for message in [
        "用户名应为 3 到 32 个字符",
        "请填写姓名",
        "该角色须指定所在学校",
        "密码至少需要 8 个字符",
    ] {
        assert!(html.contains(message), "{message}");
    }
    assert!(html.contains("value=\"龙\""));

    let r = create_user(
        &bureau,
        &[
            ("username", "nowhere"),
            ("display_name", "某村主任"),
            ("role", "child_director"),
            ("region", "520502101299"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("该区划不存在"));
    assert!(find_user(&app, "nowhere").is_none());
}
both_dbs!(form_errors_come_back_in_chinese_with_what_was_typed);

async fn a_disabled_users_session_ends_at_once(app: TestApp) {
    let teacher = app.login("teacher2").await;
    assert_eq!(teacher.get_text("/").await.0, StatusCode::OK);
    let id = app.user_id("teacher2");
    let bureau = app.login("bureau").await;
    let (status, confirm) = bureau.get_text(&format!("/admin/users/{id}/disable")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("确定停用") && confirm.contains("吴老师"));
    assert!(
        !find_user(&app, "teacher2").unwrap().disabled,
        "GET changes nothing"
    );
    let csrf = common::form_token(&confirm).unwrap();
    let r = bureau
        .post_form(&format!("/admin/users/{id}/disable"), &csrf, &[])
        .await;
    assert_eq!(location(&r), format!("/admin/users/{id}?done=disabled"));
    assert!(find_user(&app, "teacher2").unwrap().disabled);
    let (_, details) = bureau.get_text(&location(&r)).await;
    assert!(details.contains("账号已停用") && details.contains("启用账号"));

    let r = teacher.get("/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).starts_with("/login"));
    let r = app.browser().sign_in("teacher2", DEMO_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.unwrap().contains("用户名或密码错误"));

    let csrf = bureau.csrf(&format!("/admin/users/{id}/enable")).await;
    let r = bureau
        .post_form(&format!("/admin/users/{id}/enable"), &csrf, &[])
        .await;
    assert_eq!(location(&r), format!("/admin/users/{id}?done=enabled"));
    let r = app.browser().sign_in("teacher2", DEMO_PASSWORD).await;
    assert_eq!(
        (r.status(), location(&r).as_str()),
        (StatusCode::SEE_OTHER, "/")
    );
    assert_eq!(events(&app, "user.disable").len(), 1);
    assert_eq!(events(&app, "user.enable").len(), 1);
}
both_dbs!(a_disabled_users_session_ends_at_once);

async fn managers_cannot_disable_or_edit_themselves(app: TestApp) {
    let bureau = app.login("bureau").await;
    let id = app.user_id("bureau");
    let (_, details) = bureau.get_text(&format!("/admin/users/{id}")).await;
    assert!(details.contains("这是您自己的账号"));
    assert!(!details.contains(&format!("/admin/users/{id}/disable")));
    let csrf = bureau.csrf("/admin/users").await;
    let r = bureau
        .post_form(&format!("/admin/users/{id}/disable"), &csrf, &[])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("不能停用自己的账号"));
    let r = bureau
        .post_form(
            &format!("/admin/users/{id}/edit"),
            &csrf,
            &[
                ("display_name", "王局长"),
                ("role", "bureau"),
                ("region", "520502000000"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let me = find_user(&app, "bureau").unwrap();
    assert!(!me.disabled && me.display_name == "七星关区教育局 王科长");
    // Nor reach above their scope: the province administrator is not theirs to see.
    let admin = app.user_id("admin");
    let (status, _) = bureau.get_text(&format!("/admin/users/{admin}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
both_dbs!(managers_cannot_disable_or_edit_themselves);

async fn a_reset_password_is_shown_once_and_must_be_changed(app: TestApp) {
    let teacher = app.login("teacher2").await;
    let id = app.user_id("teacher2");
    let bureau = app.login("bureau").await;
    let (status, confirm) = bureau.get_text(&format!("/admin/users/{id}/reset")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("确定重置"));
    let csrf = common::form_token(&confirm).unwrap();
    let r = bureau
        .post_form(&format!("/admin/users/{id}/reset"), &csrf, &[])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers().get("cache-control").unwrap(), "no-store");
    let html = r.text().await.unwrap();
    assert!(html.contains("密码已重置"));
    let password = shown_password(&html);
    assert!(find_user(&app, "teacher2").unwrap().must_change_password);

    assert!(
        location(&teacher.get("/").await).starts_with("/login"),
        "old session ended"
    );
    let r = app.browser().sign_in("teacher2", DEMO_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "old password gone");
    let fresh = app.browser();
    let r = fresh.sign_in("teacher2", &password).await;
    assert_eq!(location(&r), "/password");
    assert_eq!(location(&fresh.get("/").await), "/password");
    assert_eq!(events(&app, "user.reset_password").len(), 1);
}
both_dbs!(a_reset_password_is_shown_once_and_must_be_changed);

fn edit_fields<'a>(
    name: &'a str,
    role: &'a str,
    school: &'a str,
    version: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("display_name", name),
        ("role", role),
        ("school_id", school),
        ("region", ""),
        ("version", version),
    ]
}

async fn edits_keep_versions_and_refuse_stale_ones(app: TestApp) {
    let id = app.user_id("teacher2");
    let school = school_3(&app).to_string();
    let bureau = app.login("bureau").await;
    let (status, form) = bureau.get_text(&format!("/admin/users/{id}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("name=\"version\" value=\"1\""));
    assert!(form.contains("value=\"吴老师（任课教师）\""));
    let csrf = common::form_token(&form).unwrap();
    let first = edit_fields("吴老师（班主任）", "head_teacher", &school, "1");
    let r = bureau
        .post_form(&format!("/admin/users/{id}/edit"), &csrf, &first)
        .await;
    assert_eq!(location(&r), format!("/admin/users/{id}?done=saved"));
    let saved = find_user(&app, "teacher2").unwrap();
    assert_eq!(
        (
            saved.display_name.as_str(),
            saved.role.as_str(),
            saved.version
        ),
        ("吴老师（班主任）", "head_teacher", 2)
    );

    let stale = edit_fields("吴老师", "teacher", &school, "1");
    let r = bureau
        .post_form(&format!("/admin/users/{id}/edit"), &csrf, &stale)
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(html.contains("该用户刚被他人修改过"));
    assert!(
        html.contains("name=\"version\" value=\"2\""),
        "current values shown"
    );
    assert!(html.contains("value=\"吴老师（班主任）\""));
    assert!(html.contains("<li>"), "what was typed is listed");
    assert_eq!(
        find_user(&app, "teacher2").unwrap().display_name,
        "吴老师（班主任）"
    );

    let bad = edit_fields("", "teacher", "", "2");
    let r = bureau
        .post_form(&format!("/admin/users/{id}/edit"), &csrf, &bad)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("请填写姓名") && html.contains("该角色须指定所在学校"));
    assert_eq!(events(&app, "user.update").len(), 1);
}
both_dbs!(edits_keep_versions_and_refuse_stale_ones);

async fn the_audit_page_lists_and_filters_events(app: TestApp) {
    let bureau = app.login("bureau").await;
    let r = create_user(
        &bureau,
        &[
            ("username", "audit.me"),
            ("display_name", "审计测试"),
            ("role", "volunteer"),
            ("region", "520502101000"),
            ("password", "helper2026"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let (status, html) = bureau.get_text("/admin/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        audit_cells(&html, "login.success"),
        1,
        "bureau's own sign-in"
    );
    assert!(html.contains("<td title=\"login.success\">登录成功</td>"));
    assert!(html.contains("<td title=\"user.create\">新增用户</td>"));
    assert!(html.contains("audit.me") && html.contains("role=volunteer"));
    assert!(html.contains("127.0.0.1"));

    // The demo county's accounts were created by the local operator, also in the bureau's scope.
    let created_in_county = events(&app, "user.create")
        .iter()
        .filter(|e| {
            e.region_code
                .as_deref()
                .is_some_and(|r| r.starts_with("520502"))
        })
        .count();
    let (_, only) = bureau.get_text("/admin/audit?kind=user.create").await;
    assert_eq!(audit_cells(&only, "user.create"), created_in_county);
    assert!(only.contains("<td>audit.me</td>"));
    assert_eq!(audit_cells(&only, "login.success"), 0);
    let (_, logins) = bureau.get_text("/admin/audit?kind=login").await;
    assert_eq!(audit_cells(&logins, "login.success"), 1);
    assert_eq!(audit_cells(&logins, "user.create"), 0);
    let (_, by_user) = bureau.get_text("/admin/audit?user=nobody").await;
    assert!(by_user.contains("没有符合条件的记录"));

    let today = shouhu_domain::today_shanghai().to_string();
    let (_, dated) = bureau
        .get_text(&format!(
            "/admin/audit?kind=user.create&from={today}&to={today}"
        ))
        .await;
    assert!(dated.contains("<td>audit.me</td>"));
    let (_, past) = bureau
        .get_text("/admin/audit?from=2020-01-01&to=2020-01-31")
        .await;
    assert!(past.contains("没有符合条件的记录"));
    let (_, future) = bureau
        .get_text(&format!("/admin/audit?to={today}&from=2099-01-01"))
        .await;
    assert!(future.contains("没有符合条件的记录"));
    let (status, bad) = bureau.get_text("/admin/audit?from=2020/1/1").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.contains("日期应写作"));

    // The time column is Beijing time.
    let event = &events(&app, "user.create")[0];
    let shown = chrono::DateTime::from_timestamp_millis(event.at)
        .unwrap()
        .with_timezone(&shouhu_domain::shanghai())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    assert!(only.contains(&shown));
}
both_dbs!(the_audit_page_lists_and_filters_events);

async fn the_audit_page_pages_back_fifty_at_a_time(app: TestApp) {
    app.store
        .with_conn(|c| {
            for n in 0..60 {
                audit::record_anonymous(c, "script", "test.event", &format!("n={n}"), None)?;
            }
            Ok(())
        })
        .unwrap();
    let admin = app.login("admin").await;
    let (status, first) = admin.get_text("/admin/audit?kind=test.event").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(audit_cells(&first, "test.event"), 50);
    assert!(first.contains("<td>n=59</td>") && !first.contains("<td>n=9</td>"));
    let at = first.find("/admin/audit?user=").expect("older link");
    let link = &first[at..];
    let link = link[..link.find('"').unwrap()].replace("&#38;", "&");
    assert!(link.contains("kind=test.event") && link.contains("before="));
    let (_, second) = admin.get_text(&link).await;
    assert_eq!(audit_cells(&second, "test.event"), 10);
    assert!(second.contains("<td>n=0</td>") && !second.contains("<td>n=10</td>"));
    assert!(!second.contains("更早的记录"));
}
both_dbs!(the_audit_page_pages_back_fifty_at_a_time);

async fn a_head_teachers_denial_is_audited(app: TestApp) {
    let teacher = app.login("teacher1").await;
    let (status, html) = teacher.get_text("/admin/users").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("您无权管理用户"));
    let (status, _) = teacher.get_text("/admin/audit").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let denied = events(&app, "access.denied");
    assert_eq!(denied.len(), 2);
    let first = denied
        .iter()
        .find(|e| e.target == "GET /admin/users")
        .unwrap();
    assert_eq!(first.actor_name, "teacher1");
    assert_eq!(first.actor_id, Some(app.user_id("teacher1")));
    assert_eq!(first.detail, "denied.user.manage");
    assert_eq!(first.region_code.as_deref(), Some("520502101000"));
    assert!(denied.iter().any(|e| e.target == "GET /admin/audit"));

    // A missing sign-in is not a denial.
    let (status, _) = app.browser().get_text("/admin/users").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(events(&app, "access.denied").len(), 2);

    // The county bureau sees the refusal in its log, in Chinese.
    let bureau = app.login("bureau").await;
    let (_, log) = bureau.get_text("/admin/audit?kind=access.denied").await;
    assert_eq!(audit_cells(&log, "access.denied"), 2);
    assert!(log.contains("越权访问被拒绝") && log.contains("GET /admin/users"));
    assert!(log.contains("您无权管理用户"));
}
both_dbs!(a_head_teachers_denial_is_audited);

async fn the_user_list_filters_by_text_role_and_school(app: TestApp) {
    let bureau = app.login("bureau").await;
    let (status, all) = bureau.get_text("/admin/users").await;
    assert_eq!(status, StatusCode::OK);
    for name in ["bureau", "minzheng", "director", "teacher1", "volunteer"] {
        assert!(all.contains(&format!(">{name}</a>")), "{name}");
    }
    assert!(
        !all.contains(">admin</a>"),
        "the province administrator is above the county"
    );
    assert!(all.contains("梨树镇") && all.contains("班主任"));

    let (_, found) = bureau.get_text("/admin/users?q=%E9%BE%99").await; // 龙
    assert!(found.contains(">teacher1</a>") && !found.contains(">minzheng</a>"));
    let (_, found) = bureau.get_text("/admin/users?q=TEACHER").await;
    assert!(found.contains(">teacher1</a>") && found.contains(">teacher2</a>"));
    // `_` is a literal character, not a wildcard.
    let (_, none) = bureau.get_text("/admin/users?q=teacher_").await;
    assert!(none.contains("没有符合条件的用户"));

    let (_, staff) = bureau
        .get_text(&format!("/admin/users?school={}", school_3(&app)))
        .await;
    assert!(staff.contains(">principal</a>") && staff.contains(">teacher2</a>"));
    assert!(!staff.contains(">director</a>"));
    let (_, heads) = bureau.get_text("/admin/users?role=head_teacher").await;
    assert!(heads.contains(">teacher1</a>") && !heads.contains(">teacher2</a>"));
    assert!(heads.contains("<option value=\"head_teacher\" selected>"));
}
both_dbs!(the_user_list_filters_by_text_role_and_school);
