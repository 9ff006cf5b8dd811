//! Background jobs: the daily refresh of what changes with the date alone (the left-behind
//! calibers and hardship tags in force). `shouhu jobs run calibers` runs it on demand; `serve`
//! runs it at start and again whenever the date in Asia/Shanghai turns.

use std::time::Duration;

use chrono::NaiveDate;
use shouhu_domain::today_shanghai;
use shouhu_store::{Store, children};

/// Re-derives every file last derived before `date`; returns how many changed.
pub fn refresh_calibers(store: &Store, date: NaiveDate) -> anyhow::Result<usize> {
    let key = store.key();
    Ok(store.with_conn(|conn| children::refresh_calibers(conn, &key, date))?)
}

/// Runs the refresh now and then on every new day, for as long as the server runs. Safe beside
/// other servers doing the same: each row is only ever moved forward to the same date.
pub async fn daily(store: Store) {
    let mut done_for: Option<NaiveDate> = None;
    loop {
        let today = today_shanghai();
        if done_for != Some(today) {
            let job = store.clone();
            let result = tokio::task::spawn_blocking(move || refresh_calibers(&job, today)).await;
            match result {
                Ok(Ok(changed)) => {
                    tracing::info!(%today, changed, "calibers refreshed");
                    done_for = Some(today);
                }
                Ok(Err(e)) => tracing::error!(error = %e, "caliber refresh failed"),
                Err(e) => tracing::error!(error = %e, "caliber refresh panicked"),
            }
        }
        tokio::time::sleep(Duration::from_secs(600)).await;
    }
}
