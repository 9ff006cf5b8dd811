//! Child files over the JSON API on both databases: creating, masked reads per role, audited
//! reveals, merge-patch saves with versions, duplicates that leak nothing, idempotent creation,
//! revisions, contact-card PDFs read back with the real `pdftotext`, and the OpenAPI document.
// Test bodies are plain async fns run by `both_dbs!`, which clippy does not count as tests.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Api, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shouhu_domain::check_char;
use shouhu_store::Scope;
use shouhu_store::audit::{self, AuditFilter};
use shouhu_web::api::ErrorBody;

fn id_number(birth: &str, seq: &str) -> String {
    let first17 = format!("520502{birth}{seq}");
    let check = check_char(first17.as_bytes());
    format!("{first17}{check}")
}

/// A file with both parents away in 广东, living in 小屯沟村 with a grandfather.
fn file_json(name: &str, id: &str) -> Value {
    let birth = format!("{}-{}-{}", &id[6..10], &id[10..12], &id[12..14]);
    let sex = if (id.as_bytes()[16] - b'0') % 2 == 1 {
        "male"
    } else {
        "female"
    };
    json!({
        "name": name,
        "sex": sex,
        "ethnicity": "miao",
        "birth_date": birth,
        "id_doc_type": "resident_id_card",
        "id_number": id,
        "hukou_type": "agricultural",
        "residence_region": "520502101205",
        "address": "贵州省毕节市七星关区梨树镇小屯沟村三组12号",
        "schooling": "in_school",
        "health": {"kind": "healthy"},
        "father": {"name": "单建国", "phone": "13812345678",
                   "away": {"since": "2024-02-20", "province": "广东", "city": "东莞市"}},
        "mother": {"name": "李秀英", "phone": "13912345678",
                   "away": {"since": "2024-02-20", "province": "广东", "city": "深圳市"}},
        "guardians": [{"name": "单大山", "relation": "祖父", "phone": "0857-8221234", "is_carer": true}],
        "care_arrangement": "grandparents",
        "rating": "fair",
    })
}

fn error_of(body: &Value) -> ErrorBody {
    serde_json::from_value(body.clone())
        .unwrap_or_else(|e| panic!("not the API error shape ({e}): {body}"))
}

/// teacher1's school and the class they head, as the API tells them.
async fn teacher1_class(api: &Api) -> (i64, i64) {
    let (status, me) = api.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let school = me["scope"]["school_id"].as_i64().unwrap();
    let (status, classes) = api.get(&format!("/api/v1/schools/{school}/classes")).await;
    assert_eq!(status, StatusCode::OK, "{classes}");
    (school, classes["items"][0]["id"].as_i64().unwrap())
}

/// Creates a child in teacher1's class and returns the record.
async fn create_in_class(api: &Api, name: &str, id: &str) -> Value {
    let (school, class) = teacher1_class(api).await;
    let body = json!({"school_id": school, "class_id": class, "file": file_json(name, id)});
    let (status, record) = api.post("/api/v1/children", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{record}");
    record
}

fn audit_of(app: &TestApp, actor: &str) -> Vec<(String, String, String)> {
    let filter = AuditFilter {
        actor: Some(actor.to_owned()),
        limit: 500,
        ..Default::default()
    };
    app.store
        .with_conn(|c| audit::list(c, &Scope::local_operator(), &filter))
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, e.target, e.detail))
        .collect()
}

/// Nothing of the ID number beyond what the masked form shows: not the whole, not the birth
/// digits in the middle, and no phone in clear.
fn assert_no_secrets(body: &str, id: &str, context: &str) {
    assert!(!body.contains(id), "{context}: full ID number in {body}");
    assert!(!body.contains(&id[6..14]), "{context}: ID digits in {body}");
    assert!(!body.contains("13812345678"), "{context}: phone in {body}");
}

async fn a_head_teacher_opens_a_left_behind_childs_file_and_finds_it_by_caliber(app: TestApp) {
    let api = app.api(&app.token("teacher1").await);
    let (school, class) = teacher1_class(&api).await;
    let id = id_number("20150301", "123");
    let body = json!({"school_id": school, "class_id": class, "file": file_json("单𠮷", &id)});
    let (status, created) = api.post("/api/v1/children", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let child = created["id"].as_i64().unwrap();
    assert_eq!(created["version"], 1);
    assert_eq!(created["visibility"], "masked");
    assert_no_secrets(&created.to_string(), &id, "create");

    let (status, seen) = api.get(&format!("/api/v1/children/{child}")).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["name"], "单𠮷");
    assert_eq!(seen["school_id"], school);
    assert_eq!(seen["class_id"], class);
    assert_eq!(seen["sex"], "male");
    assert_eq!(seen["lb_mca"], true);
    assert_eq!(seen["lb_xueji"], 2);
    assert_eq!(
        seen["file"]["id_number"],
        format!("520502********{}", &id[14..])
    );
    assert_eq!(seen["file"]["father"]["phone"], "138****5678");
    assert_eq!(seen["file"]["mother"]["phone"], "139****5678");
    assert_eq!(seen["file"]["address"], "贵州省毕节市****");
    assert!(
        seen["missing"]
            .as_array()
            .unwrap()
            .contains(&json!("missing.personality"))
    );
    assert_no_secrets(&seen.to_string(), &id, "get");
    assert!(
        audit_of(&app, "teacher1")
            .iter()
            .any(|(kind, target, _)| kind == "child.view" && *target == child.to_string())
    );

    let ids_of = |page: &Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect()
    };
    let (status, mca) = api.get("/api/v1/children?caliber=mca").await;
    assert_eq!(status, StatusCode::OK, "{mca}");
    assert_eq!(ids_of(&mca), [child]);
    assert_eq!(mca["next"], Value::Null);
    let (_, none) = api.get("/api/v1/children?caliber=none").await;
    assert!(ids_of(&none).is_empty(), "{none}");
    let (_, filtered) = api
        .get(&format!(
            "/api/v1/children?class_id={class}&care_arrangement=grandparents&rating=fair&schooling=in_school&key_child=false&q=shan"
        ))
        .await;
    assert_eq!(ids_of(&filtered), [child]);
    let (_, other) = api.get("/api/v1/children?rating=poor").await;
    assert!(ids_of(&other).is_empty());

    for bad in [
        "caliber=nearly",
        "rating=excellent",
        "tag=rich",
        "key_child=maybe",
        "limit=ten",
        "school_id=x",
        "colour=red",
    ] {
        let (status, body) = api.get(&format!("/api/v1/children?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(error_of(&body).error.code, "bad_request");
    }
    let (status, body) = api.get("/api/v1/children?after=nonsense").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(error_of(&body).error.fields.contains_key("after"));

    // File errors name their path inside `file`, with the domain's reason.
    let mut broken = file_json("张三", &id_number("20150302", "111"));
    broken["father"]["phone"] = json!("12345");
    let (status, body) = api
        .post(
            "/api/v1/children",
            &json!({"school_id": school, "class_id": class, "file": broken}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let error = error_of(&body).error;
    assert_eq!(error.code, "invalid");
    assert!(error.fields.contains_key("file.father.phone"), "{body}");
    let mut wrong_birth = file_json("张三", &id_number("20150302", "111"));
    wrong_birth["birth_date"] = json!("2015-03-03");
    let (status, body) = api
        .post(
            "/api/v1/children",
            &json!({"class_id": class, "file": wrong_birth}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        error_of(&body).error.fields.keys().collect::<Vec<_>>(),
        ["school_id"],
        "{body}"
    );
    let (status, body) = api
        .post(
            "/api/v1/children",
            &json!({"school_id": school, "class_id": class, "file": wrong_birth}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        error_of(&body).error.fields.contains_key("file.birth_date"),
        "{body}"
    );
    let (status, body) = api
        .post("/api/v1/children", &json!({"school_id": school}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(error_of(&body).error.fields.contains_key("file"), "{body}");
    let (_, all) = api.get("/api/v1/children").await;
    assert_eq!(ids_of(&all), [child], "refused files were not created");
}
both_dbs!(a_head_teacher_opens_a_left_behind_childs_file_and_finds_it_by_caliber);

async fn each_role_sees_what_it_may_and_reveals_are_audited(app: TestApp) {
    let teacher1 = app.api(&app.token("teacher1").await);
    let id = id_number("20160512", "246");
    let child = create_in_class(&teacher1, "王小明", &id).await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/children/{child}");

    let principal = app.api(&app.token("principal").await);
    let (status, seen) = principal.get(&path).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["visibility"], "masked");
    assert_eq!(
        seen["file"]["id_number"],
        format!("520502********{}", &id[14..])
    );
    assert_no_secrets(&seen.to_string(), &id, "principal");

    // Volunteers (no pairings yet) and a subject teacher without classes see nothing at all.
    for who in ["volunteer", "teacher2"] {
        let api = app.api(&app.token(who).await);
        let (status, body) = api.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{who}: {body}");
        assert_no_secrets(&body.to_string(), &id, who);
        let (status, list) = api.get("/api/v1/children").await;
        assert_eq!(status, StatusCode::OK, "{who}: {list}");
        assert_eq!(list["items"], json!([]), "{who}");
        let (status, body) = api
            .post(&format!("{path}/reveal"), &json!({"reason": "想看看"}))
            .await;
        assert!(
            status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
            "{who}: {status} {body}"
        );
        assert_no_secrets(&body.to_string(), &id, who);
        let (status, body) = api.get(&format!("{path}/revisions")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{who}: {body}");
        let (status, _, bytes) = api.get_bytes(&format!("{path}/card.pdf")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{who}");
        assert_no_secrets(&String::from_utf8_lossy(&bytes), &id, who);
        let (status, body) = api
            .patch(&path, &json!({"version": 1, "file": {"rating": "poor"}}))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{who}: {body}");
    }

    // A reveal needs a reason, and then shows the values in clear and logs why.
    for body in [json!({"reason": "  "}), json!({})] {
        let (status, refused) = teacher1.post(&format!("{path}/reveal"), &body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert!(error_of(&refused).error.fields.contains_key("reason"));
    }
    let (status, clear) = teacher1
        .post(
            &format!("{path}/reveal"),
            &json!({"reason": "办理营养餐补助"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{clear}");
    assert_eq!(clear["visibility"], "revealed");
    assert_eq!(clear["file"]["id_number"], id.as_str());
    assert_eq!(clear["file"]["father"]["phone"], "13812345678");
    assert_eq!(
        clear["file"]["address"],
        "贵州省毕节市七星关区梨树镇小屯沟村三组12号"
    );
    let log = audit_of(&app, "teacher1");
    assert!(
        log.contains(&(
            "child.reveal".to_owned(),
            child.to_string(),
            "办理营养餐补助".to_owned()
        )),
        "{log:?}"
    );
    let (status, clear) = principal
        .post(&format!("{path}/reveal"), &json!({"reason": "核对学籍"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{clear}");
    assert_eq!(clear["file"]["id_number"], id.as_str());
}
both_dbs!(each_role_sees_what_it_may_and_reveals_are_audited);

async fn saves_carry_their_version_and_bad_values_change_nothing(app: TestApp) {
    let teacher1 = app.api(&app.token("teacher1").await);
    let id = id_number("20140909", "135");
    let child = create_in_class(&teacher1, "李四", &id).await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/children/{child}");

    let (status, body) = teacher1
        .patch(&path, &json!({"file": {"rating": "poor"}}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let error = error_of(&body).error;
    assert_eq!(error.code, "invalid");
    assert!(error.fields.contains_key("version"), "{body}");

    // The masked values read back are sent back untouched and keep what they stand for.
    let (_, read) = teacher1.get(&path).await;
    let mut father = read["file"]["father"].clone();
    father["name"] = json!("李建国");
    let (status, saved) = teacher1
        .patch(
            &path,
            &json!({"version": 1, "file": {"rating": "poor", "father": father}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 2);
    assert_eq!(saved["rating"], "poor");
    assert_eq!(saved["file"]["father"]["name"], "李建国");

    let (status, body) = teacher1
        .patch(&path, &json!({"version": 1, "file": {"rating": "good"}}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let error = error_of(&body).error;
    assert_eq!(error.code, "conflict");
    let details = error.details.unwrap();
    assert_eq!(details["current_version"], 2);
    assert_eq!(details["your_version"], 1);

    let (_, before) = teacher1.get(&path).await;
    let (status, body) = teacher1
        .patch(
            &path,
            &json!({"version": 2, "file": {"father": {"phone": "12345"}}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        error_of(&body)
            .error
            .fields
            .contains_key("file.father.phone"),
        "{body}"
    );
    let (status, body) = teacher1
        .patch(&path, &json!({"version": 2, "file": "rating=good"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(error_of(&body).error.fields.contains_key("file"), "{body}");
    let (_, after) = teacher1.get(&path).await;
    assert_eq!(after, before, "refused saves change nothing");
    let (_, clear) = teacher1
        .post(&format!("{path}/reveal"), &json!({"reason": "核对电话"}))
        .await;
    assert_eq!(clear["file"]["father"]["phone"], "13812345678");

    // The principal takes the child out of the class, out of the head teacher's sight, and
    // puts them back by naming the class alone.
    let principal = app.api(&app.token("principal").await);
    let class = after["class_id"].as_i64().unwrap();
    let (status, moved) = principal
        .patch(&path, &json!({"version": 2, "class_id": null}))
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["class_id"], Value::Null);
    assert_eq!(moved["version"], 3);
    let (status, _) = teacher1.get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, back) = principal
        .patch(&path, &json!({"version": 3, "class_id": class}))
        .await;
    assert_eq!(status, StatusCode::OK, "{back}");
    assert_eq!(back["class_id"], class);
    assert_eq!(back["school_id"], after["school_id"]);
    let (status, body) = principal
        .patch(&path, &json!({"version": 4, "class_id": 999_999}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        error_of(&body).error.fields.contains_key("class_id"),
        "{body}"
    );
    let (status, _) = teacher1.get(&path).await;
    assert_eq!(status, StatusCode::OK);
}
both_dbs!(saves_carry_their_version_and_bad_values_change_nothing);

async fn a_duplicate_elsewhere_is_refused_without_a_trace_of_it(app: TestApp) {
    let teacher1 = app.api(&app.token("teacher1").await);
    let (own_school, class) = teacher1_class(&teacher1).await;
    let bureau = app.api(&app.token("bureau").await);
    let (_, schools) = bureau.get("/api/v1/schools").await;
    let other = schools["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] != own_school)
        .unwrap()
        .clone();
    let id = id_number("20130707", "357");
    let theirs = file_json("王芳", &id);
    let (status, existing) = bureau
        .post(
            "/api/v1/children",
            &json!({"school_id": other["id"], "file": theirs}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{existing}");
    let existing_id = existing["id"].as_i64().unwrap();

    let mut mine = file_json("王小芳", &id);
    mine["address"] = json!("梨树镇大坪村");
    let (status, body) = teacher1
        .post(
            "/api/v1/children",
            &json!({"school_id": own_school, "class_id": class, "file": mine}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let text = body.to_string();
    let error = error_of(&body).error;
    assert_eq!(error.code, "duplicate");
    assert!(error.details.is_none(), "{body}");
    for secret in [
        "王芳".to_owned(),
        other["name"].as_str().unwrap().to_owned(),
        existing_id.to_string(),
        "existing_id".to_owned(),
    ] {
        assert!(!text.contains(&secret), "{secret} leaked in {text}");
    }
    let (_, list) = teacher1.get("/api/v1/children").await;
    assert_eq!(list["items"], json!([]));

    // The bureau, who may open the other file, is told which one it is.
    let (status, body) = bureau
        .post(
            "/api/v1/children",
            &json!({"school_id": own_school, "file": file_json("王芳", &id)}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let error = error_of(&body).error;
    assert_eq!(error.code, "duplicate");
    assert_eq!(error.details.unwrap()["existing_id"], existing_id);
}
both_dbs!(a_duplicate_elsewhere_is_refused_without_a_trace_of_it);

async fn a_retried_create_with_the_same_idempotency_key_makes_one_file(app: TestApp) {
    let teacher1 = app.api(&app.token("teacher1").await);
    let (school, class) = teacher1_class(&teacher1).await;
    let body = json!({
        "school_id": school,
        "class_id": class,
        "file": file_json("赵六", &id_number("20150601", "321")),
    });
    let key = [("Idempotency-Key", "3f1c6a2e-retry-1")];
    let (status, first) = teacher1.post_with("/api/v1/children", &key, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, second) = teacher1.post_with("/api/v1/children", &key, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(first["id"], second["id"]);
    let (_, list) = teacher1.get("/api/v1/children?q=zhao").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    let (_, all) = teacher1.get("/api/v1/children").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1, "{all}");

    // Without the key the same file is a duplicate, not a second file.
    let (status, again) = teacher1.post("/api/v1/children", &body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");

    let long = "k".repeat(101);
    let (status, body) = teacher1
        .post_with(
            "/api/v1/children",
            &[("Idempotency-Key", long.as_str())],
            &body,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}
both_dbs!(a_retried_create_with_the_same_idempotency_key_makes_one_file);

/// The text `pdftotext` reads out of a PDF.
fn pdf_text(bytes: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!(
        "shouhu-cards-{}-{}",
        std::process::id(),
        rand::random::<u64>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let pdf = dir.join("cards.pdf");
    std::fs::write(&pdf, bytes).unwrap();
    let output = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&pdf)
        .arg("-")
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    let output = output.unwrap_or_else(|e| {
        panic!("pdftotext is needed to read the cards back ({e}); install poppler-utils")
    });
    assert!(
        output.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

async fn contact_cards_come_as_pdfs_with_every_name_readable(app: TestApp) {
    let teacher1 = app.api(&app.token("teacher1").await);
    let (_, class) = teacher1_class(&teacher1).await;
    let names = ["单𠮷", "阿依古丽·买买提", "张小明"];
    let mut ids = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let record = create_in_class(
            &teacher1,
            name,
            &id_number("20150301", &format!("{}", 101 + 2 * i)),
        )
        .await;
        ids.push(record["id"].as_i64().unwrap());
    }

    let (status, headers, bytes) = teacher1
        .get_bytes(&format!("/api/v1/classes/{class}/cards.pdf"))
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(headers["content-type"], "application/pdf");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("filename*=UTF-8''"),
        "{disposition}"
    );
    assert!(bytes.starts_with(b"%PDF"));
    let text = pdf_text(&bytes);
    for name in names {
        assert!(
            text.contains(name),
            "{name} is not in the cards' text:\n{text}"
        );
    }
    // A head teacher may reveal, so the phones are printed in full.
    assert!(text.contains("13812345678"), "{text}");

    let (status, headers, bytes) = teacher1
        .get_bytes(&format!("/api/v1/children/{}/card.pdf", ids[0]))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/pdf");
    let text = pdf_text(&bytes);
    assert!(text.contains("单𠮷"), "{text}");
    assert!(!text.contains("阿依古丽"), "one child's card only: {text}");

    let log = audit_of(&app, "teacher1");
    assert!(
        log.iter().any(|(kind, _, _)| kind == "child.cards"),
        "{log:?}"
    );
    assert!(
        log.iter().any(|(kind, _, _)| kind == "child.card"),
        "{log:?}"
    );

    // Outside the class: nothing printed.
    let teacher2 = app.api(&app.token("teacher2").await);
    let (status, _, _) = teacher2
        .get_bytes(&format!("/api/v1/classes/{class}/cards.pdf"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
both_dbs!(contact_cards_come_as_pdfs_with_every_name_readable);

async fn every_save_leaves_a_revision_and_two_versions_compare(app: TestApp) {
    let teacher1 = app.api(&app.token("teacher1").await);
    let id = id_number("20150808", "579");
    let child = create_in_class(&teacher1, "张三", &id).await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/children/{child}");
    let (status, saved) = teacher1
        .patch(
            &path,
            &json!({"version": 1, "file": {"name": "张小三", "father": {"phone": "13700001111"}}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");

    let (status, history) = teacher1.get(&format!("{path}/revisions")).await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let items = history["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{history}");
    assert_eq!(
        (items[0]["version"].as_i64(), items[1]["version"].as_i64()),
        (Some(2), Some(1)),
        "newest first"
    );
    assert_eq!(items[0]["changes"]["name"], json!(["张三", "张小三"]));
    assert_eq!(
        items[0]["changes"]["father.phone"],
        json!(["138****5678", "137****1111"])
    );
    assert!(items[0]["at"].as_str().unwrap().ends_with('Z'));
    assert!(!items[0]["actor_name"].as_str().unwrap().is_empty());
    let text = history.to_string();
    assert!(!text.contains("13700001111") && !text.contains(&id[6..14]));

    let (status, compared) = teacher1.get(&format!("{path}/revisions?from=1&to=2")).await;
    assert_eq!(status, StatusCode::OK, "{compared}");
    assert_eq!(compared["changes"]["name"], json!(["张三", "张小三"]));
    assert_eq!(
        compared["changes"].as_object().unwrap().len(),
        2,
        "{compared}"
    );

    for (query, field) in [("from=1", "to"), ("to=2", "from"), ("from=1&to=9", "to")] {
        let (status, body) = teacher1.get(&format!("{path}/revisions?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert!(
            error_of(&body).error.fields.contains_key(field),
            "{query}: {body}"
        );
    }
    let (status, _) = teacher1.get(&format!("{path}/revisions?from=one")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
both_dbs!(every_save_leaves_a_revision_and_two_versions_compare);

async fn the_openapi_document_describes_child_files(app: TestApp) {
    let response = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let doc: Value = response.json().await.unwrap();
    let paths = doc["paths"].as_object().unwrap();
    let methods = |path: &str| -> Vec<String> {
        paths
            .get(path)
            .unwrap_or_else(|| panic!("{path} is documented"))
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(methods("/api/v1/children"), ["get", "post"]);
    assert_eq!(methods("/api/v1/children/{id}"), ["get", "patch"]);
    assert_eq!(methods("/api/v1/children/{id}/reveal"), ["post"]);
    assert_eq!(methods("/api/v1/children/{id}/revisions"), ["get"]);
    assert_eq!(methods("/api/v1/children/{id}/card.pdf"), ["get"]);
    assert_eq!(methods("/api/v1/classes/{id}/cards.pdf"), ["get"]);
    let list = &paths["/api/v1/children"]["get"];
    let params: Vec<&str> = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for name in [
        "school_id",
        "class_id",
        "caliber",
        "care_arrangement",
        "rating",
        "tag",
    ] {
        assert!(params.contains(&name), "{name} in {params:?}");
    }
    for name in ["schooling", "key_child", "q", "after", "limit"] {
        assert!(params.contains(&name), "{name} in {params:?}");
    }
    let card = &paths["/api/v1/children/{id}/card.pdf"]["get"]["responses"]["200"]["content"];
    assert!(card.get("application/pdf").is_some(), "{card}");
    assert_eq!(
        doc["components"]["schemas"]["Pdf"],
        json!({"type": "string", "format": "binary", "description": "A PDF document."})
    );
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for schema in [
        "ChildFile",
        "ChildRecord",
        "NewChild",
        "ChildPatch",
        "Revisions",
    ] {
        assert!(schemas.contains_key(schema), "{schema} in the components");
    }
}
both_dbs!(the_openapi_document_describes_child_files);
