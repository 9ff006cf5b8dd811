//! Contact cards (联系卡) for pages and the API: one child's card or a whole class's, as the PDF
//! `shouhu-docs` draws. Phones are printed in full only for roles that may reveal them; everyone
//! else gets the masked forms. Every printout is audit-logged by the store.

use shouhu_docs::{CardPerson, CardSheet, ContactCard, contact_cards_pdf};
use shouhu_domain::{ChildFile, Parent, PhoneNo, today_shanghai};
use shouhu_store::children::{self, ChildSummary, may_reveal};
use shouhu_store::{Conn, Scope, StoreResult, classes, schools};

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The school's own facts printed on each card.
struct SchoolLine {
    name: String,
    hotline: String,
    head_teachers: Vec<String>,
}

fn phone(p: Option<&PhoneNo>, full: bool) -> String {
    match p {
        Some(p) if full => p.as_str().to_owned(),
        Some(p) => p.masked(),
        None => String::new(),
    }
}

fn parent(relation: &str, p: &Parent, full: bool) -> CardPerson {
    CardPerson {
        relation: relation.to_owned(),
        name: p.name.as_ref().map(|n| n.to_string()).unwrap_or_default(),
        phone: phone(p.phone.as_ref(), full),
        work_place: p.work_place(),
    }
}

fn card(summary: &ChildSummary, file: &ChildFile, school: &SchoolLine, full: bool) -> ContactCard {
    let parents = [("父亲", &file.father), ("母亲", &file.mother)]
        .into_iter()
        .filter_map(|(rel, p)| p.as_ref().map(|p| parent(rel, p, full)))
        .collect();
    let guardian = file.carer().map(|(name, relation, p)| CardPerson {
        relation: relation.to_string(),
        name: name.to_string(),
        phone: phone(p, full),
        work_place: String::new(),
    });
    let head_teacher = (!school.head_teachers.is_empty()).then(|| CardPerson {
        relation: "班主任".to_owned(),
        name: school.head_teachers.join("、"),
        phone: String::new(),
        work_place: String::new(),
    });
    ContactCard {
        child_name: file.name.to_string(),
        sex: file.sex.label_zh().to_owned(),
        birth_date: file.birth_date.to_string(),
        school: school.name.clone(),
        class: summary.class_name.clone().unwrap_or_default(),
        address: if full {
            file.address
                .as_ref()
                .map(|a| a.to_string())
                .unwrap_or_default()
        } else {
            String::new()
        },
        parents,
        guardian,
        head_teacher,
        school_hotline: school.hotline.clone(),
        other_contacts: Vec::new(),
    }
}

fn school_line(
    conn: &mut Conn,
    scope: &Scope,
    school_id: i64,
    class_id: Option<i64>,
) -> StoreResult<SchoolLine> {
    let school = schools::get(conn, scope, school_id)?;
    let head_teachers = match class_id {
        Some(id) => classes::get(conn, scope, id)?
            .head_teachers
            .into_iter()
            .map(|h| h.display_name)
            .collect(),
        None => Vec::new(),
    };
    Ok(SchoolLine {
        name: school.name,
        hotline: school.hotline.unwrap_or_default(),
        head_teachers,
    })
}

fn render(school: &str, cards: &[ContactCard]) -> AppResult<Vec<u8>> {
    let sheet = CardSheet {
        title: "留守儿童联系卡".to_owned(),
        footer: format!("{school} · {} 打印", today_shanghai()),
    };
    contact_cards_pdf(&sheet, cards).map_err(|e| match e {
        shouhu_docs::DocsError::NoCards => AppError::bad_request("child.cards_none"),
        other => AppError::internal(other),
    })
}

/// One child's card as a PDF.
pub async fn child_card(state: &AppState, scope: Scope, id: i64) -> AppResult<Vec<u8>> {
    let key = state.store.key();
    state
        .store
        .run(move |conn| {
            let (summary, file) = children::file_for(conn, &scope, &key, id, "child.card")?;
            let school = school_line(conn, &scope, summary.school_id, summary.class_id)?;
            let full = may_reveal(scope.role);
            Ok(render(
                &school.name,
                &[card(&summary, &file, &school, full)],
            ))
        })
        .await?
}

/// Every card of a class on A4 sheets.
pub async fn class_cards(state: &AppState, scope: Scope, class_id: i64) -> AppResult<Vec<u8>> {
    let key = state.store.key();
    state
        .store
        .run(move |conn| {
            let files = children::class_files(conn, &scope, &key, class_id)?;
            let view = classes::get(conn, &scope, class_id)?;
            let school = school_line(conn, &scope, view.class.school_id, Some(class_id))?;
            let full = may_reveal(scope.role);
            let cards: Vec<ContactCard> = files
                .iter()
                .map(|(summary, file)| card(summary, file, &school, full))
                .collect();
            Ok(render(&school.name, &cards))
        })
        .await?
}

/// A PDF download response.
pub fn pdf_response(bytes: Vec<u8>, filename: &str) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let disposition = format!(
        "attachment; filename=\"cards.pdf\"; filename*=UTF-8''{}",
        percent(filename)
    );
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// RFC 5987 encoding for a Chinese file name.
fn percent(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
