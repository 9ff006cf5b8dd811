//! The family behind a file: which parents left and for where, who can no longer guard, and
//! who looks after the child instead, with the entrustment the law asks for.

use chrono::{Datelike, NaiveDate};
use rand::Rng;
use shouhu_domain::{
    AwayWork, CannotGuardReason, CareArrangement, Disqualifications, Entrustment, Ethnicity,
    Guardian, GuardianshipRating, Parent, PersonName, PhoneNo, Province, RegionCode, Sex, age_on,
};

use crate::names::{self, Era};
use crate::pick::{Weighted, chance, date_in, months_after, months_before, weighted};
use crate::places;
use crate::{Generator, text};

/// How the family's names are formed.
#[derive(Debug)]
pub(crate) struct Naming {
    pub ethnicity: Ethnicity,
    /// The father's surname, which the child takes.
    pub surname: String,
    /// For Uyghur families: the father's own name, which the child carries after the dot.
    pub uyghur_father: Option<&'static str>,
}

/// What the rest of the file needs to know about the family.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Situation {
    /// At least one parent works away.
    pub any_away: bool,
    /// No parent at home who can guard the child: both away, or one away and one unable.
    pub no_parent_home: bool,
    pub imprisoned: Option<Sex>,
    pub orphan: bool,
    /// Both parents unable (dead, missing, imprisoned, gravely ill), not both dead.
    pub unsupported: bool,
    pub mother_missing: bool,
    pub unattended: bool,
    /// The carer is old and frail or disabled.
    pub frail_carer: bool,
    /// The day the first parent left, when one did.
    pub left_on: Option<NaiveDate>,
}

pub(crate) struct Household {
    pub father: Parent,
    pub mother: Parent,
    pub guardians: Vec<Guardian>,
    pub entrustment: Option<Entrustment>,
    pub care: CareArrangement,
    pub rating: GuardianshipRating,
    pub situation: Situation,
}

use CannotGuardReason as R;

/// Why a father cannot guard: prison leads, then illness and disability.
const FATHER_UNABLE: &[Weighted<CannotGuardReason>] = &[
    (R::Imprisoned, 35),
    (R::SeriousIllness, 20),
    (R::SeriousDisability, 20),
    (R::Deceased, 15),
    (R::Missing, 10),
];
/// Mothers who left the family and cannot be reached (失联) are the commonest case in 毕节.
const MOTHER_UNABLE: &[Weighted<CannotGuardReason>] = &[
    (R::Missing, 45),
    (R::Deceased, 20),
    (R::SeriousIllness, 20),
    (R::SeriousDisability, 10),
    (R::Imprisoned, 5),
];
/// For children no one supports (事实无人抚养): both parents are out of reach.
const FATHER_GONE: &[Weighted<CannotGuardReason>] = &[
    (R::Imprisoned, 35),
    (R::Missing, 25),
    (R::Deceased, 25),
    (R::SeriousDisability, 15),
];
const MOTHER_GONE: &[Weighted<CannotGuardReason>] = &[
    (R::Missing, 50),
    (R::Deceased, 30),
    (R::SeriousIllness, 10),
    (R::SeriousDisability, 10),
];

const GRANDPARENT_HEALTH: &[Weighted<Option<&str>>] = &[
    (None, 400),
    (Some("良好"), 250),
    (Some("一般"), 100),
    (Some("高血压"), 80),
    (Some("腿脚不便"), 60),
    (Some("年老体弱"), 40),
    (Some("糖尿病"), 30),
    (Some("视力较差"), 30),
    (Some("肢体残疾"), 10),
];
const FRAIL: &[&str] = &["腿脚不便", "年老体弱", "视力较差", "肢体残疾"];

/// Relatives who take a child in, and whose side of the family they are on.
const RELATIVES: &[Weighted<(&str, Sex, Side)>] = &[
    (("姑姑", Sex::Female, Side::Father), 30),
    (("伯父", Sex::Male, Side::Father), 15),
    (("叔叔", Sex::Male, Side::Father), 20),
    (("舅舅", Sex::Male, Side::Mother), 15),
    (("姨妈", Sex::Female, Side::Mother), 20),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Father,
    Mother,
}

/// What happened to one parent, decided before anything is written down.
#[derive(Debug, Clone, Copy, Default)]
struct Fate {
    away: bool,
    unable: Option<CannotGuardReason>,
}

impl Fate {
    fn can_guard_at_home(self) -> bool {
        !self.away && self.unable.is_none()
    }
}

impl Generator {
    pub(crate) fn naming(&mut self, ethnicity: Ethnicity) -> Naming {
        let rng = &mut self.rng;
        let uyghur_father = (ethnicity == Ethnicity::Uyghur).then(|| names::uyghur_male_given(rng));
        Naming {
            ethnicity,
            surname: names::surname(rng, ethnicity).to_owned(),
            uyghur_father,
        }
    }

    pub(crate) fn household(
        &mut self,
        naming: &Naming,
        county: &str,
        child_birth: NaiveDate,
        address: &str,
    ) -> Household {
        let (father_fate, mother_fate) = self.fates();
        let mother_surname = names::surname(&mut self.rng, naming.ethnicity);
        let (father_name, mother_name) = match naming.uyghur_father {
            Some(own) => {
                let his_father = names::uyghur_male_given(&mut self.rng);
                let her_father = names::uyghur_male_given(&mut self.rng);
                let mother = names::uyghur(&mut self.rng, Sex::Female, her_father);
                (format!("{own}·{his_father}"), mother)
            }
            None => {
                let rng = &mut self.rng;
                let father = names::han(rng, &naming.surname, Sex::Male, Era::Parent);
                let mother = names::han(rng, mother_surname, Sex::Female, Era::Parent);
                (father, mother)
            }
        };
        // Fathers are mostly 22–34 at the child's birth, mothers a few years younger.
        let father_gap = if chance(&mut self.rng, 800) {
            self.rng.gen_range(22..=34)
        } else {
            self.rng.gen_range(35..=40)
        };
        let mother_gap = (father_gap - self.rng.gen_range(0..=4)).max(22);
        let mut father = self.parent(
            father_name,
            Sex::Male,
            father_fate,
            child_birth,
            father_gap,
            county,
        );
        let mut mother = self.parent(
            mother_name,
            Sex::Female,
            mother_fate,
            child_birth,
            mother_gap,
            county,
        );
        self.send_away(
            &mut father,
            &mut mother,
            father_fate,
            mother_fate,
            child_birth,
        );

        let left_on = [&father, &mother]
            .iter()
            .filter_map(|p| p.away.as_ref()?.since)
            .min();
        let mut situation = Situation {
            any_away: father_fate.away || mother_fate.away,
            no_parent_home: !father_fate.can_guard_at_home() && !mother_fate.can_guard_at_home(),
            imprisoned: [(father_fate, Sex::Male), (mother_fate, Sex::Female)]
                .into_iter()
                .find(|(f, _)| f.unable == Some(R::Imprisoned))
                .map(|(_, sex)| sex),
            orphan: father_fate.unable == Some(R::Deceased)
                && mother_fate.unable == Some(R::Deceased),
            unsupported: false,
            mother_missing: mother_fate.unable == Some(R::Missing),
            unattended: false,
            frail_carer: false,
            left_on,
        };
        situation.unsupported =
            father_fate.unable.is_some() && mother_fate.unable.is_some() && !situation.orphan;

        let (father_side, mother_side) = (naming.surname.as_str(), mother_surname);
        let sides = (father_side, mother_side, naming.uyghur_father.is_some());
        let (guardians, care) =
            self.carers(&father, &mother, father_fate, mother_fate, sides, county);
        situation.unattended = care == CareArrangement::Unattended;
        situation.frail_carer = guardians.iter().any(|g| {
            g.is_carer
                && g.health
                    .as_ref()
                    .is_some_and(|h| FRAIL.contains(&h.as_str()))
        });
        // Only parents who left can entrust; an orphan's carer is appointed, not entrusted.
        let entrustment = if situation.no_parent_home && situation.any_away && !situation.unattended
        {
            self.entrustment(&guardians, county, address, &situation)
        } else {
            None
        };
        let disqualified = entrustment
            .as_ref()
            .is_some_and(|e| e.disqualifications.any());
        let rating = self.rating(&situation, disqualified);
        Household {
            father,
            mother,
            guardians,
            entrustment,
            care,
            rating,
            situation,
        }
    }

    /// Most children have both parents away (65%), a quarter one (25%), the rest neither; a
    /// few parents are dead, ill, disabled, in prison or lost.
    fn fates(&mut self) -> (Fate, Fate) {
        let rng = &mut self.rng;
        let roll = rng.gen_range(0..1000);
        let (father_unable, mother_unable) = if roll < 2 {
            (Some(R::Deceased), Some(R::Deceased))
        } else if roll < 8 {
            (
                Some(weighted(rng, FATHER_GONE)),
                Some(weighted(rng, MOTHER_GONE)),
            )
        } else {
            let f = chance(rng, 20).then(|| weighted(rng, FATHER_UNABLE));
            let m = chance(rng, 30).then(|| weighted(rng, MOTHER_UNABLE));
            (f, m)
        };
        let pattern = rng.gen_range(0..1000);
        let (father_leaves, mother_leaves) = match pattern {
            0..650 => (true, true),
            650..900 => {
                // Fathers go more often; the mother stays with the children.
                let father = chance(rng, 650);
                (father, !father)
            }
            _ => (false, false),
        };
        // Only the able leave for work; a parent who left and lost touch is still away.
        let mut away = |leaves: bool, unable: Option<CannotGuardReason>| match unable {
            None => leaves,
            Some(R::Missing) => chance(rng, 500),
            Some(_) => false,
        };
        let father = Fate {
            away: away(father_leaves, father_unable),
            unable: father_unable,
        };
        let mother = Fate {
            away: away(mother_leaves, mother_unable),
            unable: mother_unable,
        };
        (father, mother)
    }

    fn parent(
        &mut self,
        name: String,
        sex: Sex,
        fate: Fate,
        child_birth: NaiveDate,
        gap_years: u32,
        county: &str,
    ) -> Parent {
        let today = self.setting.today;
        let latest = months_before(child_birth, gap_years * 12);
        let earliest = months_before(child_birth, (gap_years + 1) * 12)
            .succ_opt()
            .unwrap_or(latest);
        let birth = date_in(&mut self.rng, earliest, latest);
        let id_number = if chance(&mut self.rng, 950) {
            self.ids.issue(&mut self.rng, county, birth, sex, today)
        } else {
            None
        };
        // No phone reaches a parent in prison, and a lost parent's old number is dead.
        let reachable = match fate.unable {
            Some(R::Deceased | R::Imprisoned) => false,
            Some(R::Missing) => chance(&mut self.rng, 200),
            _ => chance(&mut self.rng, 985),
        };
        let phone = if reachable {
            PhoneNo::parse(&places::mobile(&mut self.rng)).ok()
        } else {
            None
        };
        Parent {
            name: PersonName::parse(&name).ok(),
            birth_date: Some(birth),
            id_number,
            phone,
            away: None,
            cannot_guard: fate.unable,
        }
    }

    /// Writes down where away parents work. Couples often leave together for the same city.
    fn send_away(
        &mut self,
        father: &mut Parent,
        mother: &mut Parent,
        father_fate: Fate,
        mother_fate: Fate,
        child_birth: NaiveDate,
    ) {
        father.away = self.away_work(father_fate, child_birth);
        let able = father_fate.unable.is_none() && mother_fate.unable.is_none();
        let together = able && father_fate.away && mother_fate.away && chance(&mut self.rng, 600);
        mother.away = match father.away.clone() {
            Some(mut w) if together => {
                // The mother may follow a few weeks later, once the child is settled.
                if let Some(since) = w.since
                    && chance(&mut self.rng, 300)
                {
                    let later = months_after(since, self.rng.gen_range(1..=3));
                    w.since = Some(later.min(self.setting.today));
                }
                Some(w)
            }
            _ => self.away_work(mother_fate, child_birth),
        };
    }

    fn away_work(&mut self, fate: Fate, child_birth: NaiveDate) -> Option<AwayWork> {
        if !fate.away {
            return None;
        }
        let today = self.setting.today;
        // Left between a month and eight years ago, mostly after the child was weaned.
        let latest = months_before(today, 1);
        let earliest = months_before(today, 96).max(months_after(child_birth, 6));
        let since = date_in(&mut self.rng, earliest.min(latest), latest);
        if fate.unable == Some(R::Missing) {
            // Gone without word: when is remembered, where usually is not.
            let place = chance(&mut self.rng, 400).then(|| places::work_city(&mut self.rng));
            return Some(AwayWork {
                since: Some(since),
                province: place.and_then(|p| Province::parse(p.province).ok()),
                city: place.and_then(|p| text(p.city)),
                region: None,
                employer: None,
            });
        }
        let place = places::work_city(&mut self.rng);
        let region = if chance(&mut self.rng, 700) {
            RegionCode::parse(place.code).ok()
        } else {
            None
        };
        let employer = if chance(&mut self.rng, 850) {
            text(&places::employer(&mut self.rng, &place))
        } else {
            None
        };
        Some(AwayWork {
            // Old rosters often lack the leaving date.
            since: chance(&mut self.rng, 970).then_some(since),
            province: Province::parse(place.province).ok(),
            city: text(place.city),
            region,
            employer,
        })
    }

    /// Who looks after the child, and the care arrangement that follows from it.
    fn carers(
        &mut self,
        father: &Parent,
        mother: &Parent,
        father_fate: Fate,
        mother_fate: Fate,
        (father_side, mother_side, uyghur): (&str, &str, bool),
        county: &str,
    ) -> (Vec<Guardian>, CareArrangement) {
        let mut guardians = Vec::new();
        let home = [(mother, mother_fate, "母亲"), (father, father_fate, "父亲")]
            .into_iter()
            .filter(|(_, fate, _)| fate.can_guard_at_home())
            .collect::<Vec<_>>();
        let parents_birth = father
            .birth_date
            .or(mother.birth_date)
            .map_or(1985, |d| d.year());
        if let Some(&(parent, _, relation)) = home.first() {
            // The parent at home is the carer the contact card should name.
            if let Some(g) = self.parent_as_carer(parent, relation) {
                guardians.push(g);
            }
            if chance(&mut self.rng, 450) {
                let g = self.grandparent(Side::Father, father_side, mother_side, uyghur, false);
                guardians.extend(self.elder(g, parents_birth, county));
            }
            let care = if home.len() == 2 {
                CareArrangement::Other
            } else {
                CareArrangement::OneParent
            };
            return (guardians, care);
        }
        let roll = self.rng.gen_range(0..1000);
        if roll < 20 {
            return (guardians, CareArrangement::Unattended);
        }
        if roll < 130 {
            let (relation, sex, side) = weighted(&mut self.rng, RELATIVES);
            let surname = match side {
                Side::Father => father_side.to_owned(),
                Side::Mother => mother_side.to_owned(),
            };
            let name = if uyghur {
                let father = names::uyghur_male_given(&mut self.rng);
                names::uyghur(&mut self.rng, sex, father)
            } else {
                names::han(&mut self.rng, &surname, sex, Era::Parent)
            };
            let year = parents_birth + self.rng.gen_range(-8..=8);
            if let Some(g) = self.guardian(&name, relation, year, true, county) {
                guardians.push(g);
            }
            return (guardians, CareArrangement::Relatives);
        }
        // Grandparents: the father's side mostly, often just the grandmother.
        let side = if chance(&mut self.rng, 700) {
            Side::Father
        } else {
            Side::Mother
        };
        let both = chance(&mut self.rng, 600);
        let grandmother_cares = chance(&mut self.rng, 650);
        let grandmother = self.grandparent(side, father_side, mother_side, uyghur, true);
        let grandfather = self.grandparent(side, father_side, mother_side, uyghur, false);
        let (carer, other) = if grandmother_cares {
            (grandmother, grandfather)
        } else {
            (grandfather, grandmother)
        };
        let carer_g = self.elder(carer, parents_birth, county).map(|mut g| {
            g.is_carer = true;
            g
        });
        guardians.extend(carer_g);
        if both {
            guardians.extend(self.elder(other, parents_birth, county));
        }
        (guardians, CareArrangement::Grandparents)
    }

    fn parent_as_carer(&mut self, parent: &Parent, relation: &str) -> Option<Guardian> {
        Some(Guardian {
            name: parent.name.clone()?,
            relation: text(relation)?,
            phone: parent.phone.clone(),
            birth_year: parent.birth_date.map(|d| d.year()),
            health: None,
            is_carer: true,
        })
    }

    /// A grandparent's name and relation: 祖父/祖母 on the father's side, 外祖父/外祖母 on the
    /// mother's; grandfathers carry that side's surname.
    fn grandparent(
        &mut self,
        side: Side,
        father_side: &str,
        mother_side: &str,
        uyghur: bool,
        female: bool,
    ) -> (String, &'static str) {
        let relation = match (side, female) {
            (Side::Father, false) => "祖父",
            (Side::Father, true) => "祖母",
            (Side::Mother, false) => "外祖父",
            (Side::Mother, true) => "外祖母",
        };
        let sex = if female { Sex::Female } else { Sex::Male };
        let name = if uyghur {
            let father = names::uyghur_male_given(&mut self.rng);
            names::uyghur(&mut self.rng, sex, father)
        } else {
            let surname = match (side, female) {
                (Side::Father, false) => father_side.to_owned(),
                (Side::Mother, false) => mother_side.to_owned(),
                // Grandmothers married in from another family.
                (_, true) => names::surname(&mut self.rng, Ethnicity::Han).to_owned(),
            };
            names::han(&mut self.rng, &surname, sex, Era::Grandparent)
        };
        (name, relation)
    }

    /// A grandparent as a guardian, born 20–32 years before the parents (1945–1975).
    fn elder(
        &mut self,
        (name, relation): (String, &str),
        parents_birth: i32,
        county: &str,
    ) -> Option<Guardian> {
        let year = (parents_birth - self.rng.gen_range(20..=32)).clamp(1945, 1975);
        self.guardian(&name, relation, year, false, county)
    }

    fn guardian(
        &mut self,
        name: &str,
        relation: &str,
        birth_year: i32,
        is_carer: bool,
        county: &str,
    ) -> Option<Guardian> {
        // Carers are asked for a number; grandparents often give the village shop's landline
        // or none at all.
        let phone = match self.rng.gen_range(0..1000) {
            0..650 => Some(places::mobile(&mut self.rng)),
            650..850 => places::landline(&mut self.rng, county),
            _ if !is_carer => Some(places::mobile(&mut self.rng)),
            _ => None,
        };
        let health = weighted(&mut self.rng, GRANDPARENT_HEALTH);
        Some(Guardian {
            name: PersonName::parse(name).ok()?,
            relation: text(relation)?,
            phone: phone.and_then(|p| PhoneNo::parse(&p).ok()),
            birth_year: Some(birth_year),
            health: health.and_then(text),
            is_carer,
        })
    }

    /// 委托照护: recorded for about half the children left with no parent at home.
    fn entrustment(
        &mut self,
        guardians: &[Guardian],
        county: &str,
        address: &str,
        situation: &Situation,
    ) -> Option<Entrustment> {
        if !chance(&mut self.rng, 500) {
            return None;
        }
        let carer = guardians.iter().find(|g| g.is_carer)?;
        let today = self.setting.today;
        let year = carer.birth_year.unwrap_or(1960);
        let birth = date_in(
            &mut self.rng,
            NaiveDate::from_ymd_opt(year, 1, 1)?,
            NaiveDate::from_ymd_opt(year, 12, 31)?,
        );
        let sex = if matches!(carer.relation.as_str(), "祖母" | "外祖母" | "姑姑" | "姨妈")
        {
            Sex::Female
        } else {
            Sex::Male
        };
        let id_number = if chance(&mut self.rng, 900) {
            self.ids.issue(&mut self.rng, county, birth, sex, today)
        } else {
            None
        };
        // The parents tell the school and the village in writing around the time they leave.
        let left = situation
            .left_on
            .unwrap_or_else(|| months_before(today, 12));
        let mut told = || {
            let day = date_in(&mut self.rng, left, months_after(left, 2).min(today));
            chance(&mut self.rng, 800).then_some(day)
        };
        let school_told_on = told();
        let village_told_on = told();
        let mut disqualifications = Disqualifications::default();
        if chance(&mut self.rng, 5) {
            match self.rng.gen_range(0..3) {
                0 => disqualifications.vices = true,
                1 => disqualifications.neglected_care = true,
                _ => disqualifications.other = true,
            }
        }
        Some(Entrustment {
            name: carer.name.clone(),
            id_number,
            relation: carer.relation.clone(),
            phone: carer.phone.clone(),
            address: if chance(&mut self.rng, 700) {
                text(address)
            } else {
                None
            },
            age: u8::try_from(age_on(birth, today)).ok(),
            health: carer.health.clone(),
            disqualifications,
            school_told_on,
            village_told_on,
        })
    }

    fn rating(&mut self, s: &Situation, disqualified: bool) -> GuardianshipRating {
        use GuardianshipRating::{Fair, Good, Poor};
        let table: &[Weighted<GuardianshipRating>] = if s.unattended || disqualified {
            &[(Poor, 70), (Fair, 30)]
        } else if s.frail_carer || s.unsupported || s.orphan {
            &[(Good, 15), (Fair, 45), (Poor, 40)]
        } else if !s.any_away {
            &[(Good, 70), (Fair, 27), (Poor, 3)]
        } else {
            &[(Good, 45), (Fair, 48), (Poor, 7)]
        };
        weighted(&mut self.rng, table)
    }
}

#[cfg(test)]
pub(crate) fn all_strings() -> Vec<&'static str> {
    GRANDPARENT_HEALTH
        .iter()
        .filter_map(|&(h, _)| h)
        .chain(RELATIVES.iter().map(|&((r, _, _), _)| r))
        .chain(["祖父", "祖母", "外祖父", "外祖母", "父亲", "母亲"])
        .collect()
}
