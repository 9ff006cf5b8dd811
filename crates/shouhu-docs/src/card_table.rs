//! The contact table of a card: who to call, one row a person, in the order a teacher
//! would try them (parents, the carer, the head teacher, then others).

use crate::card_layout::{Op, PAD, Tone, height_of, put};
use crate::contact_card::{CardPerson, ContactCard};
use crate::text::{Fitted, Fonts};

/// Column widths of the contact table, as shares of the card's inner width.
const COLUMNS: [f32; 4] = [0.15, 0.22, 0.27, 0.36];

/// One person's row, with the relation defaulted when it was left blank.
pub(crate) struct Row {
    relation: String,
    /// A second, smaller line under the relation, saying who the child lives with.
    tag: Option<&'static str>,
    name: String,
    phone: String,
    work_place: String,
}

impl Row {
    fn new(person: &CardPerson, default_relation: &str, tag: Option<&'static str>) -> Self {
        let relation = person.relation.trim();
        Self {
            relation: if relation.is_empty() {
                default_relation
            } else {
                relation
            }
            .to_string(),
            tag,
            name: person.name.clone(),
            phone: person.phone.clone(),
            work_place: person.work_place.clone(),
        }
    }
}

pub(crate) fn rows(card: &ContactCard) -> Vec<Row> {
    let parents = card.parents.iter().map(|p| Row::new(p, "家长", None));
    let guardian = card
        .guardian
        .iter()
        .map(|p| Row::new(p, "监护人", Some("监护人")));
    let teacher = card
        .head_teacher
        .iter()
        .map(|p| Row::new(p, "班主任", None));
    let others = card
        .other_contacts
        .iter()
        .map(|p| Row::new(p, "联系人", None));
    parents
        .chain(guardian)
        .chain(teacher)
        .chain(others)
        .collect()
}

/// The contact table from `top`; returns where it ends.
pub(crate) fn table(
    fonts: &Fonts,
    ops: &mut Vec<Op>,
    rows: &[Row],
    keep: usize,
    top: f32,
    inner: f32,
    s: f32,
) -> f32 {
    let (pad, inset) = (2.0 * s, 3.0 * s);
    let mut xs = [PAD; 5];
    for (i, share) in COLUMNS.iter().enumerate() {
        xs[i + 1] = xs[i] + share * inner;
    }
    let cell = |i: usize| xs[i + 1] - xs[i] - 2.0 * inset;
    let mut lines = vec![top];

    let head = ["关系", "姓名", "电话", "工作地点"];
    let head: Vec<Fitted> = head
        .iter()
        .enumerate()
        .map(|(i, t)| fonts.fit(t, cell(i), 8.5 * s, 6.5 * s, 1))
        .collect();
    let head_h = height_of(&head[0]) + 2.0 * pad;
    ops.push(Op::Fill {
        x: PAD,
        y: top,
        w: inner,
        h: head_h,
        tone: Tone::Header,
    });
    for (i, fitted) in head.iter().enumerate() {
        put(ops, fitted, xs[i] + inset, top + pad, Tone::Muted, false);
    }
    let mut y = top + head_h;
    lines.push(y);

    for row in rows.iter().take(keep) {
        let relation = fonts.fit(&row.relation, cell(0), 9.5 * s, 7.0 * s, 2);
        let tag = row.tag.map(|t| fonts.fit(t, cell(0), 7.0 * s, 5.5 * s, 1));
        let cells = [
            fonts.fit(&row.name, cell(1), 10.0 * s, 7.5 * s, 2),
            fonts.fit(&row.phone, cell(2), 10.0 * s, 7.0 * s, 2),
            fonts.fit_wrapped(&row.work_place, cell(3), 8.5 * s, 7.0 * s, 3),
        ];
        let tag_h = tag.as_ref().map_or(0.0, height_of);
        let content = cells
            .iter()
            .map(height_of)
            .fold(height_of(&relation) + tag_h, f32::max);
        let row_h = content + 2.0 * pad;
        let first = y + (row_h - height_of(&relation) - tag_h) / 2.0;
        let below = put(ops, &relation, xs[0] + inset, first, Tone::Text, false);
        if let Some(tag) = &tag {
            put(ops, tag, xs[0] + inset, first + below, Tone::Muted, false);
        }
        for (i, fitted) in cells.iter().enumerate() {
            put(
                ops,
                fitted,
                xs[i + 1] + inset,
                y + (row_h - height_of(fitted)) / 2.0,
                Tone::Text,
                false,
            );
        }
        y += row_h;
        lines.push(y);
    }

    let left_off = rows.len().saturating_sub(keep);
    let note = match (rows.is_empty(), left_off) {
        (true, _) => Some("未登记联系人".to_string()),
        (false, 0) => None,
        (false, n) => Some(format!("另有 {n} 位联系人未能列出")),
    };
    if let Some(note) = note {
        let note = fonts.fit(&note, inner - 2.0 * inset, 8.5 * s, 6.5 * s, 1);
        y += put(ops, &note, PAD + inset, y + pad, Tone::Muted, false) + 2.0 * pad;
        lines.push(y);
    }

    for &at in &lines {
        ops.push(Op::Line {
            x1: PAD,
            y1: at,
            x2: PAD + inner,
            y2: at,
        });
    }
    let columns_end = if note_spans(rows, keep) {
        lines[lines.len() - 2]
    } else {
        y
    };
    for &x in &xs {
        let end = if x == xs[0] || x == xs[4] {
            y
        } else {
            columns_end
        };
        ops.push(Op::Line {
            x1: x,
            y1: top,
            x2: x,
            y2: end,
        });
    }
    y
}

/// Whether the table ends in a note row that spans all columns.
fn note_spans(rows: &[Row], keep: usize) -> bool {
    rows.is_empty() || keep < rows.len()
}
