//! Crash points for the black-box tests: with `KABINET_FAILPOINT=<name>` in its environment,
//! the process aborts at that point, as if killed there (SIGKILL). Unset, a point costs one
//! read of a value set once.

use std::sync::OnceLock;

/// Right before a handled update's transaction commits.
pub const BEFORE_COMMIT: &str = "finish.before_commit";
/// Right after it committed, before its replies are sent.
pub const AFTER_COMMIT: &str = "finish.after_commit";

/// Right after an update whose secret was taken out was kept in the inbox (before it is
/// handled).
pub const SECRET_KEPT: &str = "inbox.secret_kept";

pub fn hit(name: &str) {
    static ARMED: OnceLock<Option<String>> = OnceLock::new();
    if ARMED.get_or_init(|| std::env::var("KABINET_FAILPOINT").ok()).as_deref() == Some(name) {
        eprintln!("failpoint {name}: aborting");
        std::process::abort();
    }
}
