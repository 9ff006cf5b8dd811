//! The embedded CJK fonts and the small text engine the cards need: per-character font
//! fallback, measuring, line breaking and drawing.
//!
//! Chinese needs no shaping, so glyphs are placed one per character from the fonts' own
//! character maps and advances; krilla then subsets the fonts and writes the ToUnicode maps
//! that let `pdftotext` and copy-paste give the names back.

use krilla::geom::Point;
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};

use crate::DocsError;

/// Noto Sans CJK, whose face 2 (SC) has the simplified forms and covers CJK Unified, Ext A
/// and about 2,100 Ext B characters (among them 𠮷), Latin and the middle dot ·.
static PRIMARY: &[u8] = include_bytes!("../fonts/NotoSansCJK-Regular.ttc");
const PRIMARY_FACE: u32 = 2;
/// The 1,411 Han characters of HanaMinA that Noto lacks (among them 𪚥), see fonts/README.md.
static FALLBACK: &[u8] = include_bytes!("../fonts/ShouhuRareHan.ttf");

/// Drawn in place of an empty field, so a blank never looks like a printing fault.
pub(crate) const EMPTY: &str = "—";

struct Face {
    pdf: Font,
    charmap: Charmap<'static>,
    metrics: GlyphMetrics<'static>,
    units_per_em: f32,
}

impl Face {
    fn load(name: &'static str, data: &'static [u8], index: u32) -> Result<Self, DocsError> {
        let font = FontRef::from_index(data, index).map_err(|_| DocsError::Font(name))?;
        let pdf = Font::new(data.into(), index).ok_or(DocsError::Font(name))?;
        Ok(Self {
            units_per_em: pdf.units_per_em(),
            pdf,
            charmap: font.charmap(),
            metrics: font.glyph_metrics(Size::unscaled(), LocationRef::default()),
        })
    }
}

/// Where one character's glyph comes from, with its advance in ems.
#[derive(Clone, Copy)]
struct Placed {
    face: usize,
    glyph: u32,
    advance: f32,
}

/// The fonts in fallback order.
pub(crate) struct Fonts {
    faces: [Face; 2],
}

impl Fonts {
    pub(crate) fn load() -> Result<Self, DocsError> {
        Ok(Self {
            faces: [
                Face::load("NotoSansCJK-Regular.ttc", PRIMARY, PRIMARY_FACE)?,
                Face::load("ShouhuRareHan.ttf", FALLBACK, 0)?,
            ],
        })
    }

    /// The first face that has the character; failing all, the primary's .notdef, so the
    /// text keeps its place and its Unicode even where no font can draw it.
    fn place(&self, c: char) -> Placed {
        let found = self.faces.iter().enumerate().find_map(|(i, face)| {
            let glyph = face.charmap.map(c).filter(|g| g.to_u32() != 0)?;
            Some((i, glyph))
        });
        let (face, glyph) = found.unwrap_or((0, skrifa::GlyphId::NOTDEF));
        let f = &self.faces[face];
        let advance = f.metrics.advance_width(glyph).unwrap_or(0.0) / f.units_per_em;
        Placed {
            face,
            glyph: glyph.to_u32(),
            advance,
        }
    }

    /// Whether some embedded font draws the character.
    #[cfg(test)]
    pub(crate) fn covers(&self, c: char) -> bool {
        self.place(c).glyph != 0
    }

    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.place(c).advance).sum::<f32>() * size
    }

    /// Draws one line with its baseline at `(x, y)`, one run per stretch of the same font.
    pub(crate) fn draw(&self, surface: &mut Surface, x: f32, y: f32, size: f32, text: &str) {
        let mut pen = x;
        let mut run: Vec<KrillaGlyph> = Vec::new();
        let (mut run_face, mut run_start) = (0, 0);
        let mut flush = |run: &mut Vec<KrillaGlyph>, face: usize, start: usize, end: usize| {
            if run.is_empty() {
                return;
            }
            let font = self.faces[face].pdf.clone();
            let width: f32 = run.iter().map(|g| g.x_advance).sum();
            surface.draw_glyphs(
                Point::from_xy(pen, y),
                run,
                font,
                &text[start..end],
                size,
                false,
            );
            pen += width * size;
            run.clear();
        };
        for (at, c) in text.char_indices() {
            let placed = self.place(c);
            if placed.face != run_face {
                flush(&mut run, run_face, run_start, at);
                (run_face, run_start) = (placed.face, at);
            }
            run.push(KrillaGlyph {
                glyph_id: GlyphId::new(placed.glyph),
                text_range: at - run_start..at - run_start + c.len_utf8(),
                x_advance: placed.advance,
                x_offset: 0.0,
                y_offset: 0.0,
                y_advance: 0.0,
                location: None,
            });
        }
        flush(&mut run, run_face, run_start, text.len());
    }

    /// Breaks text into lines no wider than `width`. Chinese may break between any two
    /// characters; runs of ASCII (phone numbers, words) break only if they alone are too wide.
    pub(crate) fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for piece in pieces(text) {
            if line.is_empty() && piece == " " {
                continue;
            }
            if self.width(&line, size) + self.width(piece, size) <= width {
                line.push_str(piece);
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line).trim_end().to_string());
            }
            if piece == " " {
                continue;
            }
            // A piece too wide for a line of its own is cut between characters.
            for c in piece.chars() {
                if !line.is_empty() && self.width(&line, size) + self.width_of(c, size) > width {
                    lines.push(std::mem::take(&mut line));
                }
                line.push(c);
            }
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        lines
    }

    fn width_of(&self, c: char, size: f32) -> f32 {
        self.place(c).advance * size
    }

    /// Fits text into a box `width` wide, keeping it on one line if it can: at `size`, else
    /// shrunk down to `min_size`, else wrapped (see [`Fonts::cut`]). For names and numbers,
    /// which read badly when split.
    pub(crate) fn fit(
        &self,
        text: &str,
        width: f32,
        size: f32,
        min_size: f32,
        max_lines: usize,
    ) -> Fitted {
        let text = clean(text);
        let natural = self.width(&text, size);
        if natural <= width {
            return Fitted {
                size,
                lines: vec![text],
            };
        }
        let shrunk = size * width / natural * 0.999;
        if shrunk >= min_size {
            return Fitted {
                size: shrunk,
                lines: vec![text],
            };
        }
        self.cut(&text, width, min_size, max_lines)
    }

    /// Fits text into a box `width` wide by wrapping it, shrinking it only when it would
    /// take more than `max_lines` lines. For places and addresses.
    pub(crate) fn fit_wrapped(
        &self,
        text: &str,
        width: f32,
        size: f32,
        min_size: f32,
        max_lines: usize,
    ) -> Fitted {
        let text = clean(text);
        let mut at = size;
        while at > min_size {
            let lines = self.wrap(&text, at, width);
            if lines.len() <= max_lines {
                return Fitted { size: at, lines };
            }
            at -= 0.5;
        }
        self.cut(&text, width, min_size, max_lines)
    }

    /// Wraps text at `size` into at most `max_lines` lines, the last ending in … if the
    /// text had to be cut short.
    fn cut(&self, text: &str, width: f32, size: f32, max_lines: usize) -> Fitted {
        let mut lines = self.wrap(text, size, width);
        if lines.len() > max_lines.max(1) {
            lines.truncate(max_lines.max(1));
            if let Some(last) = lines.last_mut() {
                while !last.is_empty() && self.width(last, size) + self.width_of('…', size) > width
                {
                    last.pop();
                }
                last.push('…');
            }
        }
        Fitted { size, lines }
    }
}

/// Text fitted into a box by [`Fonts::fit`].
pub(crate) struct Fitted {
    pub(crate) size: f32,
    pub(crate) lines: Vec<String>,
}

/// Trims, folds any run of whitespace or control characters into one space (a pasted
/// address may hold newlines), and puts [`EMPTY`] for nothing.
pub(crate) fn clean(text: &str) -> String {
    let folded = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if folded.is_empty() {
        EMPTY.to_string()
    } else {
        folded
    }
}

/// Unbreakable pieces: a run of printable ASCII other than space, or any other character.
fn pieces(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let len = if first.is_ascii_graphic() {
            rest.find(|c: char| !c.is_ascii_graphic())
                .unwrap_or(rest.len())
        } else {
            first.len_utf8()
        };
        let (piece, tail) = rest.split_at(len);
        rest = tail;
        Some(piece)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rare_name_characters_have_glyphs() {
        let fonts = Fonts::load().unwrap();
        // 𠮷 and 𪚥 are Ext B (the second only in the fallback), 䶮 Ext A.
        for c in "单𠮷阿依古丽·买买提禤晓燕龘𪚥䶮—…".chars() {
            assert!(fonts.covers(c), "{c} (U+{:X}) has no glyph", c as u32);
        }
        assert_eq!(fonts.place('𪚥').face, 1, "𪚥 comes from the fallback");
        assert!(
            !fonts.covers('\u{2A6DF}'),
            "a character no font has is reported as such"
        );
    }

    #[test]
    fn wrapping_keeps_numbers_whole_and_lines_narrow() {
        let fonts = Fonts::load().unwrap();
        let width = fonts.width("广东省东莞市长", 10.0) + 0.1;
        let lines = fonts.wrap("广东省东莞市长安镇 13800000000 某电子厂", 10.0, width);
        assert_eq!(lines, ["广东省东莞市长", "安镇", "13800000000", "某电子厂"]);
        let narrow = fonts.wrap("13800000000", 10.0, fonts.width("1380", 10.0));
        assert_eq!(
            narrow.concat(),
            "13800000000",
            "a number too wide is cut, never lost"
        );
        assert!(
            narrow
                .iter()
                .all(|l| fonts.width(l, 10.0) <= fonts.width("1380", 10.0))
        );
    }

    #[test]
    fn fitting_shrinks_then_wraps_then_cuts() {
        let fonts = Fonts::load().unwrap();
        let one = fonts.fit("阿依古丽·买买提", 60.0, 10.0, 6.0, 2);
        assert_eq!(one.lines, ["阿依古丽·买买提"]);
        assert!(one.size < 10.0 && fonts.width(&one.lines[0], one.size) <= 60.0);
        let cut = fonts.fit_wrapped(&"很长的单位名称".repeat(20), 50.0, 8.0, 6.0, 3);
        assert_eq!(cut.lines.len(), 3);
        assert!(cut.lines[2].ends_with('…'));
        assert!(cut.lines.iter().all(|l| fonts.width(l, cut.size) <= 50.0));
        assert_eq!(fonts.fit(" \n\t", 50.0, 8.0, 6.0, 1).lines, [EMPTY]);
    }
}
