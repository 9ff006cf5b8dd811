//! Text clean-up shared by the parsers: Chinese input methods readily produce full-width forms.

use std::borrow::Cow;

/// Maps full-width ASCII (U+FF01..U+FF5E) to half-width and the ideographic space to a space.
/// Borrows the text when it has neither, as nearly all stored and typed text has not.
pub fn normalize_width(s: &str) -> Cow<'_, str> {
    let wide = |c: char| matches!(c, '\u{FF01}'..='\u{FF5E}' | '\u{3000}');
    if !s.chars().any(wide) {
        return Cow::Borrowed(s);
    }
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_becomes_half_width() {
        assert_eq!(normalize_width("１３８　ＡＢｃ（－）～"), "138 ABc(-)~");
        assert_eq!(normalize_width("张三·"), "张三·");
    }
}
