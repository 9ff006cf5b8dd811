//! Who counts as left-behind (留守儿童) under each of the three calibers, derived from facts.
//!
//! Nothing here is stored. The same child can count for 民政 and not for 学籍 on the same day,
//! and any caliber can change with the reference date alone, so every answer takes `as_of`.
//!
//! Where the texts are silent we read them as follows:
//! - A deceased parent is unable to guard and never away, whatever the file still says about
//!   work. The other reasons leave `away` as recorded: a parent who went to work and lost touch
//!   (失联) is still away.
//! - A parent whose leaving date is after `as_of` had not left on that date.
//! - 民政 sets no duration, so a parent away with no known leaving date counts. 学籍 (3 months)
//!   and 统计 (6 months) make the duration part of the definition, so an unknown leaving date
//!   does not count until it is filled in; `ChildFacts::away_date_missing` finds such files.
//! - A parent with no facts recorded (`None`) is neither away nor unable: a dead or missing
//!   parent must be recorded as such to count.
//! - 统计 counts a parent as away across townships unless the work place is known to lie in
//!   the child's township; an unknown work place or home counts as across.
//! - Ages are 周岁 reached on the birthday itself, so a child is no longer under 16 on their
//!   sixteenth birthday.

use std::ops::RangeInclusive;

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::{ChildFactError, HukouType, Province, RegionCode, RegionLevel, SchoolingStatus};

/// 民政: 不满十六周岁.
const MCA_AGE_LIMIT: u32 = 16;
/// 统计: 0–17 周岁.
const CENSUS_MAX_AGE: u32 = 17;
/// 学籍: 外出务工连续三个月以上.
const XUEJI_MONTHS: u32 = 3;
/// 统计: 离开户口登记地所在乡镇街道半年以上.
const CENSUS_MONTHS: u32 = 6;

choice! {
    /// Why a parent cannot guard the child (无监护能力).
    pub enum CannotGuardReason: "cannot_guard", ChildFactError::CannotGuardReason {
        SeriousIllness = "serious_illness", "重病", ["患重病", "重大疾病"];
        SeriousDisability = "serious_disability", "重残", ["重度残疾"];
        Deceased = "deceased", "死亡", ["去世", "已故", "病故"];
        Missing = "missing", "失联", ["失踪", "下落不明"];
        Imprisoned = "imprisoned", "服刑", ["服刑在押", "在押"];
    }
}

/// A parent's spell of working away from the child (外出务工).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct WorkAway {
    /// The day the parent left. Often unknown in files imported from old rosters.
    pub since: Option<NaiveDate>,
    /// For returns that split work in and outside the province; the calibers read `region`.
    pub province: Option<Province>,
    /// As precise as known: a county, a township or a village.
    pub region: Option<RegionCode>,
}

/// What the calibers need to know about one parent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct ParentFacts {
    /// `Some` while the parent lives away from the child for work. Parents who took the child
    /// with them (随迁子女) are not away.
    pub away: Option<WorkAway>,
    /// `Some` when the parent cannot guard the child.
    pub cannot_guard: Option<CannotGuardReason>,
}

impl ParentFacts {
    pub fn can_guard(&self) -> bool {
        self.cannot_guard.is_none()
    }

    /// Away on `as_of`, for however long.
    pub fn away_on(&self, as_of: NaiveDate) -> bool {
        self.spell()
            .is_some_and(|w| w.since.is_none_or(|since| since <= as_of))
    }

    /// Away for at least `months` calendar months on `as_of`: left on 30 November, away three
    /// months on 28 February (29 in a leap year), the month's last day standing in for the 30th.
    pub fn away_for_months(&self, months: u32, as_of: NaiveDate) -> bool {
        self.spell()
            .and_then(|w| w.since)
            .and_then(|since| since.checked_add_months(Months::new(months)))
            .is_some_and(|reached| reached <= as_of)
    }

    fn spell(&self) -> Option<&WorkAway> {
        match self.cannot_guard {
            Some(CannotGuardReason::Deceased) => None,
            _ => self.away.as_ref(),
        }
    }

    /// Works outside the township the child lives in, as far as the facts show.
    fn away_across_townships(&self, home: Option<&RegionCode>) -> bool {
        let Some(work) = self.spell().and_then(|w| w.region.as_ref()) else {
            return true;
        };
        !home
            .and_then(township_of)
            .is_some_and(|township| township.contains(work))
    }
}

/// The township a region lies in; `None` for a county or anything larger.
fn township_of(region: &RegionCode) -> Option<RegionCode> {
    std::iter::successors(Some(region.clone()), RegionCode::parent)
        .find(|r| r.level() == RegionLevel::Township)
}

/// The facts the three calibers are derived from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChildFacts {
    pub birth_date: NaiveDate,
    /// Unknown is not rural: 民政 counts only children shown to hold rural hukou.
    pub hukou_type: Option<HukouType>,
    /// Not read by the calibers; kept with them because a migrant child's case goes there.
    pub hukou_region: Option<RegionCode>,
    /// Where the child actually lives, as precisely as known.
    pub residence_region: Option<RegionCode>,
    pub schooling: SchoolingStatus,
    /// Usually `Grade::is_compulsory` of the child's class; special schools set it too.
    pub in_compulsory_education: bool,
    pub father: Option<ParentFacts>,
    pub mother: Option<ParentFacts>,
}

impl ChildFacts {
    pub fn parents(&self) -> impl Iterator<Item = &ParentFacts> {
        self.father.iter().chain(self.mother.iter())
    }

    /// A living parent is recorded away with no leaving date, which 学籍 and 统计 cannot count.
    pub fn away_date_missing(&self) -> bool {
        self.parents()
            .filter_map(ParentFacts::spell)
            .any(|w| w.since.is_none())
    }
}

/// 周岁 on `date`: whole years since birth, reached on the birthday itself. Someone born on
/// 29 February turns a year older on 1 March in common years. Zero before birth.
pub fn age_on(birth: NaiveDate, date: NaiveDate) -> u32 {
    date.years_since(birth).unwrap_or(0)
}

/// 民政 (国发〔2016〕13号): under 16, rural hukou, and both parents away or one away and the
/// other unable to guard. No duration is required.
pub fn mca_left_behind(child: &ChildFacts, as_of: NaiveDate) -> bool {
    let away = |p: &Option<ParentFacts>| p.as_ref().is_some_and(|p| p.away_on(as_of));
    let unable = |p: &Option<ParentFacts>| p.as_ref().is_some_and(|p| !p.can_guard());
    let (father, mother) = (&child.father, &child.mother);
    let parents =
        (away(father) && (away(mother) || unable(mother))) || (away(mother) && unable(father));
    child.birth_date <= as_of
        && age_on(child.birth_date, as_of) < MCA_AGE_LIMIT
        && child.hukou_type == Some(HukouType::Agricultural)
        && parents
}

/// 学籍: how many parents have been away three months or more, for a child on a school's roll
/// in compulsory education.
pub fn xueji_code(child: &ChildFacts, as_of: NaiveDate) -> XuejiLeftBehind {
    if !(child.in_compulsory_education && child.schooling.on_roll()) {
        return XuejiLeftBehind::NotLeftBehind;
    }
    let away = child
        .parents()
        .filter(|p| p.away_for_months(XUEJI_MONTHS, as_of))
        .count();
    match away {
        0 => XuejiLeftBehind::NotLeftBehind,
        1 => XuejiLeftBehind::OneParent,
        _ => XuejiLeftBehind::BothParents,
    }
}

/// 统计 (census): aged 0–17 with a parent away from the child's township six months or more.
pub fn census_left_behind(child: &ChildFacts, as_of: NaiveDate) -> bool {
    let home = child.residence_region.as_ref();
    child.birth_date <= as_of
        && age_on(child.birth_date, as_of) <= CENSUS_MAX_AGE
        && child
            .parents()
            .any(|p| p.away_for_months(CENSUS_MONTHS, as_of) && p.away_across_townships(home))
}

choice! {
    /// The 学籍 field 留守儿童: its numbers are `number()`.
    pub enum XuejiLeftBehind: "xueji_left_behind", ChildFactError::XuejiLeftBehind {
        NotLeftBehind = "not_left_behind", "非留守", ["0", "否"];
        OneParent = "one_parent", "单亲留守", ["1"];
        BothParents = "both_parents", "双亲留守", ["2"];
    }
}

impl XuejiLeftBehind {
    /// 0, 1 or 2, as the 学籍 system codes it.
    pub fn number(self) -> u8 {
        self as u8
    }

    pub fn is_left_behind(self) -> bool {
        self != XuejiLeftBehind::NotLeftBehind
    }
}

choice! {
    /// The three definitions of 留守儿童 in use.
    pub enum Caliber: "caliber", ChildFactError::Caliber {
        Mca = "mca", "民政口径", ["民政"];
        Xueji = "xueji", "学籍口径", ["学籍", "教育"];
        Census = "census", "统计口径", ["统计", "人口普查"];
    }
}

/// Dashboards count by 民政 unless told otherwise.
impl Default for Caliber {
    fn default() -> Caliber {
        Caliber::Mca
    }
}

/// A child's standing under all three calibers on one date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LeftBehind {
    pub mca: bool,
    pub xueji: XuejiLeftBehind,
    pub census: bool,
}

impl LeftBehind {
    pub fn of(child: &ChildFacts, as_of: NaiveDate) -> LeftBehind {
        LeftBehind {
            mca: mca_left_behind(child, as_of),
            xueji: xueji_code(child, as_of),
            census: census_left_behind(child, as_of),
        }
    }

    pub fn under(self, caliber: Caliber) -> bool {
        match caliber {
            Caliber::Mca => self.mca,
            Caliber::Xueji => self.xueji.is_left_behind(),
            Caliber::Census => self.census,
        }
    }
}

choice! {
    /// The age bands of every left-behind statistic, in 周岁 on the report's reference date.
    /// Seventeen-year-olds count for 统计 but fall in no band.
    pub enum AgeBand: "age_band", ChildFactError::AgeBand {
        UpTo5 = "age_0_5", "0-5岁", ["0-5", "0~5", "0~5岁", "0至5岁"];
        From6To13 = "age_6_13", "6-13岁", ["6-13", "6~13", "6~13岁", "6至13岁"];
        From14To16 = "age_14_16", "14-16岁", ["14-16", "14~16", "14~16岁", "14至16岁"];
    }
}

impl AgeBand {
    pub fn ages(self) -> RangeInclusive<u32> {
        match self {
            AgeBand::UpTo5 => 0..=5,
            AgeBand::From6To13 => 6..=13,
            AgeBand::From14To16 => 14..=16,
        }
    }

    pub fn of_age(age: u32) -> Option<AgeBand> {
        AgeBand::ALL.into_iter().find(|b| b.ages().contains(&age))
    }

    /// The band on `date`; `None` before birth and from 17.
    pub fn on(birth: NaiveDate, date: NaiveDate) -> Option<AgeBand> {
        (birth <= date)
            .then(|| AgeBand::of_age(age_on(birth, date)))
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn rc(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    /// The reference date of every table row.
    const AS_OF: (i32, u32, u32) = (2026, 6, 1);

    fn as_of() -> NaiveDate {
        day(AS_OF.0, AS_OF.1, AS_OF.2)
    }

    /// A ten-year-old in 四年级 with rural hukou, living in a village of 七星关区.
    fn child(father: Option<ParentFacts>, mother: Option<ParentFacts>) -> ChildFacts {
        ChildFacts {
            birth_date: day(2016, 3, 10),
            hukou_type: Some(HukouType::Agricultural),
            hukou_region: Some(rc("520502103201")),
            residence_region: Some(rc("520502103201")),
            schooling: SchoolingStatus::InSchool,
            in_compulsory_education: true,
            father,
            mother,
        }
    }

    fn away_since(since: NaiveDate) -> Option<ParentFacts> {
        away_in(Some(since), None)
    }

    fn away_in(since: Option<NaiveDate>, region: Option<&str>) -> Option<ParentFacts> {
        Some(ParentFacts {
            away: Some(WorkAway {
                since,
                province: Province::parse("广东").ok(),
                region: region.map(rc),
            }),
            cannot_guard: None,
        })
    }

    fn home() -> Option<ParentFacts> {
        Some(ParentFacts::default())
    }

    fn unable(reason: CannotGuardReason) -> Option<ParentFacts> {
        Some(ParentFacts {
            away: None,
            cannot_guard: Some(reason),
        })
    }

    fn a_year_ago() -> NaiveDate {
        day(2025, 6, 1)
    }

    #[test]
    fn calibers_table() {
        use CannotGuardReason as R;
        use XuejiLeftBehind::{BothParents as Two, NotLeftBehind as Zero, OneParent as One};
        let year = a_year_ago();
        fn with(f: impl FnOnce(&mut ChildFacts), mut c: ChildFacts) -> ChildFacts {
            f(&mut c);
            c
        }
        let both_year = child(away_since(year), away_since(year));
        let mut deceased_father_still_away = away_since(year);
        if let Some(p) = deceased_father_still_away.as_mut() {
            p.cannot_guard = Some(R::Deceased);
        }
        fn expect(mca: bool, xueji: XuejiLeftBehind, census: bool) -> LeftBehind {
            LeftBehind { mca, xueji, census }
        }
        let cases: Vec<(&str, ChildFacts, LeftBehind)> = vec![
            (
                "father away a year, mother 重残",
                child(away_since(year), unable(R::SeriousDisability)),
                expect(true, One, true),
            ),
            (
                "mother away a year, father 重病",
                child(unable(R::SeriousIllness), away_since(year)),
                expect(true, One, true),
            ),
            (
                "both away two months: 民政 sets no duration",
                child(away_since(day(2026, 4, 1)), away_since(day(2026, 4, 1))),
                expect(true, Zero, false),
            ),
            (
                "sixteenth birthday on the reference date",
                with(|c| c.birth_date = day(2010, 6, 1), both_year.clone()),
                expect(false, Two, true),
            ),
            (
                "sixteen tomorrow",
                with(|c| c.birth_date = day(2010, 6, 2), both_year.clone()),
                expect(true, Two, true),
            ),
            (
                "urban hukou",
                with(
                    |c| c.hukou_type = Some(HukouType::NonAgricultural),
                    both_year.clone(),
                ),
                expect(false, Two, true),
            ),
            (
                "hukou type unknown",
                with(|c| c.hukou_type = None, both_year.clone()),
                expect(false, Two, true),
            ),
            (
                "father deceased, mother away",
                child(unable(R::Deceased), away_since(year)),
                expect(true, One, true),
            ),
            (
                "father deceased but still marked away, mother at home",
                child(deceased_father_still_away.clone(), home()),
                expect(false, Zero, false),
            ),
            (
                "father deceased but still marked away, mother away",
                child(deceased_father_still_away, away_since(year)),
                expect(true, One, true),
            ),
            (
                "father back home since last week, mother at home",
                child(home(), home()),
                expect(false, Zero, false),
            ),
            (
                "both away for a year",
                both_year.clone(),
                expect(true, Two, true),
            ),
            (
                "father away five months, mother at home and healthy",
                child(away_since(day(2026, 1, 1)), home()),
                expect(false, One, false),
            ),
            (
                "father away exactly six months, mother 失联",
                child(away_since(day(2025, 12, 1)), unable(R::Missing)),
                expect(true, One, true),
            ),
            (
                "father away six months less a day, mother 服刑",
                child(away_since(day(2025, 12, 2)), unable(R::Imprisoned)),
                expect(true, One, false),
            ),
            (
                "both away exactly three months",
                child(away_since(day(2026, 3, 1)), away_since(day(2026, 3, 1))),
                expect(true, Two, false),
            ),
            (
                "both away three months less a day",
                child(away_since(day(2026, 3, 2)), away_since(day(2026, 3, 2))),
                expect(true, Zero, false),
            ),
            (
                "both away, leaving dates unknown",
                child(away_in(None, None), away_in(None, None)),
                expect(true, Zero, false),
            ),
            (
                "both leave next month",
                child(away_since(day(2026, 7, 1)), away_since(day(2026, 7, 1))),
                expect(false, Zero, false),
            ),
            (
                "father unrecorded, mother away",
                child(None, away_since(year)),
                expect(false, One, true),
            ),
            (
                "nothing recorded",
                child(None, None),
                expect(false, Zero, false),
            ),
            (
                "orphan: both deceased",
                child(unable(R::Deceased), unable(R::Deceased)),
                expect(false, Zero, false),
            ),
            (
                "father works in the child's own township, mother deceased",
                child(
                    away_in(Some(year), Some("520502103205")),
                    unable(R::Deceased),
                ),
                expect(true, One, false),
            ),
            (
                "father works in another township of the county",
                child(away_in(Some(year), Some("520502104")), home()),
                expect(false, One, true),
            ),
            (
                "father's work known only by county",
                child(away_in(Some(year), Some("520502")), home()),
                expect(false, One, true),
            ),
            (
                "own township, but the child's home is known only by county",
                with(
                    |c| c.residence_region = Some(rc("520502")),
                    child(away_in(Some(year), Some("520502103205")), home()),
                ),
                expect(false, One, true),
            ),
            (
                "seventeen: outside 民政 and compulsory education",
                with(
                    |c| {
                        c.birth_date = day(2009, 1, 1);
                        c.in_compulsory_education = false;
                    },
                    both_year.clone(),
                ),
                expect(false, Zero, true),
            ),
            (
                "eighteen today",
                with(|c| c.birth_date = day(2008, 6, 1), both_year.clone()),
                expect(false, Two, false),
            ),
            (
                "graduated",
                with(
                    |c| c.schooling = SchoolingStatus::Graduated,
                    both_year.clone(),
                ),
                expect(true, Zero, true),
            ),
            (
                "送教上门 stays on the roll",
                with(
                    |c| c.schooling = SchoolingStatus::HomeTaught,
                    both_year.clone(),
                ),
                expect(true, Two, true),
            ),
            (
                "not born yet",
                with(
                    |c| {
                        c.birth_date = day(2026, 6, 2);
                        c.in_compulsory_education = false;
                    },
                    both_year.clone(),
                ),
                expect(false, Zero, false),
            ),
        ];
        for (name, facts, expected) in cases {
            let got = LeftBehind::of(&facts, as_of());
            assert_eq!(got, expected, "{name}");
            assert_eq!(got.under(Caliber::Mca), expected.mca, "{name}");
            assert_eq!(got.under(Caliber::Xueji), expected.xueji != Zero, "{name}");
            assert_eq!(got.under(Caliber::Census), expected.census, "{name}");
        }
    }

    #[test]
    fn month_ends_and_leap_days() {
        let c = child(away_since(day(2025, 11, 30)), home());
        assert_eq!(
            xueji_code(&c, day(2026, 2, 27)),
            XuejiLeftBehind::NotLeftBehind
        );
        assert_eq!(xueji_code(&c, day(2026, 2, 28)), XuejiLeftBehind::OneParent);
        let leap = day(2012, 2, 29);
        assert_eq!(age_on(leap, day(2013, 2, 28)), 0);
        assert_eq!(age_on(leap, day(2013, 3, 1)), 1);
        assert_eq!(age_on(leap, day(2016, 2, 29)), 4);
        assert_eq!(age_on(day(2016, 3, 10), day(2026, 3, 9)), 9);
        assert_eq!(age_on(day(2016, 3, 10), day(2026, 3, 10)), 10);
        assert_eq!(age_on(day(2016, 3, 10), day(2016, 3, 9)), 0);
    }

    #[test]
    fn missing_leaving_dates_are_found() {
        assert!(child(away_in(None, None), home()).away_date_missing());
        assert!(!child(away_since(a_year_ago()), home()).away_date_missing());
        let mut dead = away_in(None, None);
        if let Some(p) = dead.as_mut() {
            p.cannot_guard = Some(CannotGuardReason::Deceased);
        }
        assert!(!child(dead, home()).away_date_missing());
    }

    #[test]
    fn age_bands() {
        let bands: Vec<Option<AgeBand>> = (0..=18).map(AgeBand::of_age).collect();
        assert_eq!(bands[0], Some(AgeBand::UpTo5));
        assert_eq!(bands[5], Some(AgeBand::UpTo5));
        assert_eq!(bands[6], Some(AgeBand::From6To13));
        assert_eq!(bands[13], Some(AgeBand::From6To13));
        assert_eq!(bands[14], Some(AgeBand::From14To16));
        assert_eq!(bands[16], Some(AgeBand::From14To16));
        assert_eq!((bands[17], bands[18]), (None, None));
        let birth = day(2016, 3, 10);
        assert_eq!(AgeBand::on(birth, day(2016, 3, 10)), Some(AgeBand::UpTo5));
        assert_eq!(AgeBand::on(birth, day(2016, 3, 9)), None);
        assert_eq!(
            AgeBand::on(birth, day(2030, 3, 10)),
            Some(AgeBand::From14To16)
        );
        assert_eq!(AgeBand::parse("6~13岁"), Ok(AgeBand::From6To13));
    }

    #[test]
    fn lists_round_trip() {
        check_choice!(
            CannotGuardReason: "cannot_guard",
            XuejiLeftBehind: "xueji_left_behind",
            Caliber: "caliber",
            AgeBand: "age_band",
        );
        assert_eq!(
            CannotGuardReason::parse("去世"),
            Ok(CannotGuardReason::Deceased)
        );
        for x in XuejiLeftBehind::ALL {
            assert_eq!(XuejiLeftBehind::parse(&x.number().to_string()), Ok(x));
        }
        assert_eq!(Caliber::default(), Caliber::Mca);
        assert_eq!(Caliber::parse("学籍"), Ok(Caliber::Xueji));
        let facts = child(away_since(a_year_ago()), unable(CannotGuardReason::Missing));
        let json = serde_json::to_string(&facts).unwrap();
        assert_eq!(serde_json::from_str::<ChildFacts>(&json).unwrap(), facts);
        assert!(json.contains(r#""cannot_guard":"missing""#), "{json}");
    }

    fn date_in(from: NaiveDate, days: u64) -> impl Strategy<Value = NaiveDate> {
        (0..days).prop_map(move |d| from + chrono::Days::new(d))
    }

    fn parent() -> impl Strategy<Value = Option<ParentFacts>> {
        let since = proptest::option::of(date_in(day(2020, 1, 1), 3650));
        let region = proptest::option::of(prop_oneof![
            Just("520502103205"),
            Just("520502104000"),
            Just("440300000000"),
        ]);
        let away = proptest::option::of((since, region).prop_map(|(since, region)| WorkAway {
            since,
            province: None,
            region: region.map(rc),
        }));
        let reason =
            proptest::option::of(proptest::sample::select(CannotGuardReason::ALL.to_vec()));
        proptest::option::weighted(
            0.9,
            (away, reason).prop_map(|(away, cannot_guard)| ParentFacts { away, cannot_guard }),
        )
    }

    fn facts() -> impl Strategy<Value = ChildFacts> {
        let hukou = proptest::option::of(proptest::sample::select(HukouType::ALL.to_vec()));
        let schooling = proptest::sample::select(SchoolingStatus::ALL.to_vec());
        let home = proptest::option::of(prop_oneof![Just("520502103201"), Just("520502")]);
        (
            date_in(day(2005, 1, 1), 8000),
            hukou,
            home,
            schooling,
            any::<bool>(),
            parent(),
            parent(),
        )
            .prop_map(
                |(birth_date, hukou_type, home, schooling, compulsory, father, mother)| {
                    ChildFacts {
                        birth_date,
                        hukou_type,
                        hukou_region: None,
                        residence_region: home.map(rc),
                        schooling,
                        in_compulsory_education: compulsory,
                        father,
                        mother,
                    }
                },
            )
    }

    fn latest_known_date(c: &ChildFacts) -> NaiveDate {
        c.parents()
            .filter_map(|p| p.away.as_ref()?.since)
            .fold(c.birth_date, NaiveDate::max)
    }

    proptest! {
        /// Going back a day can only make the child younger, and every parent who had left by
        /// then is still away; so 民政 keeps holding until a leaving date or birth is crossed.
        #[test]
        fn mca_holds_back_to_the_last_leaving_date(c in facts(), d in date_in(day(2020, 1, 1), 4000)) {
            let yesterday = d - chrono::Days::new(1);
            if mca_left_behind(&c, d) && yesterday >= latest_known_date(&c) {
                prop_assert!(mca_left_behind(&c, yesterday));
            }
        }

        /// Absences only lengthen as time passes, so the 学籍 code never falls.
        #[test]
        fn xueji_never_falls_with_time(c in facts(), d in date_in(day(2020, 1, 1), 4000), later in 0u64..1000) {
            let then = xueji_code(&c, d).number();
            let after = xueji_code(&c, d + chrono::Days::new(later)).number();
            prop_assert!(then <= after, "{then} then, {after} later");
        }

        /// Six months away implies three: a census left-behind pupil is a 学籍 one.
        #[test]
        fn census_pupils_are_xueji_left_behind(c in facts(), d in date_in(day(2020, 1, 1), 4000)) {
            if census_left_behind(&c, d) && c.in_compulsory_education && c.schooling.on_roll() {
                prop_assert!(xueji_code(&c, d).is_left_behind());
            }
        }
    }
}
