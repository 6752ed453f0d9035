//! `cargo run -p migrations -- up|down|status|fresh`: the sea-orm-migration command line.
//! The server applies pending migrations itself on start; this is for operators.

#[tokio::main]
async fn main() {
    sea_orm_migration::cli::run_cli(migrations::Migrator).await;
}
