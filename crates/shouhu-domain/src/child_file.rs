//! One child's file (一人一档) as a whole: identity, family, entrustment, care, tags and the
//! "五个清楚" profile. Placement (school, class) lives with the storage layer; everything a
//! teacher types about the child lives here, already parsed.
//!
//! The calibers are derived from this through [`ChildFile::facts`]; completeness (建档率) counts
//! the required items that [`ChildFile::missing`] lists.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{
    Assistance, Boarding, CannotGuardReason, CareArrangement, ChildFacts, Ethnicity, FactText,
    GuardianshipRating, HardshipRecord, HealthStatus, HukouType, IdCardNo, IdDocType, IncomeSource,
    KeyChild, ParentFacts, PersonName, PhoneNo, Province, RegionCode, SchoolingStatus, Sex,
    WorkAway,
};

/// The "五个清楚" profile: what the child is like, beyond the facts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Profile {
    pub personality: Option<FactText>,
    pub hobbies: Option<FactText>,
    pub strengths: Option<FactText>,
}

/// A parent working away (外出务工): since when, where, for whom.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AwayWork {
    pub since: Option<NaiveDate>,
    pub province: Option<Province>,
    /// City or county as people say it ("东莞市"); the calibers read `region` when known.
    pub city: Option<FactText>,
    pub region: Option<RegionCode>,
    pub employer: Option<FactText>,
}

/// Father or mother.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Parent {
    pub name: Option<PersonName>,
    pub birth_date: Option<NaiveDate>,
    pub id_number: Option<IdCardNo>,
    pub phone: Option<PhoneNo>,
    /// `Some` while the parent works away from the child.
    pub away: Option<AwayWork>,
    /// `Some` when the parent cannot guard the child (重病, 重残, 死亡, 失联, 服刑).
    pub cannot_guard: Option<CannotGuardReason>,
}

impl Parent {
    fn facts(&self) -> ParentFacts {
        ParentFacts {
            away: self.away.as_ref().map(|w| WorkAway {
                since: w.since,
                province: w.province,
                region: w.region.clone(),
            }),
            cannot_guard: self.cannot_guard,
        }
    }

    /// Where the parent works, as one line ("广东省 东莞市").
    pub fn work_place(&self) -> String {
        let Some(w) = &self.away else {
            return String::new();
        };
        let parts = [
            w.province.map(|p| p.name_zh().to_owned()),
            w.city.as_ref().map(|c| c.to_string()),
        ];
        parts.into_iter().flatten().collect::<Vec<_>>().join(" ")
    }
}

/// A grandparent or other relative who looks after the child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guardian {
    pub name: PersonName,
    /// 祖父, 祖母, 外祖父, 外祖母, 哥哥, 姑姑 …
    pub relation: FactText,
    pub phone: Option<PhoneNo>,
    pub birth_year: Option<i32>,
    pub health: Option<FactText>,
    /// The actual carer (实际照料人) the child lives with.
    #[serde(default)]
    pub is_carer: bool,
}

/// The questions of 未成年人保护法 第二十二条 about an entrusted carer; `true` is a reason
/// the person may not be entrusted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Disqualifications {
    /// 曾实施性侵害、虐待、遗弃、拐卖、暴力伤害等违法犯罪行为.
    pub past_crimes: bool,
    /// 有吸毒、酗酒、赌博等恶习.
    pub vices: bool,
    /// 曾拒不履行或者长期怠于履行监护、照护职责.
    pub neglected_care: bool,
    /// 无完全民事行为能力, or any other reason 第二十二条 names.
    pub other: bool,
}

impl Disqualifications {
    pub fn any(self) -> bool {
        self.past_crimes || self.vices || self.neglected_care || self.other
    }
}

/// 委托照护: the person the parents entrusted the child to (被委托人).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entrustment {
    pub name: PersonName,
    pub id_number: Option<IdCardNo>,
    pub relation: FactText,
    pub phone: Option<PhoneNo>,
    pub address: Option<FactText>,
    pub age: Option<u8>,
    pub health: Option<FactText>,
    #[serde(default)]
    pub disqualifications: Disqualifications,
    /// The days the parents told the school and the 村（居）委会 in writing.
    pub school_told_on: Option<NaiveDate>,
    pub village_told_on: Option<NaiveDate>,
}

/// Everything typed about one child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChildFile {
    pub name: PersonName,
    /// A hand correction of the generated pinyin (单 shan, 曾 zeng); lower-case ASCII.
    #[serde(default)]
    pub pinyin: Option<String>,
    pub sex: Sex,
    pub ethnicity: Ethnicity,
    pub birth_date: NaiveDate,
    pub id_doc_type: IdDocType,
    /// The 身份证 number; other documents keep theirs in `doc_number`.
    #[serde(default)]
    pub id_number: Option<IdCardNo>,
    #[serde(default)]
    pub doc_number: Option<FactText>,
    #[serde(default)]
    pub hukou_region: Option<RegionCode>,
    #[serde(default)]
    pub hukou_type: Option<HukouType>,
    pub residence_region: RegionCode,
    #[serde(default)]
    pub address: Option<FactText>,
    #[serde(default)]
    pub boarding: Option<Boarding>,
    pub schooling: SchoolingStatus,
    pub health: HealthStatus,
    #[serde(default)]
    pub profile: Profile,
    /// 全国学籍号.
    #[serde(default)]
    pub xueji_no: Option<FactText>,
    #[serde(default)]
    pub father: Option<Parent>,
    #[serde(default)]
    pub mother: Option<Parent>,
    #[serde(default)]
    pub guardians: Vec<Guardian>,
    #[serde(default)]
    pub entrustment: Option<Entrustment>,
    #[serde(default)]
    pub care_arrangement: Option<CareArrangement>,
    #[serde(default)]
    pub rating: Option<GuardianshipRating>,
    #[serde(default)]
    pub income_sources: Vec<IncomeSource>,
    #[serde(default)]
    pub assistance: Vec<Assistance>,
    #[serde(default)]
    pub hardships: Vec<HardshipRecord>,
    #[serde(default)]
    pub key_child: Option<KeyChild>,
    /// Free notes; sensitive, masked like health.
    #[serde(default)]
    pub notes: Option<FactText>,
}

/// A file that contradicts itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChildFileError {
    #[error("出生日期与身份证号不一致")]
    BirthDateMismatch,
    #[error("性别与身份证号不一致")]
    SexMismatch,
    #[error("只有居民身份证的号码填在身份证号一栏")]
    IdNotACard,
}

impl ChildFileError {
    pub fn code(&self) -> &'static str {
        match self {
            ChildFileError::BirthDateMismatch => "child.birth_date_mismatch",
            ChildFileError::SexMismatch => "child.sex_mismatch",
            ChildFileError::IdNotACard => "child.id_not_a_card",
        }
    }

    /// The form field the error belongs to.
    pub fn field(&self) -> &'static str {
        match self {
            ChildFileError::BirthDateMismatch => "birth_date",
            ChildFileError::SexMismatch => "sex",
            ChildFileError::IdNotACard => "id_number",
        }
    }
}

/// A required item of a complete file (the 五个清楚 and the contact card's fields).
pub type MissingItem = &'static str;

impl ChildFile {
    /// Checks the file against itself: an ID number must agree with the birth date and sex.
    pub fn check(&self) -> Result<(), ChildFileError> {
        let Some(id) = &self.id_number else {
            return Ok(());
        };
        if !self.id_doc_type.is_id_card() {
            return Err(ChildFileError::IdNotACard);
        }
        if id.birth_date() != self.birth_date {
            return Err(ChildFileError::BirthDateMismatch);
        }
        if id.sex() != self.sex {
            return Err(ChildFileError::SexMismatch);
        }
        Ok(())
    }

    /// The facts the calibers read. `in_compulsory_education` comes from the child's grade.
    pub fn facts(&self, in_compulsory_education: bool) -> ChildFacts {
        ChildFacts {
            birth_date: self.birth_date,
            hukou_type: self.hukou_type,
            hukou_region: self.hukou_region.clone(),
            residence_region: Some(self.residence_region.clone()),
            schooling: self.schooling,
            in_compulsory_education,
            father: self.father.as_ref().map(Parent::facts),
            mother: self.mother.as_ref().map(Parent::facts),
        }
    }

    /// Hardship tags in force on `date`, without repeats, in list order.
    pub fn active_tags(&self, date: NaiveDate) -> Vec<crate::HardshipTag> {
        let mut tags: Vec<_> = self
            .hardships
            .iter()
            .filter(|h| h.active_on(date))
            .map(HardshipRecord::tag)
            .collect();
        tags.sort_unstable();
        tags.dedup();
        tags
    }

    /// The carer named on the contact card: the guardian marked as carer, else the entrusted
    /// person, else the first guardian.
    pub fn carer(&self) -> Option<(&PersonName, &FactText, Option<&PhoneNo>)> {
        let marked = self.guardians.iter().find(|g| g.is_carer);
        if let Some(g) = marked {
            return Some((&g.name, &g.relation, g.phone.as_ref()));
        }
        if let Some(e) = &self.entrustment {
            return Some((&e.name, &e.relation, e.phone.as_ref()));
        }
        self.guardians
            .first()
            .map(|g| (&g.name, &g.relation, g.phone.as_ref()))
    }

    /// Required items still empty, as message keys (`missing.address` …).
    pub fn missing(&self) -> Vec<MissingItem> {
        let mut missing = Vec::new();
        let mut need = |ok: bool, key: MissingItem| {
            if !ok {
                missing.push(key);
            }
        };
        let is_card = self.id_doc_type.is_id_card();
        need(
            self.id_number.is_some() || (!is_card && self.doc_number.is_some()),
            "missing.id_number",
        );
        need(self.hukou_type.is_some(), "missing.hukou_type");
        need(self.address.is_some(), "missing.address");
        need(self.profile.personality.is_some(), "missing.personality");
        need(self.profile.hobbies.is_some(), "missing.hobbies");
        need(self.profile.strengths.is_some(), "missing.strengths");
        need(self.care_arrangement.is_some(), "missing.care_arrangement");
        need(self.rating.is_some(), "missing.rating");
        let parents = [&self.father, &self.mother];
        let named = parents
            .iter()
            .any(|p| p.as_ref().is_some_and(|p| p.name.is_some()));
        need(named, "missing.parent_name");
        // A parent who has died needs no phone; a living one with no record at all does.
        let phones = parents.iter().all(|p| match p {
            Some(p) => p.cannot_guard == Some(CannotGuardReason::Deceased) || p.phone.is_some(),
            None => false,
        });
        need(phones, "missing.parent_phone");
        let away_places = parents.iter().all(|p| {
            p.as_ref()
                .and_then(|p| p.away.as_ref())
                .is_none_or(|w| w.province.is_some() || w.city.is_some())
        });
        need(away_places, "missing.work_place");
        let carer = self.carer();
        need(carer.is_some(), "missing.carer");
        need(
            carer.is_none_or(|(_, _, phone)| phone.is_some()),
            "missing.carer_phone",
        );
        missing
    }

    /// Every required item [`ChildFile::missing`] can list, for scoring.
    pub const REQUIRED: [MissingItem; 13] = [
        "missing.id_number",
        "missing.hukou_type",
        "missing.address",
        "missing.personality",
        "missing.hobbies",
        "missing.strengths",
        "missing.care_arrangement",
        "missing.rating",
        "missing.parent_name",
        "missing.parent_phone",
        "missing.work_place",
        "missing.carer",
        "missing.carer_phone",
    ];

    /// Percentage of required items present, 0–100.
    pub fn completeness(&self) -> u8 {
        let total = Self::REQUIRED.len();
        let present = total - self.missing().len();
        u8::try_from(present * 100 / total).unwrap_or(100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check_char;

    fn id(birth: &str, seq: &str) -> IdCardNo {
        let first17 = format!("520502{birth}{seq}");
        let check = check_char(first17.as_bytes());
        IdCardNo::parse(&format!("{first17}{check}")).unwrap()
    }

    fn text(s: &str) -> Option<FactText> {
        Some(FactText::parse(s).unwrap())
    }

    pub(crate) fn sample() -> ChildFile {
        let id = id("20150301", "123");
        let away = |city: &str| AwayWork {
            since: NaiveDate::from_ymd_opt(2024, 2, 20),
            province: Some(Province::parse("广东").unwrap()),
            city: text(city),
            region: None,
            employer: None,
        };
        ChildFile {
            name: PersonName::parse("单𠮷").unwrap(),
            pinyin: None,
            sex: id.sex(),
            ethnicity: Ethnicity::Miao,
            birth_date: id.birth_date(),
            id_doc_type: IdDocType::ResidentIdCard,
            id_number: Some(id),
            doc_number: None,
            hukou_region: None,
            hukou_type: Some(HukouType::Agricultural),
            residence_region: RegionCode::parse("520502101205").unwrap(),
            address: text("梨树镇小屯沟村三组12号"),
            boarding: Some(Boarding::DayPupil),
            schooling: SchoolingStatus::InSchool,
            health: HealthStatus::Healthy,
            profile: Profile {
                personality: text("内向"),
                hobbies: text("画画"),
                strengths: text("数学"),
            },
            xueji_no: None,
            father: Some(Parent {
                name: Some(PersonName::parse("单建国").unwrap()),
                phone: Some(PhoneNo::parse("13812345678").unwrap()),
                away: Some(away("东莞市")),
                ..Parent::default()
            }),
            mother: Some(Parent {
                name: Some(PersonName::parse("李秀英").unwrap()),
                phone: Some(PhoneNo::parse("13912345678").unwrap()),
                away: Some(away("深圳市")),
                ..Parent::default()
            }),
            guardians: vec![Guardian {
                name: PersonName::parse("单大山").unwrap(),
                relation: FactText::parse("祖父").unwrap(),
                phone: Some(PhoneNo::parse("0857-8221234").unwrap()),
                birth_year: Some(1956),
                health: None,
                is_carer: true,
            }],
            entrustment: None,
            care_arrangement: Some(CareArrangement::Grandparents),
            rating: Some(crate::GuardianshipRating::Fair),
            income_sources: vec![IncomeSource::WageWork],
            assistance: vec![],
            hardships: vec![],
            key_child: None,
            notes: None,
        }
    }

    #[test]
    fn a_full_file_is_complete_and_both_parents_away_count_for_every_caliber() {
        let file = sample();
        assert_eq!(file.missing(), Vec::<&str>::new());
        assert_eq!(file.completeness(), 100);
        let on = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let lb = crate::LeftBehind::of(&file.facts(true), on);
        assert!(lb.mca && lb.census);
        assert_eq!(lb.xueji, crate::XuejiLeftBehind::BothParents);
    }

    #[test]
    fn missing_items_lower_the_score() {
        let mut file = sample();
        file.profile.hobbies = None;
        file.guardians[0].phone = None;
        assert_eq!(
            file.missing(),
            vec!["missing.hobbies", "missing.carer_phone"]
        );
        assert_eq!(file.completeness(), 84);
    }

    #[test]
    fn the_id_number_must_agree_with_birth_date_and_sex() {
        let mut file = sample();
        file.birth_date = NaiveDate::from_ymd_opt(2015, 3, 2).unwrap();
        assert_eq!(file.check(), Err(ChildFileError::BirthDateMismatch));
        let mut file = sample();
        file.sex = if file.sex == Sex::Male {
            Sex::Female
        } else {
            Sex::Male
        };
        assert_eq!(file.check(), Err(ChildFileError::SexMismatch));
        let mut file = sample();
        file.id_doc_type = IdDocType::Passport;
        assert_eq!(file.check(), Err(ChildFileError::IdNotACard));
    }

    #[test]
    fn the_file_travels_as_json_and_is_checked_on_the_way_in() {
        let file = sample();
        let json = serde_json::to_value(&file).unwrap();
        let back: ChildFile = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, file);
        let mut bad = json;
        bad["father"]["phone"] = "12345".into();
        assert!(serde_json::from_value::<ChildFile>(bad).is_err());
    }
}
