//! One integration test binary: flows through the real dispatcher schema, over HTTP to a local
//! Bot API server, on real SQLite files or PostgreSQL databases with the real migrations.

mod check;
mod cli;
pub mod db;
mod delivery;
mod deploy;
mod e2e;
mod failover;
pub mod flows;
mod helpers;
mod moving;
mod outbox;
mod plans;
mod replicas;
#[cfg(feature = "sandbox")]
mod sandbox;
mod schema;
pub mod smtp;
mod trust;
