//! The one table of a child file's fields, by JSON path (`father.phone`, `guardians.0.name`): it
//! lays out the file page, the create and edit forms and the labels of the revision history, so
//! the three cannot drift apart. Labels are catalog keys `f.<path>` with list indexes as `N`.

use shouhu_domain::{
    Assistance, Boarding, CannotGuardReason, CareArrangement, DisabilityCategory, DisabilityGrade,
    Ethnicity, GuardianshipRating, HardshipTag, HealthKind, HukouType, IdDocType, IncomeSource,
    Province, SchoolingStatus, Sex,
};

/// A value and the catalog key (or plain text) of its label.
#[derive(Clone, Debug)]
pub struct Opt {
    pub value: String,
    pub label: String,
    /// `label` is a catalog key, not text to show as is.
    pub keyed: bool,
}

#[derive(Clone, Debug)]
pub enum Input {
    Text,
    /// Masked when read; a masked value sent back keeps the stored one.
    Secret,
    Date,
    Number,
    Choice(Vec<Opt>),
    /// Several codes (收入来源, 救助).
    Multi(Vec<Opt>),
    Check,
    /// A box whose tick makes the object at `path` exist (a parent "外出务工").
    Present,
    LongText,
}

#[derive(Clone, Debug)]
pub struct Field {
    pub path: String,
    pub input: Input,
}

#[derive(Clone, Debug)]
pub struct Section {
    pub key: &'static str,
    pub fields: Vec<Field>,
}

macro_rules! options {
    ($ty:ty) => {
        <$ty>::ALL
            .iter()
            .map(|v| Opt {
                value: v.code().to_owned(),
                label: v.label_key().to_owned(),
                keyed: true,
            })
            .collect::<Vec<_>>()
    };
}

fn sexes() -> Vec<Opt> {
    [(Sex::Male, "male"), (Sex::Female, "female")]
        .iter()
        .map(|(s, value)| Opt {
            value: (*value).to_owned(),
            label: s.label_key().to_owned(),
            keyed: true,
        })
        .collect()
}

fn provinces() -> Vec<Opt> {
    Province::all()
        .map(|p| Opt {
            value: p.to_string(),
            label: p.name_zh().to_owned(),
            keyed: false,
        })
        .collect()
}

/// Catalog key of a path's label: list indexes become `N`.
pub fn label_key(path: &str) -> String {
    let generic: Vec<&str> = path
        .split('.')
        .map(|part| {
            if part.bytes().all(|b| b.is_ascii_digit()) {
                "N"
            } else {
                part
            }
        })
        .collect();
    format!("f.{}", generic.join("."))
}

fn field(path: &str, input: Input) -> Field {
    Field {
        path: path.to_owned(),
        input,
    }
}

fn parent(who: &str) -> Vec<Field> {
    let p = |rest: &str| format!("{who}.{rest}");
    vec![
        field(&p("name"), Input::Text),
        field(&p("phone"), Input::Secret),
        field(&p("birth_date"), Input::Date),
        field(&p("id_number"), Input::Secret),
        field(
            &p("cannot_guard"),
            Input::Choice(options!(CannotGuardReason)),
        ),
        field(&p("away"), Input::Present),
        field(&p("away.since"), Input::Date),
        field(&p("away.province"), Input::Choice(provinces())),
        field(&p("away.city"), Input::Text),
        field(&p("away.employer"), Input::Text),
    ]
}

/// Guardian slots on the form; a file with more keeps the rest through the API.
pub const GUARDIAN_SLOTS: usize = 2;
/// Hardship-tag slots on the form.
pub const TAG_SLOTS: usize = 3;

/// `residence` lists the villages a child of this school may live in.
pub fn sections(residence: Vec<Opt>) -> Vec<Section> {
    let mut guardians = Vec::new();
    for i in 0..GUARDIAN_SLOTS {
        let g = |rest: &str| format!("guardians.{i}.{rest}");
        guardians.extend([
            field(&g("name"), Input::Text),
            field(&g("relation"), Input::Text),
            field(&g("phone"), Input::Secret),
            field(&g("birth_year"), Input::Number),
            field(&g("health"), Input::Secret),
            field(&g("is_carer"), Input::Check),
        ]);
    }
    let mut tags = Vec::new();
    for i in 0..TAG_SLOTS {
        let h = |rest: &str| format!("hardships.{i}.{rest}");
        tags.extend([
            field(&h("tag"), Input::Choice(options!(HardshipTag))),
            field(&h("start"), Input::Date),
            field(&h("end"), Input::Date),
            field(&h("basis"), Input::Text),
        ]);
    }
    tags.push(field("key_child.reason", Input::Text));
    tags.push(field("notes", Input::LongText));
    let d = |rest: &str| format!("entrustment.disqualifications.{rest}");
    vec![
        Section {
            key: "section.basic",
            fields: vec![
                field("name", Input::Text),
                field("pinyin", Input::Text),
                field("sex", Input::Choice(sexes())),
                field("ethnicity", Input::Choice(options!(Ethnicity))),
                field("birth_date", Input::Date),
                field("id_doc_type", Input::Choice(options!(IdDocType))),
                field("id_number", Input::Secret),
                field("doc_number", Input::Secret),
                field("xueji_no", Input::Text),
                field("hukou_type", Input::Choice(options!(HukouType))),
                field("hukou_region", Input::Text),
                field("residence_region", Input::Choice(residence)),
                field("address", Input::Secret),
                field("boarding", Input::Choice(options!(Boarding))),
                field("schooling", Input::Choice(options!(SchoolingStatus))),
            ],
        },
        Section {
            key: "section.health",
            fields: vec![
                field("health.kind", Input::Choice(options!(HealthKind))),
                field(
                    "health.category",
                    Input::Choice(options!(DisabilityCategory)),
                ),
                field("health.grade", Input::Choice(options!(DisabilityGrade))),
                field("health.illness", Input::Text),
            ],
        },
        Section {
            key: "section.profile",
            fields: vec![
                field("profile.personality", Input::Text),
                field("profile.hobbies", Input::Text),
                field("profile.strengths", Input::Text),
            ],
        },
        Section {
            key: "section.father",
            fields: parent("father"),
        },
        Section {
            key: "section.mother",
            fields: parent("mother"),
        },
        Section {
            key: "section.guardians",
            fields: guardians,
        },
        Section {
            key: "section.entrustment",
            fields: vec![
                field("entrustment.name", Input::Text),
                field("entrustment.relation", Input::Text),
                field("entrustment.phone", Input::Secret),
                field("entrustment.id_number", Input::Secret),
                field("entrustment.address", Input::Secret),
                field("entrustment.age", Input::Number),
                field("entrustment.health", Input::Secret),
                field(&d("past_crimes"), Input::Check),
                field(&d("vices"), Input::Check),
                field(&d("neglected_care"), Input::Check),
                field(&d("other"), Input::Check),
                field("entrustment.school_told_on", Input::Date),
                field("entrustment.village_told_on", Input::Date),
            ],
        },
        Section {
            key: "section.care",
            fields: vec![
                field("care_arrangement", Input::Choice(options!(CareArrangement))),
                field("rating", Input::Choice(options!(GuardianshipRating))),
                field("income_sources", Input::Multi(options!(IncomeSource))),
                field("assistance", Input::Multi(options!(Assistance))),
            ],
        },
        Section {
            key: "section.tags",
            fields: tags,
        },
    ]
}

/// Every label key the table can produce, for the catalog test.
#[cfg(test)]
pub fn all_label_keys() -> Vec<String> {
    let mut keys: Vec<String> = sections(Vec::new())
        .into_iter()
        .flat_map(|s| s.fields.into_iter().map(|f| label_key(&f.path)))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}
