//! The county's side of dropout control on both databases: a migrant child's case handed to
//! the hukou county (requested by the school, declined, requested again, accepted; one owner at
//! every step, history kept, a second pending request refused); the county's settings saved
//! through the page reach the replay (3 unexcused days make 疑似辍学), with a bad ladder refused
//! in Chinese and a stale form answering 409; 送教上门 periods summed per term against the target.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{Days, NaiveDate};
use common::fixtures::{recent_school_days, save_county_calendar, scope_of};
use common::{DEMO_PASSWORD, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shouhu_domain::{
    AbsenceKind, AttemptOutcome, EnrolmentState, Password, RegionCode, ReturnMethod, Role,
    SchoolYear, check_char, default_notice_template, hash_password, today_shanghai,
};
use shouhu_store::audit::{self, AuditFilter};
use shouhu_store::children::{self, Placement};
use shouhu_store::dropout::{
    self, AbsenceInput, AttemptInput, CaseFilter, CaseHead, RollCallSubmit,
};
use shouhu_store::users::{self, UserInput};
use shouhu_store::{Scope, classes};

use common::fixtures::COUNTY;
/// 大方县, the hukou county of the migrant child.
const DAFANG: &str = "520521000000";
/// 金沙县.
const JINSHA: &str = "520523000000";

fn term_number(today: NaiveDate) -> usize {
    let y = SchoolYear::containing(today).start_year();
    if today < NaiveDate::from_ymd_opt(y + 1, 2, 1).unwrap() {
        1
    } else {
        2
    }
}

/// teacher1's school and first class.
fn placement(app: &TestApp) -> Placement {
    let teacher = scope_of(app, "teacher1");
    let class = app
        .store
        .with_conn(|c| classes::list(c, &teacher, teacher.school.unwrap()))
        .unwrap();
    Placement {
        school_id: teacher.school.unwrap(),
        class_id: Some(class[0].class.id),
    }
}

/// A child in teacher1's class, whose hukou lies in `residence`.
fn child(app: &TestApp, name: &str, n: u32, residence: &str, schooling: &str) -> i64 {
    let first17 = format!("520502201503{:02}123", n + 10);
    let id = format!("{first17}{}", check_char(first17.as_bytes()));
    let birth = format!("{}-{}-{}", &id[6..10], &id[10..12], &id[12..14]);
    let file = json!({
        "name": name, "sex": "male", "ethnicity": "han", "birth_date": birth,
        "id_doc_type": "resident_id_card", "id_number": id,
        "hukou_type": "agricultural", "residence_region": residence,
        "schooling": schooling, "health": {"kind": "healthy"},
    });
    let file = serde_json::from_value(file).unwrap();
    let key = app.store.key();
    let at = placement(app);
    app.store
        .with_conn(|c| children::create(c, &Scope::local_operator(), &key, at, &file, None))
        .unwrap()
        .summary
        .id
}

/// Roll calls of teacher1's class for the `days` school days ending today, `child` unexcused.
fn skip_days(app: &TestApp, child: i64, days: u64) {
    let today = today_shanghai();
    let teacher = scope_of(app, "teacher1");
    let class_id = placement(app).class_id.unwrap();
    for back in (0..days).rev() {
        let day = today - Days::new(back);
        // Keep whatever else that day's roll call holds.
        let sheet = app
            .store
            .with_conn(|c| dropout::class_sheet(c, &teacher, class_id, day))
            .unwrap();
        let mut absences: Vec<AbsenceInput> = sheet
            .children
            .iter()
            .filter(|k| k.child_id != child)
            .filter_map(|k| {
                k.absence.map(|kind| AbsenceInput {
                    child_id: k.child_id,
                    kind,
                    reason: k.reason.clone(),
                })
            })
            .collect();
        absences.push(AbsenceInput {
            child_id: child,
            kind: AbsenceKind::Unexcused,
            reason: None,
        });
        let submit = RollCallSubmit {
            class_id,
            day,
            absences,
            version: sheet.version,
        };
        app.store
            .with_conn(|c| dropout::submit(c, &teacher, &submit, today))
            .unwrap();
    }
}

fn state_of(app: &TestApp, child: i64) -> EnrolmentState {
    app.store
        .with_conn(|c| dropout::enrolment_of(c, &Scope::local_operator(), child))
        .unwrap()
        .state
}

fn open_cases(app: &TestApp, child: i64) -> Vec<CaseHead> {
    let filter = CaseFilter {
        open: Some(true),
        ..CaseFilter::default()
    };
    app.store
        .with_conn(|c| dropout::list_cases(c, &Scope::local_operator(), &filter))
        .unwrap()
        .into_iter()
        .filter(|c| c.child_id == child)
        .collect()
}

/// The child's one open case and its one owner.
fn the_owner(app: &TestApp, child: i64) -> (i64, String) {
    let cases = open_cases(app, child);
    assert_eq!(cases.len(), 1, "exactly one open case: {cases:?}");
    assert!(RegionCode::parse(&cases[0].owner_region).is_ok());
    (cases[0].id, cases[0].owner_region.clone())
}

/// A bureau account of another county, password already chosen.
fn bureau_of(app: &TestApp, username: &str, county: &str) {
    let hash = hash_password(&Password::parse(DEMO_PASSWORD).unwrap()).unwrap();
    let input = UserInput {
        username: username.to_owned(),
        display_name: format!("{username} 教育局"),
        role: Role::Bureau,
        region: RegionCode::parse(county).unwrap(),
        school_id: None,
    };
    app.store
        .with_conn(|c| users::create(c, &scope_of(app, "admin"), input, &hash))
        .unwrap();
    let scope = scope_of(app, username);
    app.store
        .with_conn(|c| users::change_own_password(c, &scope, &hash))
        .unwrap();
}

fn audit_kinds(app: &TestApp, actor: &str) -> Vec<String> {
    let filter = AuditFilter {
        actor: Some(actor.to_owned()),
        limit: 500,
        ..Default::default()
    };
    app.store
        .with_conn(|c| audit::list(c, &Scope::local_operator(), &filter))
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("hidden field") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

both_dbs!(a_case_is_handed_to_the_hukou_county_and_always_has_one_owner);

async fn a_case_is_handed_to_the_hukou_county_and_always_has_one_owner(app: TestApp) {
    let today = today_shanghai();
    save_county_calendar(&app, &recent_school_days(today));
    let kid = child(&app, "杨小军", 1, "520521001000", "in_school");
    skip_days(&app, kid, 5);
    assert_eq!(state_of(&app, kid), EnrolmentState::Suspected);
    let (case_id, owner) = the_owner(&app, kid);
    assert_eq!(owner, COUNTY, "a case opens owned by the school's county");
    // History before the hand-over: one attempt.
    let attempt = AttemptInput {
        day: today,
        method: ReturnMethod::Phone,
        people: "龙老师".into(),
        met: "祖母".into(),
        outcome: AttemptOutcome::Pending,
        reason: None,
        note: None,
        submit_key: None,
    };
    app.store
        .with_conn(|c| {
            dropout::record_attempt(c, &scope_of(&app, "teacher1"), case_id, &attempt, today)
        })
        .unwrap();
    let before = app
        .store
        .with_conn(|c| dropout::case_detail(c, &Scope::local_operator(), case_id))
        .unwrap();
    bureau_of(&app, "dafang", DAFANG);

    // The principal asks through the page; the form suggests the hukou county.
    let principal = app.login("principal").await;
    let form_path = format!("/dropout/cases/{case_id}/handover");
    let (status, html) = principal.get_text(&form_path).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains(DAFANG), "the hukou county is suggested");
    let csrf = common::form_token(&html).unwrap();
    let fields = [("to_region", DAFANG), ("note", "户籍在大方县，随父母返乡")];
    for _ in 0..2 {
        let r = principal.post_form(&form_path, &csrf, &fields).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "sent twice, made once");
    }
    assert_eq!(the_owner(&app, kid), (case_id, COUNTY.to_owned()));
    let teacher = app.login("teacher1").await;
    let (status, _) = teacher.get_text(&form_path).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the owner side asks");

    // A second request while one is pending is refused.
    let bureau = app.api(&app.token("bureau").await);
    let (status, e) = bureau
        .post(
            &format!("/api/v1/dropout/cases/{case_id}/handovers"),
            &json!({"to_region": JINSHA}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(
        e["error"]["fields"]["case"]
            .as_str()
            .unwrap()
            .contains("待接收")
    );

    // The receiving county sees it pending and declines: the owner stays.
    let dafang = app.api(&app.token("dafang").await);
    let (status, list) = dafang.get("/api/v1/dropout/handovers").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let pending = list["pending"].as_array().unwrap();
    assert_eq!(pending.len(), 1, "{list}");
    assert_eq!(pending[0]["child_name"], "杨小军");
    let first = pending[0]["id"].as_i64().unwrap();
    let (status, _) = bureau
        .post(
            &format!("/api/v1/dropout/handovers/{first}/accept"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not addressed to the sender");
    let (status, answered) = dafang
        .post(
            &format!("/api/v1/dropout/handovers/{first}/decline"),
            &json!({"note": "请先核实户籍"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    assert_eq!(answered["accepted"], false);
    assert_eq!(the_owner(&app, kid), (case_id, COUNTY.to_owned()));
    let (status, _) = dafang
        .post(
            &format!("/api/v1/dropout/handovers/{first}/accept"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "answered once");

    // Asked again (by the county bureau, through the API), accepted through the pages.
    let (status, second) = bureau
        .post(
            &format!("/api/v1/dropout/cases/{case_id}/handovers"),
            &json!({"to_region": DAFANG, "note": "户籍已核实"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    let second = second["id"].as_i64().unwrap();
    let (status, e) = bureau
        .post(
            &format!("/api/v1/dropout/cases/{case_id}/handovers"),
            &json!({"to_region": COUNTY}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(the_owner(&app, kid), (case_id, COUNTY.to_owned()));

    let receiver = app.login("dafang").await;
    let (status, html) = receiver.get_text("/dropout/handovers").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("杨小军") && html.contains(&format!("/dropout/handovers/{second}/accept"))
    );
    let confirm = format!("/dropout/handovers/{second}/accept");
    let (status, html) = receiver.get_text(&confirm).await;
    assert_eq!(status, StatusCode::OK, "a confirmation first");
    let csrf = common::form_token(&html).unwrap();
    let r = receiver.post_form(&confirm, &csrf, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        the_owner(&app, kid),
        (case_id, DAFANG.to_owned()),
        "accepted: the hukou county owns the case"
    );
    let r = receiver.post_form(&confirm, &csrf, &[]).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "a double submit changes nothing"
    );
    assert_eq!(the_owner(&app, kid), (case_id, DAFANG.to_owned()));
    // The county's rung of the ladder is now the receiving bureau's task, not the old one's.
    let county_rung = |username: &str| {
        let scope = scope_of(&app, username);
        let list = app
            .store
            .with_conn(|c| shouhu_store::duties::tasks_for(c, &scope, today_shanghai()))
            .unwrap();
        [list.overdue, list.today, list.this_week, list.later]
            .concat()
            .iter()
            .any(|t| t.rule_code == "return_county" && t.subject_id == kid)
    };
    assert!(county_rung("dafang"));
    assert!(!county_rung("bureau"));
    let (status, html) = receiver.get_text("/tasks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("杨小军"), "{html}");

    // History kept: the same case, its attempt and its events.
    let after = app
        .store
        .with_conn(|c| dropout::case_detail(c, &scope_of(&app, "dafang"), case_id))
        .unwrap();
    assert_eq!(after.case.opened_on, before.case.opened_on);
    assert_eq!(after.attempts.len(), 1);
    assert_eq!(after.events.len(), before.events.len());
    let history = app
        .store
        .with_conn(|c| dropout::handover::handovers_of(c, &scope_of(&app, "dafang"), case_id))
        .unwrap();
    assert_eq!(
        history.iter().map(|h| h.accepted).collect::<Vec<_>>(),
        vec![Some(false), Some(true)]
    );
    assert!(history.iter().all(|h| h.answered_by.is_some()));

    // The new owner's list has it; the principal is no longer the owner side.
    let filter = CaseFilter {
        open: Some(true),
        ..CaseFilter::default()
    };
    let theirs = app
        .store
        .with_conn(|c| dropout::list_cases(c, &scope_of(&app, "dafang"), &filter))
        .unwrap();
    assert!(theirs.iter().any(|c| c.id == case_id));
    let (status, _) = principal.get_text(&form_path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, html) = principal.get_text("/dropout/handovers").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("大方县") && html.contains("杨小军"),
        "outgoing listed"
    );

    let kinds = audit_kinds(&app, "dafang");
    assert!(kinds.iter().any(|k| k == "dropout.handover_accept"));
    assert!(kinds.iter().any(|k| k == "dropout.handover_decline"));
    let kinds = audit_kinds(&app, "principal");
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "dropout.handover_request")
            .count(),
        1
    );
}

/// The settings form's fields with the default ladder and notice.
fn settings_fields(version: &str, streak: &str) -> Vec<(String, String)> {
    let mut fields = vec![
        ("region".to_owned(), COUNTY.to_owned()),
        ("version".to_owned(), version.to_owned()),
        ("streak_days".to_owned(), streak.to_owned()),
        ("lapse_days".to_owned(), "30".to_owned()),
        (
            "notice".to_owned(),
            default_notice_template().as_str().to_owned(),
        ),
        ("teaching_target".to_owned(), "4".to_owned()),
    ];
    let steps = [
        ("1", "phone", "head_teacher"),
        ("2", "home_visit", "head_teacher"),
        ("7", "joint_visit", "principal"),
        ("14", "township", "civil_affairs"),
        ("", "", ""),
    ];
    for (i, (day, method, role)) in steps.iter().enumerate() {
        fields.push((format!("step{i}_day"), (*day).to_owned()));
        fields.push((format!("step{i}_method"), (*method).to_owned()));
        fields.push((format!("step{i}_role"), (*role).to_owned()));
    }
    fields
}

async fn post_settings(
    browser: &common::Browser,
    csrf: &str,
    fields: &[(String, String)],
) -> (StatusCode, String) {
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = browser.post_form("/dropout/settings", csrf, &refs).await;
    let status = r.status();
    (status, r.text().await.unwrap())
}

both_dbs!(county_settings_reach_the_replay);

async fn county_settings_reach_the_replay(app: TestApp) {
    let today = today_shanghai();
    save_county_calendar(&app, &recent_school_days(today));
    let teacher = app.login("teacher1").await;
    let (status, _) = teacher.get_text("/dropout/settings").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the bureau");

    let bureau = app.login("bureau").await;
    let (status, html) = bureau.get_text("/dropout/settings").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("{姓名}"), "the allowed blanks are shown");
    let version = hidden(&html, "version");
    assert_eq!(version, "0");
    let csrf = common::form_token(&html).unwrap();

    // A ladder whose days go backwards is refused in Chinese, nothing saved.
    let mut bad = settings_fields(&version, "3");
    for (k, v) in &mut bad {
        if k == "step1_day" {
            *v = "1".to_owned();
        }
    }
    let (status, html) = post_settings(&bureau, &csrf, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("升级步骤的天数应从 1 开始逐步递增"), "{html}");
    let mut bad_notice = settings_fields(&version, "3");
    for (k, v) in &mut bad_notice {
        if k == "notice" {
            *v = "{家长}：请送{姓名}返校".to_owned();
        }
    }
    let (status, html) = post_settings(&bureau, &csrf, &bad_notice).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("通知书模板中有无法识别的占位符"));

    let (status, _) = post_settings(&bureau, &csrf, &settings_fields(&version, "3")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = bureau.get_text("/dropout/settings").await;
    assert_eq!(hidden(&html, "version"), "1");
    assert!(html.contains("value=\"3\""));

    // The same stale form again: 409, what was typed kept.
    let (status, html) = post_settings(&bureau, &csrf, &settings_fields(&version, "4")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("他人已修改"), "{html}");
    assert!(html.contains("value=\"4\""));

    // Three unexcused school days now make 疑似辍学.
    let kid = child(&app, "王小飞", 2, "520502101205", "in_school");
    skip_days(&app, kid, 3);
    assert_eq!(state_of(&app, kid), EnrolmentState::Suspected);
    assert_eq!(open_cases(&app, kid).len(), 1);

    // The API reads and writes the same settings.
    let token = app.token("bureau").await;
    let api = app.api(&token);
    let path = format!("/api/v1/regions/{COUNTY}/dropout-settings");
    let (status, body) = api.get(&path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["streak_days"], 3);
    assert_eq!(body["teaching_target"], 4);
    assert_eq!(body["version"], 1);
    assert_eq!(body["ladder"].as_array().unwrap().len(), 4);
    let mut put: Value = json!({
        "streak_days": 5, "lapse_days": 30, "teaching_target": 4, "version": 1,
        "ladder": [{"day": 1, "method": "phone", "role": "head_teacher"}],
    });
    let send = |body: Value| {
        api.client
            .put(format!("{}{path}", api.base))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let r = send(put.clone()).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = send(put.clone()).await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT, "stale version");
    put["version"] = json!(2);
    put["ladder"] = json!([{"day": 3, "method": "phone", "role": "head_teacher"},
                           {"day": 2, "method": "home_visit", "role": "head_teacher"}]);
    let r = send(put).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = r.json().await.unwrap();
    assert!(
        e["error"]["fields"]["steps"]
            .as_str()
            .unwrap()
            .contains("递增")
    );
    let teacher_api = app.api(&app.token("teacher1").await);
    let r = teacher_api
        .client
        .put(format!("{}{path}", teacher_api.base))
        .bearer_auth(&teacher_api.token)
        .json(&json!({"streak_days": 5, "lapse_days": 30, "version": 3,
                      "ladder": [{"day": 1, "method": "phone", "role": "head_teacher"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "only the bureau saves");

    let (_, doc) = api.get("/api/v1/openapi.json").await;
    for path in [
        "/api/v1/regions/{code}/dropout-settings",
        "/api/v1/dropout/teaching",
        "/api/v1/dropout/cases/{id}/handovers",
        "/api/v1/dropout/handovers",
        "/api/v1/dropout/handovers/{id}/accept",
        "/api/v1/dropout/handovers/{id}/decline",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
    assert!(doc["components"]["schemas"]["DropoutSettings"].is_object());
}

both_dbs!(home_teaching_periods_are_summed_against_the_target);

async fn home_teaching_periods_are_summed_against_the_target(app: TestApp) {
    let today = today_shanghai();
    save_county_calendar(&app, &recent_school_days(today));
    let kid = child(&app, "李小花", 3, "520502101205", "home_taught");
    let teacher = app.api(&app.token("teacher1").await);
    let path = format!("/api/v1/children/{kid}/records");
    for (periods, back) in [(2, 1_u64), (3, 0)] {
        let day = (today - Days::new(back)).to_string();
        let (status, body) = teacher
            .post(
                &path,
                &json!({"kind": "home_teaching", "periods": periods,
                        "content": "语文识字、数学口算", "record_date": day}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let bureau = app.api(&app.token("bureau").await);
    let set = |target: i32| {
        json!({"streak_days": 5, "lapse_days": 30, "teaching_target": target, "version": 0,
               "ladder": [{"day": 1, "method": "phone", "role": "head_teacher"}]})
    };
    let token = app.token("bureau").await;
    let r = bureau
        .client
        .put(format!(
            "{}/api/v1/regions/{COUNTY}/dropout-settings",
            bureau.base
        ))
        .bearer_auth(&token)
        .json(&set(6))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let (status, body) = bureau
        .get(&format!("/api/v1/dropout/teaching?region={COUNTY}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let row = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["child_id"] == kid)
        .unwrap()
        .clone();
    let term = &row["terms"][term_number(today) - 1];
    assert_eq!(term["periods"], 5, "{row}");
    assert_eq!(term["sessions"], 2);
    assert_eq!(term["target"], 6);
    assert_eq!(term["met"], false);
    assert_eq!(row["periods"], 5);
    assert_eq!(row["target"], 12, "the year's target is twice the term's");
    assert_eq!(row["home_taught"], true);

    // A third visit meets the term's target.
    let (status, _) = teacher
        .post(
            &path,
            &json!({"kind": "home_teaching", "periods": 1, "content": "复习",
                    "record_date": today.to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, body) = teacher.get("/api/v1/dropout/teaching").await;
    let row = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["child_id"] == kid)
        .unwrap();
    assert_eq!(row["terms"][term_number(today) - 1]["periods"], 6, "{body}");
    assert_eq!(row["terms"][term_number(today) - 1]["met"], true);

    let browser = app.login("principal").await;
    let (status, html) = browser.get_text("/dropout/teaching").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("李小花") && html.contains("6 / 6（3）"),
        "{html}"
    );
    let volunteer = app.login("volunteer").await;
    let (status, _) = volunteer.get_text("/dropout/teaching").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
