//! Health, hardship tags, family income, aid and the key-child flag, drawn to agree with the
//! family: a 低保户 receives 低保, a prisoner's child is tagged as one.

use chrono::NaiveDate;
use rand::Rng;
use rand::rngs::StdRng;
use shouhu_domain::{
    Assistance, DisabilityCategory, DisabilityGrade, FactText, HardshipRecord, HardshipTag,
    HealthStatus, IncomeSource, KeyChild, SchoolingStatus, Sex,
};

use crate::family::Household;
use crate::pick::{Weighted, chance, date_in, months_before, one, weighted};
use crate::{Generator, text};

pub(crate) struct Welfare {
    pub income_sources: Vec<IncomeSource>,
    pub assistance: Vec<Assistance>,
    pub hardships: Vec<HardshipRecord>,
    pub key_child: Option<KeyChild>,
    pub notes: Option<FactText>,
}

use DisabilityCategory as D;

/// Among disabled children, intellectual and physical disabilities are the commonest.
const CATEGORIES: &[Weighted<DisabilityCategory>] = &[
    (D::Intellectual, 30),
    (D::Physical, 25),
    (D::Speech, 10),
    (D::Hearing, 10),
    (D::Visual, 8),
    (D::Mental, 7),
    (D::Multiple, 10),
];
const GRADES: &[Weighted<DisabilityGrade>] = &[
    (DisabilityGrade::One, 15),
    (DisabilityGrade::Two, 30),
    (DisabilityGrade::Three, 30),
    (DisabilityGrade::Four, 25),
];
const ILLNESSES: &[&str] = &[
    "先天性心脏病",
    "哮喘",
    "癫痫",
    "地中海贫血",
    "白血病",
    "肾病综合征",
    "1型糖尿病",
    "过敏性紫癜",
    "肺结核",
    "抑郁倾向",
];

const LEFT_BEHIND_REASONS: &[&str] = &[
    "双亲外出、学习困难",
    "双亲外出、性格孤僻",
    "双亲外出、有厌学情绪",
    "长期未与父母见面",
    "隔代监护、祖辈年老多病",
];
const OTHER_REASONS: &[&str] = &["学习困难", "有辍学风险", "心理问题、需疏导"];
/// Children with no carer live alone or with a brother or sister not much older.
const UNATTENDED_NOTES: &[&str] = &[
    "独自在家生活，邻居偶尔照看",
    "与哥哥两人生活",
    "与姐姐两人生活，姐姐在镇上读初中",
];
const AWAY_NOTES: &[&str] = &[
    "父母每年春节回家一次",
    "每周与父母视频通话",
    "爱心妈妈结对帮扶",
    "父母已多年未回家",
];

/// 3% disabled, 2% with a lasting illness.
pub(crate) fn health(rng: &mut StdRng) -> HealthStatus {
    match rng.gen_range(0..1000) {
        0..30 => HealthStatus::Disabled {
            category: weighted(rng, CATEGORIES),
            grade: weighted(rng, GRADES),
        },
        30..50 => match text(one(rng, ILLNESSES)) {
            Some(illness) => HealthStatus::Ill { illness },
            None => HealthStatus::Healthy,
        },
        _ => HealthStatus::Healthy,
    }
}

/// Severely disabled children are often taught at home (送教上门); a few ill ones pause school.
pub(crate) fn schooling(rng: &mut StdRng, health: &HealthStatus) -> SchoolingStatus {
    match health {
        HealthStatus::Disabled { category, grade }
            if matches!(grade, DisabilityGrade::One | DisabilityGrade::Two)
                && matches!(
                    category,
                    D::Intellectual | D::Multiple | D::Physical | D::Mental
                )
                && chance(rng, 600) =>
        {
            SchoolingStatus::HomeTaught
        }
        HealthStatus::Ill { .. } if chance(rng, 100) => SchoolingStatus::Suspended,
        _ => SchoolingStatus::InSchool,
    }
}

impl Generator {
    pub(crate) fn welfare(
        &mut self,
        household: &Household,
        health: &HealthStatus,
        schooling: SchoolingStatus,
        birth: NaiveDate,
    ) -> Welfare {
        let s = household.situation;
        let disabled = matches!(health, HealthStatus::Disabled { .. });
        let ill = matches!(health, HealthStatus::Ill { .. });
        let needy = s.orphan || s.unsupported || disabled || s.unattended;
        let poverty_household = chance(&mut self.rng, if needy { 300 } else { 28 });
        // Of those, about half are 低保户, the rest 脱贫户 out of poverty since 2020.
        let dibao = poverty_household && chance(&mut self.rng, 500);
        let poor_family = chance(&mut self.rng, if needy { 150 } else { 20 });

        let mut tags: Vec<(HardshipTag, &str)> = Vec::new();
        if disabled && chance(&mut self.rng, 800) {
            tags.push((HardshipTag::OwnDisability, "县残联核发残疾人证"));
        }
        if s.orphan {
            tags.push((HardshipTag::Orphan, "县民政局认定"));
        }
        if s.unsupported {
            tags.push((HardshipTag::DeFactoUnsupported, "乡镇审核、县民政局认定"));
        }
        if s.imprisoned.is_some() && chance(&mut self.rng, 800) {
            tags.push((HardshipTag::PrisonerChild, "监狱服刑通知书"));
        }
        if s.unattended && chance(&mut self.rng, 600) {
            tags.push((
                HardshipTag::GuardianshipFailure,
                "村（居）委会报告、民政局认定",
            ));
        }
        if poverty_household {
            let basis = if dibao {
                "低保证"
            } else {
                "脱贫户信息系统"
            };
            tags.push((HardshipTag::PovertyHousehold, basis));
        }
        if poor_family {
            tags.push((HardshipTag::PoorFamily, "村委会评议、民政局认定"));
        }
        let hardships = tags
            .into_iter()
            .filter_map(|(tag, basis)| self.record(tag, basis, birth))
            .collect();

        let mut income_sources = Vec::new();
        if s.any_away {
            income_sources.push(IncomeSource::WageWork);
        }
        if chance(&mut self.rng, 650) || income_sources.is_empty() && !dibao {
            income_sources.push(IncomeSource::Farming);
        }
        if chance(&mut self.rng, 40) {
            income_sources.push(IncomeSource::Business);
        }
        if dibao {
            income_sources.push(IncomeSource::SubsistenceAllowance);
        }
        if chance(&mut self.rng, 20) {
            income_sources.push(IncomeSource::Other);
        }
        income_sources.sort_unstable();
        income_sources.dedup();

        let mut assistance = Vec::new();
        if dibao {
            assistance.push(Assistance::SubsistenceAllowance);
        }
        if (disabled || ill) && chance(&mut self.rng, 400) {
            assistance.push(Assistance::MedicalAid);
        }
        let temporary = if s.orphan || s.unsupported { 500 } else { 25 };
        if chance(&mut self.rng, temporary) {
            assistance.push(Assistance::TemporaryAid);
        }
        if chance(&mut self.rng, 8) {
            assistance.push(Assistance::HousingAid);
        }
        assistance.sort_unstable();
        assistance.dedup();

        let key_child = self
            .key_reason(household, disabled, schooling)
            .and_then(text)
            .map(|reason| KeyChild { reason });
        let notes = self.notes(household).and_then(text);
        Welfare {
            income_sources,
            assistance,
            hardships,
            key_child,
            notes,
        }
    }

    /// A tag granted in the last six years (not before birth); one in ten has since ended.
    fn record(
        &mut self,
        tag: HardshipTag,
        basis: &str,
        birth: NaiveDate,
    ) -> Option<HardshipRecord> {
        let today = self.setting.today;
        let latest = months_before(today, 1);
        let start = date_in(&mut self.rng, months_before(today, 72).max(birth), latest);
        let ends = matches!(tag, HardshipTag::PoorFamily | HardshipTag::PovertyHousehold);
        let end =
            (ends && chance(&mut self.rng, 100)).then(|| date_in(&mut self.rng, start, latest));
        HardshipRecord::new(tag, start, end, text(basis)?).ok()
    }

    /// Why the child is a key child (重点帮扶对象), for about one child in ten.
    fn key_reason(
        &mut self,
        household: &Household,
        disabled: bool,
        schooling: SchoolingStatus,
    ) -> Option<&'static str> {
        let s = household.situation;
        let rng = &mut self.rng;
        if s.unattended {
            return Some("无人监护");
        }
        if s.orphan {
            return Some("孤儿");
        }
        if s.unsupported {
            return Some("事实无人抚养");
        }
        if schooling == SchoolingStatus::HomeTaught {
            return Some("自身残疾、送教上门");
        }
        if disabled && chance(rng, 500) {
            return Some("自身残疾");
        }
        if let Some(sex) = s.imprisoned
            && chance(rng, 600)
        {
            return Some(match sex {
                Sex::Male => "父亲服刑、情绪低落",
                Sex::Female => "母亲服刑、需心理疏导",
            });
        }
        if s.no_parent_home && household.rating == shouhu_domain::GuardianshipRating::Poor {
            return chance(rng, 350).then_some("双亲外出、监护较差");
        }
        if s.no_parent_home && chance(rng, 40) {
            return Some(one(rng, LEFT_BEHIND_REASONS));
        }
        chance(rng, 10).then(|| one(rng, OTHER_REASONS))
    }

    fn notes(&mut self, household: &Household) -> Option<&'static str> {
        let s = household.situation;
        let rng = &mut self.rng;
        if s.unattended {
            return Some(one(rng, UNATTENDED_NOTES));
        }
        if s.mother_missing && chance(rng, 600) {
            return Some("母亲离家多年，长期联系不上");
        }
        if s.imprisoned == Some(Sex::Male) && chance(rng, 500) {
            return Some("父亲在外地服刑");
        }
        if s.any_away && chance(rng, 40) {
            return Some(one(rng, AWAY_NOTES));
        }
        None
    }
}

#[cfg(test)]
pub(crate) fn all_strings() -> Vec<&'static str> {
    let lists = [
        ILLNESSES,
        LEFT_BEHIND_REASONS,
        OTHER_REASONS,
        UNATTENDED_NOTES,
        AWAY_NOTES,
    ];
    lists.into_iter().flatten().copied().collect()
}
