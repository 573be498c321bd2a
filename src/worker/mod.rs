//! Background work: the outbox delivery worker.

pub mod maintenance;
pub mod outbox;
pub mod reminders;
