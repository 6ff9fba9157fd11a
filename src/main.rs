//! The dashboard server binary: `aks-dashboard [serve]` or `aks-dashboard armsim --port N`.

use aks_dashboard::{config::Cli, startup};

/// mimalloc instead of glibc malloc: the SSR page allocates many small strings per view, and
/// glibc's allocator took about a fifth of its CPU (measured with `perf`, bench/SCALE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::from_env();
    startup::init_tracing(cli.log_format);
    match startup::run_cli(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "dashboard stopped with an error");
            eprintln!("error: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
