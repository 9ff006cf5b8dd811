//! Finding the header: on any of the first rows, under merged titles and a 填报单位 line, in one
//! row or in two (a group such as 父亲 merged over 姓名 | 务工地点 | 联系电话).

use std::collections::HashSet;

use super::{Cell, HeaderCell};
use crate::Column;

/// How many rows from the top may hold the header.
pub const HEADER_SEARCH_ROWS: usize = 10;

/// Fewest known columns a header must name, besides 姓名, so that a title or a data row that
/// happens to contain "姓名" is not taken for one.
const MIN_OTHER_COLUMNS: usize = 2;

/// A header found among the top rows.
#[derive(Debug)]
pub(crate) struct Detected {
    /// Index, among the rows given, of the header's last row; data starts after it.
    pub last_row: usize,
    pub columns: Vec<HeaderCell>,
}

/// Picks the row (or pair of rows) naming the most known columns; `None` when no row names
/// 姓名 and at least two other columns.
pub(crate) fn detect(rows: &[Vec<Cell>]) -> Option<Detected> {
    let mut best: Option<(usize, Detected)> = None;
    for r in 0..rows.len().min(HEADER_SEARCH_ROWS) {
        let mut candidates = vec![(r, header_of(&rows[r], None))];
        if let Some(sub) = rows.get(r + 1) {
            candidates.push((r + 1, header_of(&rows[r], Some(sub))));
        }
        for (last_row, columns) in candidates {
            let score = score(&columns);
            // Strictly better only: on a tie the single, earlier row wins.
            if score > best.as_ref().map_or(0, |(s, _)| *s) {
                best = Some((score, Detected { last_row, columns }));
            }
        }
    }
    best.map(|(_, d)| d)
}

/// Known columns named, or 0 when the row cannot be a header.
fn score(columns: &[HeaderCell]) -> usize {
    let known: Vec<Column> = columns.iter().filter_map(|h| h.column).collect();
    if known.contains(&Column::Name) && known.len() > MIN_OTHER_COLUMNS {
        known.len()
    } else {
        0
    }
}

/// The header cells of `top`, or of `top` over `sub`. A second column of a kind already seen
/// is left unknown, so one value never comes from two places.
fn header_of(top: &[Cell], sub: Option<&[Cell]>) -> Vec<HeaderCell> {
    let width = top.len().max(sub.map_or(0, <[Cell]>::len));
    let mut seen = HashSet::new();
    let mut group = String::new();
    let mut out = Vec::with_capacity(width);
    for index in 0..width {
        let t = top.get(index).map(Cell::display).unwrap_or_default();
        let s = sub
            .and_then(|s| s.get(index))
            .map(Cell::display)
            .unwrap_or_default();
        // A merged group cell holds its text in its first column only.
        if !t.is_empty() {
            group.clone_from(&t);
        }
        let (text, column) = if s.is_empty() {
            // Merged down over both rows, or a one-row header.
            let column = Column::from_header(&t);
            (t, column)
        } else {
            let joined = format!("{group}{s}");
            match (Column::from_header(&joined), Column::from_header(&s)) {
                (Some(c), _) => (joined, Some(c)),
                (None, Some(c)) => (s, Some(c)),
                (None, None) => (joined, None),
            }
        };
        let column = column.filter(|c| seen.insert(*c));
        out.push(HeaderCell {
            index,
            text,
            column,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<Cell> {
        cells.iter().map(|s| Cell::text(s)).collect()
    }

    #[test]
    fn finds_the_header_under_titles() {
        let rows = vec![
            row(&["毕节市农村留守儿童花名册"]),
            row(&["填报单位（盖章）：", "", "填报日期：2026年9月15日"]),
            row(&["序号", "姓名", "性别", "出生日期", "血型", "姓名"]),
            row(&["1", "张三", "男", "2015-03-01", "A", "李四"]),
        ];
        let found = detect(&rows).unwrap();
        assert_eq!(found.last_row, 2);
        let columns: Vec<_> = found.columns.iter().map(|h| h.column).collect();
        use Column as C;
        let expected = [
            Some(C::SerialNo),
            Some(C::Name),
            Some(C::Sex),
            Some(C::BirthDate),
        ];
        assert_eq!(columns[..4], expected);
        // Unknown, and a second 姓名, are both left unread.
        assert_eq!(columns[4..], [None, None]);
    }

    #[test]
    fn joins_a_two_row_header() {
        let rows = vec![
            row(&["姓名", "性别", "出生日期", "父亲", "", "", "母亲", ""]),
            row(&["", "", "", "姓名", "务工地点", "联系电话", "姓名", "电话"]),
            row(&[
                "张三",
                "男",
                "2015-03-01",
                "张大",
                "广东东莞",
                "13812345678",
                "王二",
                "",
            ]),
        ];
        let found = detect(&rows).unwrap();
        assert_eq!(found.last_row, 1);
        let texts: Vec<_> = found.columns.iter().map(|h| h.text.as_str()).collect();
        assert_eq!(texts[3..6], ["父亲姓名", "父亲务工地点", "父亲联系电话"]);
        assert_eq!(found.columns[7].column, Some(Column::MotherPhone));
        assert_eq!(found.columns[0].column, Some(Column::Name));
    }

    #[test]
    fn no_header_without_a_name_column() {
        assert!(detect(&[row(&["性别", "民族", "出生日期"])]).is_none());
        assert!(detect(&[row(&["姓名"])]).is_none());
    }
}
