//! `shouhu bench duties`: duty recomputation for a county's children, the full rebuild and the
//! nightly incremental run, each beside a plain SQL scan over the same records timed in the same
//! run on the same database.
//!
//! A fresh database gets the national region table, the example calendar (`shouhu-roster`'s
//! template year) as the county's for this school year and the next, `--schools` schools spread
//! over the county's townships, and N synthetic children from `shouhu-synth` (one generator for
//! the county, so no ID number is drawn twice; ages that fit each class's grade) through the
//! store's roster import (`children::import`: sealed files, first revisions, classes created on
//! the way), one import per school. Then a school year of evidence, from 1 September to
//! `--today`: for every child, every default rule that applies to it and every period of that
//! rule begun by `--today`, with probability one half one record that satisfies it (a care record
//! of one of the rule's kinds, dated in the period's window, entered the same day or up to a week
//! later; a help plan for a key child's term; a teacher pairing from the start of the year for
//! half the left-behind children), written straight into the tables a thousand rows a statement
//! (`shouhu_store::synthetic`).
//!
//! Measured, each with its wall time and the process's peak resident set over that step:
//!
//! 1. the full rebuild, `duties::rebuild(conn, None, 1 September, today)` (every instance from the
//!    start of the school year through the current and next period, statuses worked out from the
//!    evidence), into an empty `duties` table, and optionally a second one over the first's rows;
//! 2. the nightly run for `today` (the first: no job history, so every rule's current and next
//!    periods are generated again), then for `today + 1` (a Thursday in mid-May: the incremental
//!    run of an ordinary day), the catch-up to the last day of the month, the first day of the
//!    next month (the month's instances fall due and its next periods open), and that day again;
//! 3. the anchor: `SELECT count(*), sum(length(kind)) FROM care_records` and `SELECT status,
//!    count(*) FROM duties GROUP BY status`, full scans, through the same connection (median of
//!    `--runs`) and, on SQLite, in the `sqlite3` shell on the same file (process wall time).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{Datelike, Days, NaiveDate};
use clap::Args;
use shouhu_domain::{
    Calendars, DutyFacts, DutyRule, Grade, Instance, LeftBehind, RegionCode, SchoolKind,
    SchoolYear, SubjectKind,
};
use shouhu_roster::calendar_sheet;
use shouhu_store::children::{self, ImportOptions, ImportRow, RowInput};
use shouhu_store::crypto::DeploymentKey;
use shouhu_store::duties;
use shouhu_store::schools::{self, SchoolInput};
use shouhu_store::synthetic::{self, Evidence};
use shouhu_store::{DatabaseUrl, Scope, Store, calendars, regions};
use shouhu_synth::{Generator, Setting};

use super::bench_kit::{
    Rng, Step, WorkDir, commit, file_size, fmt_load, load_average, machine, median, ratio, secs,
    shell_run, shell_version, step, weekday,
};
use crate::{demo, operator};

#[derive(Args)]
pub struct DutiesArgs {
    /// Children to create.
    #[arg(long, default_value_t = 1_000_000)]
    children: usize,
    /// Schools in the county.
    #[arg(long, default_value_t = 300)]
    schools: usize,
    /// Pupils per class the schools are sized for.
    #[arg(long, default_value_t = 45)]
    class_size: usize,
    /// Seed of the synthetic children and their records.
    #[arg(long, default_value_t = 20_261_202)]
    seed: u64,
    /// `sqlite` (a file in the data directory) or a PostgreSQL URL of an empty database.
    #[arg(long, default_value = "sqlite")]
    db: String,
    /// Directory for the SQLite database and key, kept afterwards; a temporary one, removed at
    /// the end, when absent.
    #[arg(long)]
    keep: Option<PathBuf>,
    /// The day the rebuild is run as of: late in the school year, a Wednesday in mid-month.
    #[arg(long, default_value = "2027-05-12")]
    today: NaiveDate,
    /// Timed runs of each anchor scan; the median is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Rebuild a second time, over the first rebuild's rows.
    #[arg(long)]
    rebuild_again: bool,
    /// Only time the nightly run for this date `--runs` times on the database already in
    /// `--keep DIR` (or at `--db`), left by an earlier run of this benchmark; nothing is loaded.
    #[arg(long)]
    nightly: Option<NaiveDate>,
    /// The sqlite3 shell used as the second anchor.
    #[arg(long, default_value = "sqlite3")]
    sqlite3: PathBuf,
}

pub fn run(args: &DutiesArgs) -> anyhow::Result<()> {
    if args.children == 0 || args.schools == 0 {
        bail!("--children and --schools must be at least 1");
    }
    if let Some(date) = args.nightly {
        return nightly_again(args, date);
    }
    let dir = WorkDir::new(args.keep.as_deref(), "duties")?;
    let key = DeploymentKey::load_or_create(&dir.path.join("shouhu.key"))
        .context("benchmark deployment key")?;
    let (url, file) = if args.db == "sqlite" {
        let file = dir.path.join("shouhu.sqlite3");
        (DatabaseUrl::Sqlite(file.display().to_string()), Some(file))
    } else {
        (DatabaseUrl::parse(&args.db), None)
    };
    let store = Store::open(&url, 2, key).context("cannot open the benchmark database")?;
    let shell = match &file {
        Some(_) => Some(shell_version(&args.sqlite3)?),
        None => None,
    };
    let load_before = load_average();
    let started = Instant::now();
    let loaded = load(&store, args)?;
    eprintln!(
        "loaded in {:.0} s: {} children, {} records",
        started.elapsed().as_secs_f64(),
        loaded.children,
        loaded.records
    );

    let year_start = year_bounds(SchoolYear::containing(args.today)).0;
    let mut steps = Vec::new();
    let first = step("full rebuild into an empty duties table", || {
        store.with_conn(|conn| {
            duties::rebuild(conn, None, year_start, args.today, |done, total| {
                if done % 50 == 0 || done == total {
                    eprintln!("  rebuilt {done}/{total} schools");
                }
            })
        })
    })?;
    let rebuilt = first.1.clone();
    steps.push(first.0.with(format!(
        "{} schools, {} instances generated",
        rebuilt.schools, rebuilt.generated
    )));
    if args.rebuild_again {
        let (s, r) = step("full rebuild again, over the first rebuild's rows", || {
            store.with_conn(|conn| duties::rebuild(conn, None, year_start, args.today, |_, _| {}))
        })?;
        steps.push(s.with(format!("{} removed, {} generated", r.removed, r.generated)));
    }
    let by_rule = store.with_conn(synthetic::duties_by_rule)?;

    let day1 = args.today + Days::new(1);
    let month_end = last_of_month(args.today);
    let month_start = month_end + Days::new(1);
    let nightly: [(&str, NaiveDate, bool); 5] = [
        (
            "nightly run for today, the first (no job history)",
            args.today,
            false,
        ),
        ("nightly run for the next day (incremental)", day1, true),
        (
            "nightly run catching up to the month's last day",
            month_end,
            false,
        ),
        (
            "nightly run on the first day of the month",
            month_start,
            true,
        ),
        ("the same night again", month_start, false),
    ];
    let mut targets = Vec::new();
    for (label, date, target) in nightly {
        let label = format!("{label}: {date} ({})", weekday(date));
        let (s, r) = step(&label, || {
            store.with_conn(|conn| duties::run_daily(conn, date))
        })?;
        if target {
            targets.push(steps.len());
        }
        steps.push(s.with(format!(
            "{} day(s), {} marked missed, {} generated",
            r.days.len(),
            r.missed,
            r.generated
        )));
    }

    eprintln!("anchor scans");
    let (care_scan, care_result) =
        median(args.runs, || store.with_conn(synthetic::scan_care_records))?;
    let (duty_scan, statuses) =
        median(args.runs, || store.with_conn(synthetic::scan_duty_statuses))?;
    let mut shell_scans = None;
    if let (Some(db), Some(_)) = (&file, &shell) {
        let (care, out) = median(args.runs, || {
            shell_run(
                &args.sqlite3,
                db,
                "SELECT count(*), sum(length(kind)) FROM care_records;",
            )
        })?;
        let want = format!("{}|{}", care_result.0, care_result.1);
        if out.trim() != want {
            bail!(
                "sqlite3 printed {:?} for the records, not {want:?}",
                out.trim()
            );
        }
        let (duty, _) = median(args.runs, || {
            shell_run(
                &args.sqlite3,
                db,
                "SELECT status, count(*) FROM duties GROUP BY status;",
            )
        })?;
        shell_scans = Some((care, duty));
    }
    let report = Report {
        args,
        commit: commit(),
        machine: machine(),
        shell,
        load: [load_before, load_average()],
        db_bytes: file.as_deref().map(file_size),
        loaded,
        by_rule,
        statuses,
        steps,
        targets,
        care_scan,
        care_rows: care_result.0,
        duty_scan,
        shell_scans,
    };
    print!("{}", report.markdown());
    if !dir.temporary {
        eprintln!("database kept in {}", dir.path.display());
    }
    Ok(())
}

/// `--nightly DATE`: the nightly run for `date`, again and again, on a database loaded before.
fn nightly_again(args: &DutiesArgs, date: NaiveDate) -> anyhow::Result<()> {
    let url = if args.db == "sqlite" {
        let Some(dir) = &args.keep else {
            bail!("--nightly needs --keep DIR holding the database of an earlier run");
        };
        let file = dir.join("shouhu.sqlite3");
        if !file.exists() {
            bail!("no database in {}", dir.display());
        }
        DatabaseUrl::Sqlite(file.display().to_string())
    } else {
        DatabaseUrl::parse(&args.db)
    };
    let key_dir = args.keep.clone().unwrap_or_else(std::env::temp_dir);
    let key = DeploymentKey::load_or_create(&key_dir.join("shouhu.key"))?;
    let store = Store::open(&url, 2, key)?;
    for _ in 0..args.runs.max(1) {
        let label = format!("nightly run for {date} ({})", weekday(date));
        let (s, r) = step(&label, || {
            store.with_conn(|conn| duties::run_daily(conn, date))
        })?;
        println!(
            "{label}: {} ({} day(s), {} marked missed, {} generated, {} files caught up)",
            secs(s.time),
            r.days.len(),
            r.missed,
            r.generated,
            r.changed_children
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Loading

struct Loaded {
    schools: usize,
    classes: usize,
    children: usize,
    refused: usize,
    lb_mca: usize,
    key_children: usize,
    home_taught: usize,
    /// Instances the default rules owe these children over the whole school year.
    year_instances: usize,
    /// Of them, owed for left-behind children (MCA caliber).
    lb_year_instances: usize,
    /// Of them, begun by `today`.
    begun: usize,
    records: usize,
    pairings: usize,
    plans: usize,
    children_time: Duration,
    evidence_time: Duration,
}

/// One school to fill: its id, code, region, grades and classes per grade.
struct SchoolPlan {
    id: i64,
    code: String,
    region: String,
    grades: Vec<i8>,
    per_grade: usize,
    children: usize,
}

fn load(store: &Store, args: &DutiesArgs) -> anyhow::Result<Loaded> {
    operator::ensure_regions(store)?;
    let op = Scope::local_operator();
    let county = RegionCode::parse(demo::COUNTY).map_err(|e| anyhow::anyhow!("{e}"))?;
    let townships = store.with_conn(|c| regions::gazetteer_children(c, &county))?;
    if townships.is_empty() {
        bail!("the region table has no townships under {}", demo::COUNTY);
    }
    let year = SchoolYear::containing(args.today);
    let cals = Calendars::new([
        calendar_sheet::example(year),
        calendar_sheet::example(SchoolYear::new(year.start_year() + 1)),
    ]);
    let plans = store
        .with_conn(|conn| {
            shouhu_store::transaction(conn, |conn| {
                for y in [year.start_year(), year.start_year() + 1] {
                    let calendar = calendar_sheet::example(SchoolYear::new(y));
                    calendars::save(
                        conn,
                        &op,
                        &calendars::Owner::Region(county.clone()),
                        &calendar,
                        None,
                    )?;
                }
                add_schools(conn, &op, &townships, args)
            })
        })
        .context("adding the calendar and schools")?;

    // One generator for the county, so no ID number is drawn twice.
    let villages: Vec<RegionCode> = townships
        .iter()
        .filter_map(|t| RegionCode::parse(&t.code).ok())
        .collect();
    let mut generator = Generator::new(
        args.seed,
        Setting {
            villages,
            today: args.today,
        },
    );
    let rules: Vec<DutyRule> = DutyRule::defaults()
        .into_iter()
        .filter(|r| r.subject == SubjectKind::Child && r.cadence != shouhu_domain::Cadence::Case)
        .collect();
    let (from, year_end) = year_bounds(year);
    let begun: Vec<Vec<Instance>> = rules
        .iter()
        .map(|r| {
            r.instances(from, args.today, &cals)
                .into_iter()
                .filter(|i| i.window_start <= args.today)
                .collect()
        })
        .collect();
    let whole_year: Vec<usize> = rules
        .iter()
        .map(|r| r.instances(from, year_end, &cals).len())
        .collect();

    let key = store.key();
    let mut rng = Rng(args.seed ^ 0x5eed_d075);
    let mut out = Loaded {
        schools: plans.len(),
        classes: plans.iter().map(|p| p.grades.len() * p.per_grade).sum(),
        children: 0,
        refused: 0,
        lb_mca: 0,
        key_children: 0,
        home_taught: 0,
        year_instances: 0,
        lb_year_instances: 0,
        begun: 0,
        records: 0,
        pairings: 0,
        plans: 0,
        children_time: Duration::ZERO,
        evidence_time: Duration::ZERO,
    };
    for (n, plan) in plans.iter().enumerate() {
        // The school's rows, class by class.
        let mut rows = Vec::with_capacity(plan.children);
        let slots = plan.grades.len() * plan.per_grade;
        for i in 0..plan.children {
            let slot = i % slots;
            let grade = plan.grades[slot / plan.per_grade];
            let class = slot % plan.per_grade + 1;
            let ages = demo::ages_in_grade(i32::from(grade));
            let file = generator.child_aged(ages);
            let g = Grade::new(grade).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            rows.push(ImportRow {
                sheet_row: u32::try_from(i + 2)?,
                file,
                school: Some(plan.code.clone()),
                grade: Some(g),
                class: Some(format!("{class}班")),
            });
        }
        let opts = ImportOptions {
            default_school: None,
            keep: Vec::new(),
            source: "bench duties".to_owned(),
            write: true,
            skip_rejected: true,
            today: args.today,
        };
        let t = Instant::now();
        let summary = store.with_conn(|conn| {
            children::import(
                conn,
                &op,
                &key,
                &opts,
                rows.iter().cloned().map(|r| RowInput::Row(Box::new(r))),
                &mut |_| {},
            )
        })?;
        out.children_time += t.elapsed();
        if summary.updated + summary.unchanged > 0 {
            bail!(
                "school {}: {} rows matched files already stored",
                plan.code,
                summary.updated + summary.unchanged
            );
        }
        let refused: std::collections::HashSet<u32> =
            summary.refusals.iter().map(|r| r.sheet_row).collect();
        out.refused += refused.len();
        let ids = store.with_conn(|conn| duties::children_of(conn, plan.id))?;
        let kept: Vec<&ImportRow> = rows
            .iter()
            .filter(|r| !refused.contains(&r.sheet_row))
            .collect();
        if ids.len() != kept.len() || summary.imported != kept.len() {
            bail!(
                "school {}: {} children stored, {} rows kept, {} imported",
                plan.code,
                ids.len(),
                kept.len(),
                summary.imported
            );
        }
        out.children += ids.len();

        // The school's year of evidence.
        let t = Instant::now();
        let mut items = Vec::new();
        for (id, row) in ids.iter().zip(&kept) {
            let file = &row.file;
            let compulsory = row.grade.is_none_or(|g| g.is_compulsory());
            let lb = LeftBehind::of(&file.facts(compulsory), args.today);
            let facts = DutyFacts {
                lb_mca: lb.mca,
                lb_xueji: lb.xueji.number(),
                lb_census: lb.census,
                tags: file.active_tags(args.today),
                rating: file.rating,
                schooling: file.schooling,
                key_child: file.key_child.is_some(),
            };
            out.lb_mca += usize::from(facts.lb_mca);
            out.key_children += usize::from(facts.key_child);
            out.home_taught +=
                usize::from(facts.schooling == shouhu_domain::SchoolingStatus::HomeTaught);
            for (r, rule) in rules.iter().enumerate() {
                if !rule.applies_to.holds(&facts) {
                    continue;
                }
                out.year_instances += whole_year[r];
                if facts.lb_mca {
                    out.lb_year_instances += whole_year[r];
                }
                out.begun += begun[r].len();
                if rule.satisfied_by.iter().any(|k| k == "pairing") {
                    if let (Some(first), true) = (begun[r].first(), rng.half()) {
                        items.push(Evidence::Pairing {
                            child_id: *id,
                            from: first.window_start,
                        });
                    }
                    continue;
                }
                for instance in &begun[r] {
                    if !rng.half() {
                        continue;
                    }
                    let last = instance.window_end.min(args.today);
                    let span = (last - instance.window_start).num_days().max(0) as u64;
                    let date = instance.window_start + Days::new(rng.below(span + 1));
                    let late = if rng.below(100) < 85 {
                        0
                    } else {
                        1 + rng.below(7)
                    };
                    let entered_on = (date + Days::new(late)).min(args.today);
                    if rule.satisfied_by.iter().any(|k| k == "help_plan") {
                        items.push(Evidence::HelpPlan {
                            child_id: *id,
                            school_id: plan.id,
                            school_region: plan.region.clone(),
                            term_key: instance.period_key.clone(),
                            entered_on: date,
                        });
                        continue;
                    }
                    let pick = rng.below(rule.satisfied_by.len() as u64) as usize;
                    let Some(kind) = care_kind(&rule.satisfied_by[pick]) else {
                        continue;
                    };
                    items.push(Evidence::Care {
                        child_id: *id,
                        school_id: plan.id,
                        school_region: plan.region.clone(),
                        kind,
                        date,
                        entered_on,
                    });
                }
            }
        }
        for item in &items {
            match item {
                Evidence::Care { .. } => out.records += 1,
                Evidence::Pairing { .. } => out.pairings += 1,
                Evidence::HelpPlan { .. } => out.plans += 1,
            }
        }
        store.with_conn(|conn| {
            shouhu_store::transaction(conn, |conn| synthetic::insert_evidence(conn, &items))
        })?;
        out.evidence_time += t.elapsed();
        if (n + 1) % 25 == 0 || n + 1 == plans.len() {
            eprintln!(
                "  {}/{} schools: {} children ({:.0}/s), {} records",
                n + 1,
                plans.len(),
                out.children,
                out.children as f64 / out.children_time.as_secs_f64().max(1e-9),
                out.records
            );
        }
    }
    Ok(out)
}

/// The care record kind codes the default rules name, as static strings.
fn care_kind(code: &str) -> Option<&'static str> {
    const KINDS: [&str; 6] = [
        "talk",
        "family_contact",
        "home_visit",
        "life_care",
        "home_teaching",
        "file_review",
    ];
    KINDS.into_iter().find(|k| *k == code)
}

/// `args.schools` schools spread over the townships, sized for their share of the children.
fn add_schools(
    conn: &mut shouhu_store::Conn,
    op: &Scope,
    townships: &[regions::Region],
    args: &DutiesArgs,
) -> shouhu_store::StoreResult<Vec<SchoolPlan>> {
    const KINDS: [(SchoolKind, &str); 4] = [
        (SchoolKind::Primary, "小学"),
        (SchoolKind::Primary, "小学"),
        (SchoolKind::NineYear, "九年一贯制学校"),
        (SchoolKind::Junior, "中学"),
    ];
    let mut out = Vec::new();
    for i in 0..args.schools {
        let township = &townships[i % townships.len()];
        let (kind, word) = KINDS[i % KINDS.len()];
        let region = RegionCode::parse(&township.code)
            .map_err(|_| shouhu_store::StoreError::Seed(township.code.clone()))?;
        let input = SchoolInput {
            code: format!("53{:08}", 1 + i),
            name: format!("{}第{}{word}", township.name, i / townships.len() + 1),
            region,
            kind,
            boarding: kind != SchoolKind::Primary,
            hotline: None,
            address: None,
        };
        let school = schools::create(conn, op, &input)?;
        let grades: Vec<i8> = (-2..=12)
            .filter(|n| Grade::new(*n).is_ok_and(|g| kind.teaches(g)))
            .collect();
        let children = args.children / args.schools + usize::from(i < args.children % args.schools);
        let per_grade = children
            .div_ceil(args.class_size.max(1))
            .div_ceil(grades.len().max(1))
            .max(1);
        out.push(SchoolPlan {
            id: school.id,
            code: input.code,
            region: school.region_code,
            grades,
            per_grade,
            children,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Measuring

/// 1 September and 31 August of a school year.
fn year_bounds(year: SchoolYear) -> (NaiveDate, NaiveDate) {
    let y = year.start_year();
    let start = NaiveDate::from_ymd_opt(y, 9, 1).unwrap_or(NaiveDate::MIN);
    let end = NaiveDate::from_ymd_opt(y + 1, 8, 31).unwrap_or(NaiveDate::MIN);
    (start, end)
}

fn last_of_month(date: NaiveDate) -> NaiveDate {
    let first = date.with_day(1).unwrap_or(date);
    first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(date)
}

// ---------------------------------------------------------------------------------------------
// Report

struct Report<'a> {
    args: &'a DutiesArgs,
    commit: String,
    machine: String,
    shell: Option<String>,
    load: [Option<f64>; 2],
    db_bytes: Option<u64>,
    loaded: Loaded,
    by_rule: Vec<(String, String, i64)>,
    statuses: Vec<(String, i64)>,
    steps: Vec<Step>,
    targets: Vec<usize>,
    care_scan: Duration,
    care_rows: i64,
    duty_scan: Duration,
    shell_scans: Option<(Duration, Duration)>,
}

impl Report<'_> {
    fn markdown(&self) -> String {
        use std::fmt::Write as _;
        let l = &self.loaded;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Machine: {}; shouhu at {}; database {}{}.",
            self.machine,
            self.commit,
            if self.args.db == "sqlite" {
                "SQLite (bundled)"
            } else {
                "PostgreSQL"
            },
            self.shell
                .as_deref()
                .map(|v| format!(", anchor shell sqlite3 {v}"))
                .unwrap_or_default()
        );
        let _ = writeln!(
            s,
            "Load average {} before the load and {} after the anchors.",
            fmt_load(self.load[0]),
            fmt_load(self.load[1])
        );
        let _ = writeln!(
            s,
            "Data: {} schools, {} classes planned; {} children ({} refused by the import); \
             {} left-behind (MCA caliber), {} key children, {} taught at home; \
             {} care records, {} pairings, {} help plans{}.",
            l.schools,
            l.classes,
            l.children,
            l.refused,
            l.lb_mca,
            l.key_children,
            l.home_taught,
            l.records,
            l.pairings,
            l.plans,
            self.db_bytes
                .map(|b| format!("; database file {} MB at the end", b / 1_000_000))
                .unwrap_or_default()
        );
        let _ = writeln!(
            s,
            "Loading took {:.0} s for the children (roster import) and {:.0} s for the evidence.",
            l.children_time.as_secs_f64(),
            l.evidence_time.as_secs_f64()
        );
        let per = |n: usize| n as f64 / l.children.max(1) as f64;
        let _ = writeln!(
            s,
            "Child instances the default rules owe over the whole school year: {} ({:.1} a child; \
             {:.1} a left-behind child, {:.1} any other); begun by {}: {}.",
            l.year_instances,
            per(l.year_instances),
            l.lb_year_instances as f64 / l.lb_mca.max(1) as f64,
            (l.year_instances - l.lb_year_instances) as f64
                / (l.children.saturating_sub(l.lb_mca)).max(1) as f64,
            self.args.today,
            l.begun
        );
        let _ = writeln!(s);
        let _ = writeln!(s, "| rule | subject | instances after the rebuild |");
        let _ = writeln!(s, "|---|---|--:|");
        for (rule, kind, n) in &self.by_rule {
            let _ = writeln!(s, "| {rule} | {kind} | {n} |");
        }
        let total: i64 = self.statuses.iter().map(|(_, n)| n).sum();
        let statuses: Vec<String> = self
            .statuses
            .iter()
            .map(|(st, n)| {
                format!(
                    "{st} {n} ({:.1} %)",
                    100.0 * *n as f64 / total.max(1) as f64
                )
            })
            .collect();
        let _ = writeln!(
            s,
            "\nInstances at the end: {total}; {}.",
            statuses.join(", ")
        );
        let _ = writeln!(s);
        let anchors = match self.shell_scans {
            Some((care, duty)) => format!(
                "Anchors (median of {}): `SELECT count(*), sum(length(kind)) FROM care_records` \
                 ({} rows) {} through the store's connection, {} in the sqlite3 shell (process \
                 wall time); `SELECT status, count(*) FROM duties GROUP BY status` {} and {}.",
                self.args.runs,
                self.care_rows,
                secs(self.care_scan),
                secs(care),
                secs(self.duty_scan),
                secs(duty)
            ),
            None => format!(
                "Anchors (median of {}): `SELECT count(*), sum(length(kind)) FROM care_records` \
                 ({} rows) {}; `SELECT status, count(*) FROM duties GROUP BY status` {}, through \
                 the store's connection.",
                self.args.runs,
                self.care_rows,
                secs(self.care_scan),
                secs(self.duty_scan)
            ),
        };
        let _ = writeln!(s, "{anchors}");
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "| step | time | peak RSS | ÷ records scan | ÷ duties scan | target | what it did |"
        );
        let _ = writeln!(s, "|---|--:|--:|--:|--:|:-:|---|");
        for (i, st) in self.steps.iter().enumerate() {
            let target = if self.targets.contains(&i) {
                let met = st.time.as_secs_f64() <= 0.1 * self.care_scan.as_secs_f64()
                    && st.time.as_secs_f64() <= 0.1 * self.duty_scan.as_secs_f64();
                format!("≤ 0.1: {}", if met { "met" } else { "**no**" })
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} |",
                st.label,
                secs(st.time),
                st.peak_kib
                    .map(|k| format!("{} MB", k / 1024))
                    .unwrap_or_else(|| "?".to_owned()),
                ratio(st.time, self.care_scan),
                ratio(st.time, self.duty_scan),
                target,
                st.note
            );
        }
        s
    }
}
