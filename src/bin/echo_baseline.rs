//! The benchmark's baseline: a minimal teloxide echo bot, with the same teloxide build and
//! the same Bot API server as Kabinet (`TELOXIDE_TOKEN`, `TELOXIDE_API_URL`). Not for users.

use teloxide::prelude::*;

#[tokio::main]
async fn main() {
    let mut bot = Bot::new(std::env::var("TELOXIDE_TOKEN").expect("TELOXIDE_TOKEN"));
    if let Ok(url) = std::env::var("TELOXIDE_API_URL") {
        bot = bot.set_api_url(url.parse().expect("TELOXIDE_API_URL"));
    }
    teloxide::repl(bot, |bot: Bot, msg: Message| async move {
        bot.send_message(msg.chat.id, msg.text().unwrap_or("…").to_owned())
            .await?;
        Ok(())
    })
    .await;
}
