//! The dropout ledgers (台账): 疑似辍学台账 and 辍学台账 for any node, one row per child now in
//! that state with an open case, with the columns county plans ask for (parents, address,
//! phone, reason, every 劝返 attempt and its result).
//!
//! Parents, address and phone come from the sealed child file, so building a ledger opens
//! files: every build is audited once, with the number of rows and, when phones and addresses
//! go out in clear, the stated purpose. Pages and exports get them masked unless the caller's
//! role may reveal them and a purpose is given.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;
use serde::Serialize;
use shouhu_domain::{
    AttemptOutcome, ChildFile, EnrolmentState, Grade, LeaveReason, Parent, PhoneNo, RegionCode,
    ReturnMethod, mask_address,
};

use crate::children::may_reveal;
use crate::crypto::DeploymentKey;
use crate::duties::Node;
use crate::schema::{
    children, classes, dropout_cases, enrolments, regions, return_attempts, schools,
};
use crate::{Conn, Scope, StoreError, StoreResult, audit};

/// Which ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum LedgerKind {
    /// 疑似辍学台账.
    Suspected,
    /// 辍学台账.
    DroppedOut,
}

impl LedgerKind {
    pub const ALL: [LedgerKind; 2] = [LedgerKind::Suspected, LedgerKind::DroppedOut];

    pub fn code(self) -> &'static str {
        self.state().code()
    }

    pub fn parse(s: &str) -> Option<LedgerKind> {
        Self::ALL.into_iter().find(|k| k.code() == s.trim())
    }

    pub fn state(self) -> EnrolmentState {
        match self {
            LedgerKind::Suspected => EnrolmentState::Suspected,
            LedgerKind::DroppedOut => EnrolmentState::DroppedOut,
        }
    }

    pub fn title_zh(self) -> &'static str {
        match self {
            LedgerKind::Suspected => "疑似辍学学生台账",
            LedgerKind::DroppedOut => "辍学学生台账",
        }
    }
}

/// One 劝返 attempt as the ledger prints it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LedgerAttempt {
    pub date: String,
    /// 电话, 家访 …
    pub method: String,
    pub people: String,
    pub met: String,
    /// 同意返校 …
    pub outcome: String,
}

/// One child on a ledger, every field as printed (phones and address masked or not, as asked).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LedgerRow {
    pub child_id: i64,
    pub case_id: i64,
    pub name: String,
    pub sex: String,
    pub birth_date: String,
    pub school_id: i64,
    pub school: String,
    pub grade: String,
    pub class: String,
    pub father: String,
    pub mother: String,
    pub guardian: String,
    pub address: String,
    pub phone: String,
    /// The day the state began.
    pub since: String,
    /// The day the case was opened (立案).
    pub opened_on: String,
    pub reason: String,
    pub attempts: Vec<LedgerAttempt>,
    pub state: String,
    /// The owning county's name.
    pub owner: String,
}

/// What the caller asks of a ledger.
#[derive(Clone, Debug)]
pub struct LedgerQuery {
    pub kind: LedgerKind,
    /// The school or region; `None` is the caller's own node.
    pub node: Option<Node>,
    /// Phones and address in clear: only for roles that may reveal, with a purpose.
    pub sensitive: bool,
    pub purpose: String,
    /// Audited as an export (`dropout.ledger_export`) rather than a view; `format` says which.
    pub export: Option<&'static str>,
}

/// A ledger: the node's name (for the title), whether values are in clear, and the rows.
#[derive(Clone, Debug, Serialize)]
pub struct Ledger {
    pub kind: LedgerKind,
    pub node_name: String,
    pub sensitive: bool,
    pub rows: Vec<LedgerRow>,
}

/// A node resolved against the caller's scope: region bounds, the one school if any, its name
/// and its region (for the audit log).
#[derive(Clone, Debug)]
pub(crate) struct Place {
    pub low: String,
    pub high: String,
    pub school: Option<i64>,
    pub name: String,
    pub region: Option<RegionCode>,
}

/// Who works with dropout control: everyone but volunteers.
pub(crate) fn may_see(scope: &Scope) -> bool {
    scope.role != shouhu_domain::Role::Volunteer
}

/// Resolves `node` (or the caller's own) inside scope; one outside it is not found.
pub(crate) fn place(conn: &mut Conn, scope: &Scope, node: Option<&Node>) -> StoreResult<Place> {
    let node = match node {
        Some(n) => n.clone(),
        None => match (scope.school, &scope.region) {
            (Some(s), _) => Node::School(s),
            (None, Some(r)) => Node::Region(r.clone()),
            (None, None) => {
                let (low, high) = scope.region_bounds();
                return Ok(Place {
                    low,
                    high,
                    school: None,
                    name: "全国".to_owned(),
                    region: None,
                });
            }
        },
    };
    match node {
        Node::School(id) => {
            let school = crate::schools::get(conn, scope, id)?;
            let region = school.region().ok();
            let (low, high) = region
                .as_ref()
                .map_or_else(|| scope.region_bounds(), RegionCode::subtree_bounds);
            Ok(Place {
                low,
                high,
                school: Some(id),
                name: school.name,
                region,
            })
        }
        Node::Region(code) => {
            if !scope.covers_region(&code) {
                return Err(StoreError::NotFound);
            }
            let name = regions::table
                .find(code.as_str())
                .select(regions::name)
                .first::<String>(conn)
                .optional()?
                .unwrap_or_else(|| code.as_str().to_owned());
            let (low, high) = code.subtree_bounds();
            Ok(Place {
                low,
                high,
                school: scope.school,
                name,
                region: Some(code),
            })
        }
    }
}

type CaseRow = (
    i64,
    i64,
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

/// The ledger of `query.kind` under the node, in the caller's reach; audited once.
pub fn ledger_rows(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    query: &LedgerQuery,
) -> StoreResult<Ledger> {
    scope.require(may_see(scope), "dropout.ledger")?;
    let purpose: String = query.purpose.trim().chars().take(200).collect();
    if query.sensitive {
        scope.require(may_reveal(scope.role), "dropout.ledger_sensitive")?;
        if purpose.is_empty() {
            return Err(StoreError::invalid("purpose", "dropout.ledger_purpose"));
        }
    }
    let place = place(conn, scope, query.node.as_ref())?;
    let state = query.kind.state().code();
    // Open cases in this state whose school, or owning county, lies under the node.
    let mut q = dropout_cases::table
        .filter(dropout_cases::closed_on.is_null())
        .filter(dropout_cases::state.eq(state))
        .filter(
            dropout_cases::school_region
                .between(place.low.clone(), place.high.clone())
                .or(dropout_cases::owner_region.between(place.low.clone(), place.high.clone())),
        )
        .select((
            dropout_cases::id,
            dropout_cases::child_id,
            dropout_cases::school_id,
            dropout_cases::school_region,
            dropout_cases::owner_region,
            dropout_cases::opened_on,
            dropout_cases::leave_reason,
            dropout_cases::reason_note,
        ))
        .into_boxed();
    if let Some(school) = place.school {
        q = q.filter(dropout_cases::school_id.eq(school));
    }
    let cases: Vec<CaseRow> = q.load(conn)?;
    let ids: Vec<i64> = cases.iter().map(|c| c.1).collect();
    // The state as replayed: a case row and the enrolment always change together, but the
    // ledger lists only children whose enrolment says so.
    let since: BTreeMap<i64, String> = enrolments::table
        .filter(enrolments::child_id.eq_any(&ids))
        .filter(enrolments::state.eq(state))
        .select((enrolments::child_id, enrolments::since))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    type ChildRow = (i64, Option<i64>, String, String, Vec<u8>, String);
    let kids: BTreeMap<i64, ChildRow> = children::table
        .filter(children::id.eq_any(&ids))
        .select((
            children::id,
            children::class_id,
            children::residence_region,
            children::name_pinyin,
            children::file_sealed,
            children::school_region,
        ))
        .load::<ChildRow>(conn)?
        .into_iter()
        .map(|r| (r.0, r))
        .collect();
    let mut picked: Vec<(CaseRow, String)> = Vec::new();
    for case in cases {
        let (Some(day), Some(kid)) = (since.get(&case.1), kids.get(&case.1)) else {
            continue;
        };
        let at_school = crate::children::visible(scope, case.2, kid.1, [&kid.5, &kid.2]);
        let owner = scope.school.is_none()
            && RegionCode::parse(&case.4).is_ok_and(|r| scope.covers_region(&r));
        if at_school || owner {
            picked.push((case, day.clone()));
        }
    }
    // School, then class, then pinyin.
    let school_ids: BTreeSet<i64> = picked.iter().map(|(c, _)| c.2).collect();
    let school_names: BTreeMap<i64, String> = schools::table
        .filter(schools::id.eq_any(school_ids.iter().copied().collect::<Vec<_>>()))
        .select((schools::id, schools::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let class_ids: Vec<i64> = picked
        .iter()
        .filter_map(|(c, _)| kids.get(&c.1).and_then(|k| k.1))
        .collect();
    let class_rows: BTreeMap<i64, (i32, String)> = classes::table
        .filter(classes::id.eq_any(&class_ids))
        .select((classes::id, classes::grade, classes::name))
        .load::<(i64, i32, String)>(conn)?
        .into_iter()
        .map(|(id, g, n)| (id, (g, n)))
        .collect();
    let owners: Vec<String> = picked.iter().map(|(c, _)| c.4.clone()).collect();
    let owner_names: BTreeMap<String, String> = regions::table
        .filter(regions::code.eq_any(&owners))
        .select((regions::code, regions::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let case_ids: Vec<i64> = picked.iter().map(|(c, _)| c.0).collect();
    type AttemptRow = (i64, String, String, String, String, String);
    let mut attempts: BTreeMap<i64, Vec<LedgerAttempt>> = BTreeMap::new();
    let rows: Vec<AttemptRow> = return_attempts::table
        .filter(return_attempts::case_id.eq_any(&case_ids))
        .order((return_attempts::day, return_attempts::id))
        .select((
            return_attempts::case_id,
            return_attempts::day,
            return_attempts::method,
            return_attempts::people,
            return_attempts::met,
            return_attempts::outcome,
        ))
        .load(conn)?;
    for (case_id, day, method, people, met, outcome) in rows {
        attempts.entry(case_id).or_default().push(LedgerAttempt {
            date: day,
            method: ReturnMethod::parse(&method).map_or(method, |m| m.label_zh().to_owned()),
            people,
            met,
            outcome: AttemptOutcome::parse(&outcome).map_or(outcome, |o| o.label_zh().to_owned()),
        });
    }
    let mut out = Vec::with_capacity(picked.len());
    for (case, day) in picked {
        let (case_id, child_id, school_id, _, owner_region, opened_on, reason, note) = case;
        let Some(kid) = kids.get(&child_id) else {
            continue;
        };
        let json = key.decrypt(&kid.4)?;
        let file: ChildFile = serde_json::from_str(&json)
            .map_err(|e| StoreError::Internal(format!("stored file: {e}")))?;
        let (grade, class) = kid
            .1
            .and_then(|c| class_rows.get(&c))
            .map(|(g, n)| {
                let grade = i8::try_from(*g)
                    .ok()
                    .and_then(|g| Grade::new(g).ok())
                    .map_or_else(|| g.to_string(), |g| g.to_string());
                (grade, n.clone())
            })
            .unwrap_or_default();
        let reason = match (reason.as_deref().map(LeaveReason::parse), note) {
            (Some(Ok(r)), Some(n)) => format!("{}：{n}", r.label_zh()),
            (Some(Ok(r)), None) => r.label_zh().to_owned(),
            (_, Some(n)) => n,
            _ => String::new(),
        };
        out.push((
            kid.3.clone(),
            LedgerRow {
                child_id,
                case_id,
                name: file.name.as_str().to_owned(),
                sex: file.sex.label_zh().to_owned(),
                birth_date: file.birth_date.to_string(),
                school_id,
                school: school_names.get(&school_id).cloned().unwrap_or_default(),
                grade,
                class,
                father: parent_line(file.father.as_ref()),
                mother: parent_line(file.mother.as_ref()),
                guardian: guardian_line(&file),
                address: address_of(&file, query.sensitive),
                phone: phones_of(&file, query.sensitive),
                since: day,
                opened_on,
                reason,
                attempts: attempts.remove(&case_id).unwrap_or_default(),
                state: query.kind.state().label_zh().to_owned(),
                owner: owner_names
                    .get(&owner_region)
                    .cloned()
                    .unwrap_or(owner_region),
            },
        ));
    }
    out.sort_by(|(pa, a), (pb, b)| {
        (&a.school, &a.grade, &a.class, pa, a.child_id)
            .cmp(&(&b.school, &b.grade, &b.class, pb, b.child_id))
    });
    let rows: Vec<LedgerRow> = out.into_iter().map(|(_, r)| r).collect();
    let detail = format!(
        "{} {}: {} rows{}{}{}",
        place.name,
        query.kind.title_zh(),
        rows.len(),
        query.export.map(|f| format!(", {f}")).unwrap_or_default(),
        if query.sensitive { ", sensitive" } else { "" },
        if purpose.is_empty() {
            String::new()
        } else {
            format!(", purpose: {purpose}")
        },
    );
    let kind = if query.export.is_some() {
        "dropout.ledger_export"
    } else {
        "dropout.ledger"
    };
    let target = place
        .school
        .map(|s| format!("school:{s}"))
        .or_else(|| {
            place
                .region
                .as_ref()
                .map(|r| format!("region:{}", r.as_str()))
        })
        .unwrap_or_else(|| "all".to_owned());
    audit::record(conn, scope, kind, &target, &detail, place.region.as_ref())?;
    Ok(Ledger {
        kind: query.kind,
        node_name: place.name,
        sensitive: query.sensitive,
        rows,
    })
}

/// "王大山（广东省 东莞市务工）", or the name alone.
fn parent_line(parent: Option<&Parent>) -> String {
    let Some(p) = parent else {
        return String::new();
    };
    let name = p
        .name
        .as_ref()
        .map(|n| n.as_str().to_owned())
        .unwrap_or_default();
    let place = p.work_place();
    match (name.is_empty(), p.away.is_some()) {
        (_, true) if !place.is_empty() => format!("{name}（{place}务工）"),
        (_, true) => format!("{name}（外出务工）"),
        _ => name,
    }
}

/// The actual carer (or the first guardian) as "祖母 张桂芝"; else the entrusted person.
fn guardian_line(file: &ChildFile) -> String {
    let carer = file
        .guardians
        .iter()
        .find(|g| g.is_carer)
        .or_else(|| file.guardians.first());
    if let Some(g) = carer {
        return format!("{} {}", g.relation, g.name.as_str());
    }
    file.entrustment
        .as_ref()
        .map(|e| format!("{} {}", e.relation, e.name.as_str()))
        .unwrap_or_default()
}

fn address_of(file: &ChildFile, clear: bool) -> String {
    let address = file
        .address
        .as_ref()
        .map(|a| a.to_string())
        .unwrap_or_default();
    if clear {
        address
    } else {
        mask_address(&address)
    }
}

/// The carer's phone first, then the parents': "祖母 138****5678；父亲 139****0000".
fn phones_of(file: &ChildFile, clear: bool) -> String {
    let show = |p: &PhoneNo| {
        if clear {
            p.as_str().to_owned()
        } else {
            p.masked()
        }
    };
    let mut seen = BTreeSet::new();
    let mut parts = Vec::new();
    let mut add = |who: String, phone: Option<&PhoneNo>| {
        if let Some(p) = phone
            && seen.insert(p.as_str().to_owned())
        {
            parts.push(format!("{who} {}", show(p)));
        }
    };
    for g in file.guardians.iter().filter(|g| g.is_carer) {
        add(g.relation.to_string(), g.phone.as_ref());
    }
    add(
        "父亲".to_owned(),
        file.father.as_ref().and_then(|p| p.phone.as_ref()),
    );
    add(
        "母亲".to_owned(),
        file.mother.as_ref().and_then(|p| p.phone.as_ref()),
    );
    for g in file.guardians.iter().filter(|g| !g.is_carer) {
        add(g.relation.to_string(), g.phone.as_ref());
    }
    parts.join("；")
}
