//! The benchmark's markdown: the machine, then one table line per case with its anchor.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::process::Run;

/// What a case must reach, as a ratio to its anchor.
pub(super) enum Target {
    /// Our rows per second ÷ the anchor's, at least this.
    RateAtLeast(f64),
    /// Our time ÷ the anchor's, at most this.
    TimeAtMost(f64),
}

pub(super) struct Line {
    pub(super) case: String,
    pub(super) rows: usize,
    pub(super) ours: Run,
    pub(super) anchor: String,
    pub(super) theirs: Run,
    pub(super) target: Target,
}

/// A measurement beside a case's anchor that is not ours: how far the anchor's own ground is.
pub(super) struct Context {
    pub(super) case: String,
    pub(super) rows: usize,
    pub(super) run: Run,
    pub(super) beside: String,
    pub(super) anchor: Duration,
}

pub(super) struct Report {
    pub(super) shell_version: String,
    /// One-minute load average before and after the timings.
    pub(super) load: [Option<f64>; 2],
    /// Sizes of the sheets, the export and the full database.
    pub(super) sizes: [(&'static str, u64); 4],
    pub(super) lines: Vec<Line>,
    pub(super) context: Vec<Context>,
}

impl Report {
    pub(super) fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) -> std::fmt::Result {
        writeln!(out, "{}", machine(&self.shell_version))?;
        if let [Some(before), Some(after)] = self.load {
            writeln!(
                out,
                "Load average {before:.2} before the timings and {after:.2} after."
            )?;
        }
        let sizes: Vec<String> = self
            .sizes
            .iter()
            .map(|(name, bytes)| format!("{name} {:.0} MB", *bytes as f64 / 1e6))
            .collect();
        writeln!(out, "Files: {}.\n", sizes.join(", "))?;
        writeln!(
            out,
            "| case | rows | ours | ours rows/s | ours peak RSS | anchor | anchor time | anchor rows/s | ratio | target | met |"
        )?;
        writeln!(out, "|---|--:|--:|--:|--:|---|--:|--:|--:|:-:|:-:|")?;
        for l in &self.lines {
            let (ours, theirs) = (l.ours.wall.as_secs_f64(), l.theirs.wall.as_secs_f64());
            let (ratio, target, met) = match l.target {
                Target::RateAtLeast(t) => {
                    let r = theirs / ours.max(1e-9);
                    (r, format!("≥ {t}"), r >= t)
                }
                Target::TimeAtMost(t) => {
                    let r = ours / theirs.max(1e-9);
                    (r, format!("≤ {t}"), r <= t)
                }
            };
            let anchor_peak = l
                .theirs
                .peak_kb
                .map_or(String::new(), |kb| format!(" (peak RSS {})", mb(kb)));
            writeln!(
                out,
                "| {} | {} | {ours:.2} s | {:.0} | {} | {}{anchor_peak} | {theirs:.2} s | {:.0} | {ratio:.2}× | {target} | {} |",
                l.case,
                l.rows,
                l.rows as f64 / ours.max(1e-9),
                l.ours.peak_kb.map_or("?".to_owned(), mb),
                l.anchor,
                l.rows as f64 / theirs.max(1e-9),
                if met { "yes" } else { "**no**" }
            )?;
        }
        if !self.context.is_empty() {
            writeln!(
                out,
                "\n| for comparison | rows | time | rows/s | peak RSS | beside | its time | ratio |"
            )?;
            writeln!(out, "|---|--:|--:|--:|--:|---|--:|--:|")?;
        }
        for c in &self.context {
            let (time, anchor) = (c.run.wall.as_secs_f64(), c.anchor.as_secs_f64());
            writeln!(
                out,
                "| {} | {} | {time:.2} s | {:.0} | {} | {} | {anchor:.2} s | {:.2}× |",
                c.case,
                c.rows,
                c.rows as f64 / time.max(1e-9),
                c.run.peak_kb.map_or("?".to_owned(), mb),
                c.beside,
                time / anchor.max(1e-9),
            )?;
        }
        Ok(())
    }
}

fn mb(kb: u64) -> String {
    format!("{:.0} MB", kb as f64 / 1024.0)
}

/// CPU, cores, memory, kernel, the anchor shell and the commit measured.
fn machine(shell_version: &str) -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "?".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let ram_kb: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "Machine: {cpu}, {cores} cores, {:.1} GiB RAM, Linux {}; sqlite3 {shell_version}; shouhu at {}.",
        ram_kb as f64 / 1024.0 / 1024.0,
        kernel.trim(),
        commit()
    )
}

/// `git rev-parse --short HEAD`, marked when tracked files differ from it.
fn commit() -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    match git(&["rev-parse", "--short", "HEAD"]) {
        Some(head) => match git(&["status", "--porcelain", "--untracked-files=no"]) {
            Some(s) if !s.is_empty() => format!("{head} with uncommitted changes"),
            _ => head,
        },
        None => "an unknown commit".to_owned(),
    }
}

/// The machine's one-minute load average (Linux).
pub(super) fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// A file's size, with its `-wal` beside it for a database.
pub(super) fn file_size(path: &Path) -> u64 {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    [path, wal.as_path()]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}
