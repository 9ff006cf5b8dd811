//! Where parents go to work, what they do there, and where the child lives.

use rand::Rng;
use rand::rngs::StdRng;

use crate::pick::{Weighted, chance, fnv1a, one, weighted};

/// A work place: province name, the city as people say it, its region code (6 digits).
#[derive(Debug, Clone, Copy)]
pub(crate) struct City {
    pub province: &'static str,
    pub city: &'static str,
    pub code: &'static str,
    /// What the place is known for hiring, when it is not the usual factory or site work.
    pub trade: Option<&'static str>,
}

const fn city(province: &'static str, city: &'static str, code: &'static str) -> City {
    City {
        province,
        city,
        code,
        trade: None,
    }
}

const fn known_for(
    province: &'static str,
    city: &'static str,
    code: &'static str,
    trade: &'static str,
) -> City {
    City {
        province,
        city,
        code,
        trade: Some(trade),
    }
}

/// 毕节's migrants go mostly to the Pearl River Delta, then Zhejiang, Fujian and Jiangsu; some
/// stay in Guizhou (贵阳, the 仁怀 distilleries) or cross to Yunnan. Weights are per mille.
const CITIES: &[Weighted<City>] = &[
    (city("广东", "东莞市", "441900"), 95),
    (city("广东", "深圳市", "440300"), 70),
    (city("广东", "广州市", "440100"), 50),
    (city("广东", "佛山市", "440600"), 45),
    (city("广东", "中山市", "442000"), 30),
    (city("广东", "惠州市", "441300"), 25),
    (city("广东", "江门市", "440700"), 12),
    (city("广东", "珠海市", "440400"), 10),
    (city("广东", "肇庆市", "441200"), 8),
    (known_for("浙江", "义乌市", "330782", "饰品厂"), 45),
    (city("浙江", "宁波市", "330200"), 45),
    (known_for("浙江", "温州市", "330300", "鞋厂"), 40),
    (city("浙江", "台州市", "331000"), 20),
    (city("浙江", "杭州市", "330100"), 20),
    (known_for("浙江", "绍兴市", "330600", "纺织厂"), 15),
    (city("浙江", "嘉兴市", "330400"), 15),
    (city("浙江", "慈溪市", "330282"), 10),
    (city("江苏", "苏州市", "320500"), 40),
    (city("江苏", "昆山市", "320583"), 25),
    (city("江苏", "无锡市", "320200"), 15),
    (city("江苏", "常州市", "320400"), 10),
    (city("江苏", "南京市", "320100"), 10),
    (known_for("福建", "晋江市", "350582", "鞋厂"), 30),
    (city("福建", "泉州市", "350500"), 30),
    (city("福建", "厦门市", "350200"), 25),
    (known_for("福建", "石狮市", "350581", "服装厂"), 10),
    (city("福建", "福州市", "350100"), 15),
    (city("上海", "松江区", "310117"), 15),
    (city("上海", "嘉定区", "310114"), 12),
    (city("上海", "闵行区", "310112"), 10),
    (city("上海", "浦东新区", "310115"), 10),
    (city("贵州", "贵阳市", "520100"), 50),
    (city("贵州", "遵义市", "520300"), 12),
    (known_for("贵州", "仁怀市", "520382", "酒厂"), 15),
    (known_for("贵州", "六盘水市", "520200", "煤矿"), 8),
    (city("云南", "昆明市", "530100"), 15),
    (city("云南", "曲靖市", "530300"), 5),
    (city("北京", "大兴区", "110115"), 5),
];

pub(crate) fn work_city(rng: &mut StdRng) -> City {
    weighted(rng, CITIES)
}

const FACTORIES: &[&str] = &[
    "电子厂",
    "制衣厂",
    "鞋厂",
    "玩具厂",
    "五金厂",
    "家具厂",
    "塑料厂",
    "包装厂",
    "纺织厂",
    "食品厂",
    "电器厂",
    "灯具厂",
];
const OTHER_WORK: &[Weighted<&str>] = &[
    ("建筑工地", 30),
    ("装修队", 8),
    ("物流公司", 6),
    ("快递站", 5),
    ("餐馆", 10),
    ("外卖平台", 4),
    ("保洁公司", 3),
    ("汽修厂", 3),
    ("菜市场摆摊", 2),
];

/// "东莞某电子厂", "建筑工地", "仁怀某酒厂": what parents tell the teacher, never a real firm.
pub(crate) fn employer(rng: &mut StdRng, place: &City) -> String {
    let town = place
        .city
        .strip_suffix("新区")
        .or_else(|| place.city.strip_suffix(['市', '区']))
        .unwrap_or(place.city);
    match place.trade {
        Some(trade) if chance(rng, 500) => format!("{town}某{trade}"),
        _ if chance(rng, 550) => format!("{town}某{}", one(rng, FACTORIES)),
        _ => weighted(rng, OTHER_WORK).to_owned(),
    }
}

/// 毕节 mobiles are on every carrier; these prefixes are the ones in everyday use.
const MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "180", "181", "182", "183", "184", "185", "186",
    "187", "188", "189", "191", "198", "199",
];

pub(crate) fn mobile(rng: &mut StdRng) -> String {
    let prefix = one(rng, MOBILE_PREFIXES);
    format!("{prefix}{:08}", rng.gen_range(0..100_000_000u32))
}

/// Guizhou area codes by prefecture (first 4 digits of the county); landlines elsewhere are
/// left out rather than given a wrong code.
const AREA_CODES: &[(&str, &str)] = &[
    ("5201", "0851"),
    ("5202", "0858"),
    ("5203", "0851"),
    ("5204", "0851"),
    ("5205", "0857"),
    ("5206", "0856"),
    ("5223", "0859"),
    ("5226", "0855"),
    ("5227", "0854"),
];

/// A village landline ("0857-8221234"), if the county's area code is known.
pub(crate) fn landline(rng: &mut StdRng, county: &str) -> Option<String> {
    let area = AREA_CODES
        .iter()
        .find(|(prefecture, _)| county.starts_with(prefecture))?
        .1;
    let first = rng.gen_range(2..=8u32);
    Some(format!(
        "{area}-{first}{:06}",
        rng.gen_range(0..1_000_000u32)
    ))
}

/// Parts of made-up place names: the shapes of Guizhou hill villages (坝 flat, 箐 wooded
/// gully, 冲 valley, 屯 garrison).
const PLACE_HEADS: &[&str] = &[
    "大", "小", "新", "老", "上", "下", "高", "石", "水", "龙", "白", "黑", "青", "杨", "松", "马",
    "茶", "核桃", "沙", "岩", "田", "龙洞", "李子", "桃子", "杉树", "红岩", "海子", "凉水", "干",
    "中", "营",
];
const PLACE_TAILS: &[&str] = &[
    "坝", "坡", "沟", "湾", "寨", "屯", "坪", "冲", "箐", "堡", "井", "河", "山", "林", "田", "岩",
    "塘", "关", "场", "哨",
];
const COMMUNITY_NAMES: &[&str] = &[
    "新华",
    "碧阳",
    "洪山",
    "麻园",
    "观音桥",
    "市西",
    "市东",
    "三板桥",
    "德溪",
    "柏杨林",
];
const STREETS: &[&str] = &[
    "人民路",
    "新华路",
    "建设路",
    "环城路",
    "民主路",
    "文化路",
    "洪山路",
];

const NUMERALS: [&str; 12] = [
    "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二",
];

/// A place name that depends only on `code`, so every child of one village gets the same one.
/// The names are invented: the generator knows codes, not the gazetteer.
fn place_name(code: &str) -> String {
    let h = fnv1a(code);
    let pick =
        |list: &[&'static str], shift: u32| list[((h >> shift) % list.len() as u64) as usize];
    format!("{}{}", pick(PLACE_HEADS, 0), pick(PLACE_TAILS, 16))
}

/// "马场镇白岩村三组12号" for a 村委会, "松林街道新华社区人民路45号" for a 居委会; `village` is
/// the 12-digit code, whose ranges say which kind of place it is.
pub(crate) fn address(rng: &mut StdRng, village: &str) -> String {
    let township_code = village.get(..9).unwrap_or(village);
    let township_kind = village.get(6..9).and_then(|s| s.parse::<u32>().ok());
    let village_kind = village.get(9..12).and_then(|s| s.parse::<u32>().ok());
    let township_suffix = match township_kind {
        Some(1..=99) => "街道",
        Some(100..=199) => "镇",
        _ => "乡",
    };
    let township = format!("{}{township_suffix}", place_name(township_code));
    match village_kind {
        Some(1..=199) => {
            let community =
                COMMUNITY_NAMES[(fnv1a(village) % COMMUNITY_NAMES.len() as u64) as usize];
            let street = one(rng, STREETS);
            let number = rng.gen_range(1..=200);
            format!("{township}{community}社区{street}{number}号")
        }
        _ => {
            // Villages have between four and twelve 村民组.
            let groups = rng.gen_range(4..=NUMERALS.len());
            let group = one(rng, &NUMERALS[..groups]);
            let number = rng.gen_range(1..=60);
            format!("{township}{}村{group}组{number}号", place_name(village))
        }
    }
}

#[cfg(test)]
pub(crate) mod tables {
    use super::*;

    pub(crate) fn cities() -> impl Iterator<Item = City> {
        CITIES.iter().map(|&(c, _)| c)
    }

    pub(crate) fn all_strings() -> Vec<&'static str> {
        let lists = [
            FACTORIES,
            PLACE_HEADS,
            PLACE_TAILS,
            COMMUNITY_NAMES,
            STREETS,
            &NUMERALS[..],
        ];
        lists
            .into_iter()
            .flatten()
            .copied()
            .chain(OTHER_WORK.iter().map(|&(s, _)| s))
            .collect()
    }

    pub(crate) fn mobile_prefixes() -> &'static [&'static str] {
        MOBILE_PREFIXES
    }
}
