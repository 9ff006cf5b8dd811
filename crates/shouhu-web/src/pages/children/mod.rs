//! Child file pages (一人一档): the list of the user's children, one child's file, the forms to
//! open and edit a file, the audited reveal, the history, and the contact card. The store decides
//! what is in reach and what is masked; these pages lay it out for a phone.

mod edit;
mod fields;
mod form;
mod list;
mod moves;
mod show;
mod view;

use axum::Router;
use axum::routing::{get, post};
use shouhu_domain::RegionCode;
use shouhu_store::{Conn, StoreResult, regions};

use crate::state::AppState;
use fields::Opt;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/children", get(list::list).post(edit::create))
        .route("/children/new", get(edit::new_form))
        .route("/children/{id}", get(show::show).post(edit::update))
        .route("/children/{id}/edit", get(edit::edit_form))
        .route("/children/{id}/reveal", post(show::reveal))
        .route("/children/{id}/history", get(show::history))
        .route("/children/{id}/card", get(show::card))
        .route("/children/{id}/card.pdf", get(show::card_pdf))
        .route("/classes/{id}/cards.pdf", get(show::class_cards_pdf))
        .route(
            "/classes/{id}/promote",
            get(moves::promote_form).post(moves::promote),
        )
        .route("/children/{id}/transfer", post(moves::request))
        .route("/transfers", get(moves::incoming))
        .route("/transfers/{id}", post(moves::decide))
}

/// Villages a child of a school in `school_region` may live in: those of its township.
fn residence_options(conn: &mut Conn, school_region: &str) -> StoreResult<Vec<Opt>> {
    let township = format!("{}000", school_region.get(..9).unwrap_or_default());
    let Ok(township) = RegionCode::parse(&township) else {
        return Ok(Vec::new());
    };
    let mut out = vec![Opt {
        value: township.as_str().to_owned(),
        label: regions::gazetteer_name(conn, &township)?.unwrap_or_default(),
        keyed: false,
    }];
    out.extend(
        regions::gazetteer_children(conn, &township)?
            .into_iter()
            .map(|r| Opt {
                value: r.code,
                label: r.name,
                keyed: false,
            }),
    );
    Ok(out)
}

/// Ids in paths are numbers; anything else is simply not there.
fn parse_id(raw: &str) -> crate::error::AppResult<i64> {
    raw.parse().map_err(|_| crate::error::AppError::not_found())
}

#[cfg(test)]
mod tests {
    use crate::i18n::{Catalog, Locale};

    #[test]
    fn every_field_and_section_has_a_label() {
        let catalog = Catalog::load().unwrap();
        let mut keys = super::fields::all_label_keys();
        keys.extend(
            super::fields::sections(Vec::new())
                .into_iter()
                .map(|s| s.key.to_owned()),
        );
        let missing: Vec<_> = keys
            .iter()
            .filter(|k| catalog.text(Locale::ZhCn, k) == k.as_str())
            .collect();
        assert!(missing.is_empty(), "labels missing: {missing:?}");
    }

    /// Keys written in this module's Rust code (the template test covers the templates).
    #[test]
    fn every_key_used_in_the_handlers_exists() {
        let catalog = Catalog::load().unwrap();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/pages/children");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for piece in text.split('\u{22}').skip(1).step_by(2) {
                let is_key = ["child.", "denied.", "section.", "notice."]
                    .iter()
                    .any(|p| piece.starts_with(p))
                    && !piece.contains(' ')
                    && !piece.contains('{')
                    && !piece.ends_with('.')
                    && !piece.ends_with('_');
                if is_key && catalog.text(Locale::ZhCn, piece) == piece {
                    missing.push(piece.to_owned());
                }
            }
        }
        assert!(missing.is_empty(), "keys missing: {missing:?}");
    }
}
