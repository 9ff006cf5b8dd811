//! What the county-scale benchmarks (`bench duties`, `bench dropout`) share: a work directory,
//! timed steps with their peak memory, medians, the `sqlite3` shell as an anchor, a small
//! deterministic generator, and the machine and commit a report names.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{Datelike, NaiveDate, Weekday};

/// A small deterministic generator (splitmix64).
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(super) fn half(&mut self) -> bool {
        self.next() & 1 == 1
    }

    pub(super) fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

/// One timed step.
pub(super) struct Step {
    pub(super) label: String,
    pub(super) time: Duration,
    /// Peak resident set over the step, KiB.
    pub(super) peak_kib: Option<u64>,
    pub(super) note: String,
}

impl Step {
    pub(super) fn with(mut self, note: String) -> Step {
        self.note = note;
        self
    }
}

/// The data directory; a temporary one is removed when the benchmark ends, however it ends.
pub(super) struct WorkDir {
    pub(super) path: PathBuf,
    pub(super) temporary: bool,
}

impl WorkDir {
    pub(super) fn new(given: Option<&Path>, name: &str) -> anyhow::Result<Self> {
        let (path, temporary) = match given {
            Some(p) => (p.to_path_buf(), false),
            None => (
                std::env::temp_dir().join(format!("shouhu-bench-{name}-{}", std::process::id())),
                true,
            ),
        };
        if path.join("shouhu.sqlite3").exists() {
            bail!(
                "{} already holds a database (use --nightly DATE to time it again)",
                path.display()
            );
        }
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

pub(super) fn step<T>(
    label: &str,
    work: impl FnOnce() -> shouhu_store::StoreResult<T>,
) -> anyhow::Result<(Step, T)> {
    eprintln!("{label}");
    reset_peak();
    let started = Instant::now();
    let out = work().with_context(|| label.to_owned())?;
    let time = started.elapsed();
    eprintln!("  {:.3} s", time.as_secs_f64());
    Ok((
        Step {
            label: label.to_owned(),
            time,
            peak_kib: peak_kib(),
            note: String::new(),
        },
        out,
    ))
}

pub(super) fn median<T, E>(
    runs: usize,
    mut work: impl FnMut() -> Result<T, E>,
) -> anyhow::Result<(Duration, T)>
where
    anyhow::Error: From<E>,
{
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        let out = work()?;
        times.push(started.elapsed());
        last = Some(out);
    }
    times.sort();
    let out = last.context("no run")?;
    Ok((times[times.len() / 2], out))
}

/// Forgets the process's peak resident set so far (Linux), so the next reading is the step's.
pub(super) fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

pub(super) fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

pub(super) fn shell_version(sqlite3: &Path) -> anyhow::Result<String> {
    let out = Command::new(sqlite3)
        .arg("--version")
        .output()
        .with_context(|| format!("cannot run {}", sqlite3.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text.split_whitespace().next().unwrap_or("?").to_owned())
}

pub(super) fn shell_run(sqlite3: &Path, db: &Path, sql: &str) -> anyhow::Result<String> {
    let out = Command::new(sqlite3).arg(db).arg(sql).output()?;
    if !out.status.success() {
        bail!("sqlite3: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub(super) fn weekday(date: NaiveDate) -> &'static str {
    match date.weekday() {
        Weekday::Mon => "Mon",
        Weekday::Tue => "Tue",
        Weekday::Wed => "Wed",
        Weekday::Thu => "Thu",
        Weekday::Fri => "Fri",
        Weekday::Sat => "Sat",
        Weekday::Sun => "Sun",
    }
}

pub(super) fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 0.001 {
        format!("{:.0} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.1} ms", s * 1000.0)
    } else {
        format!("{s:.2} s")
    }
}

pub(super) fn mib(k: Option<u64>) -> String {
    k.map(|k| format!("{} MB", k / 1024))
        .unwrap_or_else(|| "?".to_owned())
}

pub(super) fn ratio(a: Duration, b: Duration) -> String {
    let r = a.as_secs_f64() / b.as_secs_f64().max(1e-9);
    if r < 0.0001 {
        format!("{r:.6}×")
    } else if r < 0.01 {
        format!("{r:.4}×")
    } else {
        format!("{r:.2}×")
    }
}

pub(super) fn fmt_load(l: Option<f64>) -> String {
    l.map(|l| format!("{l:.2}"))
        .unwrap_or_else(|| "?".to_owned())
}

pub(super) fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The commit measured: `SHOUHU_BENCH_COMMIT` when set (a build from an exported tree), else
/// the checkout's HEAD, flagged when the tracked files differ from it.
pub(super) fn commit() -> String {
    if let Ok(c) = std::env::var("SHOUHU_BENCH_COMMIT") {
        return c;
    }
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let Some(head) = git(&["rev-parse", "--short", "HEAD"]) else {
        return "?".to_owned();
    };
    match git(&["status", "--porcelain", "--untracked-files=no"]) {
        Some(changes) if !changes.is_empty() => format!("{head} with uncommitted changes"),
        _ => head,
    }
}

pub(super) fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "?".to_owned());
    let ram = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<u64>().ok())
        })
        .map(|k| format!(", {:.0} GB RAM", k as f64 / 1024.0 / 1024.0))
        .unwrap_or_default();
    format!("{model}, {cpus} CPUs{ram}")
}

pub(super) fn file_size(db: &Path) -> u64 {
    let wal = PathBuf::from(format!("{}-wal", db.display()));
    [db, wal.as_path()]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}
