//! Personal names: Han names, minority names with a middle dot, names in any script.

use std::fmt;

use crate::normalize_width;

const MAX_CHARS: usize = 30;
const DOT: char = '·';
/// What input methods and fonts offer instead of U+00B7 when people type 阿依古丽·买买提.
const DOT_LOOKALIKES: [char; 4] = ['•', '‧', '・', '.'];

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonNameError {
    #[error("请填写姓名")]
    Empty,
    #[error("姓名不能超过 30 个字")]
    TooLong,
    #[error("姓名中含有不允许的字符“{}”", .ch.escape_debug())]
    Character { ch: char },
}

impl PersonNameError {
    pub fn code(&self) -> &'static str {
        match self {
            PersonNameError::Empty => "person_name.empty",
            PersonNameError::TooLong => "person_name.too_long",
            PersonNameError::Character { .. } => "person_name.character",
        }
    }
}

impl PersonName {
    /// Trims, collapses runs of spaces, drops spaces around a dot and unifies dot look-alikes
    /// (full-width `．` arrives here as `.`), so one person is spelt one way.
    pub fn parse(s: &str) -> Result<PersonName, PersonNameError> {
        let s = normalize_width(s);
        let s = s.trim();
        // Most names are a few common Han characters and need none of the clean-up below;
        // stored files are re-read this way on every export, so they skip it.
        if !s.is_empty() && s.chars().count() <= MAX_CHARS && s.chars().all(is_common_han) {
            return Ok(PersonName(s.to_owned()));
        }
        let mut name = String::with_capacity(s.len());
        for ch in s.chars() {
            let ch = if DOT_LOOKALIKES.contains(&ch) {
                DOT
            } else {
                ch
            };
            if ch.is_control() {
                return Err(PersonNameError::Character { ch });
            } else if ch.is_whitespace() {
                if !name.ends_with([' ', DOT]) {
                    name.push(' ');
                }
            } else if ch == DOT {
                if name.ends_with(DOT) || name.is_empty() {
                    return Err(PersonNameError::Character { ch });
                }
                if name.ends_with(' ') {
                    name.pop();
                }
                name.push(DOT);
            } else if ch.is_alphabetic() {
                name.push(ch);
            } else {
                return Err(PersonNameError::Character { ch });
            }
        }
        if name.is_empty() {
            return Err(PersonNameError::Empty);
        }
        if name.ends_with(DOT) {
            return Err(PersonNameError::Character { ch: DOT });
        }
        if name.chars().count() > MAX_CHARS {
            return Err(PersonNameError::TooLong);
        }
        Ok(PersonName(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The CJK Unified Ideographs block: alphabetic, neither space nor dot nor control.
fn is_common_han(ch: char) -> bool {
    matches!(ch, '\u{4E00}'..='\u{9FFF}')
}

string_form!(PersonName, PersonNameError);

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> String {
        PersonName::parse(s).unwrap().to_string()
    }

    fn err(s: &str) -> PersonNameError {
        PersonName::parse(s).unwrap_err()
    }

    #[test]
    fn accepted_names() {
        assert_eq!(ok("张三"), "张三");
        assert_eq!(ok("  李四 "), "李四");
        assert_eq!(ok("𠮷乐"), "𠮷乐");
        assert_eq!(ok("㮾秀"), "㮾秀");
        assert_eq!(ok("阿依古丽·买买提"), "阿依古丽·买买提");
        for dot in ['•', '‧', '・', '．', '.'] {
            assert_eq!(
                ok(&format!("阿依古丽{dot}买买提")),
                "阿依古丽·买买提",
                "{dot}"
            );
        }
        assert_eq!(ok("阿依古丽 · 买买提"), "阿依古丽·买买提");
        assert_eq!(ok("Anna  Müller"), "Anna Müller");
        assert_eq!(ok(&"张".repeat(30)).chars().count(), 30);
    }

    /// The short cut for common Han names must accept nothing the full rules would refuse.
    #[test]
    fn common_han_are_letters() {
        assert!(('\u{4E00}'..='\u{9FFF}').all(|c| c.is_alphabetic() && !c.is_whitespace()));
    }

    #[test]
    fn rejected_names() {
        assert_eq!(err(""), PersonNameError::Empty);
        assert_eq!(err(" \u{3000} "), PersonNameError::Empty);
        assert_eq!(err(&"张".repeat(31)), PersonNameError::TooLong);
        assert_eq!(err("张\u{0000}三"), PersonNameError::Character { ch: '\0' });
        assert_eq!(err("张三1"), PersonNameError::Character { ch: '1' });
        assert_eq!(err("张三!"), PersonNameError::Character { ch: '!' });
        assert_eq!(err("·买买提"), PersonNameError::Character { ch: '·' });
        assert_eq!(err("阿依古丽·"), PersonNameError::Character { ch: '·' });
        assert_eq!(
            err("阿依古丽··买买提"),
            PersonNameError::Character { ch: '·' }
        );
        assert_eq!(
            err("张\u{0000}三").to_string(),
            "姓名中含有不允许的字符“\\0”"
        );
    }

    proptest::proptest! {
        /// Names of 1–30 CJK characters (BMP and Extension B) with at most one inner dot parse,
        /// survive surrounding spaces, and round-trip through their display form.
        #[test]
        fn cjk_names_round_trip(
            head in proptest::collection::vec(proptest::prop_oneof![0x4E00u32..0x9FA5, 0x20000u32..0x2A6DF], 1..15),
            tail in proptest::collection::vec(0x4E00u32..0x9FA5, 0..14),
        ) {
            let part = |v: &[u32]| v.iter().filter_map(|c| char::from_u32(*c)).collect::<String>();
            let name = if tail.is_empty() { part(&head) } else { format!("{}·{}", part(&head), part(&tail)) };
            let parsed = PersonName::parse(&format!("  {name} ")).unwrap();
            proptest::prop_assert_eq!(parsed.as_str(), name.as_str());
            proptest::prop_assert_eq!(PersonName::parse(&parsed.to_string()).unwrap(), parsed);
        }
    }
}
