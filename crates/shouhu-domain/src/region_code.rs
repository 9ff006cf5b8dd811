//! 统计用区划代码: the 12-digit region codes of the National Bureau of Statistics, and their tree.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::normalize_width;

/// Where each level's segment ends: 省2 市2 县2 乡3 村3.
const SEGMENT_ENDS: [usize; 5] = [2, 4, 6, 9, 12];

/// Province codes run from 11 (北京) to 82 (澳门); shared with ID-number checking.
pub(crate) fn is_province(code: u32) -> bool {
    (11..=82).contains(&code)
}

/// Always 12 digits; shorter GB/T 2260 forms are padded with zeros.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegionCode(String);

/// Ordered by depth: `Province < City < … < Village`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    Province,
    City,
    County,
    Township,
    Village,
}

/// 乡级 kind, from the township segment's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TownshipKind {
    /// 街道, 001–099.
    Subdistrict,
    /// 镇, 100–199.
    Town,
    /// 乡, 200–399.
    Township,
    /// 400 and up: farms, development zones and the like.
    Other,
}

/// 村级 kind, from the village segment's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VillageKind {
    /// 居委会, 001–199.
    Residents,
    /// 村委会, 200–399.
    Villagers,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionCodeError {
    #[error("请填写区划代码")]
    Empty,
    #[error("区划代码应为 6、9 或 12 位数字")]
    Length,
    #[error("区划代码只能由数字组成")]
    Character,
    #[error("区划代码不能全为 0")]
    Zero,
    #[error("区划代码的前两位不是有效的省级代码")]
    Province,
}

impl RegionCodeError {
    pub fn code(&self) -> &'static str {
        match self {
            RegionCodeError::Empty => "region_code.empty",
            RegionCodeError::Length => "region_code.length",
            RegionCodeError::Character => "region_code.character",
            RegionCodeError::Zero => "region_code.zero",
            RegionCodeError::Province => "region_code.province",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionLevelError {
    #[error("未知的区划级别")]
    Unknown,
}

impl RegionLevelError {
    pub fn code(&self) -> &'static str {
        "region_level.unknown"
    }
}

impl RegionLevel {
    pub const ALL: [RegionLevel; 5] = [
        RegionLevel::Province,
        RegionLevel::City,
        RegionLevel::County,
        RegionLevel::Township,
        RegionLevel::Village,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RegionLevel::Province => "province",
            RegionLevel::City => "city",
            RegionLevel::County => "county",
            RegionLevel::Township => "township",
            RegionLevel::Village => "village",
        }
    }

    /// Accepts the code or the Chinese label.
    pub fn parse(s: &str) -> Result<RegionLevel, RegionLevelError> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|l| l.code() == s || l.label_zh() == s)
            .ok_or(RegionLevelError::Unknown)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            RegionLevel::Province => "省",
            RegionLevel::City => "市",
            RegionLevel::County => "县",
            RegionLevel::Township => "乡镇",
            RegionLevel::Village => "村",
        }
    }

    pub fn label_key(self) -> &'static str {
        match self {
            RegionLevel::Province => "region_level.province",
            RegionLevel::City => "region_level.city",
            RegionLevel::County => "region_level.county",
            RegionLevel::Township => "region_level.township",
            RegionLevel::Village => "region_level.village",
        }
    }

    /// The code's digit range holding this level's segment.
    fn segment(self) -> std::ops::Range<usize> {
        let i = self as usize;
        let start = if i == 0 { 0 } else { SEGMENT_ENDS[i - 1] };
        start..SEGMENT_ENDS[i]
    }
}

impl RegionCode {
    /// Accepts 6-digit (county), 9-digit (township) and 12-digit forms.
    pub fn parse(s: &str) -> Result<RegionCode, RegionCodeError> {
        let s = normalize_width(s);
        let s = s.trim();
        if s.is_empty() {
            return Err(RegionCodeError::Empty);
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RegionCodeError::Character);
        }
        if ![6, 9, 12].contains(&s.len()) {
            return Err(RegionCodeError::Length);
        }
        let code = RegionCode(format!("{s:0<12}"));
        if code.0.bytes().all(|b| b == b'0') {
            return Err(RegionCodeError::Zero);
        }
        if !is_province(code.segment(RegionLevel::Province)) {
            return Err(RegionCodeError::Province);
        }
        Ok(code)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn segment(&self, level: RegionLevel) -> u32 {
        self.0.as_bytes()[level.segment()]
            .iter()
            .fold(0, |n, b| n * 10 + u32::from(b - b'0'))
    }

    /// The level of the last non-zero segment. A level may be skipped: 东莞's towns
    /// (441900003000) sit directly under the city, so they are townships with county 00.
    pub fn level(&self) -> RegionLevel {
        RegionLevel::ALL
            .into_iter()
            .rev()
            .find(|&l| self.segment(l) != 0)
            .unwrap_or(RegionLevel::Province)
    }

    /// The code with its last non-zero segment zeroed; `None` for a province.
    pub fn parent(&self) -> Option<RegionCode> {
        let level = self.level();
        if level == RegionLevel::Province {
            return None;
        }
        let start = level.segment().start;
        Some(RegionCode(format!("{:0<12}", &self.0[..start])))
    }

    /// The digits that matter at this code's level (2, 4, 6, 9 or 12).
    pub fn prefix(&self) -> &str {
        &self.0[..self.level().segment().end]
    }

    /// Whether `other` is this region or lies inside it.
    pub fn contains(&self, other: &RegionCode) -> bool {
        other.0.starts_with(self.prefix())
    }

    /// Inclusive 12-digit bounds of the subtree, for `code BETWEEN lo AND hi` queries.
    pub fn subtree_bounds(&self) -> (String, String) {
        let prefix = self.prefix();
        (format!("{prefix:0<12}"), format!("{prefix:9<12}"))
    }

    pub fn township_kind(&self) -> Option<TownshipKind> {
        if self.level() < RegionLevel::Township {
            return None;
        }
        Some(match self.segment(RegionLevel::Township) {
            1..=99 => TownshipKind::Subdistrict,
            100..=199 => TownshipKind::Town,
            200..=399 => TownshipKind::Township,
            _ => TownshipKind::Other,
        })
    }

    pub fn village_kind(&self) -> Option<VillageKind> {
        if self.level() < RegionLevel::Village {
            return None;
        }
        Some(match self.segment(RegionLevel::Village) {
            1..=199 => VillageKind::Residents,
            200..=399 => VillageKind::Villagers,
            _ => VillageKind::Other,
        })
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_form!(RegionCode, RegionCodeError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rc(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn parses_short_forms_and_rejects_junk() {
        assert_eq!(rc("520502").as_str(), "520502000000");
        assert_eq!(rc(" 520502103 ").as_str(), "520502103000");
        assert_eq!(rc("５２０５０２１０３２０１").as_str(), "520502103201");
        let cases = [
            ("", RegionCodeError::Empty),
            ("5205", RegionCodeError::Length),
            ("52050210", RegionCodeError::Length),
            ("52050a", RegionCodeError::Character),
            ("000000", RegionCodeError::Zero),
            ("910000", RegionCodeError::Province),
            ("000001000000", RegionCodeError::Province),
        ];
        for (input, err) in cases {
            assert_eq!(RegionCode::parse(input), Err(err), "{input:?}");
        }
    }

    #[test]
    fn levels_parents_and_kinds() {
        let village = rc("520502103201");
        assert_eq!(village.level(), RegionLevel::Village);
        assert_eq!(village.prefix(), "520502103201");
        assert_eq!(village.township_kind(), Some(TownshipKind::Town));
        assert_eq!(village.village_kind(), Some(VillageKind::Villagers));
        let chain: Vec<String> = std::iter::successors(Some(village), RegionCode::parent)
            .map(|c| c.to_string())
            .collect();
        assert_eq!(
            chain,
            [
                "520502103201",
                "520502103000",
                "520502000000",
                "520500000000",
                "520000000000"
            ]
        );
        assert_eq!(rc("520500").level(), RegionLevel::City);
        assert_eq!(rc("520502").township_kind(), None);
        assert_eq!(rc("520502").village_kind(), None);
        assert_eq!(
            rc("110101001").township_kind(),
            Some(TownshipKind::Subdistrict)
        );
        assert_eq!(
            rc("110101001001").village_kind(),
            Some(VillageKind::Residents)
        );
        assert_eq!(
            rc("520502203").township_kind(),
            Some(TownshipKind::Township)
        );
        assert_eq!(rc("520502400").township_kind(), Some(TownshipKind::Other));
    }

    #[test]
    fn township_directly_under_a_city() {
        let town = rc("441900003000");
        assert_eq!(town.level(), RegionLevel::Township);
        assert_eq!(town.prefix(), "441900003");
        assert_eq!(town.parent(), Some(rc("441900000000")));
        assert_eq!(rc("441900").level(), RegionLevel::City);
        assert!(rc("441900").contains(&town));
        assert!(!rc("441901").contains(&town));
    }

    #[test]
    fn bounds_and_level_labels() {
        assert_eq!(
            rc("520502").subtree_bounds(),
            ("520502000000".to_owned(), "520502999999".to_owned())
        );
        assert_eq!(RegionLevel::parse("county"), Ok(RegionLevel::County));
        assert_eq!(RegionLevel::parse("乡镇"), Ok(RegionLevel::Township));
        assert_eq!(
            RegionLevel::parse("district"),
            Err(RegionLevelError::Unknown)
        );
        assert!(RegionLevel::Province < RegionLevel::Village);
        assert_eq!(RegionLevel::County.label_key(), "region_level.county");
    }

    fn segment(width: u32) -> impl Strategy<Value = u32> {
        prop_oneof![Just(0), 1..10u32.pow(width)]
    }

    fn code() -> impl Strategy<Value = RegionCode> {
        (11u32..=82, segment(2), segment(2), segment(3), segment(3)).prop_map(|(p, c, d, t, v)| {
            RegionCode::parse(&format!("{p:02}{c:02}{d:02}{t:03}{v:03}")).unwrap()
        })
    }

    fn chain(code: &RegionCode) -> Vec<RegionCode> {
        std::iter::successors(Some(code.clone()), RegionCode::parent).collect()
    }

    proptest! {
        #[test]
        fn parent_chain_reaches_a_province(code in code()) {
            let chain = chain(&code);
            prop_assert_eq!(chain.last().map(RegionCode::level), Some(RegionLevel::Province));
            for pair in chain.windows(2) {
                prop_assert!(pair[1].level() < pair[0].level());
                prop_assert!(pair[1].contains(&pair[0]));
            }
            prop_assert_eq!(RegionCode::parse(code.as_str()).unwrap(), code);
        }

        #[test]
        fn contains_and_bounds_agree_with_parent(
            b in code(), other in code(), pick_ancestor in any::<bool>(), i in any::<usize>()
        ) {
            let chain = chain(&b);
            let a = if pick_ancestor { chain[i % chain.len()].clone() } else { other };
            prop_assert_eq!(a.contains(&b), chain.contains(&a));
            let (lo, hi) = a.subtree_bounds();
            prop_assert_eq!(lo.as_str() <= b.as_str() && b.as_str() <= hi.as_str(), a.contains(&b));
        }
    }
}
