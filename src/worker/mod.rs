//! Background work: the outbox delivery worker.

pub mod outbox;
pub mod reminders;
