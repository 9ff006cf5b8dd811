//! What every handler can reach: the store, the message catalog, the web settings, and the
//! roster uploads waiting between their check and their confirmation.

use std::sync::Arc;

use shouhu_store::Store;
use shouhu_store::auth::SessionPolicy;

use crate::i18n::{Catalog, Locale, Tr};
use crate::pages::rosters::ImportJobs;

#[derive(Clone, Debug)]
pub struct WebConfig {
    /// Idle and absolute session lifetimes.
    pub session: SessionPolicy,
    /// Lifetime of API tokens, in milliseconds.
    pub token_ms: i64,
    /// Mark cookies `Secure` (set when the public address is https).
    pub secure_cookies: bool,
    /// Trust `X-Forwarded-For` for the client address (only behind a reverse proxy).
    pub behind_proxy: bool,
    /// Failed sign-ins allowed per user name, and per address, within `throttle_window_ms`.
    pub throttle_per_user: i64,
    pub throttle_per_address: i64,
    pub throttle_window_ms: i64,
}

impl Default for WebConfig {
    fn default() -> Self {
        const MINUTE: i64 = 60_000;
        Self {
            session: SessionPolicy {
                idle_ms: 120 * MINUTE,
                absolute_ms: 12 * 60 * MINUTE,
            },
            token_ms: 24 * 60 * MINUTE,
            secure_cookies: false,
            behind_proxy: false,
            throttle_per_user: 5,
            throttle_per_address: 50,
            throttle_window_ms: 15 * MINUTE,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub catalog: Arc<Catalog>,
    pub config: Arc<WebConfig>,
    /// Uploaded rosters, in memory: this instance's own, like the import running on it.
    pub imports: Arc<ImportJobs>,
}

impl AppState {
    pub fn tr(&self, locale: Locale) -> Tr {
        Tr::new(self.catalog.clone(), locale)
    }
}
