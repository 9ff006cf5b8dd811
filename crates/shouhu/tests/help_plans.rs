//! Help plans on both databases, through the pages and the API: only key children get one, a
//! form sent twice writes one plan, stage results and the summary, sign-off by the principal
//! only, a signed plan locked until reopened with a reason, stale versions conflict, every write
//! and reading audited, and the plan, its print and the school's overview render.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Browser, TestApp};
use reqwest::StatusCode;
use serde_json::json;
use shouhu_domain::{check_char, term_on, today_shanghai};
use shouhu_store::audit::{self, AuditFilter};
use shouhu_store::children::{self, Placement};
use shouhu_store::{Scope, users};
use shouhu_web::api::ErrorBody;

fn scope_of(app: &TestApp, username: &str) -> Scope {
    app.store
        .with_conn(|c| {
            let user = users::find_for_login(c, username)?.unwrap();
            users::scope_for(c, &user, None)
        })
        .unwrap()
}

/// A child in teacher1's class; a key child when `key` is given. `n` keeps ID numbers apart.
fn child(app: &TestApp, name: &str, n: u32, key: bool) -> (i64, i64) {
    let teacher = scope_of(app, "teacher1");
    let first17 = format!("520502201503{:02}123", n + 10);
    let id = format!("{first17}{}", check_char(first17.as_bytes()));
    let birth = format!("{}-{}-{}", &id[6..10], &id[10..12], &id[12..14]);
    let mut file = json!({
        "name": name, "sex": "male", "ethnicity": "han", "birth_date": birth,
        "id_doc_type": "resident_id_card", "id_number": id,
        "hukou_type": "agricultural", "residence_region": "520502101205",
        "schooling": "in_school", "health": {"kind": "healthy"},
    });
    if key {
        file["key_child"] = json!({"reason": "父母均外出，学习困难"});
    }
    let file = serde_json::from_value(file).unwrap();
    let at = Placement {
        school_id: teacher.school.unwrap(),
        class_id: Some(teacher.classes.as_ref().unwrap()[0]),
    };
    let key = app.store.key();
    let id = app
        .store
        .with_conn(|c| children::create(c, &Scope::local_operator(), &key, at, &file, None))
        .unwrap()
        .summary
        .id;
    (id, at.school_id)
}

fn audit_of(app: &TestApp, actor: &str) -> Vec<(String, String)> {
    let filter = AuditFilter {
        actor: Some(actor.to_owned()),
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

fn count(audit: &[(String, String)], kind: &str) -> usize {
    audit.iter().filter(|(k, _)| k == kind).count()
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("hidden field") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

async fn post(b: &Browser, path: &str, csrf: &str, fields: &[(&str, String)]) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post_form(path, csrf, &pairs).await
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

async fn a_plan_is_written_once_summarised_signed_by_the_principal_and_locked(app: TestApp) {
    let (kid, school) = child(&app, "单小明", 1, true);
    let (plain, _) = child(&app, "龙小红", 2, false);
    let t = app.login("teacher1").await;

    // Not a key child: the page says so and offers no form.
    let (status, html) = t.get_text(&format!("/children/{plain}/plans")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("不是重点帮扶对象") && !html.contains("name=\"goals\""));

    let list = format!("/children/{kid}/plans");
    let (status, html) = t.get_text(&list).await;
    assert_eq!(status, StatusCode::OK);
    let csrf = common::form_token(&html).unwrap();
    let term = term_on(today_shanghai()).to_string();
    let fields = vec![
        ("submit_key", hidden(&html, "submit_key")),
        ("term", term.clone()),
        ("goals", "数学成绩及格\n愿意与同学交往".to_owned()),
        ("m0_what", "每周谈心一次".to_owned()),
        ("m0_who", "龙老师".to_owned()),
        ("m0_by", "2027-01-15".to_owned()),
        ("m1_what", "安排学习帮手".to_owned()),
        ("m1_who", "班长".to_owned()),
        ("m1_by", "2026-12-31".to_owned()),
    ];
    let first = post(&t, &list, &csrf, &fields).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let again = post(&t, &list, &csrf, &fields).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    let plan = location(&first);
    assert_eq!(
        plan,
        location(&again),
        "the second send answers the first plan"
    );
    let (_, html) = t.get_text(&list).await;
    assert_eq!(
        html.matches("href=\"/plans/").count(),
        1,
        "one plan: {html}"
    );
    // A new plan for the same term is refused beside the term.
    let mut other = fields.clone();
    other[0].1 = "another-key".to_owned();
    let r = post(&t, &list, &csrf, &other).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A measure without its owner comes back with what was typed.
    let (_, html) = t.get_text(&format!("{plan}/edit")).await;
    let csrf = common::form_token(&html).unwrap();
    let bad = vec![
        ("version", "1".to_owned()),
        ("goals", "数学成绩及格".to_owned()),
        ("m0_what", "家访一次".to_owned()),
        ("m0_by", "2026-12-31".to_owned()),
    ];
    let r = post(&t, &plan, &csrf, &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("家访一次") && html.contains("负责"),
        "kept and explained"
    );

    // A stage result, sent twice, is added once; then the summary.
    let (_, html) = t.get_text(&plan).await;
    let csrf = common::form_token(&html).unwrap();
    let stage = vec![
        ("version", "1".to_owned()),
        ("submit_key", hidden(&html, "submit_key")),
        ("date", today_shanghai().to_string()),
        ("note", "单元测验及格".to_owned()),
    ];
    for _ in 0..2 {
        let r = post(&t, &format!("{plan}/stages"), &csrf, &stage).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let (_, html) = t.get_text(&plan).await;
    assert_eq!(html.matches("单元测验及格").count(), 1);
    let r = post(
        &t,
        &format!("{plan}/summary"),
        &csrf,
        &[
            ("version", "2".to_owned()),
            ("summary", "本学期进步明显".to_owned()),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // The head teacher may not sign; the principal may, and then it is locked.
    let r = post(
        &t,
        &format!("{plan}/sign"),
        &csrf,
        &[("version", "3".to_owned())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let p = app.login("principal").await;
    let (status, html) = p.get_text(&plan).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("已总结") && html.contains("/sign"));
    let pcsrf = common::form_token(&html).unwrap();
    let r = post(
        &p,
        &format!("{plan}/sign"),
        &pcsrf,
        &[("version", "3".to_owned())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = t.get_text(&plan).await;
    assert!(
        html.contains("已签字") && !html.contains("/stages\""),
        "locked: {html}"
    );
    let r = post(
        &t,
        &format!("{plan}/summary"),
        &csrf,
        &[("version", "4".to_owned()), ("summary", "改".to_owned())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("不能再修改"));

    // Reopening needs a reason, which is kept and audited.
    let r = post(
        &p,
        &format!("{plan}/reopen"),
        &pcsrf,
        &[("version", "4".to_owned())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post(
        &p,
        &format!("{plan}/reopen"),
        &pcsrf,
        &[
            ("version", "4".to_owned()),
            ("reason", "总结中成绩有误".to_owned()),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = p.get_text(&plan).await;
    assert!(html.contains("已总结") && html.contains("总结中成绩有误"));

    let audit = audit_of(&app, "principal");
    assert_eq!(count(&audit, "help_plan.sign"), 1);
    assert!(
        audit
            .iter()
            .any(|(k, d)| k == "help_plan.reopen" && d.contains("总结中成绩有误"))
    );
    assert!(count(&audit, "help_plan.view") >= 2);
    let audit = audit_of(&app, "teacher1");
    assert_eq!(count(&audit, "help_plan.create"), 1);
    assert_eq!(count(&audit, "help_plan.summarise"), 1);
    assert_eq!(
        count(&audit, "help_plan.update"),
        1,
        "the stage result, once"
    );

    // The print and the principal's overview.
    let (status, html) = p.get_text(&format!("{plan}/print")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("每周谈心一次") && html.contains("校长签字") && html.contains("@media print")
    );
    let (status, html) = p.get_text(&format!("/schools/{school}/plans")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("单小明") && !html.contains("龙小红"),
        "{html}"
    );
    assert!(html.contains(&format!("href=\"{plan}\"")));
}
both_dbs!(a_plan_is_written_once_summarised_signed_by_the_principal_and_locked);

async fn the_api_keeps_plans_to_key_children_versions_and_the_principal(app: TestApp) {
    let (kid, _) = child(&app, "单小明", 1, true);
    let (plain, _) = child(&app, "龙小红", 2, false);
    let teacher = app.api(&app.token("teacher1").await);
    let body = json!({
        "goals": "数学成绩及格",
        "measures": [{"what": "每周谈心一次", "who": "龙老师", "by": "2027-01-15"}],
    });
    let (status, e) = teacher
        .post(&format!("/api/v1/children/{plain}/plans"), &body)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let e: ErrorBody = serde_json::from_value(e).unwrap();
    assert_eq!(e.error.fields.keys().collect::<Vec<_>>(), ["child_id"]);

    let path = format!("/api/v1/children/{kid}/plans");
    let key = [("Idempotency-Key", "plan-1")];
    let (status, plan) = teacher.post_with(&path, &key, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    let (status, again) = teacher.post_with(&path, &key, &body).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(plan["id"], again["id"]);
    let (status, dup) = teacher.post(&path, &body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{dup}");
    assert_eq!(plan["status"], "draft");
    assert_eq!(plan["term"], term_on(today_shanghai()).to_string());
    assert_eq!(plan["measures"][0]["who"], "龙老师");
    for field in [
        "child_name",
        "goals",
        "stage_results",
        "summary",
        "reopenings",
        "version",
    ] {
        assert!(plan.get(field).is_some(), "{field} in {plan}");
    }
    let (status, list) = teacher.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["key_child"], true);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    let id = plan["id"].as_i64().unwrap();
    let at = format!("/api/v1/plans/{id}");
    let (status, p) = teacher
        .patch(
            &at,
            &json!({"version": 1, "stage_result": {"note": "愿意主动提问"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["stage_results"][0]["note"], "愿意主动提问");
    let (status, stale) = teacher
        .patch(&at, &json!({"version": 1, "summary": "x"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(stale["error"]["details"]["current_version"], 2);
    let (status, e) = teacher
        .post(&format!("{at}/sign"), &json!({"version": 2}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");

    let principal = app.api(&app.token("principal").await);
    let (status, e) = principal
        .post(&format!("{at}/sign"), &json!({"version": 2}))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a draft is not signed: {e}"
    );
    let (status, p) = teacher
        .patch(&at, &json!({"version": 2, "summary": "进步明显"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(p["status"], "summarised");
    let (status, p) = principal
        .post(&format!("{at}/sign"), &json!({"version": 3}))
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["status"], "signed");
    assert!(p["signed_by"].is_string() && p["signed_at"].is_string());
    let (status, e) = teacher
        .patch(&at, &json!({"version": 4, "goals": "改"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let e: ErrorBody = serde_json::from_value(e).unwrap();
    assert!(e.error.fields.contains_key("status"));
    let (status, p) = principal
        .post(
            &format!("{at}/reopen"),
            &json!({"version": 4, "reason": "成绩有误"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["status"], "summarised");
    assert_eq!(p["reopenings"][0]["reason"], "成绩有误");

    // Volunteers read no plans.
    let volunteer = app.api(&app.token("volunteer").await);
    let (status, _) = volunteer.get(&at).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, doc) = principal.get("/api/v1/openapi.json").await;
    assert!(doc["paths"].get("/api/v1/plans/{id}/sign").is_some());
}
both_dbs!(the_api_keeps_plans_to_key_children_versions_and_the_principal);
