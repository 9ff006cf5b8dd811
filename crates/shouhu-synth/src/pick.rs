//! Small drawing helpers shared by the tables: weighted choice, chances, dates in a window.

use chrono::{Days, Months, NaiveDate};
use rand::Rng;
use rand::rngs::StdRng;

/// A table entry with its relative weight.
pub(crate) type Weighted<T> = (T, u32);

/// Draws from a weighted table; tables are short, so a linear walk beats building an index.
///
/// # Panics
///
/// On an empty table or one whose weights are all zero; every table is a constant with
/// positive weights.
pub(crate) fn weighted<T: Copy>(rng: &mut StdRng, table: &[Weighted<T>]) -> T {
    let total: u32 = table.iter().map(|&(_, w)| w).sum();
    let mut n = rng.gen_range(0..total);
    for &(t, w) in table {
        if n < w {
            return t;
        }
        n -= w;
    }
    table[table.len() - 1].0
}

/// Uniform choice.
///
/// # Panics
///
/// On an empty slice; every list is a non-empty constant.
pub(crate) fn one<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    items[rng.gen_range(0..items.len())]
}

/// `true` with probability `per_mille / 1000`; integers keep the tables readable.
pub(crate) fn chance(rng: &mut StdRng, per_mille: u32) -> bool {
    rng.gen_range(0..1000) < per_mille
}

/// A day drawn uniformly from `from..=to`; `to` itself when the window is empty.
pub(crate) fn date_in(rng: &mut StdRng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days();
    if span <= 0 {
        return to;
    }
    from.checked_add_days(Days::new(rng.gen_range(0..=span).unsigned_abs()))
        .unwrap_or(to)
}

/// `date` moved back by whole months, clamped to the month's end (29 February → 28th).
pub(crate) fn months_before(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_sub_months(Months::new(months))
        .unwrap_or(NaiveDate::MIN)
}

/// `date` moved forward by whole months, clamped to the month's end.
pub(crate) fn months_after(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// Stable across runs and Rust versions, unlike `DefaultHasher`: village names must not move
/// when the toolchain does.
pub(crate) fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
