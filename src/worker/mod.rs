//! Background work: the outbox delivery, reminders, housekeeping and scheduled backups.

pub mod backup;
pub mod maintenance;
pub mod outbox;
pub mod reminders;
