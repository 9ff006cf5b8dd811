//! Chinese telephone numbers: 11-digit mobiles and fixed lines with their area code.

use std::fmt;

use crate::normalize_width;

/// A mobile (`13812345678`) or a fixed line (`0857-1234567`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNo(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhoneKind {
    Mobile,
    Landline,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("请填写电话号码")]
    Empty,
    #[error("电话号码只能包含数字、空格、横线和括号")]
    Character,
    #[error("手机号应为 1 开头的 11 位数字")]
    Mobile,
    #[error("固定电话应为区号加 7 到 8 位号码，如 0857-1234567")]
    Landline,
}

impl PhoneError {
    pub fn code(&self) -> &'static str {
        match self {
            PhoneError::Empty => "phone.empty",
            PhoneError::Character => "phone.character",
            PhoneError::Mobile => "phone.mobile",
            PhoneError::Landline => "phone.landline",
        }
    }
}

fn is_mobile(digits: &str) -> bool {
    let b = digits.as_bytes();
    b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1])
}

/// 0 followed by two or three digits; `00` would be an international prefix.
fn is_area_code(group: &str) -> bool {
    (3..=4).contains(&group.len()) && group.starts_with('0') && !group.starts_with("00")
}

impl PhoneNo {
    pub fn parse(s: &str) -> Result<PhoneNo, PhoneError> {
        let s = normalize_width(s);
        let s = s.trim();
        if s.is_empty() {
            return Err(PhoneError::Empty);
        }
        // A mobile number written plainly, as every stored one is, needs none of what follows.
        if s.bytes().all(|b| b.is_ascii_digit()) && is_mobile(s) {
            return Ok(PhoneNo(s.to_owned()));
        }
        // Separators are dropped, but where they were tells us how long the area code is.
        let mut groups: Vec<&str> = s
            .split(|c: char| c.is_whitespace() || matches!(c, '-' | '.' | '(' | ')'))
            .filter(|g| !g.is_empty())
            .collect();
        let country = groups
            .first()
            .and_then(|g| g.strip_prefix("+86").or_else(|| g.strip_prefix("0086")));
        let international = country.is_some();
        if let Some(rest) = country {
            groups[0] = rest;
        }
        groups.retain(|g| !g.is_empty());
        if groups
            .iter()
            .any(|g| !g.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(PhoneError::Character);
        }
        let mut digits = groups.concat();
        if digits.is_empty() {
            return Err(PhoneError::Empty);
        }
        if !international
            && digits.len() == 13
            && digits.starts_with("86")
            && is_mobile(&digits[2..])
        {
            digits.drain(..2);
        }

        if !digits.starts_with('0') {
            return match digits.len() {
                7 | 8 => Err(PhoneError::Landline),
                _ if is_mobile(&digits) => Ok(PhoneNo(digits)),
                _ => Err(PhoneError::Mobile),
            };
        }
        let area_len = match groups.first() {
            Some(first) if groups.len() > 1 && is_area_code(first) => first.len(),
            // Unseparated: 010 and 02X are the only three-digit area codes.
            _ if digits.starts_with("01") || digits.starts_with("02") => 3,
            _ => 4,
        };
        let (area, local) = digits.split_at(area_len.min(digits.len()));
        if !is_area_code(area) || !(7..=8).contains(&local.len()) {
            return Err(PhoneError::Landline);
        }
        Ok(PhoneNo(format!("{area}-{local}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn kind(&self) -> PhoneKind {
        if self.0.contains('-') {
            PhoneKind::Landline
        } else {
            PhoneKind::Mobile
        }
    }

    /// Keeps what identifies the line least: `138****5678`, `0857-***4567`.
    pub fn masked(&self) -> String {
        let (head, tail) = match self.0.split_once('-') {
            Some((area, local)) => (format!("{area}-"), local),
            None => (self.0[..3].to_owned(), &self.0[3..]),
        };
        let keep = tail.len() - 4;
        format!("{head}{}{}", "*".repeat(keep), &tail[keep..])
    }
}

impl fmt::Display for PhoneNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_form!(PhoneNo, PhoneError);

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> String {
        PhoneNo::parse(s).unwrap().to_string()
    }

    #[test]
    fn mobiles() {
        for s in [
            "13812345678",
            "+86 138-1234-5678",
            "0086 13812345678",
            "8613812345678",
            "138 1234 5678",
            "１３８１２３４５６７８",
            "(+86)138.1234.5678",
        ] {
            assert_eq!(ok(s), "13812345678", "{s:?}");
        }
        let m = PhoneNo::parse("13812345678").unwrap();
        assert_eq!(
            (m.kind(), m.masked()),
            (PhoneKind::Mobile, "138****5678".to_owned())
        );
    }

    #[test]
    fn landlines() {
        assert_eq!(ok("（0857）1234567"), "0857-1234567");
        assert_eq!(ok("0857 1234567"), "0857-1234567");
        assert_eq!(ok("08571234567"), "0857-1234567");
        assert_eq!(ok("010-12345678"), "010-12345678");
        assert_eq!(ok("01012345678"), "010-12345678");
        assert_eq!(ok("02112345678"), "021-12345678");
        assert_eq!(ok("0851-8765 4321"), "0851-87654321");
        let l = PhoneNo::parse("0857-1234567").unwrap();
        assert_eq!(
            (l.kind(), l.masked()),
            (PhoneKind::Landline, "0857-***4567".to_owned())
        );
        assert_eq!(
            PhoneNo::parse("010-12345678").unwrap().masked(),
            "010-****5678"
        );
    }

    #[test]
    fn rejections() {
        let cases = [
            ("", PhoneError::Empty),
            (" - ", PhoneError::Empty),
            ("138abc45678", PhoneError::Character),
            ("+1 2025550123", PhoneError::Character),
            ("1381234567", PhoneError::Mobile),
            ("12812345678", PhoneError::Mobile),
            ("138123456789", PhoneError::Mobile),
            ("1234567", PhoneError::Landline),
            ("0857-123456", PhoneError::Landline),
            ("0857-123456789", PhoneError::Landline),
            ("0012345678", PhoneError::Landline),
        ];
        for (input, err) in cases {
            assert_eq!(PhoneNo::parse(input), Err(err), "{input:?}");
        }
    }

    proptest::proptest! {
        /// Any mobile number, however it is dressed (+86, spaces, dashes), parses to its 11 digits,
        /// and the stored form parses to itself.
        #[test]
        fn dressed_mobiles_parse_to_their_digits(
            second in 3u8..=9,
            rest in "[0-9]{9}",
            prefix in proptest::sample::select(vec!["", "+86 ", "0086", "+86-"]),
            dash in proptest::bool::ANY,
        ) {
            let digits = format!("1{second}{rest}");
            let dressed = if dash {
                format!("{prefix}{}-{}-{}", &digits[..3], &digits[3..7], &digits[7..])
            } else {
                format!("{prefix}{digits}")
            };
            let phone = PhoneNo::parse(&dressed).unwrap();
            proptest::prop_assert_eq!(phone.as_str(), digits.as_str());
            proptest::prop_assert_eq!(PhoneNo::parse(phone.as_str()).unwrap(), phone.clone());
            // The middle four are hidden; they may still happen to equal the last four.
            let masked = format!("{}****{}", &digits[..3], &digits[7..]);
            proptest::prop_assert_eq!(phone.masked(), masked);
        }
    }
}
