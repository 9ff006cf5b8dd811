//! The child file in a real browser: a head teacher on a phone-sized headless Chromium signs in,
//! opens a file for a child whose parents both work away, sees it masked on the file page and
//! downloads the contact card, read back with the real `pdftotext`.
#![allow(clippy::unwrap_used)]

mod browser;
mod common;

use std::path::Path;

use browser::Browser;
use common::{DEMO_PASSWORD, Db, TestApp};
use shouhu_domain::check_char;

const NAME: &str = "单𠮷";
const FATHER: &str = "单建国";
const MOTHER: &str = "李秀英";
const GRANDFATHER: &str = "单大山";

/// An ID number of 贵州省毕节市七星关区 for a boy born on 2015-03-01 (odd 17th digit).
fn id_number() -> String {
    let first17 = "52050220150301123";
    format!("{first17}{}", check_char(first17.as_bytes()))
}

/// The text `pdftotext` reads out of a PDF file.
fn pdf_text(path: &Path) -> String {
    let output = std::process::Command::new("pdftotext")
        .arg(path)
        .arg("-")
        .output()
        .unwrap_or_else(|e| {
            panic!("pdftotext is needed to read the card back ({e}); install poppler-utils")
        });
    assert!(
        output.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 text")
}

/// Saves a full-page screenshot in the test's scratch space and a copy at `copy`.
async fn screenshot(b: &Browser, name: &str, copy: &str) {
    let path = b.scratch.join(name);
    b.screenshot(&path).await;
    std::fs::copy(&path, copy).expect("copy screenshot");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_teacher_files_a_child_with_both_parents_away_on_a_phone_and_downloads_the_card() {
    let app = TestApp::spawn(Db::Sqlite).await.expect("sqlite app");
    let Some(b) = Browser::start(&app.address).await else {
        return;
    };
    let id = id_number();

    // 1. Sign in as the head teacher; the login page sends her home.
    b.goto("/login").await;
    let lang = b.js("return document.documentElement.lang;").await;
    assert_eq!(lang, "zh-CN", "the browser asks for Chinese");
    b.type_into("#username", "teacher1").await;
    b.type_into("#password", DEMO_PASSWORD).await;
    b.find("form[action='/login'] button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    b.wait_for_path("the home page", |p| p == "/").await;
    let home = b.text().await;
    assert!(home.contains("龙老师（班主任）"), "signed in:\n{home}");

    // 2. To the file list through the menu, then 新建档案.
    b.click_link("儿童档案").await;
    b.wait_for_path("the file list", |p| p == "/children").await;
    assert!(
        b.text().await.contains("没有符合条件的儿童"),
        "the demo county starts without files"
    );
    b.click_link("新建档案").await;
    b.wait_for_path("the new-file form", |p| p == "/children/new")
        .await;

    // 3. Fill the form as a teacher would, section by section, with the keyboard and taps.
    let class = b.choose_first("#class_id").await;
    b.open_section("基本信息").await;
    b.type_into("#f-name", NAME).await;
    assert_eq!(b.value("#f-name").await, NAME, "the name survives typing");
    b.choose("#f-sex", "男").await;
    b.type_date("#f-birth_date", "2015-03-01").await;
    b.type_into("#f-id_number", &id).await;
    b.choose("#f-residence_region", "小屯沟村").await;
    b.type_into("#f-address", "贵州省毕节市七星关区梨树镇小屯沟村三组12号")
        .await;

    b.open_section("父亲").await;
    b.type_into("#f-father-name", FATHER).await;
    b.type_into("#f-father-phone", "13812345678").await;
    b.tick("#f-father-away").await;
    b.type_date("#f-father-away-since", "2024-02-20").await;
    b.choose("#f-father-away-province", "广东省").await;
    b.type_into("#f-father-away-city", "东莞市").await;

    b.open_section("母亲").await;
    b.type_into("#f-mother-name", MOTHER).await;
    b.type_into("#f-mother-phone", "13912345678").await;
    b.tick("#f-mother-away").await;
    b.type_date("#f-mother-away-since", "2024-02-20").await;
    b.choose("#f-mother-away-province", "浙江省").await;
    b.type_into("#f-mother-away-city", "宁波市").await;

    b.open_section("监护人/照料人").await;
    b.type_into("#f-guardians-0-name", GRANDFATHER).await;
    b.type_into("#f-guardians-0-relation", "祖父").await;
    b.type_into("#f-guardians-0-phone", "13700001234").await;
    b.tick("#f-guardians-0-is_carer").await;

    b.open_section("监护与家庭").await;
    b.choose("#f-care_arrangement", "祖辈监护").await;
    b.choose("#f-rating", "一般").await;

    let overflow = b.horizontal_overflow().await;
    screenshot(&b, "form.png", "/tmp/shouhu-browser-form.png").await;
    assert!(
        overflow <= 0,
        "the filled form is {overflow}px wider than a phone"
    );

    b.find("form[action='/children'] button[type=submit]")
        .await
        .click()
        .await
        .unwrap();

    // 4. The new file, masked for a head teacher.
    let path = b
        .wait_for_path("the new file", |p| {
            p.starts_with("/children/") && p.ends_with("?done=created")
        })
        .await;
    let child: i64 = path["/children/".len()..path.len() - "?done=created".len()]
        .parse()
        .unwrap_or_else(|_| panic!("a file's path: {path}"));
    let heading = b.find("main h1").await.text().await.unwrap();
    assert_eq!(heading, NAME);
    let page = b.text().await;
    for shown in [
        format!("520502********{}", &id[14..]),
        "138****5678".to_owned(),
        "139****5678".to_owned(),
        "民政口径留守".to_owned(),
        "学籍双亲留守".to_owned(),
        "统计口径留守".to_owned(),
        "祖辈监护".to_owned(),
        FATHER.to_owned(),
        MOTHER.to_owned(),
        GRANDFATHER.to_owned(),
        class.clone(),
        "广东".to_owned(),
        "浙江".to_owned(),
    ] {
        assert!(page.contains(&shown), "the file shows {shown}:\n{page}");
    }
    for hidden in [id.as_str(), "13812345678", "13912345678", "13700001234"] {
        assert!(!page.contains(hidden), "the file hides {hidden}:\n{page}");
    }
    let overflow = b.horizontal_overflow().await;
    screenshot(&b, "file.png", "/tmp/shouhu-browser-file.png").await;

    // 5. The contact card, downloaded through its link as a tap would.
    b.click_link("下载联系卡（PDF）").await;
    let pdf = b.downloaded().await;
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF"), "{} is a PDF", pdf.display());
    let text = pdf_text(&pdf);
    for name in [NAME, FATHER, MOTHER] {
        assert!(text.contains(name), "the card names {name}:\n{text}");
    }
    assert!(
        b.path().await.starts_with(&format!("/children/{child}")),
        "downloading leaves the file page in place"
    );

    // At a phone's width nothing on the file page should need sideways scrolling.
    assert!(
        overflow <= 0,
        "the file page is {overflow}px wider than a phone"
    );

    // Back through the breadcrumb, the list now holds the file.
    b.find("main .crumbs a[href='/children']")
        .await
        .click()
        .await
        .unwrap();
    b.wait_for_path("the file list", |p| p == "/children").await;
    let listed = b
        .find(&format!("main table a[href='/children/{child}']"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(listed, NAME, "the list links the new file");
}
