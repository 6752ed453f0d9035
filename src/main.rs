//! The `cadre-health` binary: parse the command line and hand over to the library.

/// mimalloc, not glibc's malloc: a profile of the list under load spent about a fifth of the
/// server's CPU in glibc's allocator (`malloc`, `_int_malloc`, `free`, `malloc_consolidate`),
/// and glibc's per-thread arenas hold freed memory, so the resident size grew with load
/// (README, *Performance*).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    cadre_health::cli::run().await
}
