//! A county's dropout settings: thresholds, escalation ladder, notice template and the 送教上门
//! target. The nearest region above a school with a row decides; none means the defaults.

use diesel::prelude::*;
use serde::Serialize;
use shouhu_domain::{
    DropoutRule, Ladder, LadderStep, NoticeTemplate, RegionCode, Role, default_notice_template,
};

use crate::schema::{dropout_settings, enrolments};
use crate::{Conn, Scope, StoreError, StoreResult, audit, clock};

/// The settings in force at a place.
#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    /// The region whose row decided, `None` for the defaults.
    pub region_code: Option<String>,
    pub rule: DropoutRule,
    pub ladder: Ladder,
    #[serde(skip)]
    pub notice: NoticeTemplate,
    pub notice_text: String,
    /// 送教上门 periods (课时) owed per child and term.
    pub teaching_target: Option<i32>,
    pub version: i32,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = dropout_settings)]
struct Row {
    region_code: String,
    streak_days: i32,
    lapse_days: i32,
    ladder: String,
    notice_template: Option<String>,
    teaching_target: Option<i32>,
    version: i32,
}

impl Settings {
    fn defaults() -> Settings {
        let notice = default_notice_template();
        Settings {
            region_code: None,
            rule: DropoutRule::default(),
            ladder: Ladder::default(),
            notice_text: notice.as_str().to_owned(),
            notice,
            teaching_target: None,
            version: 0,
        }
    }

    fn from_row(row: Row) -> StoreResult<Settings> {
        let bad = |e: String| StoreError::Internal(format!("stored dropout settings: {e}"));
        let rule = DropoutRule::new(
            u32::try_from(row.streak_days).unwrap_or(0),
            u32::try_from(row.lapse_days).unwrap_or(0),
        )
        .map_err(|e| bad(e.to_string()))?;
        let steps: Vec<LadderStep> =
            serde_json::from_str(&row.ladder).map_err(|e| bad(e.to_string()))?;
        let ladder = Ladder::new(steps).map_err(|e| bad(e.to_string()))?;
        let notice = match row.notice_template {
            Some(text) => NoticeTemplate::parse(&text).map_err(|e| bad(e.to_string()))?,
            None => default_notice_template(),
        };
        Ok(Settings {
            region_code: Some(row.region_code),
            rule,
            ladder,
            notice_text: notice.as_str().to_owned(),
            notice,
            teaching_target: row.teaching_target,
            version: row.version,
        })
    }
}

/// All stored rows, for runs over many schools.
pub(crate) struct SettingsBook {
    rows: Vec<Settings>,
}

impl SettingsBook {
    pub(crate) fn load(conn: &mut Conn) -> StoreResult<SettingsBook> {
        let rows = dropout_settings::table
            .select(Row::as_select())
            .load(conn)?
            .into_iter()
            .map(Settings::from_row)
            .collect::<StoreResult<_>>()?;
        Ok(SettingsBook { rows })
    }

    /// The settings in force at a (school's) region.
    pub(crate) fn at(&self, region: &str) -> Settings {
        let chain = RegionCode::parse(region)
            .map(|c| crate::calendars::ancestry(&c))
            .unwrap_or_default();
        chain
            .iter()
            .find_map(|code| {
                self.rows
                    .iter()
                    .find(|s| s.region_code.as_deref() == Some(code.as_str()))
            })
            .cloned()
            .unwrap_or_else(Settings::defaults)
    }

    /// The smallest lapse anywhere, so the daily scan cannot miss a county's.
    pub(crate) fn min_lapse_days(&self) -> u32 {
        self.rows
            .iter()
            .map(|s| s.rule.lapse_days)
            .chain([DropoutRule::default().lapse_days])
            .min()
            .unwrap_or(1)
    }
}

/// The settings in force at `region` (readable by anyone who works there).
pub fn settings_for(conn: &mut Conn, region: &RegionCode) -> StoreResult<Settings> {
    Ok(SettingsBook::load(conn)?.at(region.as_str()))
}

/// Replaces a county's settings (bureau or administrator of that county or above); `version`
/// is the one read (0 when the defaults were shown).
#[allow(clippy::too_many_arguments)] // one form's fields, each checked
pub fn save_settings(
    conn: &mut Conn,
    scope: &Scope,
    region: &RegionCode,
    rule: DropoutRule,
    ladder: &Ladder,
    notice: Option<&NoticeTemplate>,
    teaching_target: Option<i32>,
    version: i32,
) -> StoreResult<Settings> {
    scope.require(
        matches!(scope.role, Role::SystemAdmin | Role::Bureau) && scope.covers_region(region),
        "dropout.settings",
    )?;
    if teaching_target.is_some_and(|t| !(1..=400).contains(&t)) {
        return Err(StoreError::invalid(
            "teaching_target",
            "dropout.teaching_target",
        ));
    }
    let ladder_json =
        serde_json::to_string(ladder.steps()).map_err(|e| StoreError::Internal(e.to_string()))?;
    crate::transaction(conn, |conn| {
        let current: Option<i32> = dropout_settings::table
            .find(region.as_str())
            .select(dropout_settings::version)
            .first(conn)
            .optional()?;
        let current_version = current.unwrap_or(0);
        if current_version != version {
            return Err(StoreError::Conflict {
                expected: version,
                current: current_version,
            });
        }
        let values = (
            dropout_settings::streak_days.eq(rule.streak_days as i32),
            dropout_settings::lapse_days.eq(rule.lapse_days as i32),
            dropout_settings::ladder.eq(&ladder_json),
            dropout_settings::notice_template.eq(notice.map(|n| n.as_str().to_owned())),
            dropout_settings::teaching_target.eq(teaching_target),
            dropout_settings::version.eq(current_version + 1),
            dropout_settings::updated_by.eq(scope.actor.name()),
            dropout_settings::updated_at.eq(clock::now_ms()),
        );
        if current.is_some() {
            diesel::update(dropout_settings::table.find(region.as_str()))
                .set(values)
                .execute(conn)?;
        } else {
            diesel::insert_into(dropout_settings::table)
                .values((dropout_settings::region_code.eq(region.as_str()), values))
                .execute(conn)?;
        }
        audit::record(
            conn,
            scope,
            "dropout.settings",
            region.as_str(),
            &format!(
                "streak {} lapse {} steps {}",
                rule.streak_days,
                rule.lapse_days,
                ladder.steps().len()
            ),
            Some(region),
        )?;
        // New thresholds apply to the days already recorded: every child with a history
        // in the county is replayed under them now, not at its next roll call.
        let (low, high) = region.subtree_bounds();
        let ids: Vec<i64> = enrolments::table
            .filter(enrolments::school_region.between(low, high))
            .select(enrolments::child_id)
            .load(conn)?;
        super::recompute(
            conn,
            scope,
            &ids,
            shouhu_domain::today_shanghai(),
            "县级控辍设置变更",
        )?;
        Ok(())
    })?;
    settings_for(conn, region)
}
