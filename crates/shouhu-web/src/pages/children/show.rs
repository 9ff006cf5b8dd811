//! One child's file: the page (every opening audited), the audited reveal, the history with a
//! comparison of any two versions, and the contact card as a page and as a PDF.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shouhu_domain::{ChildFile, Role};
use shouhu_store::children::{self, ChildRecord, Revision, may_reveal};
use shouhu_store::schools;

use super::fields::sections;
use super::view::{Row, SectionRows, rows, slot_label};
use super::{parse_id, residence_options};
use crate::auth::{CsrfForm, PageUser};
use crate::cards;
use crate::error::AppResult;
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::pages::notice_key;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "child_show.html")]
struct ShowPage {
    t: Tr,
    frame: Frame,
    id: i64,
    name: String,
    place: String,
    left_behind: Vec<String>,
    as_of: String,
    completeness: i32,
    missing: Vec<String>,
    sections: Vec<SectionRows>,
    revealed: bool,
    can_edit: bool,
    can_reveal: bool,
    class_id: Option<i64>,
    reveal_error: Option<String>,
    transfers: Vec<TransferView>,
    transfer_error: Option<String>,
    care: crate::pages::care::ChildCare,
}

#[derive(Debug)]
struct TransferView {
    to_school: String,
    status: String,
    reason: String,
    at: String,
}

/// `?done=` and, after a refused transfer request, `?error=child.transfer_…` (only those).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ShowQuery {
    done: Option<String>,
    error: Option<String>,
}

fn left_behind(t: &Tr, r: &ChildRecord) -> Vec<String> {
    let s = &r.summary;
    let mut out = Vec::new();
    if s.lb_mca {
        out.push(t.t("child.caliber.mca").to_owned());
    }
    match s.lb_xueji {
        1 => out.push(t.t("child.caliber.xueji1").to_owned()),
        2 => out.push(t.t("child.caliber.xueji2").to_owned()),
        _ => {}
    }
    if s.lb_census {
        out.push(t.t("child.caliber.census").to_owned());
    }
    if out.is_empty() {
        out.push(t.t("child.caliber.none").to_owned());
    }
    out
}

struct Extra {
    notice: Option<&'static str>,
    reveal_error: Option<String>,
    transfer_error: Option<String>,
}

async fn page(
    state: &AppState,
    t: Tr,
    user: &PageUser,
    record: ChildRecord,
    extra: Extra,
) -> AppResult<Response> {
    let school_id = record.summary.school_id;
    let child_id = record.summary.id;
    let scope = user.scope.clone();
    let (residence, transfers) = state
        .store
        .run(move |conn| {
            let school = schools::get(conn, &scope, school_id)?;
            let transfers = children::transfers_of(conn, &scope, child_id)?
                .into_iter()
                .map(|tr| {
                    let to = schools::public_name(conn, tr.to_school_id).unwrap_or_default();
                    (tr, to)
                })
                .collect::<Vec<_>>();
            Ok((residence_options(conn, &school.region_code)?, transfers))
        })
        .await?;
    let care = crate::pages::care::child_section(state, &t, user, child_id).await?;
    let s = &record.summary;
    let role = user.scope.role;
    let transfers = transfers
        .into_iter()
        .map(|(tr, to_school)| TransferView {
            to_school,
            status: t.t(&format!("child.transfer.{}", tr.status)).to_owned(),
            reason: tr.reason,
            at: shanghai_time(tr.requested_at),
        })
        .collect();
    let page = ShowPage {
        frame: Frame::for_user(user).with_notice(extra.notice),
        id: s.id,
        name: s.name.clone(),
        place: match &s.class_name {
            Some(c) => format!("{} {c}", s.school_name),
            None => s.school_name.clone(),
        },
        left_behind: left_behind(&t, &record),
        as_of: s.lb_as_of.clone(),
        completeness: s.completeness,
        missing: record.missing.iter().map(|k| t.t(k).to_owned()).collect(),
        sections: rows(&t, &sections(residence), &record.file),
        revealed: record.visibility == "revealed",
        can_edit: role.edits_class() || role == Role::ChildDirector,
        can_reveal: may_reveal(role) && record.visibility != "revealed",
        class_id: s.class_id,
        reveal_error: extra.reveal_error,
        transfer_error: extra.transfer_error,
        transfers,
        care,
        t,
    };
    Ok(render(page)?.into_response())
}

/// `GET /children/{id}`: audited by the store as `child.view`.
pub async fn show(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
    Query(q): Query<ShowQuery>,
) -> AppResult<Response> {
    let id = parse_id(&raw)?;
    let scope = user.scope.clone();
    let key = state.store.key();
    let record = state
        .store
        .run(move |conn| children::get(conn, &scope, &key, id))
        .await?;
    // Only a transfer refusal may be named in a link; anything else is ignored.
    let transfer_error = q
        .error
        .filter(|e| {
            e.starts_with("child.transfer_")
                && e.bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_')
        })
        .map(|e| t.t(&e).to_owned());
    let extra = Extra {
        notice: notice_key(q.done.as_deref()),
        reveal_error: None,
        transfer_error,
    };
    page(&state, t, &user, record, extra).await
}

#[derive(Deserialize)]
pub struct RevealForm {
    #[serde(default)]
    reason: String,
}

/// `POST /children/{id}/reveal`: the file in clear for this one response, the reason logged.
pub async fn reveal(
    State(state): State<AppState>,
    t: Tr,
    Path(raw): Path<String>,
    CsrfForm { user, form }: CsrfForm<RevealForm>,
) -> AppResult<Response> {
    let id = parse_id(&raw)?;
    let scope = user.scope.clone();
    let key = state.store.key();
    let reason = form.reason;
    let result = state
        .store
        .run(
            move |conn| match children::reveal(conn, &scope, &key, id, &reason) {
                Ok(r) => Ok(Ok(r)),
                Err(shouhu_store::StoreError::Invalid { code, .. }) => {
                    Ok(Err((code, children::get(conn, &scope, &key, id)?)))
                }
                Err(e) => Err(e),
            },
        )
        .await?;
    match result {
        Ok(record) => {
            let extra = Extra {
                notice: None,
                reveal_error: None,
                transfer_error: None,
            };
            page(&state, t, &user, record, extra).await
        }
        Err((code, record)) => {
            let extra = Extra {
                notice: None,
                reveal_error: Some(t.t(code).to_owned()),
                transfer_error: None,
            };
            page(&state, t, &user, record, extra).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Compare {
    from: Option<i32>,
    to: Option<i32>,
}

#[derive(Debug)]
struct Change {
    label: String,
    before: String,
    after: String,
}

#[derive(Debug)]
struct RevisionView {
    version: i32,
    at: String,
    actor: String,
    changes: Vec<Change>,
}

#[derive(Template)]
#[template(path = "child_history.html")]
struct HistoryPage {
    t: Tr,
    frame: Frame,
    id: i64,
    name: String,
    revisions: Vec<RevisionView>,
    versions: Vec<i32>,
    from: i32,
    to: i32,
    compared: Option<Vec<Change>>,
}

fn changes(t: &Tr, map: std::collections::BTreeMap<String, [String; 2]>) -> Vec<Change> {
    map.into_iter()
        .map(|(path, [before, after])| Change {
            label: slot_label(t, &path),
            before,
            after,
        })
        .collect()
}

fn shanghai_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| {
            d.with_timezone(&shouhu_domain::shanghai())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// `GET /children/{id}/history[?from=a&to=b]`.
pub async fn history(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
    Query(q): Query<Compare>,
) -> AppResult<Response> {
    let id = parse_id(&raw)?;
    let scope = user.scope.clone();
    let (name, revs, compared): (String, Vec<Revision>, _) = state
        .store
        .run(move |conn| {
            let revs = children::revisions(conn, &scope, id)?;
            let name = children::summary_of(conn, &scope, id)?.name;
            let compared = match (q.from, q.to) {
                (Some(a), Some(b)) => Some(children::compare(conn, &scope, id, a, b)?),
                _ => None,
            };
            Ok((name, revs, compared))
        })
        .await?;
    let versions: Vec<i32> = revs.iter().map(|r| r.version).collect();
    let newest = versions.first().copied().unwrap_or(1);
    let page = HistoryPage {
        frame: Frame::for_user(&user),
        id,
        name,
        from: q.from.unwrap_or((newest - 1).max(1)),
        to: q.to.unwrap_or(newest),
        compared: compared.map(|c| changes(&t, c)),
        revisions: revs
            .into_iter()
            .map(|r| RevisionView {
                version: r.version,
                at: shanghai_time(r.at),
                actor: r.actor_name,
                changes: changes(&t, r.changes),
            })
            .collect(),
        versions,
        t,
    };
    Ok(render(page)?.into_response())
}

#[derive(Template)]
#[template(path = "child_card.html")]
struct CardPage {
    t: Tr,
    frame: Frame,
    id: i64,
    name: String,
    rows: Vec<Row>,
}

/// `GET /children/{id}/card`: the contact card as a printable page.
pub async fn card(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&raw)?;
    let scope = user.scope.clone();
    let key = state.store.key();
    let full = may_reveal(scope.role);
    let (summary, file, hotline): (_, ChildFile, _) = state
        .store
        .run(move |conn| {
            let (summary, file) = children::file_for(conn, &scope, &key, id, "child.card")?;
            let school = schools::get(conn, &scope, summary.school_id)?;
            Ok((summary, file, school.hotline.unwrap_or_default()))
        })
        .await?;
    let phone = |p: Option<&shouhu_domain::PhoneNo>| match p {
        Some(p) if full => p.as_str().to_owned(),
        Some(p) => p.masked(),
        None => "—".to_owned(),
    };
    let mut rows = vec![Row {
        label: t.t("child.school").to_owned(),
        value: match &summary.class_name {
            Some(c) => format!("{} {c}", summary.school_name),
            None => summary.school_name.clone(),
        },
    }];
    for (key, parent) in [
        ("section.father", &file.father),
        ("section.mother", &file.mother),
    ] {
        if let Some(p) = parent {
            let name = p.name.as_ref().map(|n| n.to_string()).unwrap_or_default();
            rows.push(Row {
                label: t.t(key).to_owned(),
                value: format!("{name} {} {}", phone(p.phone.as_ref()), p.work_place()),
            });
        }
    }
    if let Some((name, relation, p)) = file.carer() {
        rows.push(Row {
            label: t.t("child.carer").to_owned(),
            value: format!("{name}（{relation}） {}", phone(p)),
        });
    }
    rows.push(Row {
        label: t.t("child.hotline").to_owned(),
        value: hotline,
    });
    let page = CardPage {
        frame: Frame::for_user(&user),
        id,
        name: file.name.to_string(),
        rows,
        t,
    };
    Ok(render(page)?.into_response())
}

/// `GET /children/{id}/card.pdf`.
pub async fn card_pdf(
    State(state): State<AppState>,
    user: PageUser,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&raw)?;
    let pdf = cards::child_card(&state, user.scope, id).await?;
    Ok(cards::pdf_response(pdf, "联系卡.pdf"))
}

/// `GET /classes/{id}/cards.pdf`: every card of a class on A4 sheets.
pub async fn class_cards_pdf(
    State(state): State<AppState>,
    user: PageUser,
    Path(raw): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&raw)?;
    let pdf = cards::class_cards(&state, user.scope, id).await?;
    Ok(cards::pdf_response(pdf, "联系卡.pdf"))
}
