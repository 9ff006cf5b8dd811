//! Checks of the tables and the date and number arithmetic the generator rests on.

use chrono::NaiveDate;
use rand::SeedableRng;
use rand::rngs::StdRng;
use shouhu_domain::{FactText, PersonName, PhoneKind, PhoneNo, Province, RegionCode, Sex, age_on};

use super::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn every_table_entry_is_accepted_by_the_domain() {
    for s in names::tables::all_strings() {
        PersonName::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
    }
    let texts = [
        places::tables::all_strings(),
        profile::all_strings(),
        family::all_strings(),
        welfare::all_strings(),
    ];
    for s in texts.into_iter().flatten() {
        assert_eq!(FactText::parse(s).unwrap().as_str(), s);
    }
    for c in places::tables::cities() {
        let province = Province::parse(c.province).unwrap();
        let region = RegionCode::parse(c.code).unwrap();
        assert_eq!(Province::of(&region), Some(province), "{}", c.city);
        FactText::parse(c.city).unwrap();
        if let Some(trade) = c.trade {
            FactText::parse(trade).unwrap();
        }
    }
    for ch in names::OUTSIDE_BMP {
        assert!(ch.chars().all(|c| u32::from(c) > 0xFFFF), "{ch}");
    }
}

#[test]
fn phones_are_what_the_domain_calls_mobiles_and_landlines() {
    let mut rng = StdRng::seed_from_u64(7);
    for _ in 0..2000 {
        let m = places::mobile(&mut rng);
        let phone = PhoneNo::parse(&m).unwrap();
        assert_eq!(
            (phone.as_str(), phone.kind()),
            (m.as_str(), PhoneKind::Mobile)
        );
        assert!(places::tables::mobile_prefixes().contains(&&m[..3]));
        let l = places::landline(&mut rng, "520502").unwrap();
        assert!(l.starts_with("0857-") && l.len() == 12, "{l}");
        let phone = PhoneNo::parse(&l).unwrap();
        assert_eq!(
            (phone.as_str(), phone.kind()),
            (l.as_str(), PhoneKind::Landline)
        );
    }
    assert_eq!(places::landline(&mut rng, "441900"), None);
}

#[test]
fn addresses_name_each_village_the_same_way() {
    let mut rng = StdRng::seed_from_u64(1);
    let village = |a: &str| a.split_once('村').map(|(v, _)| v.to_owned()).unwrap();
    let a = places::address(&mut rng, "520502101205");
    let b = places::address(&mut rng, "520502101205");
    assert_eq!(village(&a), village(&b));
    assert!(a.contains("镇") && a.ends_with('号'), "{a}");
    let township = places::address(&mut rng, "520502200201");
    assert!(township.contains("乡"), "{township}");
    let community = places::address(&mut rng, "520502001003");
    assert!(
        community.contains("街道") && community.contains("社区"),
        "{community}"
    );
}

#[test]
fn birth_windows_hold_exactly_the_ages_asked_for() {
    let todays = [
        day(2026, 12, 1),
        day(2028, 2, 29),
        day(2027, 2, 28),
        day(2027, 3, 1),
        day(2026, 1, 1),
        day(2026, 12, 31),
    ];
    for today in todays {
        for (lo, hi) in [(6, 15), (0, 0), (0, 17), (3, 3), (15, 16)] {
            let (earliest, latest) = birth_window(today, &(lo..=hi));
            assert_eq!(age_on(latest, today), lo, "{today} {lo}");
            assert_eq!(age_on(earliest, today), hi, "{today} {hi}");
            let before = earliest.pred_opt().unwrap();
            assert_eq!(age_on(before, today), hi + 1, "{today} {hi}");
            let after = latest.succ_opt().unwrap();
            if lo > 0 {
                assert_eq!(age_on(after, today), lo - 1, "{today} {lo}");
            } else {
                assert!(after > today);
            }
        }
    }
    #[allow(clippy::reversed_empty_ranges)]
    let backwards = birth_window(day(2026, 12, 1), &(9..=7));
    assert_eq!(backwards, birth_window(day(2026, 12, 1), &(9..=9)));
}

#[test]
fn a_day_holds_five_hundred_numbers_of_each_sex() {
    let mut rng = StdRng::seed_from_u64(3);
    let mut book = ids::IdBook::default();
    let (birth, today) = (day(2015, 3, 1), day(2026, 12, 1));
    let mut issued = std::collections::HashSet::new();
    for sex in [Sex::Male, Sex::Female] {
        let mut n = 0;
        // Random probing slows as the day fills, so it gives up a little before the end.
        while let Some(id) = book.issue(&mut rng, "520502", birth, sex, today) {
            assert_eq!((id.sex(), id.birth_date()), (sex, birth));
            assert_eq!(id.region_prefix(), "520502");
            assert!(issued.insert(id));
            n += 1;
        }
        assert!((400..=500).contains(&n) && n <= if sex == Sex::Male { 500 } else { 499 });
    }
    assert_eq!(
        book.issue(&mut rng, "520502", day(1899, 12, 31), Sex::Male, today),
        None
    );
    assert_eq!(
        book.issue(&mut rng, "520502", day(2027, 1, 1), Sex::Male, today),
        None
    );
}

#[test]
fn weighted_draws_follow_their_weights() {
    let mut rng = StdRng::seed_from_u64(11);
    let table = [("a", 1), ("b", 0), ("c", 3)];
    let mut counts = [0; 3];
    for _ in 0..40_000 {
        match pick::weighted(&mut rng, &table) {
            "a" => counts[0] += 1,
            "b" => counts[1] += 1,
            _ => counts[2] += 1,
        }
    }
    assert_eq!(counts[1], 0);
    assert!((9_000..11_000).contains(&counts[0]), "{counts:?}");
}
