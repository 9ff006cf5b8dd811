//! The 劝返通知书: a school's written notice to a guardian to send a child back to school,
//! printed on A4 with a receipt line for the guardian to sign.
//!
//! The text comes already filled (the domain's `NoticeTemplate`); this only lays it out. A
//! usual notice fits one page at a comfortable size; a long one is set smaller and, if it
//! still does not fit, continues on further pages. Nothing is ever cut.

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::PathBuilder;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;

use crate::DocsError;
use crate::card_layout::{Op, Tone};
use crate::text::Fonts;

/// One notice, as printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReturnNotice {
    /// e.g. "劝返复学通知书".
    pub title: String,
    /// The filled text, paragraphs separated by `\n`. A first paragraph ending in "：" is
    /// the salutation and is not indented.
    pub body: String,
    /// The school, printed at the bottom right.
    pub issuer: String,
    /// As it should be printed, e.g. "2026年10月12日".
    pub date: String,
    /// Which copy this is, e.g. "存根", printed at the top right of every page.
    pub copy_label: Option<String>,
}

/// A4 in points.
const PAGE: (f32, f32) = (595.28, 841.89);
const MARGIN_X: f32 = 60.0;
const MARGIN_TOP: f32 = 64.0;
const MARGIN_BOTTOM: f32 = 56.0;
const LEADING: f32 = 1.6;
/// Body sizes tried for a one-page notice, largest first (四号 down to 小四).
const ONE_PAGE_SIZES: [f32; 3] = [14.0, 13.0, 12.0];
/// The body size and leading when even the smallest one-page size needs more than a page
/// (五号, the size of a printed document's body), about 2,000 characters a page.
const LONG_SIZE: f32 = 10.5;
const LONG_LEADING: f32 = 1.5;
const TITLE_SIZE: f32 = 20.0;
/// The receipt strip at the foot of the last page: a cut rule and the signature line.
const RECEIPT_H: f32 = 46.0;
const RECEIPT: &str = "监护人签收：__________  日期：__________";
const INDENT: &str = "\u{3000}\u{3000}";

/// Makes the notice as a PDF: A4, the title centred, the body wrapped to the page, the
/// issuer and date at the bottom right, and a receipt line for the guardian at the foot of
/// the last page. A body too long for one page continues on the next.
pub fn return_notice_pdf(n: &ReturnNotice) -> Result<Vec<u8>, DocsError> {
    let fonts = Fonts::load()?;
    let title = match n.title.trim() {
        "" => "劝返复学通知书",
        t => t,
    };
    let pages = layout(&fonts, title, n);
    let count = pages.len();

    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(title.to_string())
            .language("zh-CN".to_string())
            .creator("Shouhu".to_string()),
    );
    let settings = PageSettings::from_wh(PAGE.0, PAGE.1)
        .ok_or_else(|| DocsError::Pdf("bad page size".into()))?;
    for (i, ops) in pages.iter().enumerate() {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        draw(&mut surface, &fonts, ops);
        if count > 1 {
            let number = format!("第 {} / {count} 页", i + 1);
            let size = 8.0;
            let x = (PAGE.0 - fonts.width(&number, size)) / 2.0;
            surface.set_fill(fill(Tone::Muted));
            surface.set_stroke(None);
            fonts.draw(&mut surface, x, PAGE.1 - 24.0, size, &number);
        }
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| DocsError::Pdf(e.to_string()))
}

/// The body as lines at `size`: each paragraph indented two characters and wrapped, an
/// empty paragraph kept as an empty line.
fn body_lines(fonts: &Fonts, body: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for (i, paragraph) in body.lines().enumerate() {
        let paragraph = paragraph.trim();
        if paragraph.is_empty() {
            lines.push(String::new());
            continue;
        }
        let salutation = i == 0 && paragraph.ends_with(['：', ':']);
        let text = if salutation {
            paragraph.to_string()
        } else {
            format!("{INDENT}{paragraph}")
        };
        lines.extend(fonts.wrap(&text, size, width));
    }
    // Blank lines at the end only push the signature down.
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

fn baseline(top: f32, line_height: f32, size: f32) -> f32 {
    // Noto Sans CJK's em box is 0.88 above the baseline and 0.12 below.
    top + (line_height - size) / 2.0 + 0.88 * size
}

fn text(x: f32, y: f32, size: f32, text: &str, tone: Tone, bold: bool) -> Op {
    Op::Text {
        x,
        y,
        size,
        text: text.to_string(),
        tone,
        bold,
    }
}

/// Every page's drawing operations, the body at the largest size that keeps it to one page,
/// else at [`LONG_SIZE`] over as many pages as it needs.
fn layout(fonts: &Fonts, title: &str, n: &ReturnNotice) -> Vec<Vec<Op>> {
    for size in ONE_PAGE_SIZES {
        let pages = layout_at(fonts, title, n, size, LEADING);
        if pages.len() == 1 {
            return pages;
        }
    }
    layout_at(fonts, title, n, LONG_SIZE, LONG_LEADING)
}

fn layout_at(
    fonts: &Fonts,
    title: &str,
    n: &ReturnNotice,
    size: f32,
    leading: f32,
) -> Vec<Vec<Op>> {
    let width = PAGE.0 - 2.0 * MARGIN_X;
    let bottom = PAGE.1 - MARGIN_BOTTOM;
    let line_h = size * leading;

    // The closing: a blank line, the issuer and the date, both flush right.
    let issuer = fonts.fit_wrapped(&n.issuer, width * 0.7, size, size * 0.8, 3);
    let date = fonts.fit(&n.date, width * 0.7, size, size * 0.8, 1);
    let closing_h = line_h + (issuer.lines.len() + 1) as f32 * issuer.size.max(date.size) * leading;

    let lines = body_lines(fonts, &n.body, size, width);
    let mut pages: Vec<Vec<Op>> = Vec::new();
    let mut rest: &[String] = &lines;
    loop {
        let mut ops = Vec::new();
        let mut top = MARGIN_TOP;
        if let Some(label) = n
            .copy_label
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            let label_size = 10.5;
            let label_w = fonts.width(label, label_size);
            let (x, y) = (PAGE.0 - MARGIN_X - label_w, MARGIN_TOP - 24.0);
            ops.push(Op::Fill {
                x: x - 4.0,
                y: y - label_size - 1.0,
                w: label_w + 8.0,
                h: label_size + 6.0,
                tone: Tone::Band,
            });
            ops.push(text(x, y, label_size, label, Tone::Accent, false));
        }
        if pages.is_empty() {
            let heading = fonts.fit_wrapped(title, width, TITLE_SIZE, 14.0, 2);
            let heading_h = heading.size * 1.4;
            for (i, line) in heading.lines.iter().enumerate() {
                let x = (PAGE.0 - fonts.width(line, heading.size)) / 2.0;
                let y = baseline(top + i as f32 * heading_h, heading_h, heading.size);
                ops.push(text(x, y, heading.size, line, Tone::Text, true));
            }
            top += heading.lines.len() as f32 * heading_h + 18.0;
        }

        let fits = |room: f32| (room / line_h).floor().max(0.0) as usize;
        let full = fits(bottom - top);
        let with_closing = fits(bottom - RECEIPT_H - closing_h - top);
        let last = rest.len() <= with_closing;
        let take = if last {
            rest.len()
        } else {
            // Carry at least two lines over, so the signature never stands alone on a page.
            rest.len().saturating_sub(2).min(full).max(1)
        };
        for line in &rest[..take] {
            if !line.is_empty() {
                ops.push(text(
                    MARGIN_X,
                    baseline(top, line_h, size),
                    size,
                    line,
                    Tone::Text,
                    false,
                ));
            }
            top += line_h;
        }
        rest = &rest[take..];
        if last {
            closing(
                &mut ops,
                fonts,
                top + line_h,
                [&issuer, &date],
                size,
                leading,
            );
            receipt(&mut ops, bottom);
            pages.push(ops);
            return pages;
        }
        pages.push(ops);
    }
}

/// The issuer, then the date, each line flush right from `top` down.
fn closing(
    ops: &mut Vec<Op>,
    fonts: &Fonts,
    mut top: f32,
    fitted: [&crate::text::Fitted; 2],
    size: f32,
    leading: f32,
) {
    let right = PAGE.0 - MARGIN_X - size;
    for fitted in fitted {
        let line_h = fitted.size * leading;
        for line in &fitted.lines {
            let x = right - fonts.width(line, fitted.size);
            ops.push(text(
                x,
                baseline(top, line_h, fitted.size),
                fitted.size,
                line,
                Tone::Text,
                false,
            ));
            top += line_h;
        }
    }
}

/// The cut rule and the receipt line at the foot of the page.
fn receipt(ops: &mut Vec<Op>, bottom: f32) {
    let rule = bottom - RECEIPT_H + 8.0;
    ops.push(Op::Line {
        x1: MARGIN_X,
        y1: rule,
        x2: PAGE.0 - MARGIN_X,
        y2: rule,
    });
    ops.push(text(
        MARGIN_X,
        bottom - 6.0,
        12.0,
        RECEIPT,
        Tone::Text,
        false,
    ));
}

fn color(tone: Tone) -> rgb::Color {
    match tone {
        Tone::Text => rgb::Color::new(20, 20, 20),
        Tone::Muted => rgb::Color::new(95, 95, 95),
        Tone::Accent => rgb::Color::new(160, 30, 30),
        Tone::Band => rgb::Color::new(250, 232, 232),
        Tone::Header => rgb::Color::new(238, 238, 238),
        Tone::Rule => rgb::Color::new(120, 120, 120),
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

fn draw(surface: &mut Surface, fonts: &Fonts, ops: &[Op]) {
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
                    stroke(*tone, size * 0.03)
                } else {
                    None
                });
                fonts.draw(surface, *x, *y, *size, text);
            }
            Op::Fill { x, y, w, h, tone } => {
                let mut builder = PathBuilder::new();
                if let Some(rect) = krilla::geom::Rect::from_xywh(*x, *y, *w, *h) {
                    builder.push_rect(rect);
                }
                if let Some(path) = builder.finish() {
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
                    surface.set_stroke(Some(Stroke {
                        dash: Some(krilla::paint::StrokeDash {
                            array: vec![4.0, 3.0],
                            offset: 0.0,
                        }),
                        ..stroke(Tone::Rule, 0.6).unwrap_or_default()
                    }));
                    surface.draw_path(&path);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    use super::*;

    fn notice(body: String) -> ReturnNotice {
        ReturnNotice {
            title: "劝返复学通知书".into(),
            body,
            issuer: "毕节市七星关区鸭池镇中心小学".into(),
            date: "2026年10月12日".into(),
            copy_label: Some("存根".into()),
        }
    }

    fn usual_body() -> String {
        "王桂芝 家长：\n\
         您的孙子王小明（三年级(2)班）自2026年9月28日起未到校上课，已连续旷课5个教学日。\
         根据《中华人民共和国义务教育法》第五条，适龄儿童的父母或者其他法定监护人应当依法保证其按时入学接受并完成义务教育。\
         请您接到本通知后，于2026年10月15日前送孩子返校复学。\n\
         如有困难，请与班主任张老师联系，电话 13800000001。"
            .to_string()
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn pdftotext(path: &Path) -> String {
        let out = Command::new("pdftotext")
            .arg("-layout")
            .arg(path)
            .arg("-")
            .output()
            .expect("pdftotext (poppler-utils) is installed");
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    }

    fn pages(path: &Path) -> u32 {
        let out = Command::new("pdfinfo")
            .arg(path)
            .output()
            .expect("pdfinfo (poppler-utils) is installed");
        let info = String::from_utf8(out.stdout).unwrap();
        info.lines()
            .find_map(|l| l.strip_prefix("Pages:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap()
    }

    #[test]
    fn a_usual_notice_is_one_page_with_everything_on_it() {
        let dir = tempfile::tempdir().unwrap();
        let pdf = return_notice_pdf(&notice(usual_body())).unwrap();
        let path = write(dir.path(), "notice.pdf", &pdf);
        assert_eq!(pages(&path), 1);
        let text = pdftotext(&path);
        for wanted in [
            "劝返复学通知书",
            "王小明",
            "毕节市七星关区鸭池镇中心小学",
            "2026年10月12日",
            "监护人签收",
            "存根",
            "13800000001",
        ] {
            assert!(text.contains(wanted), "{wanted} missing from:\n{text}");
        }
        // At the one-page sizes, the body is set large.
        let fonts = Fonts::load().unwrap();
        let ops = layout(&fonts, "劝返复学通知书", &notice(usual_body()));
        let body_size = ops[0].iter().find_map(|op| match op {
            Op::Text { text, size, .. } if text.starts_with("王桂芝") => Some(*size),
            _ => None,
        });
        assert_eq!(body_size, Some(14.0));
    }

    #[test]
    fn a_long_body_continues_on_a_second_page_whole() {
        let sentence = "请监护人切实履行法定义务，保证适龄儿童按时入学并完成义务教育。";
        let mut body = String::from("王桂芝 家长：\n");
        let mut n = 0;
        while body.chars().count() < 3000 {
            body.push_str(&format!("{sentence}第{n}句。"));
            if n % 8 == 7 {
                body.push('\n');
            }
            n += 1;
        }
        let body: String = body.chars().take(2999).chain(['终']).collect();
        assert_eq!(body.chars().count(), 3000);
        let dir = tempfile::tempdir().unwrap();
        let pdf = return_notice_pdf(&notice(body)).unwrap();
        let path = write(dir.path(), "long.pdf", &pdf);
        assert_eq!(pages(&path), 2);
        let text = pdftotext(&path);
        let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        for wanted in [
            "第0句",
            "第50句",
            &format!("第{}句", n - 2),
            "终",
            "监护人签收",
        ] {
            assert!(flat.contains(wanted), "{wanted} missing");
        }
        // The receipt is only on the last page.
        let (first, second) = text.split_once('\u{c}').unwrap();
        assert!(!first.contains("监护人签收") && second.contains("监护人签收"));
        assert!(second.contains("毕节市七星关区鸭池镇中心小学"));
    }

    #[test]
    fn every_line_stays_inside_the_page() {
        let fonts = Fonts::load().unwrap();
        let mut n = notice("很长的段落没有标点".repeat(900));
        n.issuer = "很长的学校名称".repeat(12);
        n.title = String::new();
        n.copy_label = None;
        let pages = layout(&fonts, "劝返复学通知书", &n);
        assert!(pages.len() >= 3);
        for ops in &pages {
            for op in ops {
                if let Op::Text {
                    x, y, size, text, ..
                } = op
                {
                    let right = x + fonts.width(text, *size);
                    assert!(
                        *x >= MARGIN_X - 0.01 && right <= PAGE.0 - MARGIN_X + 0.01,
                        "{text}"
                    );
                    assert!(*y <= PAGE.1 - MARGIN_BOTTOM + 0.01 && *y >= 0.0, "{text}");
                }
            }
        }
        let all: String = pages
            .iter()
            .flatten()
            .filter_map(|op| match op {
                Op::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(all.matches("很长的段落没有标点").count(), 900);
    }
}
