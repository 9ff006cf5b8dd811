//! Synthetic child files (一人一档) for the demo county, tests and benchmarks: realistic enough
//! for officials to recognise their own rosters, reproducible from a seed.
//!
//! Every value goes through the domain's `parse`, so a generated file is one a teacher could
//! have typed. Families are drawn as a whole (who went where, who stayed, who can no longer
//! guard) and the file is written from that, so the care arrangement, the hardship tags, the
//! aid and the key-child reason agree with one another.
//!
//! Place names in addresses are invented from the region codes: the generator knows codes,
//! not the gazetteer.

mod family;
mod ids;
mod names;
mod pick;
mod places;
mod profile;
mod welfare;

use std::ops::RangeInclusive;

use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shouhu_domain::{
    Boarding, ChildFile, FactText, HukouType, IdDocType, PersonName, Profile, RegionCode,
    SchoolingStatus, Sex, age_on,
};

use crate::family::Household;
use crate::ids::IdBook;
use crate::names::Era;
use crate::pick::{chance, date_in, fnv1a, months_before, weighted};

/// Where generated children live: the villages (12-digit codes) of one county, and the date
/// that is "today".
///
/// ID numbers are checked against `today`, not the clock; with a `today` later than the real
/// one, files may hold numbers that `IdCardNo::parse` rejects as born in the future.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub villages: Vec<RegionCode>,
    pub today: NaiveDate,
}

/// Draws child files one after another; the same seed and setting give the same sequence.
///
/// It remembers every ID number it has issued (children, parents, entrusted carers), so no
/// two people it makes share one; at 300,000 children that memory is about 20 MB.
#[derive(Debug)]
pub struct Generator {
    rng: StdRng,
    setting: Setting,
    /// Running totals of the villages' sizes, for drawing where a child lives.
    village_sizes: Vec<u32>,
    ids: IdBook,
}

/// 义务教育: aged 6 to 15.
const SCHOOL_AGES: RangeInclusive<u32> = 6..=15;

impl Generator {
    /// A generator for `setting`, drawing from `seed`.
    ///
    /// # Panics
    ///
    /// If `setting.villages` is empty: a child must live somewhere.
    pub fn new(seed: u64, setting: Setting) -> Generator {
        assert!(
            !setting.villages.is_empty(),
            "a setting needs at least one village"
        );
        // Villages differ in size (1–4 shares each), fixed by their code so that adding a
        // village leaves the others' sizes alone.
        let village_sizes = setting
            .villages
            .iter()
            .scan(0, |total, v| {
                *total += 1 + (fnv1a(v.as_str()) % 4) as u32;
                Some(*total)
            })
            .collect();
        Generator {
            rng: StdRng::seed_from_u64(seed),
            setting,
            village_sizes,
            ids: IdBook::default(),
        }
    }

    /// One child aged 6–15 on `today` (compulsory school age).
    pub fn child(&mut self) -> ChildFile {
        self.child_aged(SCHOOL_AGES)
    }

    /// One child whose age (周岁) on `today` lies in `ages`; a range running backwards is
    /// read as its start alone. Ages reaching back before 1900 leave the ID number out, as
    /// the domain refuses such numbers.
    pub fn child_aged(&mut self, ages: RangeInclusive<u32>) -> ChildFile {
        let today = self.setting.today;
        let village = self.village();
        let county = village.as_str()[..6].to_owned();
        let sex = if chance(&mut self.rng, 520) {
            Sex::Male
        } else {
            Sex::Female
        };
        let ethnicity = weighted(&mut self.rng, names::ETHNICITIES);
        let (earliest, latest) = birth_window(today, &ages);
        let mut birth_date = date_in(&mut self.rng, earliest, latest);
        let mut id_number = None;
        // A full day (500 numbers of one sex) is unheard of, but moving the birthday is the
        // only way out of it that keeps the number and the date in agreement.
        for _ in 0..8 {
            id_number = self
                .ids
                .issue(&mut self.rng, &county, birth_date, sex, today);
            if id_number.is_some() {
                break;
            }
            birth_date = date_in(&mut self.rng, earliest, latest);
        }

        let family = self.naming(ethnicity);
        let name = self.child_name(&family, sex);
        let address = places::address(&mut self.rng, village.as_str());
        let health = welfare::health(&mut self.rng);
        let schooling = welfare::schooling(&mut self.rng, &health);
        let age = age_on(birth_date, today);
        let household = self.household(&family, &county, birth_date, &address);
        let welfare = self.welfare(&household, &health, schooling, birth_date);
        let hukou_type = if chance(&mut self.rng, 900) {
            HukouType::Agricultural
        } else {
            HukouType::NonAgricultural
        };
        let xueji_no = match &id_number {
            Some(id) if chance(&mut self.rng, 900) => text(&format!("G{id}")),
            _ => None,
        };
        let Household {
            father,
            mother,
            guardians,
            entrustment,
            care,
            rating,
            ..
        } = household;
        let mut file = ChildFile {
            name,
            pinyin: None,
            sex,
            ethnicity,
            birth_date,
            id_doc_type: IdDocType::ResidentIdCard,
            id_number,
            doc_number: None,
            hukou_region: Some(village.clone()),
            hukou_type: Some(hukou_type),
            residence_region: village,
            address: text(&address),
            boarding: self.boarding(age, schooling),
            schooling,
            health,
            profile: Profile {
                personality: text(&profile::personality(&mut self.rng)),
                hobbies: text(&profile::hobbies(&mut self.rng)),
                strengths: text(&profile::strengths(&mut self.rng)),
            },
            xueji_no,
            father: Some(father),
            mother: Some(mother),
            guardians,
            entrustment,
            care_arrangement: Some(care),
            rating: Some(rating),
            income_sources: welfare.income_sources,
            assistance: welfare.assistance,
            hardships: welfare.hardships,
            key_child: welfare.key_child,
            notes: welfare.notes,
        };
        self.leave_gaps(&mut file);
        file
    }

    fn village(&mut self) -> RegionCode {
        let total = self.village_sizes.last().copied().unwrap_or(0);
        let n = self.rng.gen_range(0..total.max(1));
        let i = self.village_sizes.partition_point(|&end| end <= n);
        // `new` refused an empty list, so the last index exists.
        let last = self.setting.villages.len() - 1;
        self.setting.villages[i.min(last)].clone()
    }

    fn child_name(&mut self, family: &family::Naming, sex: Sex) -> PersonName {
        loop {
            let raw = match family.uyghur_father {
                Some(father) => names::uyghur(&mut self.rng, sex, father),
                None => names::han(&mut self.rng, &family.surname, sex, Era::Child),
            };
            // The tables are checked by a test; a bad entry is skipped rather than kept.
            if let Ok(name) = PersonName::parse(&raw) {
                return name;
            }
        }
    }

    fn boarding(&mut self, age: u32, schooling: SchoolingStatus) -> Option<Boarding> {
        if schooling == SchoolingStatus::HomeTaught {
            return Some(Boarding::DayPupil);
        }
        // Township junior schools board most pupils; village primaries almost none.
        let per_mille = match age {
            12.. => 550,
            9..=11 => 120,
            _ => 30,
        };
        Some(if chance(&mut self.rng, per_mille) {
            Boarding::Boarder
        } else {
            Boarding::DayPupil
        })
    }

    /// Real rosters are never complete: about one file in twelve loses a part or two on top of
    /// the gaps the family's situation already leaves (no phone in prison, no carer at all).
    fn leave_gaps(&mut self, file: &mut ChildFile) {
        if !chance(&mut self.rng, 85) {
            return;
        }
        let gaps = self.rng.gen_range(1..=2);
        for _ in 0..gaps {
            match self.rng.gen_range(0..9) {
                0 => file.profile.hobbies = None,
                1 => file.profile.strengths = None,
                2 => file.profile.personality = None,
                3 => file.address = None,
                4 => file.rating = None,
                5 => file.hukou_type = None,
                6 => {
                    for g in &mut file.guardians {
                        g.phone = None;
                    }
                }
                7 => {
                    if let Some(f) = &mut file.father {
                        f.phone = None;
                    }
                }
                _ => {
                    let away = [&mut file.father, &mut file.mother]
                        .into_iter()
                        .flatten()
                        .filter_map(|p| p.away.as_mut());
                    for w in away {
                        w.province = None;
                        w.city = None;
                        w.region = None;
                        w.employer = None;
                    }
                }
            }
        }
    }
}

/// Children whose age on `today` is in `ages`, as earliest and latest birth dates.
fn birth_window(today: NaiveDate, ages: &RangeInclusive<u32>) -> (NaiveDate, NaiveDate) {
    let youngest = *ages.start();
    let oldest = (*ages.end()).max(youngest);
    let latest = months_before(today, youngest.saturating_mul(12));
    // The day after the (oldest + 1)th birthday's eve: one day younger than oldest + 1.
    let earliest = months_before(today, oldest.saturating_add(1).saturating_mul(12))
        .succ_opt()
        .unwrap_or(latest);
    (earliest.min(latest), latest)
}

/// Free text from the tables as a fact; `None` for an entry the domain would refuse.
fn text(s: &str) -> Option<FactText> {
    FactText::parse(s).ok()
}

#[cfg(test)]
mod tests;
