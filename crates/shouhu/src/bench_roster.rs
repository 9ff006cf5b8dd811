//! `shouhu bench roster`: roster import and export through the command line, each beside an
//! anchor timed in the same run on the same data.
//!
//! Three synthetic 花名册 sheets, no bad rows: CSV A and CSV B of `--rows` children each and XLSX
//! C of `--xlsx-rows`, no child in two of them (the generator's seeds draw ID numbers
//! independently, so a later sheet skips the few already drawn). Two databases get the national
//! region table and the schools the sheets name. Then `shouhu import roster` and `shouhu export
//! roster` run as child processes of this very binary under GNU time (for their peak RSS):
//!
//! - A into the empty database 1, then B into database 1 now full, each beside the `sqlite3`
//!   shell's `.import` of the same file into a table of the sheet's columns with as many indexes
//!   as `children` has (the anchor table empty, then holding A);
//! - C into the empty database 2 and into the full database 1, beside calamine alone reading C;
//!   and, for comparison only, the shell's `.import` of C's rows (written again as CSV) into an
//!   empty indexed table and into the one holding A and B, beside the same read;
//! - database 2 exported to xlsx, beside rust_xlsxwriter alone writing the exported cells;
//! - for comparison only, SQLite alone writing the children and revisions the xlsx import wrote
//!   (copied from database 2) into an empty database and into database 1, beside the same read.
//!
//! Wall times are taken around each child process (start-up included, as a user waits for it);
//! the in-process anchors are the median of three runs. Every summary line (and the anchor
//! table's row count) is checked before anything is reported.

mod anchors;
mod data;
mod floor;
mod process;
mod report;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;

use self::process::{Run, TIME, WorkDir, timed};
use self::report::{Line, Report, Target};

#[derive(Args)]
pub struct RosterArgs {
    /// Rows of each CSV sheet (A and B).
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
    /// Rows of the xlsx sheet (C).
    #[arg(long, default_value_t = 100_000)]
    xlsx_rows: usize,
    /// Seed of sheet A; B and C take the next two.
    #[arg(long, default_value_t = 20_261_202)]
    seed: u64,
    /// Directory for the sheets and databases, kept afterwards (it must be empty or absent); a
    /// temporary one, removed at the end, when absent.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The sqlite3 shell used as the CSV anchor.
    #[arg(long, default_value = "sqlite3")]
    sqlite3: PathBuf,
}

/// The day the generated rows are judged on (they are made as of 2026-09-01).
const DATE: &str = "2026-09-15";
/// Runs of each in-process anchor; the median is reported.
const ANCHOR_RUNS: usize = 3;

pub fn run(args: &RosterArgs) -> anyhow::Result<()> {
    if args.rows == 0 || args.xlsx_rows == 0 {
        bail!("--rows and --xlsx-rows must be at least 1");
    }
    let exe = std::env::current_exe().context("the running binary")?;
    if !Path::new(TIME).exists() {
        bail!("{TIME} (GNU time) is needed for peak memory: apt-get install time");
    }
    let shell = anchors::Shell::find(&args.sqlite3)?;
    let dir = WorkDir::new(args.dir.as_deref())?;
    let at = |name: &str| dir.path.join(name);
    let (a, b, c) = (at("a.csv"), at("b.csv"), at("c.xlsx"));
    let (db1, db2, anchor_db) = (at("db1"), at("db2"), at("anchor.sqlite3"));
    let (c_csv, anchor_c) = (at("c.csv"), at("anchor-c.sqlite3"));

    let started = Instant::now();
    let mut taken = data::Taken::default();
    let mut before_c = data::Taken::default();
    for (path, rows, seed) in [
        (&a, args.rows, args.seed),
        (&b, args.rows, args.seed.wrapping_add(1)),
        (&c, args.xlsx_rows, args.seed.wrapping_add(2)),
        (&c_csv, args.xlsx_rows, args.seed.wrapping_add(2)),
    ] {
        if path == &c {
            before_c = taken.clone();
        } else if path == &c_csv {
            // C's very rows again, as CSV, for the shell: the same draws from the same taken set.
            taken = std::mem::take(&mut before_c);
        }
        let skipped = data::write_sheet(path, rows, seed, &mut taken)?;
        eprintln!(
            "wrote {} ({rows} rows; {skipped} children skipped, drawn for an earlier sheet)",
            path.display()
        );
    }
    drop(taken);
    for db in [&db1, &db2] {
        data::new_database(db)?;
    }
    let header = data::csv_header(&a)?;
    shell.create_table(&anchor_db, &header)?;
    shell.create_table(&anchor_c, &header)?;
    eprintln!(
        "sheets and databases ready in {:.0} s",
        started.elapsed().as_secs_f64()
    );

    let load_before = report::load_average();
    let mut lines = Vec::new();
    for (sheet, label, before) in [(&a, "empty", 0), (&b, "full", args.rows)] {
        eprintln!("sqlite3 .import {}", sheet.display());
        let theirs = shell.import(&anchor_db, sheet, &dir.path)?;
        let count = shell.count(&anchor_db)?;
        if count != before + args.rows {
            bail!(
                "sqlite3 .import left {count} rows, not {}",
                before + args.rows
            );
        }
        eprintln!("shouhu import roster {}", sheet.display());
        let ours = import(&exe, sheet, &db1, &dir.path, args.rows)?;
        lines.push(Line {
            case: format!("CSV import into {label} database ({before} children before)"),
            rows: args.rows,
            ours,
            anchor: "`sqlite3 .import` of the same file".to_owned(),
            theirs,
            target: Target::RateAtLeast(0.6),
        });
    }

    eprintln!("calamine reading {}", c.display());
    let read = median_of(|| anchors::calamine_read(&c, args.xlsx_rows))?;
    for (db, label, before) in [(&db2, "empty", 0), (&db1, "full", 2 * args.rows)] {
        eprintln!("shouhu import roster {} into {}", c.display(), db.display());
        let ours = import(&exe, &c, db, &dir.path, args.xlsx_rows)?;
        lines.push(Line {
            case: format!("xlsx import into {label} database ({before} children before)"),
            rows: args.xlsx_rows,
            ours,
            anchor: "calamine alone reading the file".to_owned(),
            theirs: Run::of(read),
            target: Target::TimeAtMost(2.0),
        });
    }

    // Not a target: how the shell itself compares with calamine's read on C's rows, into the
    // indexed table empty and holding A and B, as the two xlsx cases import into.
    let mut xlsx_context = Vec::new();
    for (db, label, before) in [(&anchor_c, "empty", 0), (&anchor_db, "full", 2 * args.rows)] {
        eprintln!("sqlite3 .import {} into {}", c_csv.display(), db.display());
        let run = shell.import(db, &c_csv, &dir.path)?;
        let count = shell.count(db)?;
        if count != before + args.xlsx_rows {
            bail!(
                "sqlite3 .import left {count} rows, not {}",
                before + args.xlsx_rows
            );
        }
        xlsx_context.push(report::Context {
            case: format!(
                "`sqlite3 .import` of C's rows as CSV into the {label} table ({before} rows before)"
            ),
            rows: args.xlsx_rows,
            run,
            beside: "calamine alone reading C".to_owned(),
            anchor: read,
        });
    }

    let e = at("export.xlsx");
    eprintln!("shouhu export roster to {}", e.display());
    let ours = export(&exe, &db2, &e, &dir.path, args.xlsx_rows)?;
    let cells = anchors::read_back(&e, args.xlsx_rows)?;
    let written = at("anchor-export.xlsx");
    let write = median_of(|| anchors::xlsxwriter_write(&cells, &written))?;
    lines.push(Line {
        case: "xlsx export of database 2".to_owned(),
        rows: args.xlsx_rows,
        ours,
        anchor: "rust_xlsxwriter alone writing the same cells".to_owned(),
        theirs: Run::of(write),
        target: Target::TimeAtMost(1.5),
    });

    // Not a target either: SQLite alone writing the rows the xlsx import wrote (database 2
    // holds just those), into a new database and into database 1, whose size is taken first.
    let full_size = report::file_size(&db1.join("shouhu.sqlite3"));
    for (into, label, before) in [
        (at("floor.sqlite3"), "an empty database", 0),
        (
            db1.join("shouhu.sqlite3"),
            "database 1",
            2 * args.rows + args.xlsx_rows,
        ),
    ] {
        eprintln!("SQLite alone copying database 2's children into {label}");
        let copied = floor::copy_children(&into, &db2.join("shouhu.sqlite3"))?;
        xlsx_context.push(report::Context {
            case: format!(
                "SQLite alone writing the xlsx import's children and revisions into {label} \
                 ({before} children before): `INSERT … SELECT`, one transaction, the import's \
                 settings"
            ),
            rows: args.xlsx_rows,
            run: Run::of(copied),
            beside: "calamine alone reading C".to_owned(),
            anchor: read,
        });
    }
    let report = Report {
        shell_version: shell.version.clone(),
        load: [load_before, report::load_average()],
        sizes: [
            ("CSV A", report::file_size(&a)),
            ("xlsx C", report::file_size(&c)),
            ("export", report::file_size(&e)),
            ("database 1 after the imports", full_size),
        ],
        lines,
        context: xlsx_context,
    };
    print!("{}", report.markdown());
    if !dir.temporary {
        eprintln!("sheets and databases kept in {}", dir.path.display());
    }
    Ok(())
}

fn median_of(mut f: impl FnMut() -> anyhow::Result<Duration>) -> anyhow::Result<Duration> {
    let mut times = (0..ANCHOR_RUNS)
        .map(|_| f())
        .collect::<anyhow::Result<Vec<_>>>()?;
    times.sort();
    Ok(times[ANCHOR_RUNS / 2])
}

/// `shouhu import roster` of `sheet` into the data directory `db`, checked to import every row.
fn import(exe: &Path, sheet: &Path, db: &Path, work: &Path, rows: usize) -> anyhow::Result<Run> {
    let args: Vec<OsString> = vec![
        "import".into(),
        "roster".into(),
        sheet.into(),
        "--date".into(),
        DATE.into(),
        "--data-dir".into(),
        db.into(),
    ];
    let (run, out, _) = timed(exe, &args, work)?;
    let want = format!("imported {rows}, updated 0, unchanged 0, rejected 0");
    if !out.lines().any(|l| l.trim() == want) {
        bail!(
            "import of {} printed {:?}, not {want:?}",
            sheet.display(),
            out.trim()
        );
    }
    Ok(run)
}

/// `shouhu export roster` of every child in `db` (scope: 贵州省) to `out`, as xlsx.
fn export(exe: &Path, db: &Path, out: &Path, work: &Path, rows: usize) -> anyhow::Result<Run> {
    let args: Vec<OsString> = vec![
        "export".into(),
        "roster".into(),
        "--scope".into(),
        "520000000000".into(),
        "--format".into(),
        "xlsx".into(),
        "--out".into(),
        out.into(),
        "--data-dir".into(),
        db.into(),
    ];
    let (run, stdout, _) = timed(exe, &args, work)?;
    if !stdout.contains(&format!("exported {rows} children")) {
        bail!("export printed {:?}, not {rows} children", stdout.trim());
    }
    Ok(run)
}
