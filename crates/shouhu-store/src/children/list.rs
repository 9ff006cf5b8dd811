//! The child list: files in the caller's reach, filtered on the plain projections, searched by
//! name, pinyin, initials or the last digits of an ID number, sorted by pinyin and paged by cursor.
//! No file is opened to list it.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use shouhu_domain::RegionLevel;

use super::may_read;
use crate::schema::{children, classes, schools};
use crate::{Conn, Scope, StoreError, StoreResult};

/// Which left-behind caliber a filter asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Caliber {
    Mca,
    Xueji,
    Census,
    /// Left-behind under none of the three.
    None,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ChildFilter {
    pub school_id: Option<i64>,
    pub class_id: Option<i64>,
    pub caliber: Option<Caliber>,
    pub care_arrangement: Option<String>,
    pub rating: Option<String>,
    pub tag: Option<String>,
    pub schooling: Option<String>,
    pub key_child: Option<bool>,
    /// A name or part of one, pinyin or initials (`zh`, `zhang`, `zs`), or 4+ last ID digits.
    pub q: Option<String>,
    /// Where the previous page ended (`ChildPage::next`).
    pub after: Option<String>,
    pub limit: Option<i64>,
}

/// A row of the list; also the head of a file's page.
#[derive(Clone, Debug, Queryable, Serialize, PartialEq, Eq)]
pub struct ChildSummary {
    pub id: i64,
    pub school_id: i64,
    pub school_name: String,
    pub class_id: Option<i64>,
    pub class_name: Option<String>,
    pub class_grade: Option<i32>,
    pub name: String,
    pub name_pinyin: String,
    pub sex: String,
    pub birth_date: String,
    pub schooling: String,
    pub care_arrangement: Option<String>,
    pub rating: Option<String>,
    pub tags: String,
    pub key_child: bool,
    pub lb_mca: bool,
    pub lb_xueji: i32,
    pub lb_census: bool,
    pub lb_as_of: String,
    pub completeness: i32,
    pub version: i32,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChildPage {
    pub items: Vec<ChildSummary>,
    /// Pass as `after` for the next page; `None` on the last.
    pub next: Option<String>,
}

const PAGE: i64 = 50;

type Columns = (
    children::id,
    children::school_id,
    schools::name,
    children::class_id,
    diesel::dsl::Nullable<classes::name>,
    diesel::dsl::Nullable<classes::grade>,
    children::name,
    children::name_pinyin,
    children::sex,
    children::birth_date,
    children::schooling,
    children::care_arrangement,
    children::rating,
    children::tags,
    children::key_child,
    children::lb_mca,
    children::lb_xueji,
    children::lb_census,
    children::lb_as_of,
    children::completeness,
    children::version,
);

fn columns() -> Columns {
    (
        children::id,
        children::school_id,
        schools::name,
        children::class_id,
        classes::name.nullable(),
        classes::grade.nullable(),
        children::name,
        children::name_pinyin,
        children::sex,
        children::birth_date,
        children::schooling,
        children::care_arrangement,
        children::rating,
        children::tags,
        children::key_child,
        children::lb_mca,
        children::lb_xueji,
        children::lb_census,
        children::lb_as_of,
        children::completeness,
        children::version,
    )
}

/// One row's summary, for a file already found in scope.
pub(super) fn summary(conn: &mut Conn, id: i64) -> StoreResult<ChildSummary> {
    Ok(children::table
        .inner_join(schools::table)
        .left_join(classes::table)
        .filter(children::id.eq(id))
        .select(columns())
        .first(conn)?)
}

/// What a search text asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Search {
    IdTail(String),
    Pinyin(String),
    Name(String),
}

/// Tells an ID tail, a pinyin prefix and a name apart in what was typed into the search box.
pub fn search(q: &str) -> Option<Search> {
    let q = shouhu_domain::normalize_width(q).trim().to_owned();
    if q.is_empty() {
        return None;
    }
    let upper = q.to_ascii_uppercase();
    let digits = upper
        .char_indices()
        .all(|(i, c)| c.is_ascii_digit() || (c == 'X' && i == upper.len() - 1));
    if digits && upper.len() >= 4 {
        return Some(Search::IdTail(upper));
    }
    if q.chars().all(|c| c.is_ascii_alphabetic()) {
        return Some(Search::Pinyin(q.to_ascii_lowercase()));
    }
    Some(Search::Name(q))
}

/// The first string after every string that starts with `prefix` (lower-case ASCII letters), so
/// a prefix search is an index range in both databases.
pub fn prefix_end(prefix: &str) -> Option<String> {
    let mut bytes = prefix.as_bytes().to_vec();
    while let Some(last) = bytes.pop() {
        if last < b'z' {
            bytes.push(last + 1);
            return String::from_utf8(bytes).ok();
        }
    }
    None
}

fn parse_cursor(after: &str) -> StoreResult<(String, i64)> {
    let bad = || StoreError::invalid("after", "child.cursor");
    let (id, pinyin) = after.split_once('.').ok_or_else(bad)?;
    Ok((pinyin.to_owned(), id.parse().map_err(|_| bad())?))
}

diesel::define_sql_function! {
    /// The first `len` characters from `start` (1-based), in both dialects.
    fn substr(text: diesel::sql_types::Text, start: diesel::sql_types::Integer, len: diesel::sql_types::Integer) -> diesel::sql_types::Text;
}

/// The files in reach, filtered, in an unordered boxed query. A macro rather than a function, so
/// the list can build it twice (one query per search branch) without naming diesel's types.
macro_rules! filtered {
    ($scope:expr, $filter:expr) => {{
        let (scope, filter): (&Scope, &ChildFilter) = ($scope, $filter);
        let mut query = children::table
            .inner_join(schools::table)
            .left_join(classes::table)
            .select(columns())
            .into_boxed();
        if let Some(school) = scope.school {
            query = query.filter(children::school_id.eq(school));
        } else if let Some(root) = &scope.region {
            let prefix = root.prefix().to_owned();
            if root.level() <= RegionLevel::County {
                // A county or more holds most files: walking the pinyin index in order and
                // testing each row's region beats gathering the whole county and sorting it,
                // so the test is written where no region index can take it.
                let len = i32::try_from(prefix.len()).unwrap_or(12);
                query = query.filter(
                    substr(children::school_region, 1, len)
                        .eq(prefix.clone())
                        .or(substr(children::residence_region, 1, len).eq(prefix)),
                );
            } else {
                let (lo, hi) = scope.region_bounds();
                query = query.filter(
                    children::school_region
                        .between(lo.clone(), hi.clone())
                        .or(children::residence_region.between(lo, hi)),
                );
            }
        }
        if let Some(allowed) = &scope.classes {
            query = query.filter(children::class_id.eq_any(allowed.clone()));
        }
        if let Some(id) = filter.school_id {
            query = query.filter(children::school_id.eq(id));
        }
        if let Some(id) = filter.class_id {
            query = query.filter(children::class_id.eq(id));
        }
        query = match filter.caliber {
            Some(Caliber::Mca) => query.filter(children::lb_mca.eq(true)),
            Some(Caliber::Xueji) => query.filter(children::lb_xueji.gt(0)),
            Some(Caliber::Census) => query.filter(children::lb_census.eq(true)),
            Some(Caliber::None) => query
                .filter(children::lb_mca.eq(false))
                .filter(children::lb_xueji.eq(0))
                .filter(children::lb_census.eq(false)),
            None => query,
        };
        if let Some(v) = &filter.care_arrangement {
            query = query.filter(children::care_arrangement.eq(v.clone()));
        }
        if let Some(v) = &filter.rating {
            query = query.filter(children::rating.eq(v.clone()));
        }
        if let Some(v) = &filter.schooling {
            query = query.filter(children::schooling.eq(v.clone()));
        }
        if let Some(tag) = &filter.tag {
            let code: String = tag
                .chars()
                .filter(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            query = query.filter(children::tags.like(format!("%,{code},%")));
        }
        if let Some(key) = filter.key_child {
            query = query.filter(children::key_child.eq(key));
        }
        if let Some(after) = &filter.after {
            // Written so that SQLite starts the pinyin index at the cursor: with bound values it
            // scans the index from its start for `pinyin > ? OR (pinyin = ? AND id > ?)`, so each
            // page took longer than the one before (100k rows: 0.9 s in 200 pages, 0.23 s so).
            let (pinyin, id) = parse_cursor(after)?;
            query = query.filter(
                children::name_pinyin
                    .ge(pinyin.clone())
                    .and(children::name_pinyin.gt(pinyin).or(children::id.gt(id))),
            );
        }
        query
    }};
}

/// A page of the files in reach. Volunteers and unpaired teachers see none.
pub fn list(conn: &mut Conn, scope: &Scope, filter: &ChildFilter) -> StoreResult<ChildPage> {
    if !may_read(scope) {
        return Ok(ChildPage {
            items: Vec::new(),
            next: None,
        });
    }
    let limit = filter.limit.unwrap_or(PAGE).clamp(1, 500);
    let order = (children::name_pinyin, children::id);
    let mut items: Vec<ChildSummary> = match filter.q.as_deref().and_then(search) {
        None => filtered!(scope, filter)
            .order(order)
            .limit(limit + 1)
            .load(conn)?,
        Some(Search::IdTail(tail)) => {
            // Only the last four digits sit in clear (the masked form shows them anyway); the
            // rest of the number is sealed, so a longer tail narrows on its last four.
            let last4 = tail[tail.len() - 4..].to_owned();
            filtered!(scope, filter)
                .filter(children::id_last4.eq(last4))
                .order(order)
                .limit(limit + 1)
                .load(conn)?
        }
        Some(Search::Name(name)) => {
            let escaped = name
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            filtered!(scope, filter)
                .filter(children::name.like(format!("%{escaped}%")).escape('\\'))
                .order(order)
                .limit(limit + 1)
                .load(conn)?
        }
        Some(Search::Pinyin(p)) => {
            // Full pinyin and initials are read as two ranges of the pinyin index and merged:
            // one query with an OR between them makes the databases gather and sort every match.
            // Initials share their first letter with the pinyin, so one letter needs only the
            // first range.
            let mut by_pinyin =
                filtered!(scope, filter).filter(children::name_pinyin.ge(p.clone()));
            if let Some(end) = prefix_end(&p) {
                by_pinyin = by_pinyin.filter(children::name_pinyin.lt(end));
            }
            let mut rows: Vec<ChildSummary> = by_pinyin.order(order).limit(limit + 1).load(conn)?;
            if p.len() > 1 {
                let mut by_initials =
                    filtered!(scope, filter).filter(children::name_initials.ge(p.clone()));
                if let Some(end) = prefix_end(&p) {
                    by_initials = by_initials.filter(children::name_initials.lt(end));
                }
                let more: Vec<ChildSummary> =
                    by_initials.order(order).limit(limit + 1).load(conn)?;
                rows.extend(more);
                rows.sort_by(|a, b| (&a.name_pinyin, a.id).cmp(&(&b.name_pinyin, b.id)));
                rows.dedup_by_key(|c| c.id);
            }
            rows
        }
    };
    let keep = usize::try_from(limit).unwrap_or(usize::MAX);
    let next = if items.len() > keep {
        items.truncate(keep);
        items.last().map(|c| format!("{}.{}", c.id, c.name_pinyin))
    } else {
        None
    };
    Ok(ChildPage { items, next })
}

/// Where an exported file's child is on roll: what a roster sheet shows beside the file.
#[derive(Clone, Debug, Queryable)]
pub struct ExportPlace {
    pub id: i64,
    pub name_pinyin: String,
    pub school_name: String,
    pub class_name: Option<String>,
    pub class_grade: Option<i32>,
}

impl From<ChildSummary> for ExportPlace {
    fn from(s: ChildSummary) -> Self {
        ExportPlace {
            id: s.id,
            name_pinyin: s.name_pinyin,
            school_name: s.school_name,
            class_name: s.class_name,
            class_grade: s.class_grade,
        }
    }
}

/// A page of files with their sealed bytes and where it ended.
pub(super) type SealedPage = (Vec<(ExportPlace, Vec<u8>)>, Option<String>);

/// A page of the files in reach with each one's place and sealed file, in `list`'s order and
/// with its cursor: the export's page. Reading the file in the same row visit spares the export
/// a second query that walked the table again by id, and reading only the place (not the
/// summary's 21 columns) spares it a tenth of its reading. Without a search (`filter.q` is not
/// looked at: the export sends a search through `list`); `filter.limit` is not capped at the
/// list's 500.
pub(super) fn page_with_files(
    conn: &mut Conn,
    scope: &Scope,
    filter: &ChildFilter,
) -> StoreResult<SealedPage> {
    if !may_read(scope) {
        return Ok((Vec::new(), None));
    }
    let limit = filter.limit.unwrap_or(PAGE).max(1);
    let query = filtered!(scope, filter);
    let place = (
        children::id,
        children::name_pinyin,
        schools::name,
        classes::name.nullable(),
        classes::grade.nullable(),
    );
    let mut items: Vec<(ExportPlace, Vec<u8>)> = query
        .select((place, children::file_sealed))
        .order((children::name_pinyin, children::id))
        .limit(limit + 1)
        .load(conn)?;
    let keep = usize::try_from(limit).unwrap_or(usize::MAX);
    let next = if items.len() > keep {
        items.truncate(keep);
        items
            .last()
            .map(|(c, _)| format!("{}.{}", c.id, c.name_pinyin))
    } else {
        None
    };
    Ok((items, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_are_told_apart() {
        assert!(matches!(search("1234"), Some(Search::IdTail(t)) if t == "1234"));
        assert!(matches!(search("12345x"), Some(Search::IdTail(t)) if t == "12345X"));
        assert!(matches!(search("123"), Some(Search::Name(_))));
        assert!(matches!(search("ZH"), Some(Search::Pinyin(p)) if p == "zh"));
        assert!(matches!(search(" 张 "), Some(Search::Name(n)) if n == "张"));
        assert!(search("  ").is_none());
    }

    #[test]
    fn prefix_ranges_end_after_every_match() {
        assert_eq!(prefix_end("zh").as_deref(), Some("zi"));
        assert_eq!(prefix_end("az").as_deref(), Some("b"));
        assert_eq!(prefix_end("zz"), None);
    }
}
