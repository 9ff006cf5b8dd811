//! Pinyin of personal names, so a teacher can find 张三 by typing `zhangsan` or `zs`.
//!
//! The `pinyin` crate gives each character its most common reading, which is wrong for a
//! number of surnames (单 dān, but the surname is Shàn), so the surname is looked up first.
//! Given names keep the common reading: without a name dictionary there is nothing better, and
//! searching by initials is forgiving of it.

use pinyin::ToPinyin;

use crate::normalize_width;

/// Surnames read otherwise than the character's common reading (or than a reading the data
/// might some day list first), compound ones first so that 尉迟 is not read as 尉 and 迟.
/// Only the start of a name is looked up.
const SURNAMES: [(&str, &[&str]); 29] = [
    ("尉迟", &["yu", "chi"]),
    ("万俟", &["mo", "qi"]),
    ("长孙", &["zhang", "sun"]),
    ("单", &["shan"]),
    ("曾", &["zeng"]),
    ("仇", &["qiu"]),
    ("解", &["xie"]),
    ("区", &["ou"]),
    ("查", &["zha"]),
    ("朴", &["piao"]),
    ("乐", &["yue"]),
    ("缪", &["miao"]),
    ("覃", &["qin"]),
    ("翟", &["zhai"]),
    ("召", &["shao"]),
    ("盖", &["ge"]),
    ("秘", &["bi"]),
    ("繁", &["po"]),
    ("员", &["yun"]),
    ("华", &["hua"]),
    ("任", &["ren"]),
    ("石", &["shi"]),
    ("都", &["du"]),
    ("卜", &["bu"]),
    ("折", &["she"]),
    ("黑", &["he"]),
    ("沈", &["shen"]),
    ("隗", &["wei"]),
    ("句", &["gou"]),
];

/// Lower-case ASCII pinyin of a name: `full` joins the syllables, `initials` takes the first
/// letter of each (张三 → `zhangsan`, `zs`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct NamePinyin {
    pub full: String,
    pub initials: String,
}

impl NamePinyin {
    fn push_syllable(&mut self, syllable: &str) {
        let mut letters = syllable.chars().filter_map(pinyin_ascii);
        if let Some(first) = letters.next() {
            self.initials.push(first);
            self.full.push(first);
            self.full.extend(letters);
        }
    }
}

/// Pinyin as typed on a keyboard: ü is v (吕 → lv), ê is e.
fn pinyin_ascii(c: char) -> Option<char> {
    match c {
        'ü' => Some('v'),
        'ê' => Some('e'),
        c if c.is_ascii_alphabetic() => Some(c.to_ascii_lowercase()),
        _ => None,
    }
}

/// A Latin letter as plain ASCII, accents dropped (Müller → muller).
fn latin_ascii(c: char) -> Option<char> {
    if c.is_ascii_alphanumeric() {
        return Some(c.to_ascii_lowercase());
    }
    let folded = match c.to_lowercase().next()? {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ǎ' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ě' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'ǐ' => 'i',
        'ñ' | 'ń' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ǒ' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ǔ' | 'ǖ' | 'ǘ' | 'ǚ' | 'ǜ' => 'u',
        'ý' | 'ÿ' => 'y',
        _ => return None,
    };
    Some(folded)
}

/// Characters with no reading (𠮷 is outside the crate's table, the middle dot has none) are
/// skipped. Latin words are kept, lower-cased, each adding its first letter to the initials.
pub fn name_pinyin(name: &str) -> NamePinyin {
    let name = normalize_width(name);
    let name = name.trim();
    let mut out = NamePinyin::default();
    let rest = match SURNAMES
        .iter()
        .find_map(|(surname, reading)| name.strip_prefix(surname).map(|rest| (reading, rest)))
    {
        Some((reading, rest)) => {
            reading.iter().for_each(|s| out.push_syllable(s));
            rest
        }
        None => name,
    };
    let mut in_word = false;
    for c in rest.chars() {
        if let Some(reading) = c.to_pinyin() {
            out.push_syllable(reading.plain());
            in_word = false;
        } else if let Some(letter) = latin_ascii(c) {
            if !in_word {
                out.initials.push(letter);
            }
            out.full.push(letter);
            in_word = true;
        } else {
            in_word = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn py(name: &str) -> (String, String) {
        let p = name_pinyin(name);
        (p.full, p.initials)
    }

    fn pair(full: &str, initials: &str) -> (String, String) {
        (full.to_owned(), initials.to_owned())
    }

    #[test]
    fn han_names() {
        assert_eq!(py("张三"), pair("zhangsan", "zs"));
        assert_eq!(py(" 李四 "), pair("lisi", "ls"));
        assert_eq!(py("吕绿"), pair("lvlv", "ll"));
        assert_eq!(py("㮾秀"), pair("langxiu", "lx"));
    }

    #[test]
    fn polyphonic_surnames() {
        let cases = [
            ("单田芳", "shantianfang", "stf"),
            ("曾国藩", "zengguofan", "zgf"),
            ("仇英", "qiuying", "qy"),
            ("解缙", "xiejin", "xj"),
            ("区小明", "ouxiaoming", "oxm"),
            ("查良镛", "zhaliangyong", "zly"),
            ("朴成", "piaocheng", "pc"),
            ("尉迟恭", "yuchigong", "ycg"),
            ("万俟卨", "moqixie", "mqx"),
            ("长孙无忌", "zhangsunwuji", "zswj"),
            ("乐毅", "yueyi", "yy"),
            ("缪斯", "miaosi", "ms"),
            ("覃丽", "qinli", "ql"),
            ("翟明", "zhaiming", "zm"),
            ("召红", "shaohong", "sh"),
            ("盖聂", "genie", "gn"),
            ("秘方", "bifang", "bf"),
            ("繁花", "pohua", "ph"),
            ("员工", "yungong", "yg"),
            ("华佗", "huatuo", "ht"),
            ("任平", "renping", "rp"),
            ("石磊", "shilei", "sl"),
            ("都明", "duming", "dm"),
            ("卜算", "busuan", "bs"),
            ("折平", "sheping", "sp"),
            ("黑明", "heming", "hm"),
            ("沈括", "shenkuo", "sk"),
            ("隗嚣", "weixiao", "wx"),
            ("句芒", "goumang", "gm"),
        ];
        for (name, full, initials) in cases {
            assert_eq!(py(name), pair(full, initials), "{name}");
        }
        // Only the first character is a surname: 单 inside a given name keeps its common reading.
        assert_eq!(py("王单"), pair("wangdan", "wd"));
        assert_eq!(py("尉明"), pair("weiming", "wm"));
    }

    #[test]
    fn minority_and_foreign_names() {
        assert_eq!(py("阿依古丽·买买提"), pair("ayigulimaimaiti", "ayglmmt"));
        assert_eq!(py("𠮷乐"), pair("le", "l"));
        assert_eq!(py("Anna Müller"), pair("annamuller", "am"));
        assert_eq!(py("ＬＩ明"), pair("liming", "lm"));
        assert_eq!(py(""), pair("", ""));
        assert_eq!(py("·"), pair("", ""));
    }
}
