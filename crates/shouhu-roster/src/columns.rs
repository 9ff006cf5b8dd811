//! The roster columns Shouhu knows: each one's header as exports write it and the other names
//! found on the forms in use (2016 民政 登记表 and 花名册, the 学籍 学生基本信息表, county templates).

use shouhu_domain::normalize_width;

/// One column a roster may carry. Import matches headers against [`Column::header`] and
/// [`Column::aliases`]; export writes [`Column::header`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    /// 序号: read and ignored; exports number the rows.
    SerialNo,
    Name,
    Sex,
    Ethnicity,
    BirthDate,
    IdDocType,
    IdNumber,
    /// 户籍所在地: usually place text; only a region code is kept.
    HukouPlace,
    HukouType,
    /// 现居住地: kept as the address text.
    Address,
    School,
    Grade,
    Class,
    Boarding,
    XuejiNo,
    SchoolingStatus,
    Health,
    FatherName,
    FatherIdNumber,
    FatherWorkPlace,
    FatherAwaySince,
    FatherPhone,
    MotherName,
    MotherIdNumber,
    MotherWorkPlace,
    MotherAwaySince,
    MotherPhone,
    BothParentsAway,
    EntrustedName,
    EntrustedRelation,
    EntrustedPhone,
    CareArrangement,
    GuardianshipRating,
    /// 是否留守儿童 (学籍 0/1/2 or 是/否): derived in Shouhu, read only to warn on disagreement.
    LeftBehind,
    /// A contact phone with no named person (学籍 联系电话).
    ContactPhone,
    Personality,
    Hobbies,
    Strengths,
    Notes,
}

/// Header, then the other names, all in the cleaned form [`clean_header`] produces.
const TABLE: &[(Column, &str, &[&str])] = &[
    (Column::SerialNo, "序号", &["编号", "顺序号", "no", "no."]),
    (
        Column::Name,
        "姓名",
        &["儿童姓名", "学生姓名", "留守儿童姓名"],
    ),
    (Column::Sex, "性别", &["儿童性别", "学生性别"]),
    (Column::Ethnicity, "民族", &["民族名称"]),
    (
        Column::BirthDate,
        "出生日期",
        &["出生年月", "出生年月日", "出生时间", "生日"],
    ),
    (Column::IdDocType, "身份证件类型", &["证件类型"]),
    (
        Column::IdNumber,
        "公民身份证号码",
        &[
            "身份证号",
            "身份证号码",
            "身份证件号",
            "身份证件号码",
            "公民身份号码",
            "证件号码",
            "证件号",
            "儿童身份证号",
            "儿童身份证号码",
            "学生身份证号",
        ],
    ),
    (
        Column::HukouPlace,
        "户籍所在地",
        &["户口所在地", "户籍地", "户籍地址", "户口登记地"],
    ),
    (
        Column::HukouType,
        "户口性质",
        &["户口类型", "户籍性质", "户籍类型", "户口类别"],
    ),
    (
        Column::Address,
        "现居住地",
        &[
            "家庭住址",
            "现住址",
            "家庭地址",
            "现居住地址",
            "居住地址",
            "现住地址",
            "家庭现住址",
        ],
    ),
    (
        Column::School,
        "学校",
        &["学校名称", "就读学校", "所在学校", "就读学校名称"],
    ),
    (Column::Grade, "年级", &["所在年级", "就读年级"]),
    (Column::Class, "班级", &["所在班级", "班级名称", "班"]),
    (
        Column::Boarding,
        "是否学校寄宿",
        &["就读方式", "是否寄宿", "是否住校", "是否寄宿生"],
    ),
    (
        Column::XuejiNo,
        "全国学籍号",
        &["学籍号", "学籍编号", "全国学籍号码"],
    ),
    (
        Column::SchoolingStatus,
        "就学状态",
        &["在校状态", "学生状态", "学籍状态"],
    ),
    (Column::Health, "健康状况", &["健康情况", "身体状况"]),
    (Column::FatherName, "父亲姓名", &[]),
    (
        Column::FatherIdNumber,
        "父亲身份证号码",
        &["父亲身份证号", "父亲身份证件号"],
    ),
    (
        Column::FatherWorkPlace,
        "父亲务工地点",
        &[
            "父亲外出务工地点",
            "父亲务工地",
            "父亲外出务工地",
            "父亲工作地点",
        ],
    ),
    (
        Column::FatherAwaySince,
        "父亲外出时间",
        &["父亲外出务工时间", "父亲外出日期"],
    ),
    (
        Column::FatherPhone,
        "父亲联系电话",
        &["父亲电话", "父亲手机", "父亲联系方式", "父亲手机号"],
    ),
    (Column::MotherName, "母亲姓名", &[]),
    (
        Column::MotherIdNumber,
        "母亲身份证号码",
        &["母亲身份证号", "母亲身份证件号"],
    ),
    (
        Column::MotherWorkPlace,
        "母亲务工地点",
        &[
            "母亲外出务工地点",
            "母亲务工地",
            "母亲外出务工地",
            "母亲工作地点",
        ],
    ),
    (
        Column::MotherAwaySince,
        "母亲外出时间",
        &["母亲外出务工时间", "母亲外出日期"],
    ),
    (
        Column::MotherPhone,
        "母亲联系电话",
        &["母亲电话", "母亲手机", "母亲联系方式", "母亲手机号"],
    ),
    (
        Column::BothParentsAway,
        "父母双方同时外出",
        &[
            "父母双方外出",
            "父母均外出",
            "父母均外出务工",
            "父母是否均外出",
            "父母双方是否同时外出",
        ],
    ),
    (
        Column::EntrustedName,
        "委托监护人姓名",
        &[
            "受委托监护人姓名",
            "被委托人姓名",
            "委托照护人姓名",
            "受委托照护人姓名",
        ],
    ),
    (
        Column::EntrustedRelation,
        "与被监护人关系",
        &[
            "委托监护人与儿童关系",
            "与儿童关系",
            "与被委托人关系",
            "与留守儿童关系",
        ],
    ),
    (
        Column::EntrustedPhone,
        "受委托监护人电话",
        &[
            "受委托监护人联系电话",
            "委托监护人电话",
            "委托监护人联系电话",
            "被委托人电话",
            "被委托人联系电话",
        ],
    ),
    (
        Column::CareArrangement,
        "监护类型",
        &["监护方式", "监护形式"],
    ),
    (
        Column::GuardianshipRating,
        "监护情况评估",
        &["监护情况", "监护状况"],
    ),
    (
        Column::LeftBehind,
        "是否留守儿童",
        &["留守儿童", "是否留守", "留守类型", "留守情况"],
    ),
    (
        Column::ContactPhone,
        "联系电话",
        &["家长联系电话", "监护人联系电话", "联系方式", "电话"],
    ),
    (Column::Personality, "性格特点", &["性格", "性格特征"]),
    (Column::Hobbies, "兴趣爱好", &["爱好"]),
    (Column::Strengths, "特长", &["优点特长", "特长优点"]),
    (Column::Notes, "备注", &["说明"]),
];

impl Column {
    /// Every column, in the order an export writes them.
    pub fn all() -> impl Iterator<Item = Column> {
        TABLE.iter().map(|&(c, _, _)| c)
    }

    /// The header an export writes: the 2016 花名册's wording where it has the column.
    pub fn header(self) -> &'static str {
        Self::row(self).map_or("", |(_, h, _)| h)
    }

    /// Other headers that mean this column.
    pub fn aliases(self) -> &'static [&'static str] {
        Self::row(self).map_or(&[], |(_, _, a)| a)
    }

    /// The column a sheet's header text names, ignoring width, spaces, required-field stars and
    /// a trailing note in brackets ("出生日期（年月日）").
    pub fn from_header(text: &str) -> Option<Column> {
        let cleaned = clean_header(text);
        Self::lookup(&cleaned).or_else(|| {
            let bare = cleaned.split(['(', '[', '【']).next().unwrap_or("");
            Self::lookup(bare)
        })
    }

    fn lookup(cleaned: &str) -> Option<Column> {
        if cleaned.is_empty() {
            return None;
        }
        TABLE
            .iter()
            .find(|(_, h, a)| *h == cleaned || a.contains(&cleaned))
            .map(|&(c, _, _)| c)
    }

    fn row(self) -> Option<&'static (Column, &'static str, &'static [&'static str])> {
        TABLE.iter().find(|(c, _, _)| *c == self)
    }
}

/// Half-width, lower-case, without spaces, stars or colons: the form headers are compared in.
pub fn clean_header(text: &str) -> String {
    normalize_width(text)
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '*' | ':' | '※'))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_has_one_row_and_names_are_unique_and_clean() {
        let mut seen = std::collections::HashSet::new();
        for (c, header, aliases) in TABLE {
            assert_eq!(Column::all().filter(|x| x == c).count(), 1);
            for name in std::iter::once(header).chain(aliases.iter()) {
                let cleaned = clean_header(name);
                assert!(seen.insert(cleaned.clone()), "{name} named twice");
                assert_eq!(Column::from_header(name), Some(*c), "{name}");
            }
        }
    }

    #[test]
    fn headers_match_whatever_the_dressing() {
        assert_eq!(Column::from_header(" 姓  名 "), Some(Column::Name));
        assert_eq!(
            Column::from_header("*出生日期（年月日）"),
            Some(Column::BirthDate)
        );
        assert_eq!(Column::from_header("身份证件号"), Some(Column::IdNumber));
        assert_eq!(Column::from_header("就读方式"), Some(Column::Boarding));
        assert_eq!(Column::from_header("血型"), None);
        assert_eq!(Column::from_header(""), None);
        assert_eq!(Column::IdNumber.header(), "公民身份证号码");
    }
}
