//! The child file pages over HTTP on both databases: a head teacher opens a file through the form,
//! errors come back beside their fields with what was typed, the file is masked and every opening
//! logged, a stale edit shows what changed, a form sent twice opens one file, and the contact card
//! prints.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Browser, TestApp};
use reqwest::StatusCode;
use shouhu_domain::check_char;
use shouhu_store::Scope;
use shouhu_store::classes;
use shouhu_store::schools::{self, SchoolFilter};

const LISHU_SCHOOL: &str = "梨树镇九年一贯制学校";

fn id_number(birth: &str, seq: &str) -> String {
    let first17 = format!("520502{birth}{seq}");
    format!("{first17}{}", check_char(first17.as_bytes()))
}

/// The class teacher1 heads.
fn own_class(app: &TestApp) -> i64 {
    let teacher = app.user_id("teacher1");
    let school = app
        .store
        .with_conn(|c| schools::list(c, &Scope::local_operator(), &SchoolFilter::default()))
        .expect("schools")
        .into_iter()
        .find(|s| s.name == LISHU_SCHOOL)
        .expect("school");
    app.store
        .with_conn(|c| classes::list(c, &Scope::local_operator(), school.id))
        .expect("classes")
        .into_iter()
        .find(|c| c.head_teachers.iter().any(|h| h.user_id == teacher))
        .expect("teacher1 heads a class")
        .class
        .id
}

/// The errors a refused form shows, for failure messages.
async fn errors_of(r: reqwest::Response) -> String {
    let html = r.text().await.unwrap_or_default();
    html.split("role=\"alert\">")
        .skip(1)
        .filter_map(|p| p.split('<').next())
        .collect::<Vec<_>>()
        .join(" | ")
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// The hidden one-time key of the new-child form.
fn submit_key(html: &str) -> String {
    let marker = "name=\"submit_key\" value=\"";
    let start = html.find(marker).expect("submit_key field") + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn form(class: &str, name: &str, id: &str) -> Vec<(String, String)> {
    let birth = format!("{}-{}-{}", &id[6..10], &id[10..12], &id[12..14]);
    let sex = if (id.as_bytes()[16] - b'0') % 2 == 1 {
        "male"
    } else {
        "female"
    };
    [
        ("class_id", class),
        ("name", name),
        ("sex", sex),
        ("ethnicity", "miao"),
        ("birth_date", &birth),
        ("id_doc_type", "resident_id_card"),
        ("id_number", id),
        ("hukou_type", "agricultural"),
        ("residence_region", "520502101205"),
        ("address", "梨树镇小屯沟村三组12号"),
        ("schooling", "in_school"),
        ("health.kind", "healthy"),
        ("father.name", "单建国"),
        ("father.phone", "138 1234 5678"),
        ("father.away", "on"),
        ("father.away.since", "2024-02-20"),
        ("father.away.province", "44"),
        ("father.away.city", "东莞市"),
        ("mother.name", "李秀英"),
        ("mother.phone", "13912345678"),
        ("mother.away", "on"),
        ("mother.away.since", "2025-03-01"),
        ("mother.away.province", "33"),
        ("guardians.0.name", "单大山"),
        ("guardians.0.relation", "祖父"),
        ("guardians.0.phone", "0857-8221234"),
        ("guardians.0.is_carer", "on"),
        ("care_arrangement", "grandparents"),
        ("rating", "fair"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

async fn post(
    b: &Browser,
    path: &str,
    csrf: &str,
    fields: &[(String, String)],
) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    b.post_form(path, csrf, &pairs).await
}

async fn create(b: &Browser, fields: &[(String, String)]) -> (reqwest::Response, String) {
    let (_, html) = b.get_text("/children/new").await;
    let csrf = common::form_token(&html).expect("csrf");
    let mut fields = fields.to_vec();
    fields.push(("submit_key".to_owned(), submit_key(&html)));
    (post(b, "/children", &csrf, &fields).await, csrf)
}

async fn a_head_teacher_opens_a_file_and_reads_it_masked(app: TestApp) {
    let b = app.login("teacher1").await;
    let class = own_class(&app).to_string();
    let id = id_number("20150301", "123");
    let (r, _) = create(&b, &form(&class, "单𠮷", &id)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", errors_of(r).await);
    let at = location(&r);
    assert!(
        at.starts_with("/children/") && at.ends_with("?done=created"),
        "{at}"
    );

    let (status, html) = b.get_text(&at).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("单𠮷"));
    assert!(html.contains(&format!("520502********{}", &id[14..])));
    assert!(html.contains("138****5678") && !html.contains("13812345678"));
    assert!(
        !html.contains(&id[6..14]),
        "no birth digits of the ID on the page"
    );
    assert!(html.contains("民政口径留守") && html.contains("学籍双亲留守"));

    let (_, list) = b.get_text("/children?q=shan").await;
    assert!(list.contains("单𠮷"));
    let (_, none) = b.get_text("/children?q=zhang").await;
    assert!(!none.contains("单𠮷"));

    // Reveal: a reason is required; then the page shows the number and the log has the reason.
    let child = at
        .trim_start_matches("/children/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let csrf = b.csrf(&format!("/children/{child}")).await;
    let r = b
        .post_form(
            &format!("/children/{child}/reveal"),
            &csrf,
            &[("reason", "")],
        )
        .await;
    let html = r.text().await.unwrap();
    assert!(html.contains("查看完整信息须填写原因") && !html.contains(&id));
    let r = b
        .post_form(
            &format!("/children/{child}/reveal"),
            &csrf,
            &[("reason", "办理资助")],
        )
        .await;
    let html = r.text().await.unwrap();
    assert!(html.contains(&id) && html.contains("13812345678"));
    let admin = app.login("admin").await;
    let (_, log) = admin.get_text("/admin/audit?user=teacher1").await;
    assert!(
        log.contains("child.view") && log.contains("child.reveal"),
        "{log}"
    );
    assert!(!log.contains(&id[6..14]));

    // A subject teacher with no class cannot open it; the volunteer neither.
    for who in ["teacher2", "volunteer"] {
        let other = app.login(who).await;
        let (status, _) = other.get_text(&format!("/children/{child}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{who}");
    }

    // The card as a page and as a PDF.
    let (status, card) = b.get_text(&format!("/children/{child}/card")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(card.contains("单建国") && card.contains("广东省"));
    let pdf = b.get(&format!("/children/{child}/card.pdf")).await;
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(
        pdf.headers().get("content-type").unwrap(),
        "application/pdf"
    );
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));
}
both_dbs!(a_head_teacher_opens_a_file_and_reads_it_masked);

async fn bad_input_comes_back_beside_its_field_with_what_was_typed(app: TestApp) {
    let b = app.login("teacher1").await;
    let class = own_class(&app).to_string();
    let id = id_number("20150301", "123");
    let mut fields = form(&class, "龙小雨", &id);
    for (k, v) in fields.iter_mut() {
        if k == "mother.phone" {
            *v = "12345".to_owned();
        }
    }
    let (r, _) = create(&b, &fields).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("value=\"龙小雨\""), "typed name kept");
    assert!(html.contains("value=\"12345\""), "typed phone kept");
    assert!(html.contains("class=\"field-error\""));

    // The ID number disagreeing with the birth date.
    let mut fields = form(&class, "龙小雨", &id);
    for (k, v) in fields.iter_mut() {
        if k == "birth_date" {
            *v = "2015-03-02".to_owned();
        }
    }
    let (r, _) = create(&b, &fields).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("出生日期与身份证号不一致"));
    let (_, list) = b.get_text("/children").await;
    assert!(!list.contains("龙小雨"), "nothing stored");
}
both_dbs!(bad_input_comes_back_beside_its_field_with_what_was_typed);

async fn a_form_sent_twice_opens_one_file_and_a_stale_edit_shows_the_change(app: TestApp) {
    let b = app.login("teacher1").await;
    let class = own_class(&app).to_string();
    let id = id_number("20160512", "246");
    let fields = form(&class, "王小明", &id);
    let (_, html) = b.get_text("/children/new").await;
    let csrf = common::form_token(&html).unwrap();
    let mut with_key = fields.clone();
    with_key.push(("submit_key".to_owned(), submit_key(&html)));
    let first = post(&b, "/children", &csrf, &with_key).await;
    let second = post(&b, "/children", &csrf, &with_key).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&first), location(&second), "the same file twice");
    let child = location(&first)
        .trim_start_matches("/children/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();

    // Two edit forms read at version 1; the first save wins, the second sees what changed.
    let edit = format!("/children/{child}/edit");
    let (_, form_html) = b.get_text(&edit).await;
    assert!(
        form_html.contains("138****5678"),
        "phones stay masked in the form"
    );
    let mut saved = fields.clone();
    saved.retain(|(k, _)| k != "father.phone" && k != "id_number");
    saved.push(("father.phone".to_owned(), "138****5678".to_owned()));
    saved.push((
        "id_number".to_owned(),
        format!("520502********{}", &id[14..]),
    ));
    saved.push(("health.kind".to_owned(), "****".to_owned()));
    saved.retain(|(k, v)| !(k == "health.kind" && v == "healthy"));
    let mut renamed = saved.clone();
    for (k, v) in renamed.iter_mut() {
        if k == "name" {
            *v = "王晓明".to_owned();
        }
    }
    renamed.push(("version".to_owned(), "1".to_owned()));
    let r = post(&b, &format!("/children/{child}"), &csrf, &renamed).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let mut stale = saved.clone();
    for (k, v) in stale.iter_mut() {
        if k == "rating" {
            *v = "poor".to_owned();
        }
    }
    stale.push(("version".to_owned(), "1".to_owned()));
    let r = post(&b, &format!("/children/{child}"), &csrf, &stale).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("王小明") && html.contains("王晓明"),
        "shows the change"
    );
    assert!(html.contains("name=\"version\" value=\"2\""));

    // The masked values sent back kept the stored ones.
    let (_, page) = b.get_text(&format!("/children/{child}")).await;
    assert!(page.contains("王晓明") && page.contains("138****5678"));
    let csrf = b.csrf(&format!("/children/{child}")).await;
    let r = b
        .post_form(
            &format!("/children/{child}/reveal"),
            &csrf,
            &[("reason", "核对")],
        )
        .await;
    let html = r.text().await.unwrap();
    assert!(html.contains("13812345678") && html.contains(&id));
    let (_, history) = b
        .get_text(&format!("/children/{child}/history?from=1&to=2"))
        .await;
    assert!(history.contains("王小明") && history.contains("王晓明"));
}
both_dbs!(a_form_sent_twice_opens_one_file_and_a_stale_edit_shows_the_change);

async fn a_principal_promotes_a_class_and_transfers_a_child_the_bureau_accepts(app: TestApp) {
    let teacher = app.login("teacher1").await;
    let class = own_class(&app);
    let id = id_number("20180301", "101");
    let (r, _) = create(&teacher, &form(&class.to_string(), "张三", &id)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", errors_of(r).await);
    let child = location(&r)
        .trim_start_matches("/children/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();

    let principal = app.login("principal").await;
    let (status, html) = principal
        .get_text(&format!("/classes/{class}/promote"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<strong>1</strong>"), "one child on roll");
    let csrf = common::form_token(&html).unwrap();
    let r = principal
        .post_form(
            &format!("/classes/{class}/promote"),
            &csrf,
            &[("name", "二年级（9）班")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).ends_with("?done=promoted"));
    let (_, file) = principal.get_text(&format!("/children/{child}")).await;
    assert!(file.contains("二年级（9）班"));

    // Transfer to another school by its code; the bureau accepts for it.
    let other = app
        .store
        .with_conn(|c| schools::list(c, &Scope::local_operator(), &SchoolFilter::default()))
        .unwrap()
        .into_iter()
        .find(|s| s.name != LISHU_SCHOOL)
        .unwrap();
    let r = principal
        .post_form(
            &format!("/children/{child}/transfer"),
            &csrf,
            &[("school_code", "0000000000"), ("reason", "随父母迁居")],
        )
        .await;
    assert!(location(&r).contains("error=child.transfer_school"));
    let (_, page) = principal.get_text(&location(&r)).await;
    assert!(page.contains("没有这个学校标识码"));
    let r = principal
        .post_form(
            &format!("/children/{child}/transfer"),
            &csrf,
            &[("school_code", &other.code), ("reason", "随父母迁居")],
        )
        .await;
    assert!(location(&r).ends_with("?done=transfer_requested"));
    let bureau = app.login("bureau").await;
    let (_, list) = bureau.get_text("/transfers").await;
    assert!(list.contains("张三") && list.contains("随父母迁居"));
    let transfer = list
        .split("action=\"/transfers/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let csrf = common::form_token(&list).unwrap();
    let r = bureau
        .post_form(
            &format!("/transfers/{transfer}"),
            &csrf,
            &[("decision", "accept")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, _) = principal.get_text(&format!("/children/{child}")).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the child has left the school"
    );
    let (_, file) = bureau.get_text(&format!("/children/{child}")).await;
    assert!(file.contains(&other.name));
}
both_dbs!(a_principal_promotes_a_class_and_transfers_a_child_the_bureau_accepts);
