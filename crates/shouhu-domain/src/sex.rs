//! Sex as recorded on identity documents (GB/T 2261.1: 1 男, 2 女).

use serde::{Deserialize, Serialize};

use crate::normalize_width;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SexError {
    #[error("性别应为“男”或“女”")]
    Invalid,
}

impl SexError {
    pub fn code(&self) -> &'static str {
        "sex.invalid"
    }
}

impl Sex {
    /// The GB/T 2261.1 code.
    pub fn code(self) -> u8 {
        match self {
            Sex::Male => 1,
            Sex::Female => 2,
        }
    }

    /// Accepts 男/女, 1/2, M/F and male/female, as found in forms and spreadsheets.
    pub fn parse(s: &str) -> Result<Sex, SexError> {
        match normalize_width(s).trim().to_ascii_lowercase().as_str() {
            "男" | "1" | "m" | "male" => Ok(Sex::Male),
            "女" | "2" | "f" | "female" => Ok(Sex::Female),
            _ => Err(SexError::Invalid),
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Sex::Male => "sex.male",
            Sex::Female => "sex.female",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_spellings() {
        for s in ["男", " 1 ", "M", "m", "Ｍ", "male"] {
            assert_eq!(Sex::parse(s), Ok(Sex::Male), "{s}");
        }
        for s in ["女", "2", "F", "２"] {
            assert_eq!(Sex::parse(s), Ok(Sex::Female), "{s}");
        }
        for s in ["", "3", "男女", "未知"] {
            assert_eq!(Sex::parse(s), Err(SexError::Invalid), "{s}");
        }
        assert_eq!((Sex::Male.code(), Sex::Female.label_zh()), (1, "女"));
    }
}
