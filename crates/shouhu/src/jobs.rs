//! Background jobs: the daily refresh of what changes with the date alone (the left-behind
//! calibers and hardship tags in force), and the nightly run at 02:00 Asia/Shanghai (dropout
//! lapses, then duties). `shouhu jobs run calibers|duties|dropout` runs them on demand; `serve`
//! runs them by itself.

use std::time::Duration;

use chrono::{NaiveDate, NaiveTime, Utc};
use shouhu_domain::{shanghai, today_shanghai};
use shouhu_store::{Store, children, dropout, duties};

/// Re-derives every file last derived before `date`; returns how many changed.
pub fn refresh_calibers(store: &Store, date: NaiveDate) -> anyhow::Result<usize> {
    let key = store.key();
    Ok(store.with_conn(|conn| children::refresh_calibers(conn, &key, date))?)
}

/// The nightly duty run for `date`, printing what it did.
pub fn run_duties(store: &Store, date: NaiveDate) -> anyhow::Result<()> {
    let run = store.with_conn(|conn| duties::run_daily(conn, date))?;
    let first = run.days.first().copied().unwrap_or(date);
    println!(
        "duties as of {date}: {} day(s) from {first}, {} marked missed, {} opened",
        run.days.len(),
        run.missed,
        run.generated
    );
    Ok(())
}

/// The dropout run for `date` (suspicions that lapse become 辍学), or a rebuild of every
/// child's enrolment state, printing what it did.
pub fn run_dropout(store: &Store, date: NaiveDate, rebuild: bool) -> anyhow::Result<()> {
    if rebuild {
        let changed = store.with_conn(|conn| dropout::rebuild(conn, date))?;
        println!("dropout states rebuilt as of {date}: {changed} transition(s) changed");
    } else {
        let run = store.with_conn(|conn| dropout::run_daily(conn, date))?;
        println!(
            "dropout as of {date}: {} suspected examined, {} transition(s)",
            run.examined, run.transitions
        );
    }
    Ok(())
}

/// Re-derives every duty from `from` on, as of `today`, showing progress by school.
pub fn rebuild_duties(store: &Store, from: NaiveDate, today: NaiveDate) -> anyhow::Result<()> {
    let report = store.with_conn(|conn| {
        duties::rebuild(conn, None, from, today, |done, total| {
            if done % 100 == 0 || done == total {
                eprintln!("rebuilt {done}/{total} schools");
            }
        })
    })?;
    println!(
        "duties rebuilt from {from} as of {today}: {} schools, {} removed, {} generated",
        report.schools, report.removed, report.generated
    );
    Ok(())
}

/// The nightly duty run happens once the clock in Beijing passes this.
const DUTY_HOUR: NaiveTime = match NaiveTime::from_hms_opt(2, 0, 0) {
    Some(t) => t,
    None => panic!("02:00 is a time"),
};

/// Runs the caliber refresh now and on every new day, and the duty run on every day after 02:00,
/// for as long as the server runs. Safe beside other servers doing the same: calibers only move
/// forward to the same date, and a duty run repeated for a date changes nothing.
pub async fn daily(store: Store) {
    let mut calibers_for: Option<NaiveDate> = None;
    let mut duties_for: Option<NaiveDate> = None;
    loop {
        let today = today_shanghai();
        if calibers_for != Some(today) {
            let job = store.clone();
            let result = tokio::task::spawn_blocking(move || refresh_calibers(&job, today)).await;
            match result {
                Ok(Ok(changed)) => {
                    tracing::info!(%today, changed, "calibers refreshed");
                    calibers_for = Some(today);
                }
                Ok(Err(e)) => tracing::error!(error = %e, "caliber refresh failed"),
                Err(e) => tracing::error!(error = %e, "caliber refresh panicked"),
            }
        }
        let past_two = Utc::now().with_timezone(&shanghai()).time() >= DUTY_HOUR;
        if past_two && duties_for != Some(today) {
            let job = store.clone();
            // Lapses first: a 辍学 reached tonight is in the duties the run then judges.
            let result = tokio::task::spawn_blocking(move || {
                job.with_conn(|conn| {
                    let lapsed = dropout::run_daily(conn, today)?;
                    tracing::info!(%today, examined = lapsed.examined,
                        transitions = lapsed.transitions, "dropout run");
                    duties::run_daily(conn, today)
                })
            })
            .await;
            match result {
                Ok(Ok(run)) => {
                    tracing::info!(%today, days = run.days.len(), missed = run.missed,
                        opened = run.generated, "duties run");
                    duties_for = Some(today);
                }
                Ok(Err(e)) => tracing::error!(error = %e, "duty run failed"),
                Err(e) => tracing::error!(error = %e, "duty run panicked"),
            }
        }
        tokio::time::sleep(Duration::from_secs(300)).await;
    }
}
