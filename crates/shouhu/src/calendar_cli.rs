//! `shouhu calendar import` and `shouhu calendar show`: the local operator loads a county's or
//! a school's calendar sheet, and prints the calendar in force with its school days per term.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use shouhu_domain::{Calendar, DayKind, RegionCode, SchoolYear};
use shouhu_roster::calendar_sheet::{CalendarSheetError, read_calendar, template};
use shouhu_store::calendars::{self, Effective, Owner, Source};
use shouhu_store::{Scope, Store, regions, schools};

use crate::cli::DbArgs;

#[derive(Subcommand)]
pub enum CalendarCommand {
    /// Load a calendar sheet (.xlsx, .xls or .csv with columns 类型, 名称, 开始日期, 结束日期)
    /// as a region's or a school's calendar for a school year, replacing the stored one.
    Import(ImportArgs),
    /// Print the calendar in force: terms with their school days, holidays, make-up days.
    Show(ShowArgs),
    /// Write a calendar sheet to fill in (an example year), or the stored one to edit.
    Template(TemplateArgs),
}

/// Whose calendar: a region or a school.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct OwnerArgs {
    /// A region code (6, 9 or 12 digits), normally the county's.
    #[arg(long)]
    region: Option<String>,
    /// A school's 学校标识码: its own calendar, replacing the county's.
    #[arg(long)]
    school: Option<String>,
}

#[derive(Args)]
pub struct ImportArgs {
    file: PathBuf,
    #[command(flatten)]
    owner: OwnerArgs,
    /// The school year, e.g. 2026-2027.
    #[arg(long)]
    year: String,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Args)]
pub struct ShowArgs {
    #[command(flatten)]
    owner: OwnerArgs,
    /// The school year, e.g. 2026-2027; the current one when absent.
    #[arg(long)]
    year: Option<String>,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Args)]
pub struct TemplateArgs {
    /// The school year, e.g. 2026-2027.
    #[arg(long)]
    year: String,
    /// Fill in the calendar stored for this owner instead of the example.
    #[command(flatten)]
    owner: TemplateOwner,
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Args)]
#[group(required = false, multiple = false)]
pub struct TemplateOwner {
    #[arg(long)]
    region: Option<String>,
    #[arg(long)]
    school: Option<String>,
}

pub fn run(command: CalendarCommand) -> anyhow::Result<()> {
    match command {
        CalendarCommand::Import(args) => import(args),
        CalendarCommand::Show(args) => show(args),
        CalendarCommand::Template(args) => write_template(args),
    }
}

fn school_year(raw: &str) -> anyhow::Result<SchoolYear> {
    SchoolYear::parse(raw).map_err(|e| anyhow::anyhow!("--year {raw}: {e}"))
}

/// The owner named on the command line, checked to exist.
fn owner(store: &Store, region: Option<&str>, school: Option<&str>) -> anyhow::Result<Owner> {
    match (region, school) {
        (Some(code), _) => {
            let code =
                RegionCode::parse(code).map_err(|e| anyhow::anyhow!("--region {code}: {e}"))?;
            Ok(Owner::Region(code))
        }
        (None, Some(code)) => {
            let id = store
                .with_conn(|conn| schools::id_by_code(conn, code))?
                .with_context(|| format!("no school with 学校标识码 {code}"))?;
            Ok(Owner::School(id))
        }
        (None, None) => bail!("give --region CODE or --school CODE"),
    }
}

/// The owner as people name it: 七星关区（520502000000）.
fn owner_name(store: &Store, owner: &Owner) -> anyhow::Result<String> {
    let scope = Scope::local_operator();
    Ok(match owner {
        Owner::Region(code) => {
            let names = store
                .with_conn(|conn| regions::names(conn, &scope, &[code.as_str().to_owned()]))?;
            let name = names.into_iter().next().map(|(_, n)| n).unwrap_or_default();
            format!("{name}（{code}）")
        }
        Owner::School(id) => {
            let school = store.with_conn(|conn| schools::get(conn, &scope, *id))?;
            format!("{}（{}）", school.name, school.code)
        }
    })
}

fn import(args: ImportArgs) -> anyhow::Result<()> {
    let year = school_year(&args.year)?;
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let file_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let calendar = match read_calendar(&bytes, &file_name, year) {
        Ok(calendar) => calendar,
        Err(CalendarSheetError::Problems(problems)) => {
            for p in &problems {
                eprintln!("{p}");
            }
            bail!(
                "{}: {} problems, nothing saved",
                args.file.display(),
                problems.len()
            );
        }
        Err(e) => bail!("{}: {e}", args.file.display()),
    };
    let store = args.db.open()?;
    let owner = owner(
        &store,
        args.owner.region.as_deref(),
        args.owner.school.as_deref(),
    )?;
    let scope = Scope::local_operator();
    // The operator replaces whatever is stored: the version read here is the one written over.
    let saved = store.with_conn(|conn| {
        let current = calendars::get(conn, &scope, &owner, year)?;
        calendars::save(conn, &scope, &owner, &calendar, current.map(|c| c.version))
    })?;
    println!(
        "{} {year}: saved (version {}), {}",
        owner_name(&store, &owner)?,
        saved.version,
        summary(&saved.calendar)
    );
    Ok(())
}

/// `2 terms (92 and 89 school days), 4 holidays, 2 make-up days`.
fn summary(calendar: &Calendar) -> String {
    let days: Vec<String> = calendar
        .term_school_days()
        .iter()
        .map(|(_, n)| n.to_string())
        .collect();
    format!(
        "{} terms ({} school days), {} holidays, {} make-up days",
        calendar.terms.len(),
        days.join(" and "),
        calendar.holidays.len(),
        calendar.workdays.len()
    )
}

fn show(args: ShowArgs) -> anyhow::Result<()> {
    let year = match &args.year {
        Some(raw) => school_year(raw)?,
        None => SchoolYear::containing(shouhu_domain::today_shanghai()),
    };
    let store = args.db.open()?;
    let owner = owner(
        &store,
        args.owner.region.as_deref(),
        args.owner.school.as_deref(),
    )?;
    let effective = store.with_conn(|conn| match &owner {
        Owner::Region(code) => calendars::effective_for_region(conn, code, year),
        Owner::School(id) => calendars::effective_for_school(conn, *id, year),
    })?;
    let source = match &effective.source {
        Source::School => "the school's own calendar".to_owned(),
        Source::Region(code) => {
            let code = RegionCode::parse(code).map_err(|e| anyhow::anyhow!("{code}: {e}"))?;
            format!(
                "the calendar of {}",
                owner_name(&store, &Owner::Region(code))?
            )
        }
        Source::Fallback => {
            "WARNING: no calendar set here or above; the default (fallback) calendar".to_owned()
        }
    };
    print!(
        "{}",
        describe(&owner_name(&store, &owner)?, &effective, &source)
    );
    Ok(())
}

/// The printout of `show`.
fn describe(owner: &str, effective: &Effective, source: &str) -> String {
    let c = &effective.calendar;
    let mut out = String::new();
    let _ = writeln!(out, "{owner} {} 校历", c.school_year);
    let _ = writeln!(out, "source: {source}");
    let _ = writeln!(out, "terms:");
    for (term, days) in c.term_school_days() {
        let key = c.term_key(&term);
        let _ = writeln!(
            out,
            "  {} {} – {}  {days} school days",
            key.label_zh(),
            term.start,
            term.end
        );
    }
    let _ = writeln!(out, "holidays:");
    if c.holidays.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for h in &c.holidays {
        // Weekdays off inside term: what the holiday actually takes from school.
        let lost = h
            .start
            .iter_days()
            .take_while(|d| *d <= h.end)
            .filter(|d| matches!(c.day_kind(*d), DayKind::Holiday(_)))
            .count();
        let _ = writeln!(
            out,
            "  {} {} – {}  ({lost} school days off)",
            h.name, h.start, h.end
        );
    }
    let _ = writeln!(out, "make-up school days:");
    if c.workdays.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for w in &c.workdays {
        let _ = writeln!(out, "  {} {} {}", w.date, w.date.format("%a"), w.name);
    }
    out
}

fn write_template(args: TemplateArgs) -> anyhow::Result<()> {
    let year = school_year(&args.year)?;
    let stored = if args.owner.region.is_some() || args.owner.school.is_some() {
        let store = args.db.open()?;
        let owner = owner(
            &store,
            args.owner.region.as_deref(),
            args.owner.school.as_deref(),
        )?;
        let scope = Scope::local_operator();
        store
            .with_conn(|conn| calendars::get(conn, &scope, &owner, year))?
            .map(|s| s.calendar)
    } else {
        None
    };
    let bytes = template(year, stored.as_ref()).map_err(|e| anyhow::anyhow!("{e}"))?;
    std::fs::write(&args.out, bytes)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    println!("{}", args.out.display());
    Ok(())
}
