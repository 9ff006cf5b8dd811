//! 居民身份证号码 (GB 11643-1999): region, birth date, sequence and check character.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::{Sex, normalize_width, region_code::is_province, today_shanghai};

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// A valid 18-character ID number, check character upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdCardNo {
    value: String,
    // Kept alongside so `birth_date` needs no re-parse that could in theory fail.
    birth: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdCardError {
    #[error("请填写身份证号")]
    Empty,
    #[error("身份证号应为 18 位（旧式为 15 位）")]
    Length,
    #[error("身份证号只能由数字组成，最后一位可以是 X")]
    Character,
    #[error("身份证号前 6 位不是有效的行政区划代码")]
    Region,
    #[error("身份证号中的出生日期无效")]
    BirthDate,
    #[error("身份证号中的出生日期晚于今天")]
    FutureBirthDate,
    #[error("身份证号校验位错误：应为 {expected}，实为 {found}")]
    CheckChar { expected: char, found: char },
}

impl IdCardError {
    pub fn code(&self) -> &'static str {
        match self {
            IdCardError::Empty => "id_card.empty",
            IdCardError::Length => "id_card.length",
            IdCardError::Character => "id_card.character",
            IdCardError::Region => "id_card.region",
            IdCardError::BirthDate => "id_card.birth_date",
            IdCardError::FutureBirthDate => "id_card.future_birth_date",
            IdCardError::CheckChar { .. } => "id_card.check_digit",
        }
    }
}

/// The ISO 7064 MOD 11-2 check character for the first 17 characters, given as ASCII digits
/// (`b"11010519491231002"`). Other bytes give a meaningless result rather than a panic.
pub fn check_char(first17: &[u8]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b.wrapping_sub(b'0')) * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

impl IdCardNo {
    pub fn parse(s: &str) -> Result<Self, IdCardError> {
        Self::parse_as_of(s, today_shanghai())
    }

    /// As `parse`, with "today" given so that the future-birth rule is testable.
    pub fn parse_as_of(s: &str, today: NaiveDate) -> Result<Self, IdCardError> {
        let mut value: String = normalize_width(s)
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if value.is_empty() {
            return Err(IdCardError::Empty);
        }
        let (body, tail) = value.as_bytes().split_at(value.len() - 1);
        if !body.iter().all(u8::is_ascii_digit) || !(tail[0].is_ascii_digit() || tail[0] == b'X') {
            return Err(IdCardError::Character);
        }
        match value.len() {
            18 => {}
            15 if value.ends_with('X') => return Err(IdCardError::Character),
            // Pre-1999 numbers: 6 region + YYMMDD + 3 sequence, all born in the 1900s.
            15 => {
                value.insert_str(6, "19");
                value.push(check_char(value.as_bytes()));
            }
            _ => return Err(IdCardError::Length),
        }

        let digits = value.as_bytes();
        let number = |range: std::ops::Range<usize>| {
            digits[range]
                .iter()
                .fold(0, |n, b| n * 10 + u32::from(b - b'0'))
        };
        if !is_province(number(0..2)) {
            return Err(IdCardError::Region);
        }
        let birth = NaiveDate::from_ymd_opt(number(6..10) as i32, number(10..12), number(12..14))
            .filter(|d| d.year() >= 1900)
            .ok_or(IdCardError::BirthDate)?;
        if birth > today {
            return Err(IdCardError::FutureBirthDate);
        }
        let expected = check_char(&digits[..17]);
        let found = char::from(digits[17]);
        if expected != found {
            return Err(IdCardError::CheckChar { expected, found });
        }
        Ok(IdCardNo { value, birth })
    }

    pub fn as_str(&self) -> &str {
        &self.value
    }

    pub fn birth_date(&self) -> NaiveDate {
        self.birth
    }

    /// The 17th digit is the sequence number's last: odd for men, even for women.
    pub fn sex(&self) -> Sex {
        if (self.value.as_bytes()[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The 6-digit region of registration at issue (it may since have been abolished).
    pub fn region_prefix(&self) -> &str {
        &self.value[..6]
    }

    /// For display to users who have not asked to reveal it: `520502********1234`.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.value[..6], &self.value[14..])
    }
}

impl fmt::Display for IdCardNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

string_form!(IdCardNo, IdCardError);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
    }

    /// Completes 17 digits with their check character.
    fn with_check(first17: &str) -> String {
        format!("{first17}{}", check_char(first17.as_bytes()))
    }

    fn parse(s: &str) -> Result<IdCardNo, IdCardError> {
        IdCardNo::parse_as_of(s, today())
    }

    #[test]
    fn known_numbers() {
        // The worked example in GB 11643-1999 and a commonly quoted one ending in X.
        assert_eq!(check_char(b"11010519491231002"), 'X');
        assert_eq!(check_char(b"44052418800101001"), '4');
        let id = parse("11010519491231002x").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.region_prefix(), "110105");
        assert_eq!(id.masked(), "110105********002X");
    }

    #[test]
    fn tolerates_spaces_and_full_width() {
        let id = with_check("52050220120315123");
        let spaced = format!(" {} {} {} ", &id[..6], &id[6..14], &id[14..]);
        assert_eq!(parse(&spaced).unwrap().as_str(), id);
        let wide: String = id
            .chars()
            .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
            .collect();
        assert_eq!(parse(&wide).unwrap().as_str(), id);
        assert_eq!(parse(&id).unwrap().sex(), Sex::Male);
    }

    #[test]
    fn rejections() {
        let cases = [
            ("", IdCardError::Empty),
            ("   ", IdCardError::Empty),
            ("5205022012031512", IdCardError::Length),
            ("52050220120315123X1", IdCardError::Character),
            ("52050220120315123", IdCardError::Length),
            ("5205022012031512345", IdCardError::Length),
            ("52050220120315X234", IdCardError::Character),
            ("52050220120315-234", IdCardError::Character),
            ("身份证", IdCardError::Character),
        ];
        for (input, err) in cases {
            assert_eq!(parse(input), Err(err), "{input:?}");
        }
        assert_eq!(
            parse(&with_check("00000020120315123")),
            Err(IdCardError::Region)
        );
        assert_eq!(
            parse(&with_check("91050220120315123")),
            Err(IdCardError::Region)
        );
        assert_eq!(
            parse(&with_check("52050220130229123")),
            Err(IdCardError::BirthDate)
        );
        assert_eq!(
            parse(&with_check("52050218991231123")),
            Err(IdCardError::BirthDate)
        );
        assert_eq!(
            parse(&with_check("52050220260602123")),
            Err(IdCardError::FutureBirthDate)
        );
        assert!(parse(&with_check("52050220260601123")).is_ok());
        let err = parse("110105194912310021").unwrap_err();
        assert_eq!(
            err,
            IdCardError::CheckChar {
                expected: 'X',
                found: '1'
            }
        );
        assert_eq!(err.to_string(), "身份证号校验位错误：应为 X，实为 1");
        assert_eq!(err.code(), "id_card.check_digit");
    }

    #[test]
    fn fifteen_digit_numbers_are_upgraded() {
        let id = parse("130503670401001").unwrap();
        assert_eq!(id.as_str(), with_check("13050319670401001"));
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1967, 4, 1).unwrap()
        );
        assert_eq!(parse("13050367040100X"), Err(IdCardError::Character));
    }

    fn valid_first17() -> impl Strategy<Value = String> {
        let born = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
        let days = (today() - born).num_days();
        (11u8..=82, 0u32..10_000, 0..=days, 0u16..1000).prop_map(move |(p, r, d, seq)| {
            let birth = born + chrono::Days::new(d as u64);
            format!("{p:02}{r:04}{}{seq:03}", birth.format("%Y%m%d"))
        })
    }

    proptest! {
        #[test]
        fn valid_ids_round_trip(first17 in valid_first17()) {
            let s = with_check(&first17);
            let id = parse(&s).unwrap();
            prop_assert_eq!(id.as_str(), s.as_str());
            prop_assert_eq!(&parse(&id.to_string()).unwrap(), &id);
            prop_assert_eq!(&parse(&s.to_lowercase()).unwrap(), &id);
            let birth = NaiveDate::parse_from_str(&s[6..14], "%Y%m%d").unwrap();
            prop_assert_eq!(id.birth_date(), birth);
        }

        #[test]
        fn every_single_character_change_is_rejected(first17 in valid_first17()) {
            let s = with_check(&first17);
            for pos in 0..18 {
                for c in "0123456789X".chars() {
                    let mut chars: Vec<char> = s.chars().collect();
                    if chars[pos] == c {
                        continue;
                    }
                    chars[pos] = c;
                    let changed: String = chars.into_iter().collect();
                    prop_assert!(parse(&changed).is_err(), "{} accepted", changed);
                }
            }
        }

        #[test]
        fn fifteen_digit_upgrade_agrees(p in 11u8..=82, r in 0u32..10_000,
                                        d in 0i64..36_524, seq in 0u16..1000) {
            let birth = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Days::new(d as u64);
            let old = format!("{p:02}{r:04}{}{seq:03}", birth.format("%y%m%d"));
            let id = parse(&old).unwrap();
            prop_assert_eq!(id.as_str().len(), 18);
            prop_assert_eq!(id.birth_date(), birth);
            let male = seq % 2 == 1;
            prop_assert_eq!(id.sex(), if male { Sex::Male } else { Sex::Female });
            prop_assert_eq!(&id.as_str()[14..17], &old[12..15]);
        }
    }
}
