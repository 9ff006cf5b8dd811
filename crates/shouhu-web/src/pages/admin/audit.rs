//! The audit log page: events in the manager's scope, newest first, 50 at a time with a link to
//! older ones, filtered by user name, kind and Shanghai dates.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Days, NaiveDate};
use serde::Deserialize;
use shouhu_domain::shanghai;
use shouhu_store::audit::{self, AuditEvent, AuditFilter};

use super::require_manager;
use super::user_form::FieldErrors;
use crate::auth::PageUser;
use crate::error::AppResult;
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::state::AppState;

const PAGE: usize = 50;

/// Kinds offered in the filter: the groups first (the store matches kinds by prefix), then each
/// kind the system writes. Any kind still shows in the list, labelled or raw.
const KINDS: [&str; 33] = [
    "login",
    "user",
    "region",
    "school",
    "class",
    "child",
    "login.success",
    "login.failure",
    "login.throttled",
    "logout",
    "access.denied",
    "user.create",
    "user.update",
    "user.disable",
    "user.enable",
    "user.reset_password",
    "user.change_password",
    "region.create",
    "region.update",
    "region.delete",
    "region.import",
    "school.create",
    "school.update",
    "school.delete",
    "class.create",
    "class.update",
    "class.delete",
    "child.create",
    "child.update",
    "child.view",
    "child.reveal",
    "child.card",
    "child.cards",
];

/// An instant as people in China read it: `YYYY-MM-DD HH:MM:SS`, Beijing time.
pub fn shanghai_time(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&shanghai())
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

/// The first millisecond (UTC) of a Shanghai calendar day.
fn day_start_ms(day: NaiveDate) -> Option<i64> {
    day.and_hms_opt(0, 0, 0)?
        .and_local_timezone(shanghai())
        .single()
        .map(|t| t.timestamp_millis())
}

/// A label for a kind in the page's language, or the kind itself when the catalog has none.
fn kind_label(t: &Tr, kind: &str) -> String {
    let key = format!("audit.kind.{kind}");
    match t.t(&key) {
        text if text == key => kind.to_owned(),
        text => text.to_owned(),
    }
}

#[derive(Clone, Debug)]
pub struct Row {
    pub time: String,
    pub actor: String,
    pub kind: String,
    pub kind_label: String,
    pub target: String,
    pub detail: String,
    pub address: String,
}

#[derive(Clone, Debug)]
pub struct KindChoice {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    t: Tr,
    frame: Frame,
    query: AuditQuery,
    kinds: Vec<KindChoice>,
    errors: FieldErrors,
    rows: Vec<Row>,
    /// Query string of the next (older) page, when there is one.
    older: Option<String>,
    /// Whether this is a later page, so a link back to the newest makes sense.
    paged: bool,
}

impl AuditPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

#[derive(Clone, Debug, Default, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct AuditQuery {
    pub user: String,
    pub kind: String,
    pub from: String,
    pub to: String,
    #[serde(skip_serializing)]
    pub before: String,
}

fn parse_day(raw: &str) -> Result<Option<NaiveDate>, ()> {
    match raw.trim() {
        "" => Ok(None),
        day => NaiveDate::parse_from_str(day, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| ()),
    }
}

fn row_of(t: &Tr, e: AuditEvent) -> Row {
    // A denial's detail is the catalog key of the refusal; show what the user was told.
    let detail = if e.kind == "access.denied" {
        t.t(&e.detail).to_owned()
    } else {
        e.detail
    };
    Row {
        time: shanghai_time(e.at),
        actor: e.actor_name,
        kind_label: kind_label(t, &e.kind),
        kind: e.kind,
        target: e.target,
        detail,
        address: e.address.unwrap_or_default(),
    }
}

pub async fn show(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Query(query): Query<AuditQuery>,
) -> AppResult<Response> {
    require_manager(&user, "denied.audit.view")?;
    let mut errors = FieldErrors::new();
    let from = parse_day(&query.from).unwrap_or_else(|()| {
        errors.insert("from".into(), "audit.bad_date".into());
        None
    });
    let to = parse_day(&query.to).unwrap_or_else(|()| {
        errors.insert("to".into(), "audit.bad_date".into());
        None
    });
    let kinds = KINDS
        .iter()
        .map(|&k| KindChoice {
            value: k,
            label: kind_label(&t, k),
            selected: k == query.kind.trim(),
        })
        .collect();
    let frame = Frame::for_user(&user);
    if !errors.is_empty() {
        let page = AuditPage {
            t,
            frame,
            query,
            kinds,
            errors,
            rows: Vec::new(),
            older: None,
            paged: false,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(page)?).into_response());
    }
    let filter = AuditFilter {
        actor: Some(query.user.trim().to_lowercase()).filter(|u| !u.is_empty()),
        kind: Some(query.kind.trim().to_owned()).filter(|k| !k.is_empty()),
        from_ms: from.and_then(day_start_ms),
        // Inclusive: up to the last millisecond before the next day starts.
        to_ms: to
            .and_then(|d| d.checked_add_days(Days::new(1)))
            .and_then(day_start_ms)
            .map(|ms| ms - 1),
        before_id: query.before.trim().parse().ok(),
        limit: i64::try_from(PAGE + 1).unwrap_or(i64::MAX),
    };
    let scope = user.scope.clone();
    let paged = filter.before_id.is_some();
    let mut events = state
        .store
        .run(move |conn| audit::list(conn, &scope, &filter))
        .await?;
    let more = events.len() > PAGE;
    events.truncate(PAGE);
    let older = match (more, events.last()) {
        (true, Some(last)) => {
            let mut pairs = serde_urlencoded::to_string(&query).unwrap_or_default();
            if !pairs.is_empty() {
                pairs.push('&');
            }
            pairs.push_str(&format!("before={}", last.id));
            Some(pairs)
        }
        _ => None,
    };
    let rows = events.into_iter().map(|e| row_of(&t, e)).collect();
    let page = AuditPage {
        t,
        frame,
        query,
        kinds,
        errors,
        rows,
        older,
        paged,
    };
    Ok(render(page)?.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_beijing_time() {
        // 2026-03-01 00:00:00 UTC is 08:00 in Beijing.
        assert_eq!(shanghai_time(1_772_323_200_000), "2026-03-01 08:00:00");
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(day_start_ms(day), Some(1_772_323_200_000 - 8 * 3_600_000));
    }

    #[test]
    fn dates_must_be_iso() {
        assert_eq!(parse_day(""), Ok(None));
        assert!(parse_day("2026-03-01").unwrap().is_some());
        assert!(parse_day("2026/3/1").is_err());
    }
}
