//! Background work: the outbox delivery, reminders, housekeeping, WAL checkpoints and
//! scheduled backups.

pub mod backup;
pub mod checkpoint;
pub mod maintenance;
pub mod outbox;
pub mod reminders;
