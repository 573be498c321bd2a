//! An English client: item numbers in Latin letters wherever the bot shows them (a reply, a
//! button, a push), the desk in Russian whatever the operator's Telegram speaks, and /item
//! taking either form.

use super::desk::{OPERATOR, desk_app};
use super::{IVANOV, register_confirmed};
use crate::helpers::no;
use crate::helpers::{Group, ru};
use tgmock::TgUser;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_english_client_reads_latin_numbers_and_the_desk_stays_russian() {
    let app = desk_app().await;
    let mut group = Group::new(&app);
    let mut c = app.user(12_401);
    register_confirmed(&app, &mut c, &IVANOV).await;
    super::tickets::file_appeal_with(&mut c, "Question about the bill", false, false).await;
    let card = group.expect_card(&app, &no("О-2026-000001")).await;

    // The client switches to English: the list shows the number in Latin letters, on the
    // button too.
    c.send("/language");
    let q = c.expect_key("start.choose_language").await;
    c.press(&q, "English");
    c.expect("Language: English").await;
    c.send("Appeals and complaints");
    let list = c.expect(&no("O-2026-000001")).await;
    assert!(!list.text.contains(&no("О-2026-")), "no Cyrillic number: {}", list.text);
    let labels: Vec<String> = list.inline_buttons().into_iter().map(|b| b.0).collect();
    assert!(labels.iter().any(|l| l.contains(&no("O-2026-000001"))), "{labels:?}");

    // The operator's answer: the push in English with the Latin number; the card stays Russian.
    let op = TgUser::new(OPERATOR, "Мария");
    group.reply(&op, &card, "The tariff changed on 1 July.");
    let push = c.expect("The tariff changed").await;
    assert!(push.text.contains(&no("O-2026-000001")), "{}", push.text);

    // An operator whose Telegram speaks English: /item takes the Latin number, and the answer
    // is the desk's, in Russian.
    let mut operator = app.english_user(OPERATOR);
    operator.send(&no("/item O-2026-000001"));
    let found = operator.expect("Question about the bill").await;
    assert!(
        found.text.contains(&no("О-2026-000001")) && found.text.contains(&ru("ticket.kind.appeal")),
        "{}",
        found.text
    );
}
