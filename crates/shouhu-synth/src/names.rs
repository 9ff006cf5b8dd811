//! Names as they appear on rural Guizhou rosters: surnames by frequency, given names by
//! generation and sex, minority families, rare characters that break naive software.

use rand::rngs::StdRng;
use shouhu_domain::{Ethnicity, Sex};

use crate::pick::{Weighted, chance, one, weighted};

/// The demo county is in 毕节: mostly Han, then Miao and Yi, with Buyei, Gelao, Bai, Hui and
/// the unrecognised 穿青人 (recorded as 其他). A few Uyghur children came with migrant parents.
pub(crate) const ETHNICITIES: &[Weighted<Ethnicity>] = &[
    (Ethnicity::Han, 700),
    (Ethnicity::Miao, 90),
    (Ethnicity::Yi, 80),
    (Ethnicity::Bouyei, 30),
    (Ethnicity::Gelao, 20),
    (Ethnicity::Bai, 18),
    (Ethnicity::Tujia, 15),
    (Ethnicity::Hui, 15),
    (Ethnicity::Dong, 10),
    (Ethnicity::Other, 10),
    (Ethnicity::Uyghur, 6),
    (Ethnicity::Zhuang, 3),
    (Ethnicity::Manchu, 3),
];

/// Han surnames, national frequency (‱, 2020 census order) nudged towards Guizhou, where 罗,
/// 龙, 熊, 潘, 石 and 安 are far more common than nationally.
const HAN: &[Weighted<&str>] = &[
    ("王", 700),
    ("李", 690),
    ("张", 620),
    ("刘", 500),
    ("陈", 460),
    ("杨", 380),
    ("黄", 210),
    ("赵", 200),
    ("吴", 220),
    ("周", 190),
    ("罗", 200),
    ("徐", 140),
    ("孙", 120),
    ("胡", 130),
    ("朱", 120),
    ("何", 120),
    ("郭", 100),
    ("高", 100),
    ("林", 90),
    ("马", 100),
    ("龙", 90),
    ("熊", 80),
    ("潘", 60),
    ("石", 70),
    ("郑", 80),
    ("梁", 70),
    ("谢", 80),
    ("宋", 70),
    ("唐", 80),
    ("许", 60),
    ("韩", 50),
    ("冯", 50),
    ("邓", 70),
    ("曹", 50),
    ("彭", 60),
    ("肖", 60),
    ("田", 60),
    ("董", 40),
    ("袁", 50),
    ("蒋", 40),
    ("蔡", 40),
    ("余", 60),
    ("杜", 40),
    ("叶", 30),
    ("程", 30),
    ("苏", 40),
    ("魏", 30),
    ("吕", 30),
    ("丁", 30),
    ("任", 30),
    ("姚", 30),
    ("卢", 40),
    ("钟", 30),
    ("谭", 30),
    ("陆", 30),
    ("汪", 20),
    ("范", 20),
    ("金", 20),
    ("廖", 30),
    ("贾", 20),
    ("夏", 20),
    ("付", 30),
    ("方", 20),
    ("白", 20),
    ("邹", 20),
    ("秦", 20),
    ("江", 20),
    ("雷", 20),
    ("史", 20),
    ("陶", 40),
    ("顾", 10),
    ("毛", 20),
    ("邵", 10),
    ("严", 10),
    ("安", 40),
    ("文", 30),
    ("聂", 20),
    ("管", 20),
    ("孔", 10),
    ("向", 20),
    ("汤", 10),
];

/// Surnames that trip up software: polyphonic (单 shàn, 曾 zēng, 仇 qiú, 区 ōu, 查 zhā, 盖 gě,
/// 解 xiè), rare (禤) and compound (欧阳, 上官, 万俟).
const RARE: &[Weighted<&str>] = &[
    ("单", 10),
    ("曾", 20),
    ("仇", 5),
    ("禤", 2),
    ("区", 3),
    ("查", 5),
    ("盖", 3),
    ("解", 5),
    ("朴", 3),
    ("万俟", 1),
    ("欧阳", 6),
    ("上官", 3),
    ("诸葛", 2),
    ("司马", 2),
    ("覃", 6),
    ("缪", 3),
    ("翟", 4),
];

const MIAO: &[Weighted<&str>] = &[
    ("杨", 30),
    ("龙", 25),
    ("吴", 20),
    ("王", 15),
    ("石", 15),
    ("潘", 12),
    ("张", 10),
    ("罗", 10),
    ("熊", 10),
    ("陶", 10),
    ("李", 8),
    ("麻", 4),
    ("韦", 3),
];

/// 毕节's Yi keep the old 土司 surnames 安 and 禄 alongside common Han ones.
const YI: &[Weighted<&str>] = &[
    ("安", 20),
    ("禄", 12),
    ("陇", 10),
    ("罗", 15),
    ("王", 12),
    ("李", 12),
    ("杨", 10),
    ("苏", 8),
    ("龙", 8),
    ("陈", 6),
    ("余", 5),
    ("阿", 2),
];

const BUYEI: &[Weighted<&str>] = &[
    ("王", 20),
    ("罗", 18),
    ("韦", 15),
    ("黄", 12),
    ("陆", 10),
    ("岑", 6),
    ("莫", 6),
    ("班", 5),
    ("杨", 5),
];

const GELAO: &[Weighted<&str>] = &[
    ("王", 15),
    ("杨", 12),
    ("吴", 10),
    ("罗", 10),
    ("石", 8),
    ("卢", 6),
    ("邹", 6),
    ("黎", 4),
];

const TUJIA: &[Weighted<&str>] = &[
    ("田", 15),
    ("向", 12),
    ("彭", 12),
    ("冉", 8),
    ("杨", 8),
    ("龙", 6),
    ("张", 6),
    ("覃", 5),
];

const DONG: &[Weighted<&str>] = &[
    ("吴", 20),
    ("杨", 18),
    ("龙", 10),
    ("石", 10),
    ("姚", 6),
    ("欧", 4),
    ("陆", 5),
];

const HUI: &[Weighted<&str>] = &[
    ("马", 40),
    ("白", 10),
    ("丁", 8),
    ("海", 5),
    ("穆", 5),
    ("沙", 4),
    ("哈", 3),
    ("撒", 3),
    ("纳", 2),
];

/// 七星关's Bai (and the 穿青人 nearby) carry ordinary Han surnames in their own proportions.
const BAI: &[Weighted<&str>] = &[
    ("杨", 15),
    ("李", 12),
    ("赵", 10),
    ("段", 8),
    ("张", 8),
    ("王", 8),
    ("罗", 6),
    ("陈", 6),
];

/// A surname for a family of this ethnicity; rare ones turn up in Han families only.
pub(crate) fn surname(rng: &mut StdRng, ethnicity: Ethnicity) -> &'static str {
    let table = match ethnicity {
        Ethnicity::Miao => MIAO,
        Ethnicity::Yi => YI,
        Ethnicity::Bouyei | Ethnicity::Zhuang => BUYEI,
        Ethnicity::Gelao => GELAO,
        Ethnicity::Tujia => TUJIA,
        Ethnicity::Dong => DONG,
        Ethnicity::Hui => HUI,
        Ethnicity::Bai | Ethnicity::Other => BAI,
        _ if chance(rng, 15) => RARE,
        _ => HAN,
    };
    weighted(rng, table)
}

/// The generation a person belongs to; given-name fashions change with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Era {
    /// Born 2008–2022.
    Child,
    /// Born 1970s–1990s.
    Parent,
    /// Born 1945–1975.
    Grandparent,
}

/// Whole given names popular for children born in the 2010s.
const CHILD_MALE_NAMES: &[&str] = &[
    "浩然", "宇轩", "子轩", "俊杰", "浩宇", "梓豪", "一鸣", "宇航", "子豪", "博文", "皓轩", "家豪",
    "俊熙", "明轩", "天佑", "思源", "嘉豪", "鑫宇", "晨阳", "文博", "志远", "锦程", "昊天", "宇辰",
    "泽宇", "睿", "浩", "宇", "杰", "鑫", "磊", "涛", "阳", "超", "凯",
];
const CHILD_FEMALE_NAMES: &[&str] = &[
    "欣怡", "梓涵", "子涵", "雨涵", "诗琪", "思琪", "佳怡", "雨萱", "梦瑶", "可欣", "紫涵", "语嫣",
    "欣悦", "婷婷", "佳琪", "雨欣", "诗涵", "梓萱", "晓雪", "思雨", "心怡", "梦琪", "静怡", "一诺",
    "若曦", "敏", "婷", "雪", "倩", "悦", "琳", "瑶", "丹",
];
/// Characters combined freely, first and second position.
const CHILD_MALE_FIRST: &[&str] = &[
    "浩", "宇", "子", "俊", "梓", "博", "家", "嘉", "天", "明", "志", "文", "思", "泽", "睿", "晨",
    "鑫", "锦", "永", "宏", "国", "兴", "云", "金", "正", "承",
];
const CHILD_MALE_SECOND: &[&str] = &[
    "轩", "宇", "杰", "豪", "涛", "航", "阳", "辉", "鹏", "磊", "强", "伟", "博", "凯", "峰", "林",
    "龙", "成", "彬", "鑫", "浩", "明", "川", "城", "远", "源",
];
const CHILD_FEMALE_FIRST: &[&str] = &[
    "欣", "雨", "梓", "子", "诗", "思", "佳", "梦", "可", "紫", "晓", "心", "语", "若", "婉", "美",
    "秀", "玉", "丽", "春", "金", "雪", "艳", "小",
];
const CHILD_FEMALE_SECOND: &[&str] = &[
    "怡", "涵", "萱", "琪", "悦", "婷", "妍", "馨", "彤", "瑶", "雪", "琳", "颖", "慧", "丽", "芳",
    "艳", "娟", "燕", "敏", "兰", "梅", "月", "蕾",
];

const PARENT_MALE_FIRST: &[&str] = &[
    "建", "国", "志", "文", "小", "永", "明", "红", "德", "光", "兴", "家", "海", "春", "正", "学",
    "大", "成", "世", "维", "朝", "开",
];
const PARENT_MALE_SECOND: &[&str] = &[
    "军", "勇", "伟", "强", "华", "平", "明", "林", "波", "刚", "龙", "辉", "涛", "斌", "峰", "超",
    "兵", "飞", "江", "贵", "荣", "福",
];
const PARENT_MALE_SINGLE: &[&str] = &[
    "军", "勇", "伟", "强", "磊", "涛", "斌", "波", "超", "刚", "平", "鹏", "飞", "杰", "亮", "松",
    "毅", "彪",
];
const PARENT_FEMALE_FIRST: &[&str] = &[
    "秀", "春", "小", "丽", "海", "晓", "金", "玉", "红", "桂", "美", "艳", "翠", "银", "会", "远",
    "德",
];
const PARENT_FEMALE_SECOND: &[&str] = &[
    "英", "梅", "芳", "燕", "娟", "霞", "琴", "兰", "红", "花", "丽", "艳", "玲", "萍", "芬", "珍",
    "菊",
];
const PARENT_FEMALE_SINGLE: &[&str] = &[
    "芳", "燕", "娟", "霞", "敏", "丽", "艳", "梅", "琴", "红", "兰", "玲", "萍", "静", "莉",
];

const ELDER_MALE_FIRST: &[&str] = &[
    "国", "建", "德", "正", "永", "明", "光", "开", "兴", "朝", "富", "文", "少", "绍", "登", "发",
    "世", "时", "仕", "万",
];
const ELDER_MALE_SECOND: &[&str] = &[
    "华", "明", "成", "荣", "贵", "才", "福", "昌", "林", "祥", "发", "友", "山", "元", "全", "清",
    "忠", "学",
];
const ELDER_FEMALE_FIRST: &[&str] = &[
    "秀", "桂", "玉", "翠", "凤", "素", "德", "美", "金", "银", "巧", "春", "明", "光", "正",
];
const ELDER_FEMALE_SECOND: &[&str] = &[
    "英", "兰", "珍", "芬", "花", "芝", "莲", "仙", "芳", "香", "秀", "菊", "琼", "群",
];

/// Characters outside the BMP (CJK Extensions B, C, E) that real children are named with; they
/// take two UTF-16 units and four UTF-8 bytes, and are missing from many fonts.
pub(crate) const OUTSIDE_BMP: &[&str] = &["𠮷", "𡒄", "𨱏", "𫖯", "𬭚", "𬘡", "𬌗", "𫄸"];

fn given(rng: &mut StdRng, sex: Sex, era: Era) -> String {
    let male = sex == Sex::Male;
    let mut name = match era {
        Era::Child if chance(rng, 350) => one(
            rng,
            if male {
                CHILD_MALE_NAMES
            } else {
                CHILD_FEMALE_NAMES
            },
        )
        .to_owned(),
        Era::Child => {
            let (first, second) = if male {
                (CHILD_MALE_FIRST, CHILD_MALE_SECOND)
            } else {
                (CHILD_FEMALE_FIRST, CHILD_FEMALE_SECOND)
            };
            if chance(rng, 200) {
                one(rng, second).to_owned()
            } else {
                pair(rng, first, second)
            }
        }
        Era::Parent if chance(rng, 400) => one(
            rng,
            if male {
                PARENT_MALE_SINGLE
            } else {
                PARENT_FEMALE_SINGLE
            },
        )
        .to_owned(),
        Era::Parent if male => pair(rng, PARENT_MALE_FIRST, PARENT_MALE_SECOND),
        Era::Parent => pair(rng, PARENT_FEMALE_FIRST, PARENT_FEMALE_SECOND),
        Era::Grandparent if male => pair(rng, ELDER_MALE_FIRST, ELDER_MALE_SECOND),
        Era::Grandparent => pair(rng, ELDER_FEMALE_FIRST, ELDER_FEMALE_SECOND),
    };
    let rare = if era == Era::Child { 10 } else { 3 };
    if chance(rng, rare) {
        // The rare character usually ends the name (单𠮷, 王梓𬭚).
        name.pop();
        name.push_str(one(rng, OUTSIDE_BMP));
    }
    name
}

/// Two characters; a repeat is drawn again once, which leaves reduplicated names (婷婷) about
/// as rare as they are.
fn pair(rng: &mut StdRng, first: &[&str], second: &[&str]) -> String {
    let a = one(rng, first);
    let mut b = one(rng, second);
    if a == b {
        b = one(rng, second);
    }
    format!("{a}{b}")
}

const UYGHUR_MALE: &[&str] = &[
    "买买提",
    "艾力",
    "阿不都",
    "吐尔逊",
    "艾克拜尔",
    "努尔兰",
    "阿里木",
    "伊力哈木",
    "热合曼",
    "亚森",
    "艾则孜",
    "吾斯曼",
    "库尔班",
    "肉孜",
    "艾山",
    "玉素甫",
];
const UYGHUR_FEMALE: &[&str] = &[
    "阿依古丽",
    "古丽娜尔",
    "热依拉",
    "帕提古丽",
    "米热古丽",
    "阿依努尔",
    "迪丽努尔",
    "古再丽努尔",
    "祖丽皮亚",
    "努尔古丽",
    "热娜",
    "萨依普加玛丽",
];

/// Uyghur names take the father's name after a middle dot: 阿依古丽·买买提 is 买买提's
/// daughter. `father` is the father's own first part.
pub(crate) fn uyghur(rng: &mut StdRng, sex: Sex, father: &str) -> String {
    let own = one(
        rng,
        if sex == Sex::Male {
            UYGHUR_MALE
        } else {
            UYGHUR_FEMALE
        },
    );
    format!("{own}·{father}")
}

/// A first part for a Uyghur father, to pass to [`uyghur`] for his children.
pub(crate) fn uyghur_male_given(rng: &mut StdRng) -> &'static str {
    one(rng, UYGHUR_MALE)
}

/// A full Han-style name with the given surname.
pub(crate) fn han(rng: &mut StdRng, surname: &str, sex: Sex, era: Era) -> String {
    format!("{surname}{}", given(rng, sex, era))
}

#[cfg(test)]
pub(crate) mod tables {
    use super::*;

    /// Every character list, for the test that runs each entry through the domain's parser.
    pub(crate) fn all_strings() -> Vec<&'static str> {
        let weighted_tables = [HAN, RARE, MIAO, YI, BUYEI, GELAO, TUJIA, DONG, HUI, BAI];
        let lists = [
            CHILD_MALE_NAMES,
            CHILD_FEMALE_NAMES,
            CHILD_MALE_FIRST,
            CHILD_MALE_SECOND,
            CHILD_FEMALE_FIRST,
            CHILD_FEMALE_SECOND,
            PARENT_MALE_FIRST,
            PARENT_MALE_SECOND,
            PARENT_MALE_SINGLE,
            PARENT_FEMALE_FIRST,
            PARENT_FEMALE_SECOND,
            PARENT_FEMALE_SINGLE,
            ELDER_MALE_FIRST,
            ELDER_MALE_SECOND,
            ELDER_FEMALE_FIRST,
            ELDER_FEMALE_SECOND,
            OUTSIDE_BMP,
            UYGHUR_MALE,
            UYGHUR_FEMALE,
        ];
        weighted_tables
            .into_iter()
            .flat_map(|t| t.iter().map(|&(s, _)| s))
            .chain(lists.into_iter().flatten().copied())
            .collect()
    }
}
