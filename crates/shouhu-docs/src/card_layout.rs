//! Lays out one contact card in its own coordinates (points, origin at the top left).
//!
//! A card must never spill over its border, whatever the data: text is first shrunk, then
//! wrapped and cut; if the card is still too tall the whole card is scaled down, and as a
//! last resort contacts past what fits are left off with a note saying how many.

use crate::card_table::{Row, rows, table};
use crate::contact_card::ContactCard;
use crate::text::{EMPTY, Fitted, Fonts};

/// Colours, named for what they are used for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Tone {
    Text,
    Muted,
    Accent,
    Band,
    Header,
    Rule,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    /// One line of text, `y` being its baseline.
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
        tone: Tone,
        bold: bool,
    },
    Fill {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        tone: Tone,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
    },
}

pub(crate) const PAD: f32 = 8.0;
const LEADING: f32 = 1.25;
/// Scales tried in turn, in twentieths: 100 % down to 60 %.
const SCALES: std::ops::RangeInclusive<u8> = 12..=20;

/// The drawing operations for one card `w` by `h` points.
pub(crate) fn layout_card(
    fonts: &Fonts,
    title: &str,
    card: &ContactCard,
    w: f32,
    h: f32,
) -> Vec<Op> {
    let rows = rows(card);
    for twentieths in SCALES.rev() {
        let (ops, height) = build(
            fonts,
            title,
            card,
            &rows,
            (w, h),
            f32::from(twentieths) / 20.0,
            rows.len(),
        );
        if height <= h {
            return ops;
        }
    }
    let smallest = f32::from(*SCALES.start()) / 20.0;
    let mut keep = rows.len();
    loop {
        let (ops, height) = build(fonts, title, card, &rows, (w, h), smallest, keep);
        if height <= h || keep == 0 {
            return ops;
        }
        keep -= 1;
    }
}

fn baseline(top: f32, line_height: f32, size: f32) -> f32 {
    // Noto Sans CJK's em box is 0.88 above the baseline and 0.12 below.
    top + (line_height - size) / 2.0 + 0.88 * size
}

/// Pushes the lines of `fitted` from `top` down and returns the height they take.
pub(crate) fn put(
    ops: &mut Vec<Op>,
    fitted: &Fitted,
    x: f32,
    top: f32,
    tone: Tone,
    bold: bool,
) -> f32 {
    let line_height = fitted.size * LEADING;
    for (i, line) in fitted.lines.iter().enumerate() {
        let y = baseline(top + i as f32 * line_height, line_height, fitted.size);
        let text = line.clone();
        ops.push(Op::Text {
            x,
            y,
            size: fitted.size,
            text,
            tone,
            bold,
        });
    }
    fitted.lines.len() as f32 * line_height
}

pub(crate) fn height_of(fitted: &Fitted) -> f32 {
    fitted.lines.len() as f32 * fitted.size * LEADING
}

/// Lays the card out at `scale` showing the first `keep` contacts; returns the operations
/// and the height they need.
fn build(
    fonts: &Fonts,
    title: &str,
    card: &ContactCard,
    rows: &[Row],
    (w, h): (f32, f32),
    scale: f32,
    keep: usize,
) -> (Vec<Op>, f32) {
    let s = scale;
    let inner = w - 2.0 * PAD;
    let mut ops = Vec::new();

    let band = 22.0 * s;
    ops.push(Op::Fill {
        x: 0.0,
        y: 0.0,
        w,
        h: band,
        tone: Tone::Band,
    });
    ops.push(Op::Line {
        x1: 0.0,
        y1: band,
        x2: w,
        y2: band,
    });
    let heading = fonts.fit(title, inner, 12.5 * s, 8.0 * s, 1);
    let heading_x = (w - fonts.width(&heading.lines[0], heading.size)) / 2.0;
    put(
        &mut ops,
        &heading,
        heading_x,
        (band - height_of(&heading)) / 2.0,
        Tone::Accent,
        true,
    );
    let mut y = band + 5.0 * s;

    let born = format!("{}  {}", card.sex.trim(), card.birth_date.trim());
    let born = fonts.fit(born.trim(), inner * 0.45, 9.5 * s, 6.5 * s, 1);
    let born_w = fonts.width(&born.lines[0], born.size);
    let name = fonts.fit(
        &card.child_name,
        inner - born_w - 8.0 * s,
        17.0 * s,
        11.0 * s,
        2,
    );
    let name_h = put(&mut ops, &name, PAD, y, Tone::Text, true);
    // Sex and birth date share the baseline of the name's first line.
    let name_baseline = baseline(y, name.size * LEADING, name.size);
    let born_top = name_baseline - 0.88 * born.size - (LEADING - 1.0) * born.size / 2.0;
    put(
        &mut ops,
        &born,
        w - PAD - born_w,
        born_top,
        Tone::Text,
        false,
    );
    y += name_h + 2.0 * s;

    let school = format!("{}  {}", card.school.trim(), card.class.trim());
    for (label, value) in [("学校", school.trim()), ("住址", card.address.as_str())] {
        let label = fonts.fit(label, inner, 8.5 * s, 8.5 * s, 1);
        let label_w = fonts.width(&label.lines[0], label.size) + 5.0 * s;
        let value = fonts.fit_wrapped(value, inner - label_w, 9.5 * s, 7.5 * s, 2);
        let line = value.size * LEADING;
        put(
            &mut ops,
            &label,
            PAD,
            y + (line - label.size * LEADING) / 2.0,
            Tone::Muted,
            false,
        );
        y += put(&mut ops, &value, PAD + label_w, y, Tone::Text, false) + 1.5 * s;
    }
    y += 3.0 * s;
    y = table(fonts, &mut ops, rows, keep, y, inner, s);

    let hotline = if card.school_hotline.trim().is_empty() {
        EMPTY
    } else {
        card.school_hotline.trim()
    };
    let hotline = fonts.fit(
        &format!("学校亲情热线：{hotline}"),
        inner,
        10.0 * s,
        7.5 * s,
        1,
    );
    // The hotline sits at the foot of the card, where it is easy to find.
    let hot_top = (y + 4.0 * s).max(h - PAD - height_of(&hotline));
    let bottom = hot_top + put(&mut ops, &hotline, PAD, hot_top, Tone::Accent, false) + PAD;
    (ops, bottom)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact_card::CardPerson;

    const W: f32 = 262.6;
    const H: f32 = 247.3;

    fn someone(i: usize) -> CardPerson {
        CardPerson {
            relation: "儿童主任".into(),
            name: format!("阿依古丽·买买提·艾力{i}"),
            phone: format!("13800000{i:03}"),
            work_place: "广东省东莞市长安镇很长很长的某某电子有限公司第三车间".repeat(3),
        }
    }

    /// Asserts every operation lies inside the card.
    fn assert_inside(fonts: &Fonts, ops: &[Op]) {
        for op in ops {
            let (left, top, right, bottom) = match op {
                Op::Text {
                    x, y, size, text, ..
                } => (
                    *x,
                    y - 0.88 * size,
                    x + fonts.width(text, *size),
                    y + 0.12 * size,
                ),
                Op::Fill { x, y, w, h, .. } => (*x, *y, x + w, y + h),
                Op::Line { x1, y1, x2, y2 } => (x1.min(*x2), y1.min(*y2), x1.max(*x2), y1.max(*y2)),
            };
            let ok = left >= -0.01 && top >= -0.01 && right <= W + 0.01 && bottom <= H + 0.01;
            assert!(ok, "{op:?} leaves the card");
        }
    }

    fn texts(ops: &[Op]) -> Vec<&str> {
        ops.iter()
            .filter_map(|op| {
                if let Op::Text { text, .. } = op {
                    Some(text.as_str())
                } else {
                    None
                }
            })
            .collect()
    }

    #[test]
    fn an_empty_card_shows_dashes() {
        let fonts = Fonts::load().unwrap();
        let ops = layout_card(&fonts, "留守儿童联系卡", &ContactCard::default(), W, H);
        assert_inside(&fonts, &ops);
        let texts = texts(&ops);
        assert!(texts.contains(&EMPTY), "{texts:?}");
        assert!(texts.contains(&"未登记联系人"));
        assert!(texts.contains(&"学校亲情热线：—"));
    }

    #[test]
    fn an_overfull_card_stays_inside_and_says_what_it_left_off() {
        let fonts = Fonts::load().unwrap();
        let card = ContactCard {
            child_name: "阿依古丽·买买提".repeat(6),
            address: "贵州省毕节市七星关区".repeat(30),
            school: "七星关区第一小学".repeat(10),
            other_contacts: (0..14).map(someone).collect(),
            ..ContactCard::default()
        };
        let ops = layout_card(&fonts, &"留守儿童联系卡".repeat(8), &card, W, H);
        assert_inside(&fonts, &ops);
        let note = texts(&ops)
            .into_iter()
            .find(|t| t.starts_with("另有"))
            .unwrap();
        let listed = texts(&ops)
            .iter()
            .filter(|t| t.starts_with("13800000"))
            .count();
        assert_eq!(note, format!("另有 {} 位联系人未能列出", 14 - listed));
        assert!(listed >= 4, "only {listed} contacts fit");
    }

    #[test]
    fn a_usual_card_is_drawn_at_full_size() {
        let fonts = Fonts::load().unwrap();
        let card = ContactCard {
            child_name: "禤晓燕".into(),
            parents: (0..2).map(someone).collect(),
            ..ContactCard::default()
        };
        let ops = layout_card(&fonts, "留守儿童联系卡", &card, W, H);
        assert_inside(&fonts, &ops);
        let name = ops.iter().find_map(|op| match op {
            Op::Text { text, size, .. } if text == "禤晓燕" => Some(*size),
            _ => None,
        });
        assert_eq!(name, Some(17.0));
    }
}
