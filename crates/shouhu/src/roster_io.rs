//! `shouhu import roster` and `shouhu export roster`: the local operator's roster import (one
//! summary line, a report sheet on request) and export of any region or school.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use shouhu_domain::{RegionCode, today_shanghai};
use shouhu_roster::Form;
use shouhu_store::children::{ChildFilter, ExportRequest};
use shouhu_store::{Scope, schools};
use shouhu_web::rosters::{
    ExportFormat, ExportSpec, ImportSpec, Source, error_sheet, export_roster, import_roster,
};

use crate::cli::DbArgs;

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Import a roster (.xlsx, .xls or .csv): prints `imported N, updated M, unchanged U,
    /// rejected R`; exits 1 when rows were rejected and nothing was written.
    Roster(ImportArgs),
}

#[derive(Subcommand)]
pub enum ExportCommand {
    /// Export the children of a region or school as a roster sheet.
    Roster(ExportArgs),
}

#[derive(Args)]
pub struct ImportArgs {
    file: PathBuf,
    /// 学校标识码 of the school for rows without a 学校 column.
    #[arg(long)]
    school: Option<String>,
    /// Check and count everything, write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Write the rows that were taken even though others were rejected.
    #[arg(long)]
    skip_rejected: bool,
    /// Write the sheet back with a 错误说明 column saying what is wrong with each rejected row.
    #[arg(long)]
    report: Option<PathBuf>,
    /// The day values are judged on (YYYY-MM-DD); today in Asia/Shanghai when absent.
    #[arg(long)]
    date: Option<chrono::NaiveDate>,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Args)]
pub struct ExportArgs {
    /// A region code (6, 9 or 12 digits) or a school's 学校标识码 (10 digits).
    #[arg(long)]
    scope: String,
    /// `xlsx`, `csv` (UTF-8 with BOM) or `csv-gbk`.
    #[arg(long, default_value = "xlsx")]
    format: String,
    /// `mca` (民政 农村留守儿童花名册) or `xueji` (学籍-style).
    #[arg(long, default_value = "mca")]
    form: String,
    /// Include full ID numbers, phones and addresses (needs --purpose; audit-logged).
    #[arg(long)]
    with_sensitive: bool,
    #[arg(long, default_value = "")]
    purpose: String,
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    db: DbArgs,
}

/// Runs an import; an error (exit status 1) when rows were rejected and nothing was written.
pub fn import(args: ImportArgs) -> anyhow::Result<()> {
    let store = args.db.open()?;
    let scope = Scope::local_operator();
    let default_school = match &args.school {
        Some(code) => Some(
            store
                .with_conn(|conn| schools::id_by_code(conn, code))?
                .with_context(|| format!("no school with 学校标识码 {code}"))?,
        ),
        None => None,
    };
    let file_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let spec = ImportSpec {
        source: Source::File(&args.file),
        file_name: &file_name,
        default_school,
        write: !args.dry_run,
        skip_rejected: args.skip_rejected,
        today: args.date.unwrap_or_else(today_shanghai),
    };
    let show = std::io::stderr().is_terminal();
    let key = store.key();
    let report = store
        .with_conn(|conn| {
            let mut reported = 0;
            Ok(import_roster(conn, &scope, &key, &spec, &mut |done, _| {
                // A terminal gets a live count; a log gets a line per 10,000 rows.
                if show {
                    eprint!("\r{done} rows…");
                } else if done >= reported + 10_000 {
                    reported = done - done % 10_000;
                    eprintln!("{done} rows…");
                }
            }))
        })?
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if show {
        eprintln!();
    }
    // Without the cell's value: stderr ends up in logs, and the value may be an ID number or a
    // phone. The row and column find it; `--report` writes the sheet back with the reasons.
    for p in report.problems.iter().take(50) {
        eprintln!("第 {} 行“{}”：{}", p.sheet_row, p.column, p.message);
    }
    if report.problems.len() > 50 {
        eprintln!("… and {} more problems", report.problems.len() - 50);
    }
    for c in &report.summary.new_classes {
        eprintln!("new class: {} {}", c.school, c.name);
    }
    if !report.unknown_columns.is_empty() {
        eprintln!("columns not read: {}", report.unknown_columns.join(", "));
    }
    if let Some(out) = &args.report {
        let sheet = error_sheet(Source::File(&args.file), &file_name, &report.problems)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        std::fs::write(out, sheet).with_context(|| format!("cannot write {}", out.display()))?;
    }
    let s = &report.summary;
    if s.written {
        println!("{}", report.summary_line());
        // Kept out of the import itself, so its timing is the import's: see BENCHMARKS.md.
        eprintln!(
            "duties for these files follow at the nightly run, or now with `shouhu jobs run duties`"
        );
    } else {
        println!(
            "imported 0, updated 0, unchanged 0, rejected {} (nothing written)",
            s.rejected
        );
        let would = format!(
            "would import {}, update {}, leave {} unchanged",
            s.imported, s.updated, s.unchanged
        );
        if s.rejected > 0 {
            bail!(
                "{} rows rejected, so nothing was written ({would}); fix them or pass --skip-rejected",
                s.rejected
            );
        }
        eprintln!("dry run: {would}");
    }
    Ok(())
}

pub fn export(args: ExportArgs) -> anyhow::Result<()> {
    let store = args.db.open()?;
    let form = Form::parse(&args.form).context("--form is mca or xueji")?;
    let format = ExportFormat::parse(&args.format).context("--format is xlsx, csv or csv-gbk")?;
    let mut scope = Scope::local_operator();
    let mut filter = ChildFilter::default();
    if args.scope.len() == 10 {
        let id = store
            .with_conn(|conn| schools::id_by_code(conn, &args.scope))?
            .with_context(|| format!("no school with 学校标识码 {}", args.scope))?;
        filter.school_id = Some(id);
    } else {
        let region = RegionCode::parse(&args.scope)
            .map_err(|e| anyhow::anyhow!("--scope {}: {e}", args.scope))?;
        scope.region = Some(region);
    }
    if args.with_sensitive && args.purpose.trim().is_empty() {
        bail!("--with-sensitive needs --purpose (it is written to the audit log)");
    }
    let spec = ExportSpec {
        form,
        format,
        request: ExportRequest {
            filter,
            with_sensitive: args.with_sensitive,
            purpose: args.purpose.clone(),
            description: String::new(),
        },
        today: today_shanghai(),
    };
    let out = std::fs::File::create(&args.out)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    let key = store.key();
    let n = store.with_conn(|conn| export_roster(conn, &scope, &key, &spec, out))?;
    println!("exported {n} children to {}", args.out.display());
    Ok(())
}
