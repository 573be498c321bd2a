//! One integration test binary: flows through the real dispatcher schema, over HTTP to a local
//! Bot API server, on real SQLite files with the real migrations.

mod check;
mod cli;
mod delivery;
mod deploy;
mod e2e;
pub mod flows;
mod helpers;
mod outbox;
mod plans;
#[cfg(feature = "sandbox")]
mod sandbox;
pub mod smtp;
mod trust;
