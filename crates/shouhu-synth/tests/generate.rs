//! The generator as its users see it: reproducible, valid, and in proportions that look like
//! a 毕节 county.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;

use chrono::NaiveDate;
use shouhu_domain::{
    CareArrangement, ChildFile, GuardianshipRating, HardshipTag, HealthKind, HukouType, LeftBehind,
    PhoneKind, RegionCode, SchoolingStatus, Sex, XuejiLeftBehind, age_on,
};
use shouhu_synth::{Generator, Setting};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
}

/// The demo county's four real villages, a township-seat 居委会 and a few more 村委会.
fn setting() -> Setting {
    let codes = [
        "520502101205",
        "520502101206",
        "520502102200",
        "520502102203",
        "520502001003",
        "520502103201",
        "520502200204",
        "520502201210",
    ];
    Setting {
        villages: codes.map(|c| RegionCode::parse(c).unwrap()).to_vec(),
        today: today(),
    }
}

fn children(seed: u64, n: usize) -> Vec<ChildFile> {
    let mut g = Generator::new(seed, setting());
    (0..n).map(|_| g.child()).collect()
}

#[test]
fn the_same_seed_gives_the_same_children() {
    let a = children(42, 300);
    assert_eq!(a, children(42, 300));
    let other = children(43, 300);
    assert_ne!(a, other);
    let mut g = Generator::new(42, setting());
    let firsts: Vec<_> = (0..300).map(|_| g.child()).collect();
    assert_eq!(firsts, a);
}

#[test]
fn twenty_thousand_children_are_valid_and_never_share_a_number() {
    let setting = setting();
    let files = children(2026, 20_000);
    let mut ids = HashSet::new();
    for f in &files {
        f.check().unwrap_or_else(|e| panic!("{}: {e}", f.name));
        assert!(
            (6..=15).contains(&age_on(f.birth_date, today())),
            "{}",
            f.birth_date
        );
        assert!(setting.villages.contains(&f.residence_region));
        assert_eq!(f.hukou_region.as_ref(), Some(&f.residence_region));
        let county = &f.residence_region.as_str()[..6];
        let id = f.id_number.as_ref().expect("every child has a number");
        assert_eq!(id.region_prefix(), county);
        assert!(ids.insert(id.as_str().to_owned()), "{id} twice");
        if let Some(x) = &f.xueji_no {
            assert_eq!(x.as_str(), format!("G{id}"));
        }
        for p in f.father.iter().chain(f.mother.iter()) {
            if let Some(id) = &p.id_number {
                assert_eq!(id.region_prefix(), county);
                assert!(ids.insert(id.as_str().to_owned()), "{id} twice");
                assert_eq!(Some(id.birth_date()), p.birth_date);
            }
            let birth = p.birth_date.unwrap();
            let gap = age_on(birth, f.birth_date);
            assert!((22..=40).contains(&gap), "parent {gap} at birth");
            if let Some(phone) = &p.phone {
                assert_eq!(phone.kind(), PhoneKind::Mobile);
            }
            if let Some(w) = &p.away {
                let since = w.since.unwrap_or(today());
                assert!(since <= today() && since >= today() - chrono::Months::new(96));
                if let (Some(province), Some(region)) = (w.province, &w.region) {
                    assert!(province.contains(region));
                }
            }
        }
        let father = f.father.as_ref().and_then(|p| p.id_number.as_ref());
        let mother = f.mother.as_ref().and_then(|p| p.id_number.as_ref());
        assert_eq!(father.map(|id| id.sex()).unwrap_or(Sex::Male), Sex::Male);
        assert_eq!(
            mother.map(|id| id.sex()).unwrap_or(Sex::Female),
            Sex::Female
        );
        if let Some(e) = &f.entrustment {
            if let Some(id) = &e.id_number {
                assert!(ids.insert(id.as_str().to_owned()), "{id} twice");
            }
            assert!(e.school_told_on.is_none_or(|d| d <= today()));
        }
        for g in &f.guardians {
            let year = g.birth_year.unwrap();
            assert!((1945..=2010).contains(&year), "{year}");
        }
        let carers = f.guardians.iter().filter(|g| g.is_carer).count();
        assert!(carers <= 1);
        for h in &f.hardships {
            assert!(h.start() >= f.birth_date && h.start() <= today());
        }
        // The file travels as JSON and is re-checked on the way in.
        let json = serde_json::to_string(f).unwrap();
        let back: ChildFile = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, f);
    }
}

/// Shares in per mille, with the bounds they must fall in.
fn share(files: &[ChildFile], pred: impl Fn(&ChildFile) -> bool) -> usize {
    files.iter().filter(|f| pred(f)).count() * 1000 / files.len()
}

#[test]
fn proportions_look_like_a_county() {
    let files = children(7, 20_000);
    let lb = |f: &ChildFile| LeftBehind::of(&f.facts(true), today());
    let checks: Vec<(&str, usize, std::ops::Range<usize>)> = vec![
        ("民政 left-behind", share(&files, |f| lb(f).mca), 400..800),
        (
            "学籍 both parents",
            share(&files, |f| lb(f).xueji == XuejiLeftBehind::BothParents),
            450..750,
        ),
        ("male", share(&files, |f| f.sex == Sex::Male), 490..550),
        (
            "农业 hukou",
            share(&files, |f| f.hukou_type == Some(HukouType::Agricultural)),
            840..930,
        ),
        (
            "disabled",
            share(&files, |f| f.health.kind() == HealthKind::Disabled),
            20..45,
        ),
        (
            "送教上门",
            share(&files, |f| f.schooling == SchoolingStatus::HomeTaught),
            3..20,
        ),
        (
            "any hardship tag",
            share(&files, |f| !f.active_tags(today()).is_empty()),
            50..120,
        ),
        (
            "key child",
            share(&files, |f| f.key_child.is_some()),
            70..140,
        ),
        (
            "祖辈监护",
            share(&files, |f| {
                f.care_arrangement == Some(CareArrangement::Grandparents)
            }),
            450..700,
        ),
        (
            "无人监护",
            share(&files, |f| {
                f.care_arrangement == Some(CareArrangement::Unattended)
            }),
            5..25,
        ),
        (
            "rated 差",
            share(&files, |f| f.rating == Some(GuardianshipRating::Poor)),
            40..150,
        ),
        (
            "incomplete",
            share(&files, |f| f.completeness() < 100),
            100..300,
        ),
        (
            "minority",
            share(&files, |f| f.ethnicity != shouhu_domain::Ethnicity::Han),
            220..380,
        ),
        (
            "name outside the BMP",
            share(&files, |f| {
                f.name.as_str().chars().any(|c| u32::from(c) > 0xFFFF)
            }),
            5..20,
        ),
    ];
    for (what, got, bounds) in checks {
        assert!(bounds.contains(&got), "{what}: {got}‰ not in {bounds:?}");
    }
}

#[test]
fn the_file_agrees_with_the_family() {
    for f in children(99, 20_000) {
        let away = |p: &Option<shouhu_domain::Parent>| p.as_ref().is_some_and(|p| p.away.is_some());
        let unable = |p: &Option<shouhu_domain::Parent>| {
            p.as_ref().is_some_and(|p| p.cannot_guard.is_some())
        };
        let home = |p| !away(p) && !unable(p);
        let name = &f.name;
        match f.care_arrangement {
            Some(CareArrangement::OneParent) => {
                assert!(home(&f.father) != home(&f.mother), "{name}");
            }
            Some(CareArrangement::Other) => assert!(home(&f.father) && home(&f.mother), "{name}"),
            Some(CareArrangement::Grandparents) => {
                let carer = f.guardians.iter().find(|g| g.is_carer).unwrap();
                assert!(carer.relation.as_str().contains("祖"), "{name}");
                assert!(!home(&f.father) && !home(&f.mother), "{name}");
            }
            Some(CareArrangement::Unattended) => {
                assert!(f.carer().is_none(), "{name}");
                assert!(!home(&f.father) && !home(&f.mother), "{name}");
            }
            _ => {}
        }
        let tags = f.active_tags(today());
        let imprisoned = [&f.father, &f.mother].iter().any(|p| {
            p.as_ref().is_some_and(|p| {
                p.cannot_guard == Some(shouhu_domain::CannotGuardReason::Imprisoned)
            })
        });
        if tags.contains(&HardshipTag::PrisonerChild) {
            assert!(imprisoned, "{name}");
        }
        if tags.contains(&HardshipTag::OwnDisability) {
            assert_eq!(f.health.kind(), HealthKind::Disabled);
        }
        if tags.contains(&HardshipTag::DeFactoUnsupported) || tags.contains(&HardshipTag::Orphan) {
            assert!(unable(&f.father) && unable(&f.mother), "{name}");
        }
        let dibao = f
            .assistance
            .contains(&shouhu_domain::Assistance::SubsistenceAllowance);
        let dibao_income = f
            .income_sources
            .contains(&shouhu_domain::IncomeSource::SubsistenceAllowance);
        assert_eq!(dibao, dibao_income, "{name}");
        if dibao {
            let tagged = f
                .hardships
                .iter()
                .any(|h| h.tag() == HardshipTag::PovertyHousehold);
            assert!(tagged, "{name}");
        }
        if let Some(father) = f.father.as_ref().and_then(|p| p.name.as_ref()) {
            let father = father.as_str();
            let child = name.as_str();
            match child.split_once('·') {
                // 阿依古丽·买买提 is the daughter of 买买提·…
                Some((_, patronym)) => assert!(father.starts_with(&format!("{patronym}·"))),
                None => assert_eq!(
                    child.chars().next(),
                    father.chars().next(),
                    "{child} {father}"
                ),
            }
        }
    }
}

#[test]
fn the_first_two_thousand_include_the_hard_names() {
    let files = children(2026, 2000);
    let outside_bmp = files
        .iter()
        .find(|f| f.name.as_str().chars().any(|c| u32::from(c) > 0xFFFF));
    let dotted = files.iter().find(|f| f.name.as_str().contains('·'));
    assert!(outside_bmp.is_some() && dotted.is_some());
    let compound = files.iter().any(|f| {
        ["欧阳", "上官", "诸葛", "司马", "万俟"]
            .iter()
            .any(|s| f.name.as_str().starts_with(s))
    });
    assert!(compound);
}

#[test]
fn ages_can_be_asked_for() {
    let mut g = Generator::new(5, setting());
    for ages in [0..=2, 3..=5, 16..=17, 10..=10] {
        for _ in 0..300 {
            let f = g.child_aged(ages.clone());
            let age = age_on(f.birth_date, today());
            assert!(ages.contains(&age), "{age} not in {ages:?}");
            f.check().unwrap();
            for p in f.father.iter().chain(f.mother.iter()) {
                if let Some(since) = p.away.as_ref().and_then(|w| w.since) {
                    assert!(since <= today());
                }
            }
        }
    }
}
