//! `shouhu`: the one binary. Parses the command line and hands each subcommand to its module.

use clap::Parser;

/// Imports and exports allocate a few small values per cell; glibc's malloc spent a quarter of
/// an import's CPU on them, mimalloc a fraction of that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    shouhu::cli::Cli::parse().run().await
}
