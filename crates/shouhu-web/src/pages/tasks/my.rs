//! `GET /tasks`, 我的任务: the signed-in user's duties in the buckets a teacher works through
//! (overdue, due today, this week, later, recently done), grouped by child, each open one with the
//! one tap that opens the record that satisfies it. A principal also sees the school's overdue
//! work by teacher; county and township staff are pointed to compliance.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use shouhu_domain::{DutyRule, DutyStatus, Role, today_shanghai};
use shouhu_store::duties::{self, Task, TaskList, TeacherLoad};
use shouhu_store::schools;

use super::{entry_link, month_start, rule_name, rules_for_caller, sees_region_compliance};
use crate::auth::PageUser;
use crate::error::AppResult;
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::pages::{Done, notice_key};
use crate::state::AppState;

/// One duty as the list shows it.
#[derive(Debug)]
pub struct DutyRow {
    pub id: i64,
    pub name: String,
    pub window_start: String,
    pub due_date: String,
    pub done_count: i32,
    pub required: i32,
    pub status_key: &'static str,
    pub status: String,
    /// The one tap: (href, label).
    pub action: Option<(String, String)>,
}

/// The duties of one child (or of the class or school) within a bucket.
#[derive(Debug)]
pub struct Group {
    pub heading: String,
    pub href: Option<String>,
    pub rows: Vec<DutyRow>,
}

#[derive(Debug)]
pub struct Bucket {
    /// The section's anchor and the tests' handle: `overdue`, `today`, `week`, `later`, `done`.
    pub id: &'static str,
    pub key: &'static str,
    pub count: usize,
    pub groups: Vec<Group>,
}

#[derive(Template)]
#[template(path = "tasks.html")]
struct TasksPage {
    t: Tr,
    frame: Frame,
    today: String,
    buckets: Vec<Bucket>,
    total_open: usize,
    /// A principal's view of the school's overdue work, by head teacher.
    teachers: Option<Vec<TeacherLoad>>,
    month_start: String,
    /// For county and township staff: the compliance page of their region.
    compliance_href: Option<String>,
    rules_href: Option<String>,
}

/// What a group is headed with: the child's name, or the class or school a duty is owed by.
fn heading(t: &Tr, task: &Task, school_name: &str) -> (String, Option<String>) {
    match task.subject_kind.as_str() {
        "child" => (
            task.child_name
                .clone()
                .unwrap_or_else(|| t.t("tasks.subject.child").to_owned()),
            Some(format!("/children/{}", task.subject_id)),
        ),
        "school" if !school_name.is_empty() => (
            school_name.to_owned(),
            Some(format!("/schools/{}", task.subject_id)),
        ),
        "school" => (t.t("tasks.subject.school").to_owned(), None),
        _ => (
            t.t("tasks.subject.class").to_owned(),
            task.class_id.map(|id| format!("/classes/{id}")),
        ),
    }
}

fn row(t: &Tr, task: &Task, rules: &[DutyRule], closed: bool) -> DutyRow {
    let rule = rules.iter().find(|r| r.code == task.rule_code);
    let status = DutyStatus::parse(&task.status);
    let action = if closed {
        None
    } else {
        entry_link(task, rule).map(|link| {
            let verb = t.t(link.key);
            let label = match link.kind_key {
                Some(kind) => verb.replace("{kind}", t.t(kind)),
                None => verb.to_owned(),
            };
            (link.href, label)
        })
    };
    DutyRow {
        id: task.id,
        name: rule_name(t, &task.rule_code, rule.map_or("", |r| r.name.as_str())),
        window_start: task.window_start.clone(),
        due_date: task.due_date.clone(),
        done_count: task.done_count,
        required: task.required,
        status_key: status.map_or("duty_status.open", DutyStatus::label_key),
        status: task.status.clone(),
        action,
    }
}

/// Groups a bucket's tasks (ordered by subject, then due date) by their subject.
fn bucket(
    t: &Tr,
    id: &'static str,
    key: &'static str,
    tasks: &[Task],
    rules: &[DutyRule],
    school_name: &str,
) -> Bucket {
    let closed = id == "done";
    let mut groups: Vec<(String, i64, Group)> = Vec::new();
    for task in tasks {
        let row = row(t, task, rules, closed);
        // Two children may share a name's pinyin (the list's order), so a subject's duties are
        // gathered wherever they come, not only when adjacent.
        let held = groups
            .iter_mut()
            .find(|(k, s, _)| *k == task.subject_kind && *s == task.subject_id);
        if let Some((_, _, g)) = held {
            g.rows.push(row);
        } else {
            let (heading, href) = heading(t, task, school_name);
            groups.push((
                task.subject_kind.clone(),
                task.subject_id,
                Group {
                    heading,
                    href,
                    rows: vec![row],
                },
            ));
        }
    }
    Bucket {
        id,
        key,
        count: tasks.len(),
        groups: groups.into_iter().map(|(_, _, g)| g).collect(),
    }
}

pub async fn show(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Query(q): Query<Done>,
) -> AppResult<Response> {
    let today = today_shanghai();
    let from = month_start(today);
    let scope = user.scope.clone();
    let role = scope.role;
    let (list, rules, teachers, school_name) = state
        .store
        .run(move |conn| {
            let list: TaskList = if scope.actor.id().is_some() {
                duties::tasks_for(conn, &scope, today)?
            } else {
                TaskList::default()
            };
            let rules = rules_for_caller(conn, &scope)?;
            let teachers = match (role, scope.school) {
                (Role::Principal, Some(id)) => {
                    Some(duties::school_overdue(conn, &scope, id, from, today)?)
                }
                _ => None,
            };
            let school_name = match scope.school {
                Some(id) => schools::get(conn, &scope, id)?.name,
                None => String::new(),
            };
            Ok((list, rules, teachers, school_name))
        })
        .await?;
    let buckets = vec![
        bucket(
            &t,
            "overdue",
            "tasks.bucket.overdue",
            &list.overdue,
            &rules,
            &school_name,
        ),
        bucket(
            &t,
            "today",
            "tasks.bucket.today",
            &list.today,
            &rules,
            &school_name,
        ),
        bucket(
            &t,
            "week",
            "tasks.bucket.week",
            &list.this_week,
            &rules,
            &school_name,
        ),
        bucket(
            &t,
            "later",
            "tasks.bucket.later",
            &list.later,
            &rules,
            &school_name,
        ),
        bucket(
            &t,
            "done",
            "tasks.bucket.done",
            &list.done,
            &rules,
            &school_name,
        ),
    ];
    let total_open =
        list.overdue.len() + list.today.len() + list.this_week.len() + list.later.len();
    let region = user.scope.region.as_ref().map(|r| r.to_string());
    let compliance_href = if sees_region_compliance(role) {
        Some(match &region {
            Some(code) => format!("/compliance?region={code}"),
            None => "/compliance".to_owned(),
        })
    } else {
        None
    };
    let rules_href = matches!(role, Role::Bureau | Role::SystemAdmin).then(|| match &region {
        Some(code) => format!("/duty-rules?region={code}"),
        None => "/duty-rules".to_owned(),
    });
    let frame = Frame::for_user(&user).with_notice(notice_key(q.done.as_deref()));
    Ok(render(TasksPage {
        t,
        frame,
        today: today.to_string(),
        buckets,
        total_open,
        teachers,
        month_start: from.to_string(),
        compliance_href,
        rules_href,
    })?
    .into_response())
}
