//! `shouhu bench dropout`: the daily dropout run over a county's children and a school year of
//! roll calls, beside a plain SQL scan of all the absences timed in the same run on the same
//! database.
//!
//! A fresh database gets the national region table, the example calendar (`shouhu-roster`'s
//! template year) as the county's for this school year and the next, one bureau account (the
//! one who "submitted" the roll calls), `--schools` nine-year schools spread over the county's
//! townships, each with classes of grades 1–9 sized for `--class-size` pupils, all through the
//! store's own functions. Everything else is written straight into the tables, a thousand rows a
//! statement and one transaction per ~100,000 rows (`shouhu_store::synthetic`):
//!
//! - N children with plausible plain columns (name and its pinyin, sex, birth date fitting the
//!   grade, 在读, class assigned) and a fixed 64-byte placeholder for the sealed file: the
//!   dropout code reads only plain columns and never opens a file, so nothing is sealed;
//! - a roll call for every class on every school day of the calendar from 1 September to
//!   `--today`;
//! - about ten absences a child over that span, on school days, in the class's roll call for the
//!   day: ~85 % 病假/事假 and ~15 % 旷课 drawn at random, mostly single days (some sick leave
//!   runs two or three days); and, for ~0.5 % of the children, a run of at least five
//!   consecutive unexcused school days from a random day (疑似辍学): a fifth of them absent for
//!   good from that day to `--today` (still 疑似辍学, or 辍学 once the 30 days have passed), the
//!   others back after 5–12 days.
//!
//! Measured, each with its wall time and the process's peak resident set over that step:
//!
//! 1. `dropout::rebuild(conn, today)`: every child with an unexcused absence replayed from the
//!    records, which writes their `enrolments` rows (informational);
//! 2. the daily run `dropout::run_daily(conn, today + 1)`, the first (may write transitions),
//!    then the same day again `--runs` times (median; idempotent, nothing to write): the target;
//! 3. the anchor: `SELECT count(*), sum(length(kind)) FROM absences`, a full scan, through the
//!    same connection (median of `--runs`) and, on SQLite, in the `sqlite3` shell on the same file
//!    (process wall time).
//!
//! `--nightly DATE --keep DIR` times the daily run for DATE again on a kept database.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{Days, NaiveDate};
use clap::Args;
use shouhu_domain::{
    AbsenceKind, Calendars, Grade, RegionCode, Role, SchoolKind, SchoolYear, name_pinyin,
};
use shouhu_roster::calendar_sheet;
use shouhu_store::classes::{self, ClassInput};
use shouhu_store::crypto::DeploymentKey;
use shouhu_store::dropout;
use shouhu_store::schools::{self, SchoolInput};
use shouhu_store::synthetic::{self, BenchAbsence, BenchChild, BenchRollCall};
use shouhu_store::users::{self, UserInput};
use shouhu_store::{DatabaseUrl, Scope, Store, calendars, regions};

use super::bench_kit::{
    Rng, Step, WorkDir, commit, file_size, fmt_load, load_average, machine, median, mib, peak_kib,
    ratio, reset_peak, secs, shell_run, shell_version, step, weekday,
};
use crate::{demo, operator};

#[derive(Args)]
pub struct DropoutArgs {
    /// Children to create.
    #[arg(long, default_value_t = 1_000_000)]
    children: usize,
    /// Schools in the county (nine-year schools, grades 1–9).
    #[arg(long, default_value_t = 300)]
    schools: usize,
    /// Pupils per class the schools are sized for.
    #[arg(long, default_value_t = 45)]
    class_size: usize,
    /// Average absences a child over the span (planted runs come on top).
    #[arg(long, default_value_t = 10)]
    absences: usize,
    /// Seed of the synthetic children and their absences.
    #[arg(long, default_value_t = 20_261_206)]
    seed: u64,
    /// `sqlite` (a file in the data directory) or a PostgreSQL URL of an empty database.
    #[arg(long, default_value = "sqlite")]
    db: String,
    /// Directory for the SQLite database and key, kept afterwards; a temporary one, removed at
    /// the end, when absent.
    #[arg(long)]
    keep: Option<PathBuf>,
    /// The last day with roll calls; the rebuild is run as of it, the daily run for the next day.
    #[arg(long, default_value = "2027-05-12")]
    today: NaiveDate,
    /// Timed runs of the repeated daily run and of each anchor scan; the median is reported.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Only time the daily run for this date `--runs` times (and the anchor through the store's
    /// connection) on the database already in `--keep DIR` (or at `--db`); nothing is loaded.
    #[arg(long)]
    nightly: Option<NaiveDate>,
    /// The sqlite3 shell used as the second anchor.
    #[arg(long, default_value = "sqlite3")]
    sqlite3: PathBuf,
}

pub fn run(args: &DropoutArgs) -> anyhow::Result<()> {
    if args.children == 0 || args.schools == 0 || args.class_size == 0 {
        bail!("--children, --schools and --class-size must be at least 1");
    }
    if let Some(date) = args.nightly {
        return nightly_again(args, date);
    }
    let dir = WorkDir::new(args.keep.as_deref(), "dropout")?;
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
        "loaded in {:.0} s: {} children, {} roll calls, {} absences",
        started.elapsed().as_secs_f64(),
        loaded.children,
        loaded.roll_calls,
        loaded.absences()
    );

    let mut steps = Vec::new();
    let (s, changed) = step(
        "rebuild: every child with an unexcused absence replayed",
        || store.with_conn(|conn| dropout::rebuild(conn, args.today)),
    )?;
    let states = store.with_conn(synthetic::enrolments_by_state)?;
    steps.push(s.with(format!(
        "{changed} transitions written; enrolments after: {}",
        states_text(&states)
    )));

    let day1 = args.today + Days::new(1);
    let label = format!("daily run for {day1} ({}), the first", weekday(day1));
    let (s, first) = step(&label, || {
        store.with_conn(|conn| dropout::run_daily(conn, day1))
    })?;
    steps.push(s.with(format!(
        "{} suspected children examined, {} transitions",
        first.examined, first.transitions
    )));
    let first_index = steps.len() - 1;

    let label = format!(
        "daily run for {day1} again (median of {})",
        args.runs.max(1)
    );
    eprintln!("{label}");
    reset_peak();
    let (again, r) = median(args.runs, || {
        store.with_conn(|conn| dropout::run_daily(conn, day1))
    })?;
    eprintln!("  {:.3} ms", again.as_secs_f64() * 1000.0);
    steps.push(Step {
        label,
        time: again,
        peak_kib: peak_kib(),
        note: format!(
            "{} suspected children examined, {} transitions",
            r.examined, r.transitions
        ),
    });
    let again_index = steps.len() - 1;
    let states_after = store.with_conn(synthetic::enrolments_by_state)?;

    eprintln!("anchor scans");
    let (scan, scanned) = median(args.runs, || store.with_conn(synthetic::scan_absences))?;
    let mut shell_scan = None;
    if let (Some(db), Some(_)) = (&file, &shell) {
        let (t, out) = median(args.runs, || {
            shell_run(
                &args.sqlite3,
                db,
                "SELECT count(*), sum(length(kind)) FROM absences;",
            )
        })?;
        let want = format!("{}|{}", scanned.0, scanned.1);
        if out.trim() != want {
            bail!(
                "sqlite3 printed {:?} for the absences, not {want:?}",
                out.trim()
            );
        }
        shell_scan = Some(t);
    }
    let report = Report {
        args,
        commit: commit(),
        machine: machine(),
        shell,
        load: [load_before, load_average()],
        db_bytes: file.as_deref().map(file_size),
        loaded,
        states_after,
        steps,
        first_index,
        again_index,
        scan,
        scanned: scanned.0,
        shell_scan,
    };
    print!("{}", report.markdown());
    if !dir.temporary {
        eprintln!("database kept in {}", dir.path.display());
    }
    Ok(())
}

/// `--nightly DATE`: the daily run for `date`, again and again, on a database loaded before,
/// and the anchor through the same connection.
fn nightly_again(args: &DropoutArgs, date: NaiveDate) -> anyhow::Result<()> {
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
    let mut times = Vec::new();
    for _ in 0..args.runs.max(1) {
        let label = format!("daily run for {date} ({})", weekday(date));
        let (s, r) = step(&label, || {
            store.with_conn(|conn| dropout::run_daily(conn, date))
        })?;
        println!(
            "{label}: {} ({} suspected children examined, {} transitions; peak RSS {})",
            secs(s.time),
            r.examined,
            r.transitions,
            mib(s.peak_kib)
        );
        times.push(s.time);
    }
    times.sort();
    let daily = times[times.len() / 2];
    let (scan, (n, _)) = median(args.runs, || store.with_conn(synthetic::scan_absences))?;
    println!(
        "median daily run {}; anchor `SELECT count(*), sum(length(kind)) FROM absences` ({n} \
         rows) {} through the same connection (median of {}); ratio {}",
        secs(daily),
        secs(scan),
        args.runs.max(1),
        ratio(daily, scan)
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Loading

#[derive(Default)]
struct Loaded {
    schools: usize,
    classes: usize,
    school_days: usize,
    children: usize,
    roll_calls: usize,
    sick: usize,
    personal: usize,
    unexcused: usize,
    /// Children given a run of ≥ 5 unexcused school days, and of them those absent for good.
    runs: usize,
    for_good: usize,
    setup_time: Duration,
    children_time: Duration,
    roll_call_time: Duration,
    absence_time: Duration,
}

impl Loaded {
    fn absences(&self) -> usize {
        self.sick + self.personal + self.unexcused
    }
}

/// One school to fill.
struct SchoolPlan {
    id: i64,
    region: String,
    villages: Vec<String>,
    /// Class ids with their grade, grade by grade.
    classes: Vec<(i64, i8)>,
    children: usize,
}

/// Rows waiting for their transaction.
#[derive(Default)]
struct Pending {
    children: Vec<BenchChild>,
    roll_calls: Vec<BenchRollCall>,
    absences: Vec<BenchAbsence>,
}

impl Pending {
    fn rows(&self) -> usize {
        self.children.len() + self.roll_calls.len() + self.absences.len()
    }
}

const ROWS_PER_TRANSACTION: usize = 100_000;

fn load(store: &Store, args: &DropoutArgs) -> anyhow::Result<Loaded> {
    let t = Instant::now();
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
    let (user, plans) = store
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
                let user = users::create(
                    conn,
                    &op,
                    UserInput {
                        username: "bench_dropout".to_owned(),
                        display_name: "控辍基准".to_owned(),
                        role: Role::Bureau,
                        region: county.clone(),
                        school_id: None,
                    },
                    "!bench-no-login",
                )?;
                let plans = add_schools(conn, &op, &townships, year, args)?;
                Ok((user.id, plans))
            })
        })
        .context("adding the calendar, the account, the schools and classes")?;

    let first_day = NaiveDate::from_ymd_opt(year.start_year(), 9, 1).context("1 September")?;
    let days: Vec<NaiveDate> = first_day
        .iter_days()
        .take_while(|d| *d <= args.today)
        .filter(|d| cals.is_school_day(*d))
        .collect();
    if days.len() < 10 {
        bail!("only {} school days up to {}", days.len(), args.today);
    }
    let mut out = Loaded {
        schools: plans.len(),
        classes: plans.iter().map(|p| p.classes.len()).sum(),
        school_days: days.len(),
        setup_time: t.elapsed(),
        ..Loaded::default()
    };
    eprintln!(
        "  {} schools, {} classes, {} school days from {first_day} to {} ({:.0} s)",
        out.schools,
        out.classes,
        out.school_days,
        args.today,
        out.setup_time.as_secs_f64()
    );

    let (mut next_child, mut next_roll_call) = store.with_conn(synthetic::next_ids)?;
    let mut rng = Rng(args.seed);
    let mut pending = Pending::default();
    let n_days = days.len();
    for (n, plan) in plans.iter().enumerate() {
        let roll_call_base = next_roll_call;
        for (k, (class_id, _)) in plan.classes.iter().enumerate() {
            for (d, day) in days.iter().enumerate() {
                pending.roll_calls.push(BenchRollCall {
                    id: roll_call_base + (k * n_days + d) as i64,
                    class_id: *class_id,
                    school_id: plan.id,
                    day: *day,
                    submitted_by: user,
                });
            }
        }
        next_roll_call += (plan.classes.len() * n_days) as i64;
        out.roll_calls += plan.classes.len() * n_days;

        for i in 0..plan.children {
            let k = i % plan.classes.len();
            let (class_id, grade) = plan.classes[k];
            let id = next_child;
            next_child += 1;
            pending
                .children
                .push(child(&mut rng, id, plan, class_id, grade, year, args.today));
            out.children += 1;
            for (d, kind) in absences_of(&mut rng, n_days, args.absences, &mut out) {
                let (kind, reason) = match kind {
                    AbsenceKind::Sick => (kind, Some("感冒发烧")),
                    AbsenceKind::Personal => (kind, Some("家中有事")),
                    AbsenceKind::Unexcused => (kind, None),
                };
                pending.absences.push(BenchAbsence {
                    roll_call_id: roll_call_base + (k * n_days + d) as i64,
                    child_id: id,
                    day: days[d],
                    kind: kind.code(),
                    reason,
                    recorded_by: user,
                });
            }
        }
        if pending.rows() >= ROWS_PER_TRANSACTION || n + 1 == plans.len() {
            flush(store, &mut pending, &mut out)?;
            eprintln!(
                "  {}/{} schools: {} children, {} roll calls, {} absences ({:.0} rows/s)",
                n + 1,
                plans.len(),
                out.children,
                out.roll_calls,
                out.absences(),
                (out.children + out.roll_calls + out.absences()) as f64
                    / (out.children_time + out.roll_call_time + out.absence_time)
                        .as_secs_f64()
                        .max(1e-9)
            );
        }
    }
    store.with_conn(|conn| {
        synthetic::sync_sequences(conn)?;
        synthetic::analyze(conn)
    })?;
    Ok(out)
}

fn flush(store: &Store, pending: &mut Pending, out: &mut Loaded) -> anyhow::Result<()> {
    let taken = std::mem::take(pending);
    store.with_conn(|conn| {
        shouhu_store::transaction(conn, |conn| {
            let t = Instant::now();
            synthetic::insert_children(conn, &taken.children)?;
            out.children_time += t.elapsed();
            let t = Instant::now();
            synthetic::insert_roll_calls(conn, &taken.roll_calls)?;
            out.roll_call_time += t.elapsed();
            let t = Instant::now();
            synthetic::insert_absences(conn, &taken.absences)?;
            out.absence_time += t.elapsed();
            Ok(())
        })
    })?;
    Ok(())
}

const SURNAMES: [&str; 16] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "罗", "杜", "龙", "石", "田", "潘",
];
const GIVEN: [&str; 24] = [
    "明", "华", "丽", "军", "芳", "伟", "静", "磊", "婷", "洋", "杰", "敏", "欣", "浩", "宇", "涛",
    "雪", "琳", "鹏", "燕", "俊", "霞", "强", "梅",
];

/// A child's plain columns: a name, a birth date fitting the grade, a village near the school.
fn child(
    rng: &mut Rng,
    id: i64,
    plan: &SchoolPlan,
    class_id: i64,
    grade: i8,
    year: SchoolYear,
    today: NaiveDate,
) -> BenchChild {
    let mut name = SURNAMES[rng.below(SURNAMES.len() as u64) as usize].to_owned();
    for _ in 0..1 + rng.below(2) {
        name.push_str(GIVEN[rng.below(GIVEN.len() as u64) as usize]);
    }
    let pinyin = name_pinyin(&name);
    // Grade 1 in 2026–27: born from September 2019 to August 2020.
    let born_from = NaiveDate::from_ymd_opt(year.start_year() - 6 - i32::from(grade), 9, 1)
        .unwrap_or(NaiveDate::MIN);
    let village = &plan.villages[rng.below(plan.villages.len() as u64) as usize];
    BenchChild {
        id,
        school_id: plan.id,
        class_id,
        school_region: plan.region.clone(),
        residence_region: village.clone(),
        name,
        name_pinyin: pinyin.full,
        name_initials: pinyin.initials,
        sex: if rng.half() { "1" } else { "2" },
        birth_date: born_from + Days::new(rng.below(365)),
        as_of: today,
    }
}

/// A child's absences over `n_days` school days, by day index: about `average` of them (85 %
/// 病假/事假, some lasting two or three days; 15 % 旷课, single days), and for 0.5 % of children
/// a run of ≥ 5 unexcused days, for good in a fifth of those.
fn absences_of(
    rng: &mut Rng,
    n_days: usize,
    average: usize,
    out: &mut Loaded,
) -> Vec<(usize, AbsenceKind)> {
    let mut days: BTreeMap<usize, AbsenceKind> = BTreeMap::new();
    if rng.below(1000) < 5 {
        let start = rng.below((n_days - 5) as u64) as usize;
        let end = if rng.below(5) == 0 {
            out.for_good += 1;
            n_days
        } else {
            (start + 5 + rng.below(8) as usize).min(n_days)
        };
        out.runs += 1;
        for d in start..end {
            days.insert(d, AbsenceKind::Unexcused);
        }
    }
    // An event lasts 0.15 × 1 + 0.85 × (1 + 0.15 × 1.5) ≈ 1.19 days (excused spells of 1–3
    // days); with the days two events share, 0.9 × `average` events come to about `average`.
    let hundredths = average as u64 * 100;
    let events = (hundredths / 2 + rng.below(hundredths * 80 / 100 + 1)) / 100;
    for _ in 0..events {
        let d = rng.below(n_days as u64) as usize;
        let roll = rng.below(100);
        let (kind, len) = if roll < 15 {
            (AbsenceKind::Unexcused, 1)
        } else {
            let kind = if roll < 66 {
                AbsenceKind::Sick
            } else {
                AbsenceKind::Personal
            };
            let len = if rng.below(100) < 15 {
                2 + rng.below(2) as usize
            } else {
                1
            };
            (kind, len)
        };
        for day in d..(d + len).min(n_days) {
            days.entry(day).or_insert(kind);
        }
    }
    for kind in days.values() {
        match kind {
            AbsenceKind::Sick => out.sick += 1,
            AbsenceKind::Personal => out.personal += 1,
            AbsenceKind::Unexcused => out.unexcused += 1,
        }
    }
    days.into_iter().collect()
}

/// `args.schools` nine-year schools spread over the townships, each with classes of grades 1–9
/// sized for its share of the children.
fn add_schools(
    conn: &mut shouhu_store::Conn,
    op: &Scope,
    townships: &[regions::Region],
    year: SchoolYear,
    args: &DropoutArgs,
) -> shouhu_store::StoreResult<Vec<SchoolPlan>> {
    let grades: Vec<Grade> = (1..=9).filter_map(|g| Grade::new(g).ok()).collect();
    let mut out = Vec::new();
    for i in 0..args.schools {
        let township = &townships[i % townships.len()];
        let region = RegionCode::parse(&township.code)
            .map_err(|_| shouhu_store::StoreError::Seed(township.code.clone()))?;
        let input = SchoolInput {
            code: format!("54{:08}", 1 + i),
            name: format!(
                "{}第{}九年一贯制学校",
                township.name,
                i / townships.len() + 1
            ),
            region: region.clone(),
            kind: SchoolKind::NineYear,
            boarding: true,
            hotline: None,
            address: None,
        };
        let school = schools::create(conn, op, &input)?;
        let children = args.children / args.schools + usize::from(i < args.children % args.schools);
        let per_grade = children
            .div_ceil(args.class_size)
            .div_ceil(grades.len())
            .max(1);
        let mut classes = Vec::new();
        for g in &grades {
            for c in 1..=per_grade {
                let class = classes::create(
                    conn,
                    op,
                    &ClassInput {
                        school_id: school.id,
                        school_year: year,
                        grade: *g,
                        name: format!(
                            "{}年级{c}班",
                            GRADE_WORDS[usize::from(g.number().unsigned_abs()) % 10]
                        ),
                        head_teachers: Vec::new(),
                    },
                )?;
                classes.push((class.class.id, g.number()));
            }
        }
        let mut villages: Vec<String> = demo::villages_near(conn, &region)?
            .into_iter()
            .map(|v| v.as_str().to_owned())
            .collect();
        if villages.is_empty() {
            villages.push(school.region_code.clone());
        }
        out.push(SchoolPlan {
            id: school.id,
            region: school.region_code,
            villages,
            classes,
            children,
        });
    }
    Ok(out)
}

const GRADE_WORDS: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

// ---------------------------------------------------------------------------------------------
// Measuring

// ---------------------------------------------------------------------------------------------
// Report

struct Report<'a> {
    args: &'a DropoutArgs,
    commit: String,
    machine: String,
    shell: Option<String>,
    load: [Option<f64>; 2],
    db_bytes: Option<u64>,
    loaded: Loaded,
    states_after: Vec<(String, i64)>,
    steps: Vec<Step>,
    first_index: usize,
    again_index: usize,
    scan: Duration,
    scanned: i64,
    shell_scan: Option<Duration>,
}

fn states_text(states: &[(String, i64)]) -> String {
    if states.is_empty() {
        return "none".to_owned();
    }
    states
        .iter()
        .map(|(s, n)| format!("{s} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
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
            "Data: {} schools, {} classes, {} school days from 1 September to {}; {} children; \
             {} roll calls; {} absences ({:.1} a child: 病假 {}, 事假 {}, 旷课 {}); {} children \
             given a run of ≥ 5 unexcused school days, {} of them absent for good{}.",
            l.schools,
            l.classes,
            l.school_days,
            self.args.today,
            l.children,
            l.roll_calls,
            l.absences(),
            l.absences() as f64 / l.children.max(1) as f64,
            l.sick,
            l.personal,
            l.unexcused,
            l.runs,
            l.for_good,
            self.db_bytes
                .map(|b| format!("; database file {} MB at the end", b / 1_000_000))
                .unwrap_or_default()
        );
        let _ = writeln!(
            s,
            "Loading took {:.1} s for the regions, calendar, schools and classes (store \
             functions), {:.1} s for the children, {:.1} s for the roll calls and {:.1} s for \
             the absences (bulk inserts).",
            l.setup_time.as_secs_f64(),
            l.children_time.as_secs_f64(),
            l.roll_call_time.as_secs_f64(),
            l.absence_time.as_secs_f64()
        );
        let _ = writeln!(
            s,
            "Enrolments at the end: {}.",
            states_text(&self.states_after)
        );
        let _ = writeln!(s);
        let anchor = match self.shell_scan {
            Some(shell) => format!(
                "Anchor (median of {}): `SELECT count(*), sum(length(kind)) FROM absences` ({} \
                 rows) {} through the store's connection, {} in the sqlite3 shell (process wall \
                 time).",
                self.args.runs.max(1),
                self.scanned,
                secs(self.scan),
                secs(shell)
            ),
            None => format!(
                "Anchor (median of {}): `SELECT count(*), sum(length(kind)) FROM absences` ({} \
                 rows) {} through the store's connection.",
                self.args.runs.max(1),
                self.scanned,
                secs(self.scan)
            ),
        };
        let _ = writeln!(s, "{anchor}");
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "| step | time | peak RSS | ÷ scan (connection) | ÷ scan (sqlite3 shell) | target | what it did |"
        );
        let _ = writeln!(s, "|---|--:|--:|--:|--:|:-:|---|");
        for (i, st) in self.steps.iter().enumerate() {
            let target = if i == self.first_index || i == self.again_index {
                let met = st.time.as_secs_f64() <= 0.1 * self.scan.as_secs_f64();
                format!("≤ 0.1: {}", if met { "met" } else { "**no**" })
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} |",
                st.label,
                secs(st.time),
                mib(st.peak_kib),
                ratio(st.time, self.scan),
                self.shell_scan
                    .map(|t| ratio(st.time, t))
                    .unwrap_or_else(|| "–".to_owned()),
                target,
                st.note
            );
        }
        s
    }
}
