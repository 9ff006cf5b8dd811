//! `GET /children`: the children in the user's reach, filtered and searched, a page at a time.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shouhu_domain::{CareArrangement, GuardianshipRating, HardshipTag, SchoolingStatus};
use shouhu_store::children::{self, Caliber, ChildFilter, ChildSummary};
use shouhu_store::{classes, schools};

use crate::auth::PageUser;
use crate::error::AppResult;
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::pages::places::Choice;
use crate::state::AppState;

/// The filter form as typed; empty means "any".
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    school_id: String,
    class_id: String,
    caliber: String,
    care_arrangement: String,
    rating: String,
    tag: String,
    schooling: String,
    key_child: String,
    q: String,
    after: String,
}

fn some(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

impl ListQuery {
    fn filter(&self) -> ChildFilter {
        let caliber = match self.caliber.as_str() {
            "mca" => Some(Caliber::Mca),
            "xueji" => Some(Caliber::Xueji),
            "census" => Some(Caliber::Census),
            "none" => Some(Caliber::None),
            _ => None,
        };
        ChildFilter {
            school_id: self.school_id.parse().ok(),
            class_id: self.class_id.parse().ok(),
            caliber,
            care_arrangement: some(&self.care_arrangement),
            rating: some(&self.rating),
            tag: some(&self.tag),
            schooling: some(&self.schooling),
            key_child: (self.key_child == "1").then_some(true),
            q: some(&self.q),
            after: some(&self.after),
            limit: None,
        }
    }

    /// This query for the page after `cursor`.
    fn next_href(&self, cursor: &str) -> String {
        let pairs = [
            ("school_id", &self.school_id),
            ("class_id", &self.class_id),
            ("caliber", &self.caliber),
            ("care_arrangement", &self.care_arrangement),
            ("rating", &self.rating),
            ("tag", &self.tag),
            ("schooling", &self.schooling),
            ("key_child", &self.key_child),
            ("q", &self.q),
        ];
        let mut kept: Vec<(&str, &str)> = pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        kept.push(("after", cursor));
        format!(
            "/children?{}",
            serde_urlencoded::to_string(kept).unwrap_or_default()
        )
    }
}

/// A row of the list with its labels resolved.
#[derive(Debug)]
struct Item {
    id: i64,
    name: String,
    sex: String,
    birth_date: String,
    place: String,
    care: String,
    left_behind: String,
    key_child: bool,
    completeness: i32,
}

fn item(t: &Tr, c: ChildSummary) -> Item {
    let care = c
        .care_arrangement
        .as_deref()
        .and_then(|v| CareArrangement::parse(v).ok())
        .map(|v| t.t(v.label_key()).to_owned())
        .unwrap_or_default();
    let mut lb = Vec::new();
    if c.lb_mca {
        lb.push(t.t("child.caliber.mca"));
    }
    if c.lb_xueji > 0 {
        lb.push(t.t(if c.lb_xueji == 2 {
            "child.caliber.xueji2"
        } else {
            "child.caliber.xueji1"
        }));
    }
    if c.lb_census {
        lb.push(t.t("child.caliber.census"));
    }
    let sex = if c.sex == "1" {
        "sex.male"
    } else {
        "sex.female"
    };
    Item {
        id: c.id,
        name: c.name,
        sex: t.t(sex).to_owned(),
        birth_date: c.birth_date,
        place: match c.class_name {
            Some(class) => format!("{} {class}", c.school_name),
            None => c.school_name,
        },
        care,
        left_behind: lb.join(" · "),
        key_child: c.key_child,
        completeness: c.completeness,
    }
}

#[derive(Template)]
#[template(path = "children.html")]
struct ListPage {
    t: Tr,
    frame: Frame,
    q: ListQuery,
    items: Vec<Item>,
    next: Option<String>,
    schools: Vec<Choice>,
    classes: Vec<Choice>,
    calibers: Vec<Choice>,
    cares: Vec<Choice>,
    ratings: Vec<Choice>,
    tags: Vec<Choice>,
    statuses: Vec<Choice>,
    can_create: bool,
}

fn choices(t: &Tr, typed: &str, list: impl Iterator<Item = (String, String)>) -> Vec<Choice> {
    list.map(|(value, key)| Choice {
        selected: value == typed,
        label: t.t(&key).to_owned(),
        value,
    })
    .collect()
}

macro_rules! coded {
    ($t:expr, $typed:expr, $ty:ty) => {
        choices(
            $t,
            $typed,
            <$ty>::ALL
                .iter()
                .map(|v| (v.code().to_owned(), v.label_key().to_owned())),
        )
    };
}

pub async fn list(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let scope = user.scope.clone();
    let filter = q.filter();
    let (page, school_list, class_list) = state
        .store
        .run(move |conn| {
            let page = children::list(conn, &scope, &filter)?;
            let school_list = match scope.school {
                Some(_) => Vec::new(),
                None => schools::list(conn, &scope, &Default::default())?,
            };
            let class_list = match scope.school.or(filter.school_id) {
                Some(id) => classes::list(conn, &scope, id).unwrap_or_default(),
                None => Vec::new(),
            };
            Ok((page, school_list, class_list))
        })
        .await?;
    let calibers =
        ["mca", "xueji", "census", "none"].map(|c| (c.to_owned(), format!("child.caliber.{c}")));
    let page = ListPage {
        frame: Frame::for_user(&user),
        items: page.items.into_iter().map(|c| item(&t, c)).collect(),
        next: page.next.map(|cursor| q.next_href(&cursor)),
        schools: school_list
            .into_iter()
            .map(|s| Choice {
                selected: s.id.to_string() == q.school_id,
                value: s.id.to_string(),
                label: s.name,
            })
            .collect(),
        classes: class_list
            .into_iter()
            .map(|c| Choice {
                selected: c.class.id.to_string() == q.class_id,
                value: c.class.id.to_string(),
                label: c.class.name,
            })
            .collect(),
        calibers: choices(&t, &q.caliber, calibers.into_iter()),
        cares: coded!(&t, &q.care_arrangement, CareArrangement),
        ratings: coded!(&t, &q.rating, GuardianshipRating),
        tags: coded!(&t, &q.tag, HardshipTag),
        statuses: coded!(&t, &q.schooling, SchoolingStatus),
        can_create: user.scope.role.edits_class()
            || user.scope.role == shouhu_domain::Role::ChildDirector,
        t,
        q,
    };
    Ok(render(page)?.into_response())
}
