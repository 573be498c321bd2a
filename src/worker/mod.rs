//! Background work: the outbox delivery, reminders, housekeeping, WAL checkpoints and
//! scheduled backups.

pub mod backup;
pub mod bills;
pub mod checkpoint;
pub mod maintenance;
pub mod outages;
pub mod outbox;
pub mod reminders;
