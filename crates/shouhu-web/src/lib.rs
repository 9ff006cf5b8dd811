//! Shouhu's web layer: server-rendered pages (askama), the JSON API under `/api/v1`, sessions,
//! CSRF protection and embedded assets. [`Application::build`] is the one way to start it, used by
//! the binary and by the tests (on port 0).

pub mod api;
pub mod auth;
pub mod cards;
pub mod error;
pub mod i18n;
mod login;
pub mod pages;
mod render;
pub mod rosters;
pub mod state;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Router, middleware};
use shouhu_store::Store;
use tokio::net::TcpListener;

pub use state::{AppState, WebConfig};

const STYLE_CSS: &str = include_str!("../assets/style.css");

pub fn router(state: AppState) -> Router {
    let pages = Router::new()
        .route("/", get(pages::home::show))
        .route("/login", get(pages::login::show).post(pages::login::submit))
        .route("/logout", post(pages::login::logout))
        .route(
            "/password",
            get(pages::login::password_form).post(pages::login::password_submit),
        )
        .route("/lang/{code}", get(pages::login::switch_language))
        .merge(pages::places::routes())
        .merge(pages::children::routes())
        .merge(pages::care::routes())
        .merge(pages::events::routes())
        .merge(pages::plans::routes())
        .merge(pages::rosters::routes())
        .merge(pages::tasks::routes())
        .merge(pages::calendars::routes())
        .merge(pages::admin::routes())
        .merge(pages::dropout::routes())
        .layer(middleware::from_fn(auth::cross_site_guard));
    Router::new()
        .merge(pages)
        .nest("/api/v1", api::routes())
        .route("/healthz", get(|| async { "ok" }))
        .route("/assets/style.css", get(style))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            render::render_errors,
        ))
        .with_state(state)
}

async fn style() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE_CSS,
    )
}

/// A bound, not yet serving, web application.
pub struct Application {
    listener: TcpListener,
    router: Router,
}

impl Application {
    pub async fn build(store: Store, config: WebConfig, bind: &str) -> std::io::Result<Self> {
        let catalog = i18n::Catalog::load().map_err(std::io::Error::other)?;
        let imports = Arc::new(pages::rosters::ImportJobs::for_store(&store));
        let state = AppState {
            store,
            catalog: Arc::new(catalog),
            config: Arc::new(config),
            imports,
        };
        let listener = TcpListener::bind(bind).await?;
        Ok(Self {
            listener,
            router: router(state),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown_signal())
            .await
    }
}

async fn shutdown_signal() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
