//! `shouhu bench children`: the child list over a county-sized roll on SQLite, timed beside the
//! `sqlite3` shell running the same SQL on the same database file.
//!
//! A fresh database gets the national region table, the demo county (its schools, classes and
//! accounts), villages under each of the county's townships, more schools with classes, and N
//! synthetic children created through the store's own `children::create` (sealed, projected,
//! revised and audited like typed-in files), a thousand per transaction. Each case then lists a
//! page as a demo account would (bureau, civil affairs, principal, head teacher), with the scope
//! `users::scope_for` gives them. The anchor is the plain SQL `children::list` runs for the same
//! scope and filter, with the same values bound as parameters, in the `sqlite3` shell; its rows
//! are checked to be the store's page before anything is timed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use shouhu_domain::{RegionCode, RegionLevel, SchoolKind, SchoolYear, today_shanghai};
use shouhu_store::children::{
    self, Caliber, ChildFilter, ChildPage, Placement, Search, prefix_end, search,
};
use shouhu_store::classes::{self, ClassInput};
use shouhu_store::crypto::DeploymentKey;
use shouhu_store::regions::{self, NewRegion};
use shouhu_store::schools::{self, SchoolFilter, SchoolInput};
use shouhu_store::{DatabaseUrl, Scope, Store, StoreError, users};
use shouhu_synth::{Generator, Setting};

use crate::{demo, operator};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Time the child list over a county-sized roll on SQLite, beside the sqlite3 shell.
    Children(ChildrenArgs),
    /// Time roster import and export through the command line, beside the sqlite3 shell's
    /// .import, calamine alone reading the sheet and rust_xlsxwriter alone writing it.
    Roster(crate::bench_roster::RosterArgs),
    /// Time the duty rebuild and the nightly run over a county's children, beside plain SQL
    /// scans of the same records.
    Duties(bench_duties::DutiesArgs),
    /// Time the daily dropout run over a county's children and a school year of absences,
    /// beside a plain SQL scan of all the absences.
    Dropout(bench_dropout::DropoutArgs),
}

#[path = "bench_kit.rs"]
mod bench_kit;

#[path = "bench_duties.rs"]
mod bench_duties;

#[path = "bench_dropout.rs"]
mod bench_dropout;

#[derive(Args)]
pub struct ChildrenArgs {
    /// Children to create.
    #[arg(long, default_value_t = 300_000)]
    children: usize,
    /// Schools in the county, the demo's ten included.
    #[arg(long, default_value_t = 150)]
    schools: usize,
    /// Pupils per class the added schools are sized for.
    #[arg(long, default_value_t = 45)]
    class_size: usize,
    /// Seed of the synthetic children.
    #[arg(long, default_value_t = 20_260_522)]
    seed: u64,
    /// Directory for the database, kept afterwards; a temporary one, removed at the end, when
    /// absent. A directory already holding a loaded benchmark database is measured again as it is.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Timed runs (samples for the sqlite3 shell) per case, after warm-up.
    #[arg(long, default_value_t = 30)]
    runs: usize,
    /// The page of the county search timed as the deep one (reached through the cursor chain).
    #[arg(long, default_value_t = 100)]
    deep_page: usize,
    /// The sqlite3 shell used as the anchor.
    #[arg(long, default_value = "sqlite3")]
    sqlite3: PathBuf,
}

pub fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Children(args) => children_bench(&args),
        BenchCommand::Roster(args) => crate::bench_roster::run(&args),
        BenchCommand::Duties(args) => bench_duties::run(&args),
        BenchCommand::Dropout(args) => bench_dropout::run(&args),
    }
}

/// Children created per transaction while loading.
const BATCH: usize = 1000;
/// Villages (or communities) added under each township of the county.
const VILLAGES_PER_TOWNSHIP: u32 = 10;
/// What one sqlite3 sample aims to last, so the shell's millisecond timer is precise enough.
const SAMPLE_TARGET: Duration = Duration::from_millis(40);
const MAX_REPEATS: usize = 200;
/// Turns the two sides take at timing each case.
const ROUNDS: usize = 5;
const TARGET: Duration = Duration::from_millis(50);

fn children_bench(args: &ChildrenArgs) -> anyhow::Result<()> {
    let shell = Shell::find(&args.sqlite3)?;
    let dir = WorkDir::new(args.data_dir.as_deref())?;
    let db = dir.path.join("shouhu.sqlite3");
    let key = DeploymentKey::load_or_create(&dir.path.join("shouhu.key"))
        .context("benchmark deployment key")?;
    let url = DatabaseUrl::Sqlite(db.display().to_string());
    let store = Store::open(&url, 2, key).context("cannot open the benchmark database")?;
    let existing: usize = shell
        .scalar(&db, "SELECT count(*) FROM children;")?
        .parse()
        .context("counting children")?;
    let load = if existing == 0 {
        Some(load(&store, args)?)
    } else {
        eprintln!(
            "reusing the {existing} children already in {}",
            db.display()
        );
        None
    };
    let cases = cases(&store, &shell, &db, args)?;
    let overhead = shell.empty_statement(&db)?;
    let load_before = load_average();
    let mut results = Vec::new();
    for case in cases {
        eprintln!("timing {}", case.label);
        results.push(measure(&store, &shell, &db, case, args.runs)?);
    }
    let busy = [load_before, load_average()];
    let total: usize = shell
        .scalar(&db, "SELECT count(*) FROM children;")?
        .parse()?;
    let schools: usize = shell
        .scalar(&db, "SELECT count(*) FROM schools;")?
        .parse()?;
    let classes: usize = shell
        .scalar(&db, "SELECT count(*) FROM classes;")?
        .parse()?;
    let report = Report {
        total,
        schools,
        classes,
        bytes: file_size(&db),
        load,
        shell_version: shell.version.clone(),
        overhead,
        busy,
        runs: args.runs,
        results,
    };
    print!("{}", report.markdown());
    if args.data_dir.is_some() {
        eprintln!("database kept in {}", dir.path.display());
    }
    Ok(())
}

/// The data directory; a temporary one is removed when the benchmark ends, however it ends.
struct WorkDir {
    path: PathBuf,
    temporary: bool,
}

impl WorkDir {
    fn new(given: Option<&Path>) -> anyhow::Result<Self> {
        let (path, temporary) = match given {
            Some(p) => (p.to_path_buf(), false),
            None => (
                std::env::temp_dir().join(format!("shouhu-bench-{}", std::process::id())),
                true,
            ),
        };
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Self { path, temporary })
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// The machine's one-minute load average, where the system tells it (Linux), to show whether
/// the timings shared the processors with other work.
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn file_size(db: &Path) -> u64 {
    let wal = PathBuf::from(format!("{}-wal", db.display()));
    [db, wal.as_path()]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

// ---------------------------------------------------------------------------------------------
// Loading

struct LoadStats {
    children: usize,
    /// Files drawn but refused as duplicates (ID numbers issued twice by generators of
    /// different schools), drawn again.
    redrawn: usize,
    setup: Duration,
    elapsed: Duration,
}

/// One class to fill: where, which ages, how many, from which school's generator.
struct Slot {
    at: Placement,
    ages: std::ops::RangeInclusive<u32>,
    count: usize,
    generator: usize,
}

fn load(store: &Store, args: &ChildrenArgs) -> anyhow::Result<LoadStats> {
    let started = Instant::now();
    operator::ensure_regions(store)?;
    demo::load_quietly(store)?;
    let county = RegionCode::parse(demo::COUNTY).map_err(|e| anyhow::anyhow!("{e}"))?;
    let townships = store.with_conn(|c| regions::gazetteer_children(c, &county))?;
    if townships.is_empty() {
        bail!("the region table has no townships under {}", demo::COUNTY);
    }
    let op = Scope::local_operator();
    store
        .with_conn(|conn| {
            shouhu_store::transaction(conn, |conn| {
                add_villages(conn, &op, &townships)?;
                add_schools(conn, &op, &townships, args)
            })
        })
        .context("adding villages, schools and classes")?;
    let (slots, mut generators) = store
        .with_conn(|conn| plan(conn, &op, args))
        .context("planning the roll")?;
    let setup = started.elapsed();

    let key = store.key();
    let started = Instant::now();
    let mut pending = slots.iter().flat_map(|s| std::iter::repeat_n(s, s.count));
    let (mut created, mut redrawn) = (0, 0);
    loop {
        let (n, again) = store.with_conn(|conn| {
            shouhu_store::transaction(conn, |conn| {
                let (mut n, mut again) = (0, 0);
                for slot in pending.by_ref().take(BATCH) {
                    let generator = generators
                        .get_mut(slot.generator)
                        .ok_or_else(|| StoreError::Seed("generator".to_owned()))?;
                    let (_, draws) =
                        demo::create_child(conn, &op, &key, generator, slot.at, &slot.ages)?;
                    n += 1;
                    again += draws - 1;
                }
                Ok((n, again))
            })
        })?;
        if n == 0 {
            break;
        }
        created += n;
        redrawn += again;
        if created % (BATCH * 20) < BATCH || created == args.children {
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "  {created}/{} children, {:.0}/s",
                args.children,
                created as f64 / secs.max(1e-9)
            );
        }
    }
    Ok(LoadStats {
        children: created,
        redrawn,
        setup,
        elapsed: started.elapsed(),
    })
}

/// Villages (communities under a 街道) under every township, beside any already known.
fn add_villages(
    conn: &mut shouhu_store::Conn,
    op: &Scope,
    townships: &[regions::Region],
) -> shouhu_store::StoreResult<()> {
    for t in townships {
        let code = RegionCode::parse(&t.code).map_err(|_| StoreError::Seed(t.code.clone()))?;
        let known: Vec<String> = regions::gazetteer_children(conn, &code)?
            .into_iter()
            .map(|r| r.code)
            .collect();
        let street = code
            .township_kind()
            .is_some_and(|k| k == shouhu_domain::TownshipKind::Subdistrict);
        for k in 1..=VILLAGES_PER_TOWNSHIP {
            let (number, word) = if street {
                (k, "社区")
            } else {
                (199 + k, "村")
            };
            let village = format!("{}{number:03}", &t.code[..9]);
            if known.contains(&village) {
                continue;
            }
            let new = NewRegion {
                code: RegionCode::parse(&village).map_err(|_| StoreError::Seed(village))?,
                name: format!("{}第{k}{word}", t.name),
            };
            regions::create(conn, op, new)?;
        }
    }
    Ok(())
}

/// Schools beyond the demo's ten, spread over the townships, with classes for `class_size`.
fn add_schools(
    conn: &mut shouhu_store::Conn,
    op: &Scope,
    townships: &[regions::Region],
    args: &ChildrenArgs,
) -> shouhu_store::StoreResult<()> {
    let existing = schools::list(conn, op, &county_schools()?)?.len();
    let per_school = args.children / args.schools.max(1);
    let year = SchoolYear::containing(today_shanghai());
    const KINDS: [(SchoolKind, &str); 4] = [
        (SchoolKind::Primary, "小学"),
        (SchoolKind::Primary, "小学"),
        (SchoolKind::NineYear, "九年一贯制学校"),
        (SchoolKind::Junior, "中学"),
    ];
    for i in 0..args.schools.saturating_sub(existing) {
        let township = &townships[i % townships.len()];
        let (kind, word) = KINDS[i % KINDS.len()];
        let input = SchoolInput {
            code: format!("52240{:05}", 20_001 + i),
            name: format!("{}第{}{word}", township.name, i / townships.len() + 1),
            region: RegionCode::parse(&township.code)
                .map_err(|_| StoreError::Seed(township.code.clone()))?,
            kind,
            boarding: kind != SchoolKind::Primary,
            hotline: None,
            address: None,
        };
        let school = schools::create(conn, op, &input)?;
        let grades = demo::grades_of(kind);
        let per_grade = (per_school / args.class_size.max(1) / grades.len().max(1)).max(1);
        for grade in grades {
            for n in 1..=per_grade {
                let class = ClassInput {
                    school_id: school.id,
                    school_year: year,
                    grade,
                    name: format!("{grade}（{n}）班"),
                    head_teachers: vec![],
                };
                classes::create(conn, op, &class)?;
            }
        }
    }
    Ok(())
}

fn county_schools() -> shouhu_store::StoreResult<SchoolFilter> {
    Ok(SchoolFilter {
        region: Some(
            RegionCode::parse(demo::COUNTY)
                .map_err(|_| StoreError::Seed(demo::COUNTY.to_owned()))?,
        ),
        name_contains: None,
    })
}

/// Every class of the county, each with its share of the children, and one generator per school
/// drawing from the villages of its township.
fn plan(
    conn: &mut shouhu_store::Conn,
    op: &Scope,
    args: &ChildrenArgs,
) -> shouhu_store::StoreResult<(Vec<Slot>, Vec<Generator>)> {
    let mut slots = Vec::new();
    let mut generators = Vec::new();
    for school in schools::list(conn, op, &county_schools()?)? {
        let setting = Setting {
            villages: demo::villages_near(conn, &school.region()?)?,
            today: today_shanghai(),
        };
        let seed = args.seed.wrapping_add(school.id.unsigned_abs());
        generators.push(Generator::new(seed, setting));
        for view in classes::list(conn, op, school.id)? {
            slots.push(Slot {
                at: Placement {
                    school_id: school.id,
                    class_id: Some(view.class.id),
                },
                ages: demo::ages_in_grade(view.class.grade),
                count: 0,
                generator: generators.len() - 1,
            });
        }
    }
    let n = slots.len().max(1);
    for (i, slot) in slots.iter_mut().enumerate() {
        slot.count = args.children / n + usize::from(i < args.children % n);
    }
    Ok((slots, generators))
}

// ---------------------------------------------------------------------------------------------
// Cases

struct Case {
    label: String,
    scope: Scope,
    filter: ChildFilter,
}

fn scope_of(store: &Store, username: &str) -> anyhow::Result<Scope> {
    store
        .with_conn(|conn| {
            let user = users::find_for_login(conn, username)?.ok_or(StoreError::NotFound)?;
            users::scope_for(conn, &user, None)
        })
        .with_context(|| format!("the demo account {username}"))
}

fn page(store: &Store, scope: &Scope, filter: &ChildFilter) -> anyhow::Result<ChildPage> {
    Ok(store.with_conn(|conn| children::list(conn, scope, filter))?)
}

fn cases(
    store: &Store,
    shell: &Shell,
    db: &Path,
    args: &ChildrenArgs,
) -> anyhow::Result<Vec<Case>> {
    let bureau = scope_of(store, "bureau")?;
    let minzheng = scope_of(store, "minzheng")?;
    let principal = scope_of(store, "principal")?;
    let teacher = scope_of(store, "teacher1")?;

    let county_search = ChildFilter {
        caliber: Some(Caliber::Mca),
        q: Some("zh".to_owned()),
        ..Default::default()
    };
    // Follow the cursor chain to the deep page.
    let mut deep = county_search.clone();
    let mut reached = 1;
    while reached < args.deep_page {
        let Some(next) = page(store, &bureau, &deep)?.next else {
            break;
        };
        deep.after = Some(next);
        reached += 1;
    }
    // A character from the middle of teacher1's class, as a teacher would type it.
    let class = page(store, &teacher, &ChildFilter::default())?;
    let name_part = class
        .items
        .get(class.items.len() / 2)
        .and_then(|c| c.name.chars().next())
        .map(String::from)
        .context("teacher1's class has no children")?;
    let count: usize = shell
        .scalar(db, "SELECT count(*) FROM children;")?
        .parse()?;
    let last4 = shell.scalar(
        db,
        &format!(
            "SELECT id_last4 FROM children WHERE id_last4 IS NOT NULL ORDER BY id LIMIT 1 OFFSET {};",
            count / 2
        ),
    )?;
    let care = |code: &str| ChildFilter {
        care_arrangement: Some(code.to_owned()),
        ..Default::default()
    };
    let named = ChildFilter {
        q: Some(name_part.clone()),
        ..Default::default()
    };
    Ok(vec![
        Case {
            label: "(a) county (bureau), no filter, page 1".to_owned(),
            scope: bureau.clone(),
            filter: ChildFilter::default(),
        },
        Case {
            label: "(a) county (bureau), caliber=mca + `zh`, page 1".to_owned(),
            scope: bureau.clone(),
            filter: county_search,
        },
        Case {
            label: format!("(a) county (bureau), caliber=mca + `zh`, page {reached}"),
            scope: bureau.clone(),
            filter: deep,
        },
        Case {
            label: "(a) county (bureau), one letter `l` as typed, page 1".to_owned(),
            scope: bureau.clone(),
            filter: ChildFilter {
                q: Some("l".to_owned()),
                ..Default::default()
            },
        },
        Case {
            label: format!("(b) head teacher (teacher1, one class), name `{name_part}`"),
            scope: teacher,
            filter: named.clone(),
        },
        Case {
            label: format!("(b) principal (one school), name `{name_part}`"),
            scope: principal,
            filter: named,
        },
        Case {
            label: "(c) township (civil_affairs), care=unattended".to_owned(),
            scope: minzheng.clone(),
            filter: care("unattended"),
        },
        Case {
            label: "(c) township (civil_affairs), care=grandparents".to_owned(),
            scope: minzheng,
            filter: care("grandparents"),
        },
        Case {
            label: format!("(d) county (bureau), ID ending `{last4}`"),
            scope: bureau,
            filter: ChildFilter {
                q: Some(last4),
                ..Default::default()
            },
        },
    ])
}

// ---------------------------------------------------------------------------------------------
// The plain SQL of `children::list`

/// The statements `children::list` runs for one page, with named parameters (`:p1`…) whose
/// values are kept as SQL literals.
#[derive(Default)]
struct Sql {
    statements: Vec<String>,
    params: Vec<String>,
}

impl Sql {
    fn bind(&mut self, literal: String) -> String {
        self.params.push(literal);
        format!(":p{}", self.params.len())
    }

    fn bind_text(&mut self, s: &str) -> String {
        self.bind(format!("'{}'", s.replace('\'', "''")))
    }

    fn push(&mut self, wheres: &[String], limit: &str) {
        let mut text = SELECT.to_owned();
        if !wheres.is_empty() {
            text.push_str(" WHERE ");
            text.push_str(&wheres.join(" AND "));
        }
        text.push_str(" ORDER BY children.name_pinyin, children.id LIMIT ");
        text.push_str(limit);
        text.push(';');
        self.statements.push(text);
    }

    /// Every statement of the page, on one line.
    fn text(&self) -> String {
        self.statements.join(" ")
    }

    /// Shell commands binding the parameters.
    fn parameters(&self) -> anyhow::Result<String> {
        let mut out = String::from(".parameter init\n");
        for (i, value) in self.params.iter().enumerate() {
            // The shell reads a double-quoted argument with backslash escapes.
            if value.contains(['"', '\\', '\n']) {
                bail!("parameter {value} cannot be passed to the sqlite3 shell");
            }
            writeln!(out, ".parameter set :p{} \"{value}\"", i + 1)?;
        }
        Ok(out)
    }
}

const SELECT: &str = "SELECT children.id, children.school_id, schools.name, children.class_id, \
    classes.name, classes.grade, children.name, children.name_pinyin, children.sex, \
    children.birth_date, children.schooling, children.care_arrangement, children.rating, \
    children.tags, children.key_child, children.lb_mca, children.lb_xueji, children.lb_census, \
    children.lb_as_of, children.completeness, children.version \
    FROM ((children INNER JOIN schools ON children.school_id = schools.id) \
    LEFT OUTER JOIN classes ON children.class_id = classes.id)";

/// The statements `children::list` (crates/shouhu-store/src/children/list.rs) runs for `scope`
/// and `filter`, clause for clause, for the filters the cases use (others are refused rather
/// than left out). It must follow that file: the cases check that these statements return the
/// store's page, but a plan can change without the rows changing.
fn plain_sql(scope: &Scope, filter: &ChildFilter) -> anyhow::Result<Sql> {
    let mut sql = Sql::default();
    let limit = filter.limit.unwrap_or(50).clamp(1, 500) + 1;
    match filter.q.as_deref().and_then(search) {
        Some(Search::Pinyin(p)) => {
            // The full pinyin's range; then, for two letters or more, the initials' range;
            // merged in Rust.
            let mut wheres = filtered(&mut sql, scope, filter)?;
            wheres.push(format!("children.name_pinyin >= {}", sql.bind_text(&p)));
            if let Some(end) = prefix_end(&p) {
                wheres.push(format!("children.name_pinyin < {}", sql.bind_text(&end)));
            }
            let page = sql.bind(limit.to_string());
            sql.push(&wheres, &page);
            if p.len() > 1 {
                let mut wheres = filtered(&mut sql, scope, filter)?;
                wheres.push(format!("children.name_initials >= {}", sql.bind_text(&p)));
                if let Some(end) = prefix_end(&p) {
                    wheres.push(format!("children.name_initials < {}", sql.bind_text(&end)));
                }
                let page = sql.bind(limit.to_string());
                sql.push(&wheres, &page);
            }
        }
        other => {
            let mut wheres = filtered(&mut sql, scope, filter)?;
            match other {
                Some(Search::IdTail(tail)) => {
                    let p = sql.bind_text(&tail[tail.len() - 4..]);
                    wheres.push(format!("children.id_last4 = {p}"));
                }
                Some(Search::Name(name)) => {
                    let escaped = name
                        .replace('\\', "\\\\")
                        .replace('%', "\\%")
                        .replace('_', "\\_");
                    let p = sql.bind_text(&format!("%{escaped}%"));
                    wheres.push(format!("children.name LIKE {p} ESCAPE '\\'"));
                }
                _ => {}
            }
            let limit = sql.bind(limit.to_string());
            sql.push(&wheres, &limit);
        }
    }
    Ok(sql)
}

/// The scope and filter clauses every statement of a page shares (`filtered!` in the store).
fn filtered(sql: &mut Sql, scope: &Scope, filter: &ChildFilter) -> anyhow::Result<Vec<String>> {
    let mut wheres: Vec<String> = Vec::new();
    if let Some(school) = scope.school {
        let p = sql.bind(school.to_string());
        wheres.push(format!("children.school_id = {p}"));
    } else if let Some(root) = &scope.region {
        if root.level() <= RegionLevel::County {
            // The store tests a county's (or wider) prefix per row, so that no region index
            // can take the test and the pinyin index is walked in order.
            let prefix = root.prefix();
            let (s1, l1, p1) = (
                sql.bind("1".to_owned()),
                sql.bind(prefix.len().to_string()),
                sql.bind_text(prefix),
            );
            let (s2, l2, p2) = (
                sql.bind("1".to_owned()),
                sql.bind(prefix.len().to_string()),
                sql.bind_text(prefix),
            );
            wheres.push(format!(
                "((substr(children.school_region, {s1}, {l1}) = {p1}) OR \
                 (substr(children.residence_region, {s2}, {l2}) = {p2}))"
            ));
        } else {
            let (lo, hi) = scope.region_bounds();
            let (a, b) = (sql.bind_text(&lo), sql.bind_text(&hi));
            let (c, d) = (sql.bind_text(&lo), sql.bind_text(&hi));
            wheres.push(format!(
                "((children.school_region BETWEEN {a} AND {b}) OR \
                 (children.residence_region BETWEEN {c} AND {d}))"
            ));
        }
    }
    if let Some(allowed) = &scope.classes {
        let ps: Vec<String> = allowed.iter().map(|id| sql.bind(id.to_string())).collect();
        wheres.push(format!("children.class_id IN ({})", ps.join(", ")));
    }
    if filter.school_id.is_some()
        || filter.class_id.is_some()
        || filter.rating.is_some()
        || filter.schooling.is_some()
        || filter.tag.is_some()
        || filter.key_child.is_some()
    {
        bail!("plain_sql covers the benchmark's filters only");
    }
    match filter.caliber {
        Some(Caliber::Mca) => {
            let p = sql.bind("1".to_owned());
            wheres.push(format!("children.lb_mca = {p}"));
        }
        Some(_) => bail!("plain_sql covers caliber=mca only"),
        None => {}
    }
    if let Some(v) = &filter.care_arrangement {
        let p = sql.bind_text(v);
        wheres.push(format!("children.care_arrangement = {p}"));
    }
    if let Some(after) = &filter.after {
        let (id, pinyin) = after.split_once('.').context("cursor")?;
        let a = sql.bind_text(pinyin);
        let b = sql.bind_text(pinyin);
        let c = sql.bind(id.parse::<i64>().context("cursor id")?.to_string());
        wheres.push(format!(
            "((children.name_pinyin > {a}) OR \
             ((children.name_pinyin = {b}) AND (children.id > {c})))"
        ));
    }
    Ok(wheres)
}

// ---------------------------------------------------------------------------------------------
// The sqlite3 shell

struct Shell {
    path: PathBuf,
    version: String,
}

impl Shell {
    fn find(path: &Path) -> anyhow::Result<Shell> {
        let how = "the benchmark times the sqlite3 shell on the same database as its anchor; \
                   install it (Debian/Ubuntu: apt-get install sqlite3) or name it with --sqlite3 PATH";
        let out = Command::new(path)
            .arg("-version")
            .output()
            .with_context(|| format!("cannot run {}: {how}", path.display()))?;
        if !out.status.success() {
            bail!("{} -version failed: {how}", path.display());
        }
        let version = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .next()
            .unwrap_or("?")
            .to_owned();
        Ok(Shell {
            path: path.to_path_buf(),
            version,
        })
    }

    /// Runs `script` on `db` (from a file beside it, as scripts get long) and returns stdout.
    fn script(&self, db: &Path, script: &str) -> anyhow::Result<String> {
        let file = PathBuf::from(format!("{}.bench.sql", db.display()));
        std::fs::write(&file, script).context("writing the sqlite3 script")?;
        let input = std::fs::File::open(&file)?;
        let out = Command::new(&self.path)
            .arg("-batch")
            .arg("-bail")
            .arg(db)
            .stdin(Stdio::from(input))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .with_context(|| format!("running {}", self.path.display()))?;
        let _ = std::fs::remove_file(&file);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() || !stderr.trim().is_empty() {
            bail!("sqlite3 failed: {}", stderr.trim());
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn scalar(&self, db: &Path, sql: &str) -> anyhow::Result<String> {
        Ok(self.script(db, sql)?.trim().to_owned())
    }

    /// The page the statements return: their rows merged by pinyin and id, one row per id,
    /// as `children::list` merges its two search branches. Returns the ids.
    fn ids(&self, db: &Path, sql: &Sql) -> anyhow::Result<Vec<i64>> {
        let script = format!(
            "{}.mode list\n.headers off\n{}\n",
            sql.parameters()?,
            sql.text()
        );
        let mut rows: Vec<(String, i64)> = self
            .script(db, &script)?
            .lines()
            .map(|l| {
                let fields: Vec<&str> = l.split('|').collect();
                let id = fields.first().and_then(|f| f.parse().ok());
                let pinyin = fields.get(7).map(|f| (*f).to_owned());
                pinyin.zip(id).with_context(|| format!("sqlite3 row {l}"))
            })
            .collect::<anyhow::Result<_>>()?;
        rows.sort();
        rows.dedup_by_key(|r| r.1);
        Ok(rows.into_iter().map(|r| r.1).collect())
    }

    fn plan(&self, db: &Path, sql: &Sql) -> anyhow::Result<String> {
        let explain: Vec<String> = sql
            .statements
            .iter()
            .map(|s| format!("EXPLAIN QUERY PLAN {s}"))
            .collect();
        let script = format!("{}{}\n", sql.parameters()?, explain.join("\n"));
        Ok(self.script(db, &script)?.trim_end().to_owned())
    }

    /// Time per page (all its statements), one sample per line of `repeats` copies (the shell
    /// times a line as a whole, to the millisecond); the first line warms the cache and is
    /// dropped.
    fn time(
        &self,
        db: &Path,
        sql: &Sql,
        repeats: usize,
        samples: usize,
    ) -> anyhow::Result<Vec<Duration>> {
        let line = format!("{}\n", sql.text().repeat(repeats));
        let script = format!(
            "{}.output /dev/null\n.timer on\n{}",
            sql.parameters()?,
            line.repeat(samples + 1)
        );
        let out = self.script(db, &script)?;
        let times: Vec<Duration> = out
            .lines()
            .filter_map(|l| l.strip_prefix("Run Time: real "))
            .filter_map(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
            .map(|secs| Duration::from_secs_f64(secs / repeats as f64))
            .collect();
        if times.len() != samples + 1 {
            bail!(
                "sqlite3 printed {} timings, not {}",
                times.len(),
                samples + 1
            );
        }
        Ok(times.into_iter().skip(1).collect())
    }

    /// The shell's own cost per statement: an empty query, timed the same way.
    fn empty_statement(&self, db: &Path) -> anyhow::Result<Duration> {
        let sql = Sql {
            statements: vec!["SELECT 1 WHERE 0;".to_owned()],
            params: Vec::new(),
        };
        let mut t = self.time(db, &sql, 1000, 5)?;
        Ok(median(&mut t))
    }
}

// ---------------------------------------------------------------------------------------------
// Measuring and reporting

struct Measured {
    label: String,
    rows: usize,
    more: bool,
    ours: Vec<Duration>,
    theirs: Vec<Duration>,
    repeats: usize,
    plan: String,
    sql: String,
}

fn measure(
    store: &Store,
    shell: &Shell,
    db: &Path,
    case: Case,
    runs: usize,
) -> anyhow::Result<Measured> {
    let sql = plain_sql(&case.scope, &case.filter)?;
    let first = page(store, &case.scope, &case.filter)?;
    let ours_ids: Vec<i64> = first.items.iter().map(|c| c.id).collect();
    let theirs_ids = shell.ids(db, &sql)?;
    let page_len = ours_ids.len();
    if theirs_ids.get(..page_len) != Some(&ours_ids[..])
        || first.next.is_some() != (theirs_ids.len() > page_len)
    {
        bail!(
            "{}: the plain SQL does not return the store's page ({} rows vs {})",
            case.label,
            theirs_ids.len(),
            ours_ids.len()
        );
    }
    let runs = runs.max(1);
    // Warm-up, which also sizes the shell's samples.
    let mut warm = time_list(store, &case, 3)?;
    let typical = median(&mut warm);
    let repeats = usize::try_from(SAMPLE_TARGET.as_nanos() / typical.as_nanos().max(1))
        .unwrap_or(MAX_REPEATS)
        .clamp(1, MAX_REPEATS);
    // Both sides take turns, so that other work on the machine weighs on them alike.
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let n = runs * (round + 1) / ROUNDS - runs * round / ROUNDS;
        if n > 0 {
            ours.extend(time_list(store, &case, n)?);
            theirs.extend(shell.time(db, &sql, repeats, n)?);
        }
    }
    Ok(Measured {
        label: case.label,
        rows: page_len,
        more: first.next.is_some(),
        ours,
        theirs,
        repeats,
        plan: shell.plan(db, &sql)?,
        sql: sql.statements.join("\n"),
    })
}

/// `runs` calls of `children::list` for the case, each timed on its own.
fn time_list(store: &Store, case: &Case, runs: usize) -> anyhow::Result<Vec<Duration>> {
    Ok(store.with_conn(|conn| {
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            let page = children::list(conn, &case.scope, &case.filter)?;
            times.push(t.elapsed());
            std::hint::black_box(page);
        }
        Ok(times)
    })?)
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

/// The nearest-rank 95th percentile.
fn p95(times: &mut [Duration]) -> Duration {
    times.sort();
    let rank = (times.len() * 95).div_ceil(100).max(1);
    times.get(rank - 1).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

fn ratio(a: Duration, b: Duration) -> String {
    if b.is_zero() {
        return "—".to_owned();
    }
    format!("{:.2}×", a.as_secs_f64() / b.as_secs_f64())
}

struct Report {
    total: usize,
    schools: usize,
    classes: usize,
    bytes: u64,
    load: Option<LoadStats>,
    shell_version: String,
    overhead: Duration,
    /// One-minute load average before and after the timings.
    busy: [Option<f64>; 2],
    runs: usize,
    results: Vec<Measured>,
}

impl Report {
    fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) -> std::fmt::Result {
        writeln!(
            out,
            "{} children in {} schools, {} classes; database {:.0} MB.",
            self.total,
            self.schools,
            self.classes,
            self.bytes as f64 / 1e6
        )?;
        if let Some(load) = &self.load {
            let secs = load.elapsed.as_secs_f64();
            writeln!(
                out,
                "Load: {} children through `children::create` in {:.0} s ({:.0} children/s, \
                 {BATCH} per transaction; {} duplicate draws redrawn); regions, schools and \
                 classes before that took {:.1} s.",
                load.children,
                secs,
                load.children as f64 / secs.max(1e-9),
                load.redrawn,
                load.setup.as_secs_f64()
            )?;
        }
        writeln!(
            out,
            "\n{} timed runs per case after 3 warm-up runs, taken in {ROUNDS} alternating turns \
             (ours: each call to `children::list`; sqlite3 {}: each sample is one line of N \
             copies of the page's statements, timed by `.timer on`, divided by N, after one \
             warm-up line per turn; the shell's own cost for an empty statement is {:.1} µs).\n",
            self.runs,
            self.shell_version,
            self.overhead.as_secs_f64() * 1e6
        )?;
        if let [Some(before), Some(after)] = self.busy {
            let cpus = std::thread::available_parallelism().map_or(0, usize::from);
            writeln!(
                out,
                "Load average {before:.2} before the timings and {after:.2} after, on {cpus} CPUs.\n"
            )?;
        }
        writeln!(
            out,
            "| case | rows | ours median | ours p95 | sqlite3 median | sqlite3 p95 | ratio median | ratio p95 | < 50 ms |"
        )?;
        writeln!(out, "|---|--:|--:|--:|--:|--:|--:|--:|:-:|")?;
        for r in &self.results {
            let (mut ours, mut theirs) = (r.ours.clone(), r.theirs.clone());
            let (om, op) = (median(&mut ours), p95(&mut ours));
            let (tm, tp) = (median(&mut theirs), p95(&mut theirs));
            writeln!(
                out,
                "| {} | {}{} | {} | {} | {} | {} | {} | {} | {} |",
                r.label,
                r.rows,
                if r.more { "+" } else { "" },
                ms(om),
                ms(op),
                ms(tm),
                ms(tp),
                ratio(om, tm),
                ratio(op, tp),
                if op < TARGET { "yes" } else { "**no**" }
            )?;
        }
        writeln!(out, "\nQuery plans (sqlite3 {}):\n", self.shell_version)?;
        for r in &self.results {
            writeln!(
                out,
                "{} (×{} per sqlite3 sample)\n```\n{}\n{}\n```",
                r.label, r.repeats, r.sql, r.plan
            )?;
        }
        Ok(())
    }
}
