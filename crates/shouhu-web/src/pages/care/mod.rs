//! Care work pages: the one-screen entry of a care record (关爱记录) on a phone, a record's view,
//! edit and deletion, a child's records and pairings (结对帮扶), bulk pairing of a class with a
//! preview, and the pieces other pages show (the child page's care section, the school page's
//! coverage figure). The store decides reach and confidentiality; these pages lay it out.

mod pairings;
mod records;

use axum::Router;
use axum::routing::get;
use shouhu_domain::{CareBody, CareKind, PairingKind, Role, today_shanghai};
use shouhu_store::care_records::{self, CareRecord, RecordQuery};
use shouhu_store::pairings::{self as repo, Area, CoverageCaliber, Pairing, may_pair};

use crate::auth::PageUser;
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/children/{id}/records", get(records::list))
        .route(
            "/children/{id}/records/new",
            get(records::new_form).post(records::create),
        )
        .route("/records/{id}", get(records::show).post(records::update))
        .route("/records/{id}/edit", get(records::edit_form))
        .route(
            "/records/{id}/delete",
            get(records::confirm_delete).post(records::delete),
        )
        .route(
            "/children/{id}/pairings/new",
            get(pairings::new_form).post(pairings::create),
        )
        .route(
            "/pairings/{id}/end",
            get(pairings::end_form).post(pairings::end),
        )
        .route(
            "/classes/{id}/pairings",
            get(pairings::class_form).post(pairings::class_submit),
        )
        .route("/pairings", get(pairings::mine))
}

/// Ids in paths are numbers; anything else is simply not there.
fn parse_id(raw: &str) -> AppResult<i64> {
    raw.parse().map_err(|_| AppError::not_found())
}

/// A `return` address is followed only when it is a path on this site.
pub(crate) fn same_site(path: &str) -> Option<&str> {
    let ok = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(|c| c.is_control() || c.is_whitespace());
    ok.then_some(path)
}

/// One line about a record for lists: what it was about, shortened.
fn summary(t: &Tr, body: &CareBody) -> String {
    let line = match body {
        CareBody::Talk(b) => format!("{} · {}", t.t(b.mood.label_key()), b.topics),
        CareBody::HomeVisit(b) => b.met.to_string(),
        CareBody::FamilyContact(b) => format!(
            "{} · {}",
            t.t(b.channel.label_key()),
            t.t(b.direction.label_key())
        ),
        CareBody::Counselling(b) => b.notes.to_string(),
        CareBody::Tutoring(b) => b.subject.to_string(),
        CareBody::HomeTeaching(b) => format!("{} · {}", b.periods, b.content),
        CareBody::HealthCheck(b) => format!("{} · {}", t.t(b.check.label_key()), b.result),
        CareBody::LifeCare(n)
        | CareBody::Birthday(n)
        | CareBody::FileReview(n)
        | CareBody::Other(n) => n.note.as_ref().map(|n| n.to_string()).unwrap_or_default(),
    };
    let line = line.replace('\n', " ");
    if line.chars().count() > 40 {
        format!("{}…", line.chars().take(40).collect::<String>())
    } else {
        line
    }
}

/// A record as a list row.
#[derive(Clone, Debug)]
pub struct RecordRow {
    pub id: i64,
    pub date: String,
    pub kind: String,
    pub author: String,
    /// Empty when withheld (see `withheld`).
    pub summary: String,
    pub withheld: bool,
    pub late: bool,
}

fn record_row(t: &Tr, r: &CareRecord) -> RecordRow {
    RecordRow {
        id: r.id,
        date: r.record_date.to_string(),
        kind: t.t(r.kind.label_key()).to_owned(),
        author: r.author_name.clone(),
        summary: r.body.as_ref().map(|b| summary(t, b)).unwrap_or_default(),
        withheld: r.body.is_none(),
        late: r.entered_on > r.record_date,
    }
}

/// A pairing as a list row.
#[derive(Clone, Debug)]
pub struct PairingRow {
    pub id: i64,
    pub child_id: i64,
    pub child_name: String,
    pub kind: String,
    pub partner: String,
    pub from: String,
    pub to: String,
    pub active: bool,
    pub may_end: bool,
}

fn pairing_row(t: &Tr, role: Role, p: &Pairing) -> PairingRow {
    PairingRow {
        id: p.id,
        child_id: p.child_id,
        child_name: p.child_name.clone(),
        kind: t.t(p.kind.label_key()).to_owned(),
        partner: p.partner_name.clone(),
        from: p.from_date.to_string(),
        to: p.to_date.map(|d| d.to_string()).unwrap_or_default(),
        active: p.active,
        may_end: p.to_date.is_none() && may_pair(role, p.kind),
    }
}

/// A quick-entry link: a kind and its label.
#[derive(Clone, Debug)]
pub struct KindLink {
    pub code: &'static str,
    pub label: String,
}

/// Kinds the role may write, in the order the entry screen offers them.
fn writable(t: &Tr, role: Role) -> Vec<KindLink> {
    CareKind::ALL
        .into_iter()
        .filter(|k| role != Role::Volunteer || k.volunteer_may())
        .map(|k| KindLink {
            code: k.code(),
            label: t.t(k.label_key()).to_owned(),
        })
        .collect()
}

/// The child page's 关爱记录 section: newest records, pairing history, entry links.
#[derive(Clone, Debug, Default)]
pub struct ChildCare {
    pub records: Vec<RecordRow>,
    pub more: bool,
    pub pairings: Vec<PairingRow>,
    pub kinds: Vec<KindLink>,
    pub can_pair: bool,
}

/// Builds [`ChildCare`] for a child the caller has already opened (the listing is audited).
pub async fn child_section(
    state: &AppState,
    t: &Tr,
    user: &PageUser,
    child_id: i64,
) -> AppResult<ChildCare> {
    let scope = user.scope.clone();
    let key = state.store.key();
    let (page, history) = state
        .store
        .run(move |conn| {
            let q = RecordQuery {
                limit: Some(5),
                ..RecordQuery::default()
            };
            let page = care_records::list_for_child(conn, &scope, &key, child_id, &q)?;
            Ok((page, repo::history(conn, &scope, child_id)?))
        })
        .await?;
    let role = user.scope.role;
    Ok(ChildCare {
        records: page.items.iter().map(|r| record_row(t, r)).collect(),
        more: page.next.is_some(),
        pairings: history.iter().map(|p| pairing_row(t, role, p)).collect(),
        kinds: writable(t, role),
        can_pair: PairingKind::ALL.into_iter().any(|k| may_pair(role, k)),
    })
}

/// The school page's coverage figure (民政 caliber, today).
#[derive(Clone, Debug)]
pub struct CoverageFigure {
    pub paired: i64,
    pub left_behind: i64,
    pub percent: String,
}

/// Coverage of a school for its page; `None` for roles with no coverage to see.
pub async fn school_coverage(
    state: &AppState,
    user: &PageUser,
    school_id: i64,
) -> AppResult<Option<CoverageFigure>> {
    if matches!(user.scope.role, Role::Teacher | Role::Volunteer) {
        return Ok(None);
    }
    let scope = user.scope.clone();
    let c = state
        .store
        .run(move |conn| {
            repo::coverage(
                conn,
                &scope,
                &Area::School(school_id),
                CoverageCaliber::Mca,
                today_shanghai(),
            )
        })
        .await?;
    Ok(Some(CoverageFigure {
        paired: c.paired,
        left_behind: c.left_behind,
        percent: c.percent().map(|p| format!("{p:.1}%")).unwrap_or_default(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Catalog, Locale};

    #[test]
    fn only_paths_of_this_site_are_followed() {
        assert_eq!(same_site("/tasks?week=1"), Some("/tasks?week=1"));
        for bad in [
            "//evil.example/x",
            "https://evil.example",
            "/\\evil",
            "tasks",
            "/a b",
        ] {
            assert_eq!(same_site(bad), None, "{bad}");
        }
    }

    /// Keys written in this module's Rust code (the template test covers the templates).
    #[test]
    fn every_key_used_in_the_handlers_exists() {
        let catalog = Catalog::load().unwrap();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/pages/care");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for piece in text.split('\u{22}').skip(1).step_by(2) {
                let is_key = ["care.", "pairing.", "denied.", "notice."]
                    .iter()
                    .any(|p| piece.starts_with(p))
                    && !piece.contains(' ')
                    && !piece.contains('{')
                    && !piece.ends_with('.');
                if is_key && catalog.text(Locale::ZhCn, piece) == piece {
                    missing.push(piece.to_owned());
                }
            }
        }
        assert!(missing.is_empty(), "keys missing: {missing:?}");
    }
}
