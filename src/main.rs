//! The `linli` binary: the CLI on a tokio runtime, with jemalloc as the allocator.

/// The server's allocator. With glibc's, large blocks freed after the first decoded photo
/// (18 MB) or upload chunk (1 MiB) stayed in per-thread arenas (glibc raises its mmap
/// threshold each time one is freed): 200 slow uploads left the server at 900 MB (bench
/// scenario (10)). jemalloc reuses blocks by size class across threads, and its
/// background thread gives pages idle for a second back to the system (the options are set
/// at build time, in `.cargo/config.toml`).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match linli::cli::run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}` prints the whole context chain on one line.
            eprintln!("linli: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
