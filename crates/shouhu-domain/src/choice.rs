//! Closed lists of coded answers (户口类型, 监护类型 …) and the one macro that writes their surface.

use crate::normalize_width;

/// Declares an enum whose values travel as stable snake_case codes and show as catalog labels.
///
/// Each variant gives its code, its Chinese label and, optionally, further spellings that
/// `parse` accepts. Spellings go into one `match`, so a spelling claimed by two variants is an
/// unreachable-pattern warning, which the lints turn into a build failure.
macro_rules! choice {
    (
        $(#[$meta:meta])*
        pub enum $name:ident: $prefix:literal, $err_ty:ident :: $err:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $code:literal, $zh:literal $(, [$($alias:literal),* $(,)?])?;
            )+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            ::serde::Serialize, ::serde::Deserialize,
        )]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $code)] $variant, )+
        }

        impl $name {
            pub const ALL: [$name; choice!(@count $($variant)+)] = [$($name::$variant),+];

            /// Stable snake_case ASCII, as stored and sent over the API.
            pub fn code(self) -> &'static str {
                match self {
                    $( $name::$variant => $code, )+
                }
            }

            pub fn label_zh(self) -> &'static str {
                match self {
                    $( $name::$variant => $zh, )+
                }
            }

            pub fn label_key(self) -> &'static str {
                match self {
                    $( $name::$variant => concat!($prefix, ".", $code), )+
                }
            }

            /// Every spelling `parse` matches, so tests can check each is already in the
            /// cleaned form it is compared against.
            #[cfg(test)]
            pub(crate) const SPELLINGS: &[($name, &str)] = &[
                $( ($name::$variant, $code), ($name::$variant, $zh),
                   $($(($name::$variant, $alias),)*)? )+
            ];

            /// Accepts the code, the Chinese label and the common variants people type,
            /// whatever the width, case and spacing.
            pub fn parse(s: &str) -> Result<$name, $err_ty> {
                match $crate::choice::clean(s).as_str() {
                    $( $code | $zh $($(| $alias)*)? => Ok($name::$variant), )+
                    _ => Err($err_ty::$err),
                }
            }
        }
    };
    (@count) => { 0usize };
    (@count $head:ident $($tail:ident)*) => { 1usize + choice!(@count $($tail)*) };
}

/// Half-width, lower-case, without any spaces: "非 农业" and "Ｈａｎ" are typed as often as
/// "非农业" and "han".
pub(crate) fn clean(s: &str) -> String {
    normalize_width(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Splits a multi-select cell such as "务工、低保" on the separators spreadsheets use and
/// parses each part; the result is sorted and free of repeats, so equal sets compare equal.
pub(crate) fn parse_set<T: Ord, E>(
    s: &str,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Vec<T>, E> {
    // Full-width ，and ； become , and ; here.
    let s = normalize_width(s);
    let mut items = s
        .split(|c: char| c.is_whitespace() || matches!(c, '、' | ',' | ';' | '/' | '|'))
        .filter(|part| !part.is_empty())
        .map(parse)
        .collect::<Result<Vec<T>, E>>()?;
    items.sort_unstable();
    items.dedup();
    Ok(items)
}

/// Asserts that a list's spellings can all be matched and that its labels are keyed under
/// `prefix`.
#[cfg(test)]
macro_rules! check_choice {
    ($($ty:ident: $prefix:literal),+ $(,)?) => {$(
        for &(v, spelling) in $ty::SPELLINGS {
            assert_eq!($crate::choice::clean(spelling), spelling, "{spelling:?} is never matched");
            assert_eq!($ty::parse(spelling), Ok(v), "{spelling}");
        }
        for v in $ty::ALL {
            assert_eq!(v.label_key(), format!("{}.{}", $prefix, v.code()));
            let ascii = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_';
            assert!(v.code().bytes().all(ascii), "{}", v.code());
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(json, format!("\"{}\"", v.code()));
            assert_eq!(serde_json::from_str::<$ty>(&json).unwrap(), v);
        }
        assert!($ty::parse("不存在的选项").is_err());
        assert!($ty::parse("").is_err());
    )+};
}
