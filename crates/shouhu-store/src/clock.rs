//! Instants as stored: UTC milliseconds since the epoch.

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
