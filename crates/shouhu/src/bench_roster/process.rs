//! Running a child process under GNU time, and the benchmark's working directory.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// GNU time, for the peak resident set of each child process.
pub(super) const TIME: &str = "/usr/bin/time";

/// A timed run: wall time, and the peak RSS of a child process.
#[derive(Clone, Copy)]
pub(super) struct Run {
    pub(super) wall: Duration,
    pub(super) peak_kb: Option<u64>,
}

impl Run {
    pub(super) fn of(wall: Duration) -> Run {
        Run {
            wall,
            peak_kb: None,
        }
    }
}

/// Runs `program` under GNU time; returns the run, its stdout and its stderr (which goes to a
/// file in `work` on the way, and is shown when it fails).
pub(super) fn timed(
    program: &Path,
    args: &[OsString],
    work: &Path,
) -> anyhow::Result<(Run, String, String)> {
    let (time_file, err_file) = (work.join("time.txt"), work.join("stderr.txt"));
    let stderr = std::fs::File::create(&err_file).context("the child's stderr file")?;
    let started = Instant::now();
    let out = Command::new(TIME)
        .args(["-f", "%e %M", "-o"])
        .arg(&time_file)
        .arg(program)
        .args(args)
        .env_remove("SHOUHU_KEY")
        .env_remove("SHOUHU_DATABASE_URL")
        .env_remove("SHOUHU_DATA_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(stderr))
        .output()
        .with_context(|| format!("running {}", program.display()))?;
    let wall = started.elapsed();
    let errors = std::fs::read_to_string(&err_file).unwrap_or_default();
    if !out.status.success() {
        let tail: Vec<&str> = errors.lines().rev().take(20).collect();
        bail!(
            "{} {:?} failed ({}):\n{}",
            program.display(),
            args,
            out.status,
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    let time = std::fs::read_to_string(&time_file).context("GNU time's output")?;
    let peak_kb = time
        .lines()
        .last()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse().ok());
    let run = Run { wall, peak_kb };
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    Ok((run, stdout, errors))
}

/// The working directory; a temporary one is removed when the benchmark ends, however it ends.
pub(super) struct WorkDir {
    pub(super) path: PathBuf,
    pub(super) temporary: bool,
}

impl WorkDir {
    pub(super) fn new(given: Option<&Path>) -> anyhow::Result<Self> {
        let (path, temporary) = match given {
            Some(p) => (p.to_path_buf(), false),
            None => (
                std::env::temp_dir().join(format!("shouhu-bench-roster-{}", std::process::id())),
                true,
            ),
        };
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        if std::fs::read_dir(&path)?.next().is_some() {
            bail!("{} is not empty", path.display());
        }
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
