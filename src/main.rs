//! The `cadre-health` binary: parse the command line and hand over to the library.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    cadre_health::cli::run().await
}
