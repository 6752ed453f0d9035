//! Operating it: tokens from an identity provider (`identity.rs`), metrics and logs
//! (`telemetry.rs`).

mod identity;
mod telemetry;
