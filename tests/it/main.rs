//! One integration test binary: flows through the real dispatcher schema, over HTTP to a local
//! Bot API server, on real SQLite files or PostgreSQL databases with the real migrations.

pub mod accounts;
mod broadcasts;
mod check;
mod cli;
pub mod db;
mod delivery;
mod departments;
mod deploy;
mod e2e;
mod failover;
mod faq;
pub mod flows;
mod helpers;
mod import;
mod moving;
mod outages;
mod outbox;
mod plans;
mod ratings;
mod replicas;
#[cfg(feature = "sandbox")]
mod sandbox;
mod schema;
pub mod smtp;
mod trust;
