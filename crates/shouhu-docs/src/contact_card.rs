//! Contact cards (联系卡): what is printed about a child, and the A4 sheets of cut-out
//! cards made from it.

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Rect, Transform};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, Stroke};
use krilla::surface::Surface;

use crate::DocsError;
use crate::card_layout::{Op, Tone, layout_card};
use crate::text::Fonts;

/// One child's card. Any field may be empty; it is then shown as "—".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactCard {
    pub child_name: String,
    /// "男" or "女".
    pub sex: String,
    /// As it should be printed, e.g. "2015-03-01".
    pub birth_date: String,
    pub school: String,
    /// e.g. "三年级(2)班".
    pub class: String,
    pub address: String,
    /// Father and mother, usually working far away.
    pub parents: Vec<CardPerson>,
    /// Who actually looks after the child (entrusted guardian), e.g. a grandmother.
    pub guardian: Option<CardPerson>,
    pub head_teacher: Option<CardPerson>,
    /// The school's family hotline.
    pub school_hotline: String,
    /// Others to call, e.g. the village child director (儿童主任).
    pub other_contacts: Vec<CardPerson>,
}

/// A row of the card's contact table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardPerson {
    /// e.g. "父亲", "祖母", "儿童主任".
    pub relation: String,
    pub name: String,
    pub phone: String,
    /// Where the person works, with the employer if known, e.g. "广东省东莞市 某电子厂".
    pub work_place: String,
}

/// What every sheet of a print run shares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardSheet {
    /// Printed on each card, e.g. "留守儿童联系卡".
    pub title: String,
    /// Printed at the foot of each page, e.g. "七星关区第一小学 · 2026-12-02 打印".
    pub footer: String,
}

/// A4 in points.
const PAGE: (f32, f32) = (595.28, 841.89);
const MARGIN: f32 = 28.0;
const GAP: f32 = 14.0;
const FOOTER: f32 = 16.0;
/// Two columns by three rows: about 93 by 87 mm a card, big enough for five contacts
/// at a readable size.
const GRID: (usize, usize) = (2, 3);

/// Makes a PDF of contact cards, six to an A4 page in a grid of bordered cards to cut
/// out; a single card comes out as one page with that one card at its top left.
///
/// The embedded fonts draw all common Chinese characters, CJK Ext A and about 2,900 Ext B
/// characters (𠮷 and 𪚥 among them); `fonts/README.md` in this crate lists what they cover.
/// Every name they cover comes back exactly from the PDF's text, as search, copy-paste and
/// `pdftotext` see it.
///
/// Asking for no cards is an error, [`DocsError::NoCards`].
pub fn contact_cards_pdf(sheet: &CardSheet, cards: &[ContactCard]) -> Result<Vec<u8>, DocsError> {
    if cards.is_empty() {
        return Err(DocsError::NoCards);
    }
    let fonts = Fonts::load()?;
    let (columns, rows) = GRID;
    let card_w = (PAGE.0 - 2.0 * MARGIN - (columns - 1) as f32 * GAP) / columns as f32;
    let card_h = (PAGE.1 - 2.0 * MARGIN - FOOTER - (rows - 1) as f32 * GAP) / rows as f32;
    let per_page = columns * rows;
    let pages = cards.len().div_ceil(per_page);

    let mut document = Document::new();
    let title = if sheet.title.trim().is_empty() {
        "联系卡"
    } else {
        sheet.title.trim()
    };
    document.set_metadata(
        Metadata::new()
            .title(title.to_string())
            .language("zh-CN".to_string())
            .creator("Shouhu".to_string()),
    );
    let settings = PageSettings::from_wh(PAGE.0, PAGE.1)
        .ok_or_else(|| DocsError::Pdf("bad page size".into()))?;
    for (page_no, chunk) in cards.chunks(per_page).enumerate() {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for (i, card) in chunk.iter().enumerate() {
            let x = MARGIN + (i % columns) as f32 * (card_w + GAP);
            let y = MARGIN + (i / columns) as f32 * (card_h + GAP);
            let ops = layout_card(&fonts, title, card, card_w, card_h);
            surface.push_transform(&Transform::from_translate(x, y));
            draw_card(&mut surface, &fonts, &ops, card_w, card_h);
            surface.pop();
        }
        draw_footer(&mut surface, &fonts, &sheet.footer, page_no + 1, pages);
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| DocsError::Pdf(e.to_string()))
}

fn color(tone: Tone) -> rgb::Color {
    match tone {
        Tone::Text => rgb::Color::new(25, 25, 25),
        Tone::Muted => rgb::Color::new(95, 95, 95),
        Tone::Accent => rgb::Color::new(20, 70, 140),
        Tone::Band => rgb::Color::new(222, 234, 247),
        Tone::Header => rgb::Color::new(238, 238, 238),
        Tone::Rule => rgb::Color::new(150, 150, 150),
    }
}

fn fill(tone: Tone) -> Option<Fill> {
    Some(Fill {
        paint: color(tone).into(),
        ..Fill::default()
    })
}

fn stroke(tone: Tone, width: f32) -> Option<Stroke> {
    Some(Stroke {
        paint: color(tone).into(),
        width,
        ..Stroke::default()
    })
}

fn rect(x: f32, y: f32, w: f32, h: f32) -> Option<krilla::geom::Path> {
    let mut builder = PathBuilder::new();
    builder.push_rect(Rect::from_xywh(x, y, w, h)?);
    builder.finish()
}

/// Draws a card's operations clipped to its box, then its border.
fn draw_card(surface: &mut Surface, fonts: &Fonts, ops: &[Op], w: f32, h: f32) {
    let Some(frame) = rect(0.0, 0.0, w, h) else {
        return;
    };
    // The layout already keeps inside the card; the clip makes sure of it.
    surface.push_clip_path(&frame, &FillRule::NonZero);
    for op in ops {
        match op {
            Op::Text {
                x,
                y,
                size,
                text,
                tone,
                bold,
            } => {
                surface.set_fill(fill(*tone));
                // Only one weight is embedded, so bold is a thin outline in the same colour.
                surface.set_stroke(if *bold {
                    stroke(*tone, size * 0.018)
                } else {
                    None
                });
                fonts.draw(surface, *x, *y, *size, text);
            }
            Op::Fill { x, y, w, h, tone } => {
                if let Some(path) = rect(*x, *y, *w, *h) {
                    surface.set_fill(fill(*tone));
                    surface.set_stroke(None);
                    surface.draw_path(&path);
                }
            }
            Op::Line { x1, y1, x2, y2 } => {
                let mut builder = PathBuilder::new();
                builder.move_to(*x1, *y1);
                builder.line_to(*x2, *y2);
                if let Some(path) = builder.finish() {
                    surface.set_fill(None);
                    surface.set_stroke(stroke(Tone::Rule, 0.5));
                    surface.draw_path(&path);
                }
            }
        }
    }
    surface.pop();
    surface.set_fill(None);
    surface.set_stroke(stroke(Tone::Text, 0.9));
    surface.draw_path(&frame);
}

fn draw_footer(surface: &mut Surface, fonts: &Fonts, footer: &str, page: usize, pages: usize) {
    let size = 7.5;
    let y = PAGE.1 - MARGIN + 2.0;
    let number = format!("第 {page} / {pages} 页");
    let number_w = fonts.width(&number, size);
    surface.set_fill(fill(Tone::Muted));
    surface.set_stroke(None);
    fonts.draw(surface, PAGE.0 - MARGIN - number_w, y, size, &number);
    if !footer.trim().is_empty() {
        let room = PAGE.0 - 2.0 * MARGIN - number_w - 12.0;
        let fitted = fonts.fit(footer, room, size, 5.0, 1);
        fonts.draw(surface, MARGIN, y, fitted.size, &fitted.lines[0]);
    }
}
