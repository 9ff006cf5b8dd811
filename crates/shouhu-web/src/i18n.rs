//! The message catalog: every user-facing string, in zh-CN (default) and English, looked up by key.
//! Catalog files live in `locales/`; the domain's own error and label texts are merged in.

use std::collections::HashMap;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Locale {
    #[default]
    ZhCn,
    En,
}

impl Locale {
    pub fn code(self) -> &'static str {
        match self {
            Self::ZhCn => "zh-CN",
            Self::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "zh-cn" | "zh" | "zh-hans" => Some(Self::ZhCn),
            "en" | "en-us" | "en-gb" => Some(Self::En),
            _ => None,
        }
    }

    /// The first language of an `Accept-Language` header that we serve, else Chinese.
    pub fn from_accept_language(header: &str) -> Self {
        header
            .split(',')
            .filter_map(|part| part.split(';').next())
            .find_map(|tag| {
                let tag = tag.trim().to_ascii_lowercase();
                if tag.starts_with("zh") {
                    Some(Self::ZhCn)
                } else if tag.starts_with("en") {
                    Some(Self::En)
                } else {
                    None
                }
            })
            .unwrap_or_default()
    }
}

#[derive(Debug)]
pub struct Catalog {
    zh: HashMap<String, String>,
    en: HashMap<String, String>,
}

/// One file per area, so that pages, the API and the admin screens keep their texts apart.
const ZH_FILES: &[&str] = &[
    include_str!("../locales/core.zh-CN.toml"),
    include_str!("../locales/places.zh-CN.toml"),
    include_str!("../locales/admin.zh-CN.toml"),
    include_str!("../locales/api.zh-CN.toml"),
    include_str!("../locales/children.zh-CN.toml"),
    include_str!("../locales/rosters.zh-CN.toml"),
    include_str!("../locales/care.zh-CN.toml"),
    include_str!("../locales/calendars.zh-CN.toml"),
    include_str!("../locales/events.zh-CN.toml"),
    include_str!("../locales/plans.zh-CN.toml"),
    include_str!("../locales/tasks.zh-CN.toml"),
    include_str!("../locales/rollcall.zh-CN.toml"),
    include_str!("../locales/dropout_cases.zh-CN.toml"),
    include_str!("../locales/dropout_ledgers.zh-CN.toml"),
    include_str!("../locales/dropout_county.zh-CN.toml"),
    include_str!("../../shouhu-domain/messages.zh-CN.toml"),
];
const EN_FILES: &[&str] = &[
    include_str!("../locales/core.en.toml"),
    include_str!("../locales/places.en.toml"),
    include_str!("../locales/admin.en.toml"),
    include_str!("../locales/api.en.toml"),
    include_str!("../locales/children.en.toml"),
    include_str!("../locales/rosters.en.toml"),
    include_str!("../locales/care.en.toml"),
    include_str!("../locales/calendars.en.toml"),
    include_str!("../locales/events.en.toml"),
    include_str!("../locales/plans.en.toml"),
    include_str!("../locales/tasks.en.toml"),
    include_str!("../locales/rollcall.en.toml"),
    include_str!("../locales/dropout_cases.en.toml"),
    include_str!("../locales/dropout_ledgers.en.toml"),
    include_str!("../locales/dropout_county.en.toml"),
    include_str!("../../shouhu-domain/messages.en.toml"),
];

impl Catalog {
    pub fn load() -> Result<Self, toml::de::Error> {
        let merge = |files: &[&str]| -> Result<HashMap<String, String>, toml::de::Error> {
            let mut map = HashMap::new();
            for file in files {
                map.extend(toml::from_str::<HashMap<String, String>>(file)?);
            }
            Ok(map)
        };
        Ok(Self {
            zh: merge(ZH_FILES)?,
            en: merge(EN_FILES)?,
        })
    }

    /// The text for `key`, falling back to Chinese, then to the key itself so a gap shows, not hides.
    pub fn text<'a>(&'a self, locale: Locale, key: &'a str) -> &'a str {
        let primary = match locale {
            Locale::ZhCn => &self.zh,
            Locale::En => &self.en,
        };
        primary
            .get(key)
            .or_else(|| self.zh.get(key))
            .map_or(key, String::as_str)
    }

    pub fn keys(&self, locale: Locale) -> impl Iterator<Item = &String> {
        match locale {
            Locale::ZhCn => self.zh.keys(),
            Locale::En => self.en.keys(),
        }
    }
}

/// The catalog bound to one request's locale; templates call `t.t("key")`.
#[derive(Clone, Debug)]
pub struct Tr {
    catalog: Arc<Catalog>,
    pub locale: Locale,
}

impl Tr {
    pub fn new(catalog: Arc<Catalog>, locale: Locale) -> Self {
        Self { catalog, locale }
    }

    pub fn t<'a>(&'a self, key: &'a str) -> &'a str {
        self.catalog.text(self.locale, key)
    }

    pub fn lang(&self) -> &'static str {
        self.locale.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_locales_have_the_same_keys() {
        let catalog = Catalog::load().unwrap();
        let zh: std::collections::BTreeSet<_> = catalog.keys(Locale::ZhCn).collect();
        let en: std::collections::BTreeSet<_> = catalog.keys(Locale::En).collect();
        let only_zh: Vec<_> = zh.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&zh).collect();
        assert!(
            only_zh.is_empty() && only_en.is_empty(),
            "zh only: {only_zh:?}; en only: {only_en:?}"
        );
    }

    #[test]
    fn every_key_used_in_templates_exists() {
        let catalog = Catalog::load().unwrap();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for piece in text.split("t.t(\"").skip(1) {
                let key = piece.split('"').next().unwrap();
                if catalog.text(Locale::ZhCn, key) == key {
                    missing.push(key.to_owned());
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys missing from the catalog: {missing:?}"
        );
    }

    #[test]
    fn accept_language_prefers_the_first_served_language() {
        assert_eq!(
            Locale::from_accept_language("en-US,en;q=0.9,zh;q=0.8"),
            Locale::En
        );
        assert_eq!(Locale::from_accept_language("fr,zh-CN;q=0.5"), Locale::ZhCn);
        assert_eq!(Locale::from_accept_language(""), Locale::ZhCn);
    }
}
