//! Real counties and towns of 毕节市 (NBS 2022 codes), under which the generator places
//! villages, and the school a child of a town attends.

use shouhu_domain::{Grade, RegionCode};

/// The counties (区、县、市) of 毕节市.
const COUNTIES: &[(&str, &str)] = &[
    ("520502", "七星关区"),
    ("520521", "大方县"),
    ("520523", "金沙县"),
    ("520524", "织金县"),
    ("520525", "纳雍县"),
    ("520526", "威宁彝族回族苗族自治县"),
    ("520527", "赫章县"),
    ("520581", "黔西市"),
];

/// Four towns (镇) of each county, by their 9-digit codes.
const TOWNS: &[(&str, &str)] = &[
    ("520502100", "鸭池镇"),
    ("520502101", "梨树镇"),
    ("520502102", "岔河镇"),
    ("520502103", "朱昌镇"),
    ("520521101", "双山镇"),
    ("520521102", "猫场镇"),
    ("520521103", "马场镇"),
    ("520521104", "羊场镇"),
    ("520523101", "安底镇"),
    ("520523102", "沙土镇"),
    ("520523104", "禹谟镇"),
    ("520523105", "岚头镇"),
    ("520524101", "桂果镇"),
    ("520524102", "牛场镇"),
    ("520524103", "猫场镇"),
    ("520524104", "化起镇"),
    ("520525101", "骔岭镇"),
    ("520525102", "阳长镇"),
    ("520525103", "维新镇"),
    ("520525104", "龙场镇"),
    ("520526100", "草海镇"),
    ("520526101", "么站镇"),
    ("520526102", "金钟镇"),
    ("520526103", "炉山镇"),
    ("520527102", "妈姑镇"),
    ("520527103", "财神镇"),
    ("520527104", "六曲河镇"),
    ("520527105", "野马川镇"),
    ("520581100", "金碧镇"),
    ("520581101", "雨朵镇"),
    ("520581102", "大关镇"),
    ("520581103", "谷里镇"),
];

/// Villages made up under each town: the national table stops at towns, and the generator only
/// needs codes that sit in the right town (village codes of 村委会 run from 200).
const VILLAGES_PER_TOWN: u32 = 3;

/// Villages spread over all the towns above.
pub fn bijie_villages() -> Vec<RegionCode> {
    TOWNS
        .iter()
        .flat_map(|&(town, _)| (0..VILLAGES_PER_TOWN).map(move |v| format!("{town}{:03}", 200 + v)))
        .filter_map(|code| RegionCode::parse(&code).ok())
        .collect()
}

pub(crate) fn county_name(region: &RegionCode) -> Option<&'static str> {
    let prefix = region.as_str().get(..6)?;
    COUNTIES
        .iter()
        .find(|&&(code, _)| code == prefix)
        .map(|&(_, name)| name)
}

fn town_name(region: &RegionCode) -> Option<&'static str> {
    let prefix = region.as_str().get(..9)?;
    TOWNS
        .iter()
        .find(|&&(code, _)| code == prefix)
        .map(|&(_, name)| name)
}

/// 户籍所在地 as the 花名册 writes it: province, city and county.
pub(crate) fn hukou_place(region: &RegionCode) -> Option<String> {
    county_name(region).map(|county| format!("贵州省毕节市{county}"))
}

/// The school a child of `village` in `grade` goes to: the town's kindergarten, central
/// primary or middle school.
pub(crate) fn school(village: &RegionCode, grade: Option<Grade>) -> String {
    let stage = match grade.map(Grade::number) {
        Some(..=0) => "中心幼儿园",
        Some(7..) => "中学",
        _ => "中心小学",
    };
    match (town_name(village), county_name(village)) {
        (Some(town), _) => format!("{town}{stage}"),
        (None, Some(county)) => format!("{county}第一{}", stage.trim_start_matches("中心")),
        (None, None) => format!("第一{}", stage.trim_start_matches("中心")),
    }
}

/// A school the generator's sheets name, for tests and benchmarks to create before importing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenSchool {
    pub name: String,
    /// The town's 12-digit code.
    pub region: RegionCode,
    pub kind: shouhu_domain::SchoolKind,
}

/// Every school the children of `villages` may be written into, each once: the town's
/// kindergarten, central primary and middle school (a complete middle school, as sheets put
/// 高中 pupils there too).
pub fn schools_of(villages: &[RegionCode]) -> Vec<GenSchool> {
    use shouhu_domain::SchoolKind;
    let mut out: Vec<GenSchool> = Vec::new();
    for village in villages {
        let town = format!("{}000", &village.as_str()[..9]);
        let Ok(region) = RegionCode::parse(&town) else {
            continue;
        };
        for (grade, kind) in [
            (0, SchoolKind::Kindergarten),
            (1, SchoolKind::Primary),
            (7, SchoolKind::Complete),
        ] {
            let name = school(village, Grade::new(grade).ok());
            if !out.iter().any(|s| s.name == name && s.region == region) {
                out.push(GenSchool {
                    name,
                    region: region.clone(),
                    kind,
                });
            }
        }
    }
    out
}
