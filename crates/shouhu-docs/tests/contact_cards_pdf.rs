//! Contact-card PDFs read back with poppler's `pdftotext` and `pdfinfo`, as a person
//! copying a name out of the PDF would.
//!
//! The names include characters the embedded fonts cover only through rare blocks:
//! 𠮷 (U+20BB7, Ext B, in Noto Sans CJK), 𪚥 (U+2A6A5, Ext B, only in the HanaMinA
//! fallback), 䶮 (U+4DAE, Ext A), 龘 and 禤, and the Uyghur-style middle dot in 阿依古丽·买买提.
//! These tests need poppler-utils installed and fail if it is missing.
// Clippy's in-test allowance misses the helpers, where a panic is the failure report too.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use shouhu_docs::{CardPerson, CardSheet, ContactCard, DocsError, contact_cards_pdf};

const RARE_NAMES: [&str; 7] = [
    "单𠮷",
    "阿依古丽·买买提",
    "禤晓燕",
    "王龘",
    "李𪚥",
    "刘䶮",
    "买买提·艾力江",
];
const SURNAMES: [&str; 8] = ["张", "王", "杨", "龙", "吴", "罗", "陈", "安"];
const GIVEN: [&str; 7] = ["子涵", "雨桐", "浩然", "思琪", "俊杰", "欣怡", "明"];

fn person(relation: &str, name: &str, phone: &str, work_place: &str) -> CardPerson {
    CardPerson {
        relation: relation.into(),
        name: name.into(),
        phone: phone.into(),
        work_place: work_place.into(),
    }
}

/// The i-th card of a class: the rare names first, then ordinary ones, every phone unique.
fn card(i: usize) -> ContactCard {
    let name = match RARE_NAMES.get(i) {
        Some(rare) => rare.to_string(),
        None => format!(
            "{}{}",
            SURNAMES[i % SURNAMES.len()],
            GIVEN[(i / SURNAMES.len()) % GIVEN.len()]
        ),
    };
    let family = name.chars().next().map(String::from).unwrap_or_default();
    ContactCard {
        child_name: name,
        sex: if i.is_multiple_of(2) { "男" } else { "女" }.into(),
        birth_date: format!("2015-{:02}-{:02}", i % 12 + 1, i % 28 + 1),
        school: "七星关区第一小学".into(),
        class: "三年级(2)班".into(),
        address: if i.is_multiple_of(5) {
            String::new()
        } else {
            format!("贵州省毕节市七星关区小坝镇 {i} 组")
        },
        parents: vec![
            person(
                "父亲",
                &format!("{family}建国{i}"),
                &format!("138{i:08}"),
                "广东省东莞市长安镇 某电子厂",
            ),
            person(
                "母亲",
                &format!("杨秀英{i}"),
                &format!("139{i:08}"),
                "浙江省宁波市",
            ),
        ],
        guardian: Some(person(
            "祖母",
            &format!("{family}奶奶{i}"),
            &format!("0857-{:07}", 8_200_000 + i),
            "",
        )),
        head_teacher: Some(person(
            "班主任",
            "禤老师",
            "13700000001",
            "七星关区第一小学",
        )),
        school_hotline: "0857-8221234".into(),
        other_contacts: if i.is_multiple_of(3) {
            vec![person("儿童主任", "赵红梅", "15100000002", "小坝镇星光村")]
        } else {
            vec![]
        },
    }
}

fn sheet() -> CardSheet {
    CardSheet {
        title: "留守儿童联系卡".into(),
        footer: "七星关区第一小学 · 2026-12-02 打印".into(),
    }
}

fn run(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run `{tool}` ({e}): install poppler-utils (apt-get install poppler-utils)")
    });
    assert!(
        out.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("poppler prints UTF-8")
}

fn write(dir: &Path, name: &str, pdf: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, pdf).unwrap();
    // Set SHOUHU_DOCS_KEEP to a folder to look at the PDFs afterwards.
    if let Some(keep) = std::env::var_os("SHOUHU_DOCS_KEEP") {
        std::fs::write(Path::new(&keep).join(name), pdf).unwrap();
    }
    path.to_str().unwrap().to_string()
}

fn pages(path: &str) -> usize {
    let info = run("pdfinfo", &[path]);
    let line = info
        .lines()
        .find(|l| l.starts_with("Pages:"))
        .expect("pdfinfo prints Pages:");
    line["Pages:".len()..].trim().parse().unwrap()
}

/// Every name and phone of every card must come back from the PDF's text exactly.
fn assert_text_has_all(text: &str, cards: &[ContactCard]) {
    for card in cards {
        let people = card
            .parents
            .iter()
            .chain(&card.guardian)
            .chain(&card.head_teacher)
            .chain(&card.other_contacts);
        assert!(
            text.contains(&card.child_name),
            "child {} missing from:\n{text}",
            card.child_name
        );
        for p in people {
            assert!(text.contains(&p.name), "{} missing", p.name);
            assert!(text.contains(&p.phone), "{} missing", p.phone);
        }
    }
}

#[test]
fn one_card_is_one_page_and_gives_its_names_back() {
    let dir = tempfile::tempdir().unwrap();
    let cards = [card(0)];
    let path = write(
        dir.path(),
        "one-card.pdf",
        &contact_cards_pdf(&sheet(), &cards).unwrap(),
    );
    assert_eq!(pages(&path), 1);
    let text = run("pdftotext", &[&path, "-"]);
    assert_text_has_all(&text, &cards);
    for expected in [
        "单𠮷",
        "留守儿童联系卡",
        "0857-8221234",
        "七星关区第一小学 · 2026-12-02 打印",
        "祖母",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
}

#[test]
fn a_class_of_fifty_fills_nine_pages_and_stays_small() {
    let dir = tempfile::tempdir().unwrap();
    let cards: Vec<ContactCard> = (0..50).map(card).collect();
    let pdf = contact_cards_pdf(&sheet(), &cards).unwrap();
    assert!(
        pdf.len() < 2_000_000,
        "50 cards took {} bytes: are the fonts subset?",
        pdf.len()
    );
    let path = write(dir.path(), "fifty-cards.pdf", &pdf);
    assert_eq!(pages(&path), 9, "six cards a page");
    let text = run("pdftotext", &[&path, "-"]);
    assert_text_has_all(&text, &cards);
    for rare in RARE_NAMES {
        assert_eq!(
            text.matches(rare).count(),
            1,
            "{rare} should be printed once"
        );
    }
}

#[test]
fn crowded_card_keeps_its_names_readable() {
    let dir = tempfile::tempdir().unwrap();
    let mut crowded = card(1);
    crowded.address = "贵州省毕节市七星关区".repeat(12);
    crowded.other_contacts = (0..3)
        .map(|i| {
            person(
                "儿童主任",
                &format!("赵红梅{i}"),
                &format!("1510000000{i}"),
                &"很长的单位名称".repeat(6),
            )
        })
        .collect();
    let path = write(
        dir.path(),
        "crowded.pdf",
        &contact_cards_pdf(&sheet(), &[crowded.clone()]).unwrap(),
    );
    let text = run("pdftotext", &[&path, "-"]);
    assert_text_has_all(&text, &[crowded]);
}

#[test]
fn no_cards_is_an_error_not_an_empty_pdf() {
    assert!(matches!(
        contact_cards_pdf(&sheet(), &[]),
        Err(DocsError::NoCards)
    ));
}
