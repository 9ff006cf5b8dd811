//! The one time zone the rules are stated in: dates like "today" mean today in Beijing time.

use chrono::{FixedOffset, NaiveDate, Utc};

// China has one zone and no daylight saving, so a fixed offset is exact.
const SHANGHAI: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// UTC+8 (Asia/Shanghai).
pub fn shanghai() -> FixedOffset {
    SHANGHAI
}

/// Today's date in Asia/Shanghai.
pub fn today_shanghai() -> NaiveDate {
    Utc::now().with_timezone(&SHANGHAI).date_naive()
}
