//! The idiomatic peer of Kabinet's reading flow: menu → meter → value, the dialogue in
//! teloxide's `SqliteStorage` (JSON), the value stored as it comes, no validation, no history.
//! Same texts as Kabinet where the benchmark waits for them. `TELOXIDE_TOKEN`,
//! `TELOXIDE_API_URL`, `PEER_DB` (a file path).

use serde::{Deserialize, Serialize};
use teloxide::{
    dispatching::dialogue::{self, SqliteStorage, serializer::Json},
    prelude::*,
    types::{InlineKeyboardButton, InlineKeyboardMarkup},
};

#[derive(Clone, Default, Serialize, Deserialize)]
enum State {
    #[default]
    Menu,
    Meter,
    Value {
        meter: String,
    },
}

type Storage = SqliteStorage<Json>;
type MyDialogue = Dialogue<State, Storage>;
type HandlerResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

#[tokio::main]
async fn main() {
    let mut bot = Bot::new(std::env::var("TELOXIDE_TOKEN").expect("TELOXIDE_TOKEN"));
    if let Ok(url) = std::env::var("TELOXIDE_API_URL") {
        bot = bot.set_api_url(url.parse().expect("TELOXIDE_API_URL"));
    }
    let path = std::env::var("PEER_DB").expect("PEER_DB");
    let storage = SqliteStorage::open(&path, Json).await.expect("storage");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite:{path}?mode=rwc"))
        .await
        .expect("pool");
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS readings (chat_id INTEGER NOT NULL, meter TEXT NOT NULL,
                                               value TEXT NOT NULL)",
    )
    .execute(&pool)
    .await
    .expect("table");

    let handler = dialogue::enter::<Update, Storage, State, _>()
        .branch(
            Update::filter_message()
                .branch(dptree::case![State::Menu].endpoint(menu))
                .branch(dptree::case![State::Value { meter }].endpoint(value)),
        )
        .branch(Update::filter_callback_query().branch(dptree::case![State::Meter].endpoint(meter)));

    Dispatcher::builder(bot, handler)
        .dependencies(dptree::deps![storage, pool])
        .build()
        .dispatch()
        .await;
}

async fn menu(bot: Bot, dialogue: MyDialogue, msg: Message) -> HandlerResult {
    if msg.text() == Some("Передать показания") {
        let keyboard = InlineKeyboardMarkup::new([["EL-1", "EL-2"].map(|m| InlineKeyboardButton::callback(m, m))]);
        bot.send_message(msg.chat.id, "Для какого прибора?")
            .reply_markup(keyboard)
            .await?;
        dialogue.update(State::Meter).await?;
    } else {
        bot.send_message(msg.chat.id, "Меню").await?;
    }
    Ok(())
}

async fn meter(bot: Bot, dialogue: MyDialogue, q: CallbackQuery) -> HandlerResult {
    bot.answer_callback_query(q.id.clone()).await?;
    let meter = q.data.unwrap_or_default();
    bot.send_message(dialogue.chat_id(), format!("Введите показание прибора {meter}"))
        .await?;
    dialogue.update(State::Value { meter }).await?;
    Ok(())
}

async fn value(bot: Bot, dialogue: MyDialogue, meter: String, msg: Message, pool: sqlx::SqlitePool) -> HandlerResult {
    sqlx::query("INSERT INTO readings (chat_id, meter, value) VALUES (?, ?, ?)")
        .bind(msg.chat.id.0)
        .bind(meter)
        .bind(msg.text().unwrap_or_default())
        .execute(&pool)
        .await?;
    bot.send_message(msg.chat.id, "Показания приняты").await?;
    dialogue.update(State::Menu).await?;
    Ok(())
}
