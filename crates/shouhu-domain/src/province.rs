//! 省级行政区: the 34 provinces by GB/T 2260 code and name, for where a parent works.
//!
//! Parents' work places arrive as "广东", "广东省" or "44"; the list is short and settled, so it
//! lives here rather than waiting for the region tree to be imported.

use std::fmt;

use crate::{RegionCode, choice::clean};

const PROVINCES: [(u8, &str); 34] = [
    (11, "北京市"),
    (12, "天津市"),
    (13, "河北省"),
    (14, "山西省"),
    (15, "内蒙古自治区"),
    (21, "辽宁省"),
    (22, "吉林省"),
    (23, "黑龙江省"),
    (31, "上海市"),
    (32, "江苏省"),
    (33, "浙江省"),
    (34, "安徽省"),
    (35, "福建省"),
    (36, "江西省"),
    (37, "山东省"),
    (41, "河南省"),
    (42, "湖北省"),
    (43, "湖南省"),
    (44, "广东省"),
    (45, "广西壮族自治区"),
    (46, "海南省"),
    (50, "重庆市"),
    (51, "四川省"),
    (52, "贵州省"),
    (53, "云南省"),
    (54, "西藏自治区"),
    (61, "陕西省"),
    (62, "甘肃省"),
    (63, "青海省"),
    (64, "宁夏回族自治区"),
    (65, "新疆维吾尔自治区"),
    (71, "台湾省"),
    (81, "香港特别行政区"),
    (82, "澳门特别行政区"),
];

/// Suffixes people leave off; the longest is tried first so 广西壮族自治区 becomes 广西.
const SUFFIXES: [&str; 6] = [
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "特别行政区",
    "自治区",
    "省",
];

/// One of the 34 province-level divisions, held by its two-digit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Province(u8);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProvinceError {
    #[error("无法识别的省份")]
    Unknown,
}

impl ProvinceError {
    pub fn code(&self) -> &'static str {
        "province.unknown"
    }
}

/// "广东省" → "广东", "北京市" → "北京": the short form everyone uses.
fn short(name: &str) -> &str {
    SUFFIXES
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .or_else(|| name.strip_suffix('市'))
        .unwrap_or(name)
}

impl Province {
    pub fn all() -> impl Iterator<Item = Province> {
        PROVINCES.iter().map(|&(code, _)| Province(code))
    }

    /// Accepts the two-digit code, a 6- or 12-digit region code of the province or anything in
    /// it, the full name or the short one (广东, 内蒙古, 香港).
    pub fn parse(s: &str) -> Result<Province, ProvinceError> {
        let s = clean(s);
        let code = if s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().ok()
        } else if s.bytes().all(|b| b.is_ascii_digit()) {
            RegionCode::parse(&s)
                .ok()
                .and_then(|r| Province::of(&r))
                .map(Province::code)
        } else {
            let wanted = short(&s);
            PROVINCES
                .iter()
                .find(|(_, name)| short(name) == wanted)
                .map(|&(code, _)| code)
        };
        code.filter(|c| PROVINCES.iter().any(|(known, _)| known == c))
            .map(Province)
            .ok_or(ProvinceError::Unknown)
    }

    /// The province a region lies in; `None` for a number no province holds (region codes
    /// accept the whole 11–82 range, to keep abolished ones valid for old ID numbers).
    pub fn of(region: &RegionCode) -> Option<Province> {
        let digits = region.as_str().as_bytes();
        let code = (digits[0] - b'0') * 10 + (digits[1] - b'0');
        PROVINCES
            .iter()
            .any(|&(known, _)| known == code)
            .then_some(Province(code))
    }

    pub fn code(self) -> u8 {
        self.0
    }

    pub fn name_zh(self) -> &'static str {
        PROVINCES
            .iter()
            .find(|(code, _)| *code == self.0)
            .map_or("", |(_, name)| name)
    }

    pub fn short_name_zh(self) -> &'static str {
        short(self.name_zh())
    }

    pub fn contains(self, region: &RegionCode) -> bool {
        Province::of(region) == Some(self)
    }
}

impl fmt::Display for Province {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.0)
    }
}

string_form!(Province, ProvinceError);

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> u8 {
        Province::parse(s).unwrap().code()
    }

    #[test]
    fn names_and_codes() {
        assert_eq!(Province::all().count(), 34);
        for prov in Province::all() {
            assert_eq!(Province::parse(prov.name_zh()), Ok(prov));
            assert_eq!(Province::parse(prov.short_name_zh()), Ok(prov));
            assert_eq!(Province::parse(&prov.to_string()), Ok(prov));
            let region = RegionCode::parse(&format!("{prov}0000")).unwrap();
            assert_eq!(Province::of(&region), Some(prov));
            assert!(prov.contains(&region));
        }
        assert_eq!(p("广东"), 44);
        assert_eq!(p(" 广东省 "), 44);
        assert_eq!(p("广西"), 45);
        assert_eq!(p("内蒙古"), 15);
        assert_eq!(p("新疆"), 65);
        assert_eq!(p("北京"), 11);
        assert_eq!(p("香港"), 81);
        assert_eq!(p("５２"), 52);
        assert_eq!(p("520502"), 52);
        assert_eq!(p("520502103201"), 52);
        assert_eq!(Province::parse("52").unwrap().short_name_zh(), "贵州");
        for s in ["", "19", "5", "99", "广", "火星", "520", "深圳市"] {
            assert_eq!(Province::parse(s), Err(ProvinceError::Unknown), "{s:?}");
        }
        assert_eq!(Province::of(&RegionCode::parse("190000").unwrap()), None);
        let json = serde_json::to_string(&Province::parse("贵州").unwrap()).unwrap();
        assert_eq!(json, r#""52""#);
    }
}
