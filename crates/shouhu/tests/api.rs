//! The JSON API under /api/v1 over HTTP on both databases: tokens, scope, CRUD of regions,
//! schools and classes, the error shape, and the OpenAPI document.
// Test bodies are plain async fns run by `both_dbs!`, which clippy does not count as tests.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{DateTime, Utc};
use common::{DEMO_PASSWORD, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shouhu_store::schools::{self, SchoolFilter};
use shouhu_store::{Scope, StoreError, classes, users};
use shouhu_web::api::ErrorBody;

const LISHU_SCHOOL: &str = "梨树镇九年一贯制学校";

/// Parses an error answer strictly by the schema the OpenAPI document publishes.
fn error_of(body: &Value) -> ErrorBody {
    serde_json::from_value(body.clone())
        .unwrap_or_else(|e| panic!("not the API error shape ({e}): {body}"))
}

fn school_id(app: &TestApp, name: &str) -> i64 {
    let filter = SchoolFilter {
        region: None,
        name_contains: Some(name.to_owned()),
    };
    let found = app
        .store
        .with_conn(|c| schools::list(c, &Scope::local_operator(), &filter))
        .unwrap();
    assert_eq!(found.len(), 1, "{name}");
    found[0].id
}

/// Any class of a school, read straight from the store.
fn class_ids_of(app: &TestApp, school_id: i64) -> Vec<i64> {
    app.store
        .with_conn(|c| classes::list(c, &Scope::local_operator(), school_id))
        .unwrap()
        .into_iter()
        .map(|v| v.class.id)
        .collect()
}

fn headed_by(app: &TestApp, username: &str) -> Vec<i64> {
    let id = app.user_id(username);
    app.store.with_conn(|c| classes::headed_by(c, id)).unwrap()
}

async fn raw_post(
    app: &TestApp,
    path: &str,
    token: &str,
    content_type: &str,
    body: &str,
) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(app.url(path))
        .bearer_auth(token)
        .header("Content-Type", content_type)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap())
}

async fn every_demo_account_gets_a_token_and_sees_its_scope(app: TestApp) {
    let lishu = school_id(&app, LISHU_SCHOOL);
    let teacher1_classes = headed_by(&app, "teacher1");
    assert_eq!(teacher1_classes.len(), 1);
    let expected = [
        // The system administrator's scope is the whole tree (no region), whatever its home node.
        ("admin", "system_admin", "", json!(null), json!(null)),
        ("bureau", "bureau", "520502000000", json!(null), json!(null)),
        (
            "minzheng",
            "civil_affairs",
            "520502101000",
            json!(null),
            json!(null),
        ),
        (
            "director",
            "child_director",
            "520502101205",
            json!(null),
            json!(null),
        ),
        (
            "principal",
            "principal",
            "520502101000",
            json!(lishu),
            json!(null),
        ),
        (
            "teacher1",
            "head_teacher",
            "520502101000",
            json!(lishu),
            json!(teacher1_classes),
        ),
        (
            "teacher2",
            "teacher",
            "520502101000",
            json!(lishu),
            json!([]),
        ),
        (
            "volunteer",
            "volunteer",
            "520502101000",
            json!(null),
            json!([]),
        ),
    ];
    let names: Vec<&str> = shouhu::demo::usernames().collect();
    assert_eq!(
        names,
        expected.each_ref().map(|e| e.0),
        "one expectation per demo account"
    );
    for (name, role, region, school, classes) in expected {
        let region = if region.is_empty() {
            json!(null)
        } else {
            json!(region)
        };
        let response = reqwest::Client::new()
            .post(app.url("/api/v1/auth/token"))
            .json(&json!({ "username": name, "password": DEMO_PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{name}");
        assert_eq!(response.headers()["cache-control"], "no-store");
        let body: Value = response.json().await.unwrap();
        let token = body["token"].as_str().unwrap();
        assert_eq!(token.len(), 64, "{name}: 256-bit hex token");
        let expires = body["expires_at"].as_str().unwrap();
        assert!(expires.ends_with('Z'), "{expires} is UTC");
        let hours =
            (expires.parse::<DateTime<Utc>>().unwrap() - Utc::now()).num_minutes() as f64 / 60.0;
        assert!(
            (23.9..=24.0).contains(&hours),
            "{name}: token lives a day, not {hours}h"
        );

        let (status, me) = app.api(token).get("/api/v1/me").await;
        assert_eq!(status, StatusCode::OK, "{name}: {me}");
        assert_eq!(me["user"]["username"], name);
        assert_eq!(me["user"]["id"], app.user_id(name));
        assert_eq!(me["user"]["role"], role, "{name}");
        assert_eq!(me["user"]["must_change_password"], false);
        assert!(
            me["user"]["display_name"]
                .as_str()
                .is_some_and(|d| !d.is_empty())
        );
        let scope = &me["scope"];
        assert_eq!(scope["region"], region, "{name}");
        assert_eq!(scope["school_id"], school, "{name}");
        assert_eq!(scope["class_ids"], classes, "{name}");
    }
    let (_, me) = app
        .api(&app.token("teacher1").await)
        .get("/api/v1/me")
        .await;
    assert_eq!(me["user"]["role_label"], "班主任");
}
both_dbs!(every_demo_account_gets_a_token_and_sees_its_scope);

async fn wrong_password_is_refused_in_the_error_shape(app: TestApp) {
    let client = reqwest::Client::new();
    let response = client
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({ "username": "bureau", "password": "wrong-password1" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let error = error_of(&response.json().await.unwrap()).error;
    assert_eq!(error.code, "bad_credentials");
    assert_eq!(error.message, "用户名或密码错误。");
    assert!(error.fields.is_empty());

    let response = client
        .post(app.url("/api/v1/auth/token"))
        .header("Accept-Language", "en-US,en;q=0.9")
        .json(&json!({ "username": "nobody", "password": DEMO_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let error = error_of(&response.json().await.unwrap()).error;
    assert_eq!(error.message, "Wrong user name or password.");
}
both_dbs!(wrong_password_is_refused_in_the_error_shape);

async fn requests_without_a_valid_token_are_401(app: TestApp) {
    let client = reqwest::Client::new();
    for path in ["/api/v1/me", "/api/v1/schools", "/api/v1/regions"] {
        let response = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        let error = error_of(&response.json().await.unwrap()).error;
        assert_eq!(
            (error.code.as_str(), error.message.as_str()),
            ("unauthenticated", "请先登录。")
        );
    }
    let (status, body) = app.api("not-a-token").get("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(&body).error.code, "unauthenticated");
    // Unknown ids and unknown routes never answer before the caller is known.
    let (status, _) = app.api("not-a-token").get("/api/v1/schools/999999").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = app.api("not-a-token").delete("/api/v1/classes/1").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(&body).error.code, "unauthenticated");
}
both_dbs!(requests_without_a_valid_token_are_401);

async fn a_disabled_users_token_stops_working_at_once(app: TestApp) {
    let token = app.token("teacher1").await;
    let api = app.api(&token);
    assert_eq!(api.get("/api/v1/me").await.0, StatusCode::OK);
    let id = app.user_id("teacher1");
    app.store
        .with_conn(|c| users::set_disabled(c, &Scope::local_operator(), id, true))
        .unwrap();
    let (status, body) = api.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(&body).error.code, "unauthenticated");
    let (status, _) = api
        .get(&format!(
            "/api/v1/classes/{}",
            headed_by(&app, "teacher1")[0]
        ))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Nor can they get a new one.
    let response = reqwest::Client::new()
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({ "username": "teacher1", "password": DEMO_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}
both_dbs!(a_disabled_users_token_stops_working_at_once);

async fn a_user_who_must_change_the_password_reaches_only_me(app: TestApp) {
    let hash =
        shouhu_domain::hash_password(&shouhu_domain::Password::parse(DEMO_PASSWORD).unwrap())
            .unwrap();
    let (bureau, teacher) = (app.user_id("bureau"), app.user_id("teacher2"));
    app.store
        .with_conn(|c| {
            let user = users::get(c, &Scope::local_operator(), bureau)?;
            let scope = users::scope_for(c, &user, None)?;
            users::reset_password(c, &scope, teacher, &hash)
        })
        .unwrap();
    let api = app.api(&app.token("teacher2").await);
    let (status, me) = api.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["user"]["must_change_password"], true);
    let (status, body) = api.get("/api/v1/schools").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let error = error_of(&body).error;
    assert_eq!(error.code, "password_change_required");
    assert_eq!(error.message, "首次登录，请先设置新密码。");
}
both_dbs!(a_user_who_must_change_the_password_reaches_only_me);

async fn a_head_teacher_sees_only_their_own_class_and_school(app: TestApp) {
    let api = app.api(&app.token("teacher1").await);
    let lishu = school_id(&app, LISHU_SCHOOL);
    let own = headed_by(&app, "teacher1")[0];

    let (status, class) = api.get(&format!("/api/v1/classes/{own}")).await;
    assert_eq!(status, StatusCode::OK, "{class}");
    assert_eq!(class["id"], own);
    assert_eq!(class["school_id"], lishu);
    assert_eq!(class["grade"], 1);
    assert!(
        class["name"].as_str().unwrap().starts_with("一年级"),
        "{class}"
    );
    assert_eq!(class["head_teachers"][0]["id"], app.user_id("teacher1"));
    assert_eq!(
        class["head_teachers"][0]["display_name"],
        "龙老师（班主任）"
    );
    assert!(class["school_year"].as_str().unwrap().contains('-'));
    assert!(
        class["created_at"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .is_ok()
    );

    let (status, missing) = api.get("/api/v1/classes/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let elsewhere = school_id(&app, "七星关区第一小学");
    let other_school_class = class_ids_of(&app, elsewhere)[0];
    let same_school_other_class = *class_ids_of(&app, lishu)
        .iter()
        .find(|&&c| c != own)
        .unwrap();
    for id in [other_school_class, same_school_other_class] {
        let (status, body) = api.get(&format!("/api/v1/classes/{id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "class {id}");
        // Exactly the answer for a class that does not exist: nothing is revealed.
        assert_eq!(body, missing);
        assert_eq!(error_of(&body).error.code, "not_found");
    }

    let (status, school) = api.get(&format!("/api/v1/schools/{lishu}")).await;
    assert_eq!(
        (status, school["name"].as_str()),
        (StatusCode::OK, Some(LISHU_SCHOOL))
    );
    let chahe = school_id(&app, "岔河镇中学");
    let (status, body) = api.get(&format!("/api/v1/schools/{chahe}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, missing);
    let (status, _) = api.get(&format!("/api/v1/schools/{chahe}/classes")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, list) = api.get("/api/v1/schools").await;
    let ids: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["id"])
        .collect();
    assert_eq!(ids, [&json!(lishu)]);
    let (_, list) = api.get(&format!("/api/v1/schools/{lishu}/classes")).await;
    let ids: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["id"])
        .collect();
    assert_eq!(ids, [&json!(own)]);

    // Reading is not writing: a head teacher may not add or remove classes.
    let (status, body) = api
        .post(
            "/api/v1/classes",
            &json!({"school_id": lishu, "school_year": "2026-2027", "grade": 2, "name": "二年级（9）班"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_of(&body).error.message, "您无权新增班级。");
    let (status, _) = api.delete(&format!("/api/v1/classes/{own}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        api.get(&format!("/api/v1/classes/{own}")).await.0,
        StatusCode::OK
    );
}
both_dbs!(a_head_teacher_sees_only_their_own_class_and_school);

async fn the_bureau_creates_edits_lists_and_deletes_a_school(app: TestApp) {
    let api = app.api(&app.token("bureau").await);
    let new = json!({
        "code": "5224010011",
        "name": "梨树镇新寨小学",
        "region_code": "520502101",
        "kind": "小学",
        "hotline": "0857-1234567",
    });
    let response = reqwest::Client::new()
        .post(app.url("/api/v1/schools"))
        .bearer_auth(&api.token)
        .json(&new)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let id;
    {
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let school: Value = response.json().await.unwrap();
        id = school["id"].as_i64().unwrap();
        assert_eq!(location, format!("/api/v1/schools/{id}"));
        assert_eq!(school["region_code"], "520502101000");
        assert_eq!(school["kind"], "primary");
        assert_eq!(school["boarding"], false);
        assert_eq!(school["hotline"], "0857-1234567");
        assert_eq!(school["address"], Value::Null);
        assert_eq!(school["version"], 1);
        let created = school["created_at"].as_str().unwrap();
        assert!(created.ends_with('Z'));
        let age = Utc::now() - created.parse::<DateTime<Utc>>().unwrap();
        assert!(
            age.num_seconds().abs() < 60,
            "created_at is now, in UTC: {created}"
        );
    }
    let (status, school) = api.get(&format!("/api/v1/schools/{id}")).await;
    assert_eq!(
        (status, school["name"].as_str()),
        (StatusCode::OK, Some("梨树镇新寨小学"))
    );

    let (status, dup) = api.post("/api/v1/schools", &new).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let dup = error_of(&dup).error;
    assert_eq!(dup.code, "duplicate");
    assert_eq!(dup.fields["code"], "该值已被使用。");

    let path = format!("/api/v1/schools/{id}");
    let (status, saved) = api
        .patch(
            &path,
            &json!({"version": 1, "name": "梨树镇新寨完全小学", "boarding": true, "address": "梨树镇新寨组"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 2);
    assert_eq!(saved["name"], "梨树镇新寨完全小学");
    assert_eq!(saved["boarding"], true);
    assert_eq!(saved["address"], "梨树镇新寨组");
    assert_eq!(
        saved["code"], "5224010011",
        "fields left out keep their value"
    );
    assert_eq!(saved["hotline"], "0857-1234567");

    let (status, stale) = api
        .patch(
            &path,
            &json!({"version": 1, "name": "改名失败小学", "hotline": null}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let stale = error_of(&stale).error;
    assert_eq!(stale.code, "conflict");
    assert_eq!(stale.message, "该记录已被他人修改，请刷新后再保存。");
    assert_eq!(
        stale.details,
        Some(json!({"your_version": 1, "current_version": 2}))
    );
    let stored = app
        .store
        .with_conn(|c| schools::get(c, &Scope::local_operator(), id))
        .unwrap();
    assert_eq!(
        (
            stored.name.as_str(),
            stored.version,
            stored.hotline.as_deref()
        ),
        ("梨树镇新寨完全小学", 2, Some("0857-1234567")),
        "a stale edit changes nothing"
    );

    let (status, cleared) = api
        .patch(&path, &json!({"version": 2, "hotline": null}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (cleared["hotline"].clone(), cleared["version"].clone()),
        (Value::Null, json!(3))
    );

    let (status, list) = api.get("/api/v1/schools?region=520502101000&q=新寨").await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["梨树镇新寨完全小学"]);
    let (_, list) = api.get("/api/v1/schools").await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        11,
        "the ten demo schools and the new one"
    );
    let (_, list) = api.get("/api/v1/schools?region=520502102000").await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["region_code"].as_str().unwrap().starts_with("520502102"))
    );

    let (status, body) = api.delete(&path).await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, json!("")));
    assert_eq!(api.get(&path).await.0, StatusCode::NOT_FOUND);
    let gone = app
        .store
        .with_conn(|c| schools::get(c, &Scope::local_operator(), id));
    assert!(matches!(gone, Err(StoreError::NotFound)));

    // A school with classes stays.
    let lishu = school_id(&app, LISHU_SCHOOL);
    let (status, body) = api.delete(&format!("/api/v1/schools/{lishu}")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_of(&body).error.fields["id"],
        "该学校还有班级或教职工，不能删除。"
    );
}
both_dbs!(the_bureau_creates_edits_lists_and_deletes_a_school);

async fn writes_outside_the_scope_are_forbidden(app: TestApp) {
    let bureau = app.api(&app.token("bureau").await);
    let guiyang = json!({
        "code": "5201020001",
        "name": "贵阳市南明区某小学",
        "region_code": "520102000000",
        "kind": "primary",
    });
    let (status, body) = bureau.post("/api/v1/schools", &guiyang).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let error = error_of(&body).error;
    assert_eq!(
        (error.code.as_str(), error.message.as_str()),
        ("forbidden", "只能在您的管辖范围内设立学校。")
    );
    let filter = SchoolFilter::default();
    let all = app
        .store
        .with_conn(|c| schools::list(c, &Scope::local_operator(), &filter))
        .unwrap();
    assert!(
        all.iter().all(|s| s.code != "5201020001"),
        "nothing was stored"
    );

    // Moving one of its own schools out of the county is refused too.
    let lishu = school_id(&app, LISHU_SCHOOL);
    let (status, _) = bureau
        .patch(
            &format!("/api/v1/schools/{lishu}"),
            &json!({"version": 1, "region_code": "520102000000"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let principal = app.api(&app.token("principal").await);
    let mine = json!({"code": "5224010012", "name": "新学校", "region_code": "520502101000", "kind": "primary"});
    let (status, body) = principal.post("/api/v1/schools", &mine).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_of(&body).error.message, "您无权新增学校。");
}
both_dbs!(writes_outside_the_scope_are_forbidden);

async fn invalid_fields_are_all_reported_in_chinese(app: TestApp) {
    let api = app.api(&app.token("bureau").await);
    let (status, body) = api
        .post(
            "/api/v1/schools",
            &json!({"code": "12ab", "name": "  ", "region_code": "12", "kind": "大学", "hotline": "12345"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let error = error_of(&body).error;
    assert_eq!(error.code, "invalid");
    assert_eq!(error.message, "填写的内容有误，请检查标出的项目。");
    let fields: Vec<(&str, &str)> = error
        .fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("code", "学校标识码应为 10 位数字。"),
            ("hotline", "手机号应为 1 开头的 11 位数字。"),
            ("kind", "未知的学校类型。"),
            ("name", "此项必填。"),
            ("region_code", "区划代码应为 6、9 或 12 位数字。"),
        ]
    );

    // Missing fields are field errors too, not a parse failure.
    let (status, body) = api.post("/api/v1/schools", &json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let keys: Vec<String> = error_of(&body).error.fields.into_keys().collect();
    assert_eq!(keys, ["code", "kind", "name", "region_code"]);

    let (status, body) = api
        .post(
            "/api/v1/classes",
            &json!({"school_year": "2026-2028", "grade": "大学", "name": ""}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = error_of(&body).error.fields;
    assert_eq!(fields["school_id"], "此项必填。");
    assert_eq!(fields["school_year"], "学年应写作 2026-2027 的形式。");
    assert_eq!(
        fields["grade"],
        "无法识别的年级，请写作“三年级”“初一”“高二”等。"
    );
    assert_eq!(fields["name"], "此项必填。");

    let (status, body) = api
        .post(
            "/api/v1/regions",
            &json!({"code": "5205021012", "name": ""}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = error_of(&body).error.fields;
    assert_eq!(fields["code"], "区划代码应为 6、9 或 12 位数字。");
    assert_eq!(fields["name"], "此项必填。");

    // A PATCH checks what it sends, before the version.
    let lishu = school_id(&app, LISHU_SCHOOL);
    let (status, body) = api
        .patch(
            &format!("/api/v1/schools/{lishu}"),
            &json!({"version": 7, "name": "", "kind": "大学"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let keys: Vec<String> = error_of(&body).error.fields.into_keys().collect();
    assert_eq!(keys, ["kind", "name"]);
    let (status, body) = api
        .patch(
            &format!("/api/v1/schools/{lishu}"),
            &json!({"name": "新名字"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(&body).error.fields["version"], "此项必填。");
    let stored = app
        .store
        .with_conn(|c| schools::get(c, &Scope::local_operator(), lishu))
        .unwrap();
    assert_eq!((stored.name.as_str(), stored.version), (LISHU_SCHOOL, 1));
}
both_dbs!(invalid_fields_are_all_reported_in_chinese);

async fn malformed_requests_are_400_in_the_error_shape(app: TestApp) {
    let token = app.token("bureau").await;
    let (status, body) = raw_post(
        &app,
        "/api/v1/schools",
        &token,
        "application/json",
        "{\"code\": ",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let error = error_of(&body).error;
    assert_eq!(error.code, "bad_request");
    assert_eq!(
        error.message,
        "请求内容不是有效的 JSON，或某个字段的类型不对。"
    );
    assert!(
        error.details.unwrap()["reason"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );

    let wrong_type = r#"{"code": "5224010011", "name": "x", "region_code": "520502101", "kind": "primary", "boarding": "yes"}"#;
    let (status, body) = raw_post(
        &app,
        "/api/v1/schools",
        &token,
        "application/json",
        wrong_type,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body).error.code, "bad_request");

    let api = app.api(&token);
    let (status, body) = api
        .post(
            "/api/v1/regions",
            &json!({"code": "520502101207", "nmae": "新寨村"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "an unknown field is a typo, not ignored"
    );
    assert!(
        error_of(&body).error.details.unwrap()["reason"]
            .as_str()
            .unwrap()
            .contains("nmae")
    );

    let (status, body) = raw_post(&app, "/api/v1/schools", &token, "text/plain", "{}").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(error_of(&body).error.code, "bad_request");

    let (status, body) = api.get("/api/v1/schools/abc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_of(&body).error.code, "bad_request");
    let (status, body) = api.get("/api/v1/no-such-thing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_of(&body).error.code, "not_found");
    let (status, body) = api.patch("/api/v1/schools", &json!({})).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error_of(&body).error.code, "method_not_allowed");
    let (status, body) = api.get("/api/v1/schools?region=52x").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_of(&body).error.fields["region"],
        "区划代码只能由数字组成。"
    );
}
both_dbs!(malformed_requests_are_400_in_the_error_shape);

async fn the_principal_manages_the_schools_classes(app: TestApp) {
    let api = app.api(&app.token("principal").await);
    let lishu = school_id(&app, LISHU_SCHOOL);
    let teacher2 = app.user_id("teacher2");
    let (status, class) = api
        .post(
            "/api/v1/classes",
            &json!({"school_id": lishu, "school_year": "2026-2027", "grade": "初一", "name": "七年级（9）班", "head_teacher_ids": [teacher2, teacher2]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{class}");
    let id = class["id"].as_i64().unwrap();
    assert_eq!(class["grade"], 7);
    assert_eq!(class["school_year"], "2026-2027");
    assert_eq!(class["version"], 1);
    assert_eq!(
        class["head_teachers"],
        json!([{"id": teacher2, "display_name": "吴老师（任课教师）"}])
    );

    // The teacher's scope follows at once.
    let teacher = app.api(&app.token("teacher2").await);
    let (_, me) = teacher.get("/api/v1/me").await;
    assert_eq!(me["scope"]["class_ids"], json!([id]));
    assert_eq!(
        teacher.get(&format!("/api/v1/classes/{id}")).await.0,
        StatusCode::OK
    );

    let path = format!("/api/v1/classes/{id}");
    let (status, saved) = api
        .patch(
            &path,
            &json!({"version": 1, "grade": 8, "name": "八年级（9）班"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(
        (saved["grade"].clone(), saved["version"].clone()),
        (json!(8), json!(2))
    );
    assert_eq!(saved["head_teachers"][0]["id"], teacher2, "left out, kept");
    let (status, stale) = api
        .patch(&path, &json!({"version": 1, "name": "九年级（9）班"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        error_of(&stale).error.details,
        Some(json!({"your_version": 1, "current_version": 2}))
    );

    let (status, body) = api.patch(&path, &json!({"version": 2, "grade": 10})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(&body).error.fields["grade"], "该学校不设此年级。");
    let (status, body) = api
        .patch(
            &path,
            &json!({"version": 2, "head_teacher_ids": [app.user_id("bureau")]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_of(&body).error.fields["head_teacher_ids"],
        "班主任必须是本校教职工。"
    );
    let (status, body) = api
        .post("/api/v1/classes", &json!({"school_id": lishu, "school_year": "2026", "grade": 8, "name": "八年级（9）班"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_of(&body).error.code, "duplicate");
    let chahe = school_id(&app, "岔河镇中学");
    let (status, body) = api
        .post("/api/v1/classes", &json!({"school_id": chahe, "school_year": "2026", "grade": 8, "name": "八年级（9）班"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_of(&body).error.fields["school_id"],
        "所选学校不存在或不在您的管辖范围内。"
    );

    let (status, _) = api.delete(&path).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(api.get(&path).await.0, StatusCode::NOT_FOUND);
    let gone = app
        .store
        .with_conn(|c| classes::get(c, &Scope::local_operator(), id));
    assert!(matches!(gone, Err(StoreError::NotFound)));
}
both_dbs!(the_principal_manages_the_schools_classes);

async fn regions_are_read_and_edited_within_scope(app: TestApp) {
    let api = app.api(&app.token("bureau").await);
    let (status, roots) = api.get("/api/v1/regions").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(roots["items"][0]["code"], "520502000000");
    assert_eq!(roots["items"].as_array().unwrap().len(), 1);
    let (_, villages) = api.get("/api/v1/regions?parent=520502101000").await;
    let names: Vec<&str> = villages["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["小屯沟村", "上小河村"]);
    let (status, _) = api.get("/api/v1/regions?parent=520102000000").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api.get("/api/v1/regions/520102000000").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, created) = api
        .post(
            "/api/v1/regions",
            &json!({"code": "520502101207", "name": "新寨村"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["level"], "village");
    assert_eq!(created["parent_code"], "520502101000");
    let (status, renamed) = api
        .patch("/api/v1/regions/520502101207", &json!({"name": "新寨社区"}))
        .await;
    assert_eq!(
        (status, renamed["name"].as_str()),
        (StatusCode::OK, Some("新寨社区"))
    );
    let (_, shown) = api.get("/api/v1/regions/520502101207").await;
    assert_eq!(shown["name"], "新寨社区");
    let (status, body) = api
        .post(
            "/api/v1/regions",
            &json!({"code": "520502101207", "name": "又一个"}),
        )
        .await;
    assert_eq!(
        (status, error_of(&body).error.code.as_str()),
        (StatusCode::CONFLICT, "duplicate")
    );
    let (status, _) = api.delete("/api/v1/regions/520502101207").await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        api.get("/api/v1/regions/520502101207").await.0,
        StatusCode::NOT_FOUND
    );

    let (status, body) = api
        .post(
            "/api/v1/regions",
            &json!({"code": "520102001999", "name": "外县"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        error_of(&body).error.message,
        "只能在您的管辖范围内操作行政区划。"
    );
    let (status, body) = api.delete("/api/v1/regions/520502101000").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_of(&body).error.fields["code"],
        "该区划下还有下级区划、学校或用户，不能删除。"
    );

    // A village's child director cannot see the township above.
    let director = app.api(&app.token("director").await);
    assert_eq!(
        director.get("/api/v1/regions/520502101000").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        director.get("/api/v1/regions/520502101205").await.0,
        StatusCode::OK
    );
}
both_dbs!(regions_are_read_and_edited_within_scope);

async fn the_openapi_document_describes_the_api(app: TestApp) {
    let response = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    let doc: Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/regions",
        "/api/v1/regions/{code}",
        "/api/v1/schools",
        "/api/v1/schools/{id}",
        "/api/v1/schools/{id}/classes",
        "/api/v1/classes",
        "/api/v1/classes/{id}",
    ] {
        assert!(paths.contains_key(path), "{path} is documented");
    }
    let methods: Vec<&String> = paths["/api/v1/schools/{id}"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(methods, ["delete", "get", "patch"]);
    let scheme = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(
        (scheme["type"].as_str(), scheme["scheme"].as_str()),
        (Some("http"), Some("bearer"))
    );
    assert_eq!(
        paths["/api/v1/schools/{id}"]["get"]["security"],
        json!([{"bearer": []}])
    );
    assert!(
        paths["/api/v1/auth/token"]["post"]
            .get("security")
            .is_none()
    );
    let error = &doc["components"]["schemas"]["ErrorDetail"];
    assert_eq!(error["required"], json!(["code", "message", "fields"]));
    let patch = &paths["/api/v1/schools/{id}"]["patch"]["responses"]["409"]["content"]["application/json"]
        ["schema"]["$ref"];
    assert_eq!(patch, "#/components/schemas/ErrorBody");
}
both_dbs!(the_openapi_document_describes_the_api);
