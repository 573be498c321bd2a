//! One step engine for every guided form: registration, a meter and the requests on it,
//! appeals and requests, connection applications, profile edits, login disputes. A form is a
//! list of fields (`field`); the engine (`engine`) asks them, takes the answers and does
//! «Назад», «Пропустить», «Шаг N из M», the summary and «Изменить» the same way everywhere.

mod data;
mod engine;
mod field;
mod kept;
#[cfg(test)]
mod tests;

pub use data::{FormData, Values};
pub use engine::{answer, ask, ask_again, go, on_callback, on_message, save, shown};
pub use field::{Check, Choice, EditStyle, Field, Form, Input, Parser, Summary};
