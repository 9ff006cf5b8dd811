//! 居民身份证号码 issued by the generator, each one once, for children and adults alike.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};
use rand::Rng;
use rand::rngs::StdRng;
use shouhu_domain::{IdCardNo, Sex, check_char};

/// Every number handed out so far, by its first 17 digits (they fit in a `u64`, which keeps
/// the set small at benchmark sizes; the check character adds nothing to uniqueness).
#[derive(Debug, Default)]
pub(crate) struct IdBook {
    used: HashSet<u64>,
}

/// Random sequence numbers tried before giving up on a day.
const TRIES: usize = 64;

impl IdBook {
    /// A fresh number for someone registered in `county` (6 digits), born on `birth`. `None`
    /// when the day is (nearly) full or the domain refuses the number, e.g. born before 1900.
    pub(crate) fn issue(
        &mut self,
        rng: &mut StdRng,
        county: &str,
        birth: NaiveDate,
        sex: Sex,
        today: NaiveDate,
    ) -> Option<IdCardNo> {
        let (y, m, d) = (birth.year(), birth.month(), birth.day());
        for _ in 0..TRIES {
            // The sequence's last digit is odd for men; 000 is never issued.
            let seq = match sex {
                Sex::Male => rng.gen_range(0..500u32) * 2 + 1,
                Sex::Female => rng.gen_range(1..500u32) * 2,
            };
            let first17 = format!("{county}{y:04}{m:02}{d:02}{seq:03}");
            let key: u64 = first17.parse().ok()?;
            if self.used.contains(&key) {
                continue;
            }
            let check = check_char(first17.as_bytes());
            let id = IdCardNo::parse_as_of(&format!("{first17}{check}"), today).ok()?;
            self.used.insert(key);
            return Some(id);
        }
        None
    }
}
