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
