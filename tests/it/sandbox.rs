//! `kabinet sandbox` in a real browser: headless Chromium driven through chromedriver
//! (fantoccini). A consumer registers with the code read from the mailbox pane, files an appeal
//! with inline and keyboard buttons, the operator answers it from the group pane, and the push
//! shows up in the consumer's chat. A screenshot of the page is left in `target/sandbox.png`.

use crate::helpers::no;
use crate::helpers::{code_in, ru, ru_head};
use fantoccini::error::CmdError;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use kabinet::config::Config;
use kabinet::sandbox::{Options, Sandbox};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// A 1×1 picture: the consumer's «photo of the meter».
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53, 0xde, 0x00, 0x00, 0x00, 0x0c, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xd0, 0x0e, 0xaa, 0x00, 0x00, 0x01, 0xa1, 0x00, 0xf6, 0x57, 0xa9, 0x15, 0xd5,
    0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: std::process::Child,
    port: u16,
}

impl Driver {
    async fn start() -> Self {
        let port = crate::helpers::free_port();
        let child = std::process::Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("chromedriver is not installed: apt-get install chromium chromium-driver (see the README)");
        // Ready when it accepts connections.
        let deadline = std::time::Instant::now() + WAIT;
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(std::time::Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { child, port }
    }

    async fn browser(&self) -> Client {
        self.browser_sized(1500, 950).await
    }

    async fn browser_sized(&self, width: u32, height: u32) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                // Headless as root in a closed network: no sandbox, no background requests.
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-quic", "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync",
                         format!("--window-size={width},{height}"), "--lang=ru-RU"]
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a Chromium session through chromedriver")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An XPath string literal for any text.
fn lit(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else {
        format!("concat('{}')", s.replace('\'', "', \"'\", '"))
    }
}

struct Page {
    c: Client,
}

impl Page {
    /// Waits for a message in a pane (`consumer`, `group`) whose text contains `needle`.
    async fn expect(&self, pane: &str, needle: &str) -> fantoccini::elements::Element {
        let xpath = format!(
            "(//section[@id='{pane}']//div[contains(@class,'bubble')][contains(., {})])[last()]",
            lit(needle)
        );
        self.c
            .wait()
            .at_most(WAIT)
            .for_element(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no message with «{needle}» in the {pane} pane: {e}"))
    }

    /// Clicks the newest element matching `xpath`; the chat is redrawn as messages come, so a
    /// click that lands on a replaced element is tried again on the new one.
    async fn click(&self, xpath: &str) {
        let xpath = format!("({xpath})[last()]");
        for _ in 0..20 {
            let e = self
                .c
                .wait()
                .at_most(WAIT)
                .for_element(Locator::XPath(&xpath))
                .await
                .unwrap_or_else(|e| panic!("nothing to click at {xpath}: {e}"));
            match e.click().await {
                Ok(()) => return,
                Err(CmdError::Standard(w)) if w.error == fantoccini::error::ErrorStatus::StaleElementReference => {
                    continue;
                }
                Err(e) => panic!("click {xpath}: {e}"),
            }
        }
        panic!("{xpath} kept changing under the click");
    }

    /// An inline button under the newest message that has one with this label.
    async fn press(&self, pane: &str, label: &str) {
        self.click(&format!(
            "//section[@id='{pane}']//div[contains(@class,'inline-kb')]//button[normalize-space(.)={}]",
            lit(label)
        ))
        .await;
    }

    /// A button of the bot's reply keyboard under the consumer's chat.
    async fn key(&self, label: &str) {
        self.click(&format!(
            "//section[@id='consumer']//div[contains(@class,'keyboard')]//button[normalize-space(.)={}]",
            lit(label)
        ))
        .await;
    }

    /// Waits until a script's expression is true in the page.
    async fn until(&self, expression: &str) {
        let deadline = tokio::time::Instant::now() + WAIT;
        let script = format!("return Boolean({expression})");
        loop {
            if self.c.execute(&script, vec![]).await.unwrap() == serde_json::json!(true) {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "never true: {expression}");
            // The page changes on its own (pictures load): look again shortly.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Types a message into a pane's input and presses Enter.
    async fn type_in(&self, pane: &str, text: &str) {
        let input = self
            .c
            .find(Locator::Css(&format!("#{pane} input[name=text]")))
            .await
            .unwrap();
        input
            .send_keys(&format!("{text}{}", char::from(Key::Enter)))
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newcomer_registers_files_an_appeal_and_the_operator_answers_in_the_browser() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("sandbox.db").display());
    let sandbox = sandbox_on(&db, dir.path(), true).await;
    let driver = Driver::start().await;
    let page = Page {
        c: driver.browser().await,
    };
    page.c.goto(&sandbox.url()).await.unwrap();
    page.c
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#status[data-state=live]"))
        .await
        .expect("the page follows the sandbox's event stream");

    register_in_page(&page).await;

    // The page reads like Telegram: the menu keyboard takes a modest share of the 950-px
    // window, the chat stays at its newest message after the keyboard came, timestamps sit
    // inside their bubbles.
    page.expect("consumer", &ru("menu.title")).await;
    page.until("(k => !k.hidden && k.getBoundingClientRect().height < window.innerHeight * 0.3)(document.querySelector('#consumer .keyboard'))")
        .await;
    page.until(AT_BOTTOM_CONSUMER).await;
    page.until(
        "[...document.querySelectorAll('.bubble')].every(b => (m => !m || m.getBoundingClientRect().bottom <= b.getBoundingClientRect().bottom + 0.5)(b.querySelector('.meta')))",
    )
    .await;

    // An appeal: the reply keyboard, then inline buttons; those under the short «Интерактивные
    // сервисы» keep a readable width.
    page.key(&ru("menu.services")).await;
    page.expect("consumer", &ru("services.title")).await;
    page.until("[...document.querySelectorAll('#consumer .msg.with-kb .inline-kb')].every(k => k.getBoundingClientRect().width >= 280)")
        .await;
    page.press("consumer", &ru("ticket.new.appeal")).await;
    page.press("consumer", &ru("topic.appeal.charges")).await;
    page.expect("consumer", "Опишите вопрос").await;
    page.type_in("consumer", "Почему вырос счёт за ноябрь?").await;
    page.expect("consumer", &ru("ticket.address_q")).await;
    page.press("consumer", &ru("common.skip")).await;
    page.expect("consumer", "Приложите фото").await;
    // A photo through the page's 📎: the file chooser's input takes a path.
    let photo = dir.path().join("meter.png");
    std::fs::write(&photo, PNG).unwrap();
    let chooser = page.c.find(Locator::Css("#consumer input[type=file]")).await.unwrap();
    chooser.send_keys(&photo.display().to_string()).await.unwrap();
    page.expect("consumer", "Всего: 1 файл").await;
    page.press("consumer", &ru("req.files_done")).await;
    page.expect("consumer", "Прислать копию ответа").await;
    page.press("consumer", &ru("ticket.email_no")).await;
    page.expect("consumer", "Проверьте перед отправкой").await;
    page.press("consumer", &ru("req.send")).await;
    page.expect("consumer", "зарегистрировано").await;

    // The operator: the card in the group pane, taken with its button, answered by a reply.
    page.expect("group", &no("О-2026-000001")).await;
    // The photo went to the group under the card, and the page shows the picture itself.
    page.c
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#group img.photo"))
        .await
        .expect("the consumer's photo under the card");
    page.until("[...document.querySelectorAll('#group img.photo')].every(i => i.complete && i.naturalWidth === 1)")
        .await;
    page.press("group", &ru("desk.take")).await;
    page.expect("group", "в работу: Мария").await;
    page.click(
        &no("//section[@id='group']//div[contains(@class,'msg')][.//div[contains(@class,'bubble')][contains(., 'О-2026-000001')]]//button[contains(@class,'reply-action')]"),
    )
    .await;
    page.type_in("group", "Тариф вырос с 1 июля.").await;
    page.expect("group", &ru("desk.sent")).await;
    // The confirmation quotes the operator's reply: its whole first line, nothing cut.
    page.until("(q => q.length > 0 && q.every(e => e.scrollHeight <= e.clientHeight + 1 && e.textContent.includes('Тариф вырос с 1 июля.')))([...document.querySelectorAll('#group .bubble .quote')].slice(-1))")
        .await;

    // The push in the consumer's chat, with its button.
    let push = page.expect("consumer", "Тариф вырос с 1 июля").await;
    assert!(push.text().await.unwrap().contains(&no("О-2026-000001")));
    page.press("consumer", &ru("ticket.open")).await;
    page.expect("consumer", "Почему вырос счёт").await;

    // Telegram's «share my number» button on the bot's keyboard: the persona's own contact.
    page.key(&ru("menu.profile")).await;
    page.press("consumer", &ru("profile.edit")).await;
    page.press("consumer", &ru("profile.field_phone")).await;
    page.expect("consumer", &ru("profile.phone_q")).await;
    page.key(&ru("profile.phone_button")).await;
    page.expect("consumer", &ru("common.saved")).await;
    page.expect("consumer", "+79000001001").await;

    // A reload: the history comes back at its newest message (pictures loaded), and the
    // notices of pressed buttons are not shown again.
    // «Взять в работу» showed its notice in the group before the reload.
    page.until("Number(document.querySelector('#group .toast').dataset.shown || 0) >= 1")
        .await;
    page.c.refresh().await.unwrap();
    page.c
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#status[data-state=live]"))
        .await
        .expect("the page reconnects");
    page.expect("consumer", "+79000001001").await;
    page.until("[...document.querySelectorAll('#group img.photo')].every(i => i.complete && i.naturalWidth === 1)")
        .await;
    page.until(AT_BOTTOM_CONSUMER).await;
    page.until("(b => b.scrollHeight - b.scrollTop - b.clientHeight < 2)(document.querySelector('#group .messages'))")
        .await;
    assert_eq!(
        page.c
            .execute(
                "return [...document.querySelectorAll('.toast')].every(t => !t.dataset.shown)",
                vec![]
            )
            .await
            .unwrap(),
        serde_json::json!(true),
        "no toast replayed after a reload"
    );

    let png = page.c.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    std::fs::write(target.join("sandbox.png"), png).unwrap();

    page.c.close().await.unwrap();
    sandbox.stop().await.unwrap();
}

/// A newcomer registers through the page, every step, with the code read from the mailbox
/// pane; ends at the menu.
async fn register_in_page(page: &Page) {
    // Registration, every step through the page.
    page.type_in("consumer", "/start").await;
    page.expect("consumer", "Здравствуйте").await;
    page.press("consumer", &ru("start.register")).await;
    page.expect("consumer", "Шаг 1 из 6").await;
    // The policy is a link on the page too.
    page.c
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#consumer a[href^='https://example.org/privacy']"))
        .await
        .expect("the consent's policy link");
    page.press("consumer", &ru("reg.consent_yes")).await;
    page.expect("consumer", "Шаг 2 из 6").await;
    page.press("consumer", &ru("kind.individual")).await;
    page.expect("consumer", "Шаг 3 из 6").await;
    page.type_in("consumer", "112-233-445 95").await;
    page.expect("consumer", "Шаг 4 из 6").await;
    page.type_in("consumer", "Петрова Анна Сергеевна").await;
    page.expect("consumer", "Шаг 5 из 6").await;
    page.type_in("consumer", "anna@example.ru").await;
    page.expect("consumer", "Шаг 6 из 6").await;
    page.type_in("consumer", "correct horse").await;
    page.expect("consumer", &ru("reg.password_repeat_q")).await;
    page.type_in("consumer", "correct horse").await;
    page.expect("consumer", "Проверьте данные").await;
    // The password messages were deleted by the bot: gone from the page too.
    let shown = page.c.find(Locator::Css("#consumer .messages")).await.unwrap();
    assert!(!shown.text().await.unwrap().contains("correct horse"));
    page.press("consumer", &ru("reg.ok")).await;
    page.expect("consumer", "Почти готово").await;

    // The code, from the letter in the mailbox pane.
    let letter = page
        .c
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//section[@id='mailbox']//article[contains(@class,'letter')][contains(., 'anna@example.ru')]",
        ))
        .await
        .expect("the confirmation letter in the mailbox pane");
    let code = code_in(&letter.text().await.unwrap());
    page.type_in("consumer", &code).await;
    page.expect("consumer", &ru("confirm.done")).await;
}

/// Every visible label, button and heading shows its whole text (nothing cut off sideways).
const NO_LABEL_CUT: &str = "[...document.querySelectorAll('button, label, option, select, .pane-head .title, .pane-head .sub, .top span')].filter(e => e.offsetParent !== null).every(e => e.scrollWidth <= e.clientWidth + 1)";

/// The bot's reply keyboard takes at most a third of the consumer's pane.
const KEYBOARD_THIRD: &str = "(k => !k.hidden && k.getBoundingClientRect().height <= document.querySelector('#consumer').getBoundingClientRect().height / 3 + 1)(document.querySelector('#consumer .keyboard'))";

/// The newest message with buttons, the chat at its bottom: its buttons take at most two fifths
/// of the chat, and its text fills the rest above them (it is not pushed out of view).
const NEWEST_TEXT_ABOVE_ITS_BUTTONS: &str = "(m => { const box = m.closest('.messages').getBoundingClientRect(); const kb = m.querySelector('.inline-kb').getBoundingClientRect(); const text = m.querySelector('.bubble').getBoundingClientRect(); return kb.height <= box.height * 0.4 + 1 && kb.bottom <= box.bottom + 1 && text.bottom >= box.top + box.height * 0.4; })([...document.querySelectorAll('#consumer .msg.with-kb')].pop())";

/// A small window (1024×700): the reply keyboard keeps to a third of the chat, no label is cut,
/// a long summary keeps its text in view above its ✏️ buttons; a form left for another section
/// is offered back; the page's own labels switch to English.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_window_keeps_labels_whole_and_a_form_left_half_way_comes_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("sandbox.db").display());
    let sandbox = sandbox_on(&db, dir.path(), true).await;
    let driver = Driver::start().await;
    let page = Page {
        c: driver.browser_sized(1024, 700).await,
    };
    page.c.goto(&sandbox.url()).await.unwrap();
    page.c
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#status[data-state=live]"))
        .await
        .expect("the page follows the sandbox's event stream");
    register_in_page(&page).await;
    page.expect("consumer", &ru("menu.title")).await;
    page.until(KEYBOARD_THIRD).await;
    page.until(NO_LABEL_CUT).await;

    // A meter half-added, «Профиль» pressed: kept; back in «Приборы учёта», offered back, and
    // «Продолжить» asks where it stopped.
    page.key(&ru("menu.meters")).await;
    page.expect("consumer", &ru("meters.empty")).await;
    page.press("consumer", &ru("meters.add")).await;
    page.expect("consumer", &ru("add.resource_q")).await;
    page.press("consumer", &format!("⚡ {}", ru("resource.electricity")))
        .await;
    page.expect("consumer", &ru("add.serial_q")).await;
    page.type_in("consumer", "EL-5").await;
    page.expect("consumer", &ru_head("add.model_q")).await;
    page.key(&ru("menu.profile")).await;
    page.expect("consumer", &ru_head("draft.kept")).await;
    page.key(&ru("menu.meters")).await;
    page.expect("consumer", &ru_head("draft.offer")).await;
    page.press("consumer", &ru("draft.resume")).await;
    page.expect("consumer", &ru_head("add.model_q")).await;
    page.press("consumer", &ru("common.cancel")).await;
    page.expect("consumer", &ru("common.cancelled")).await;

    // The longest summary there is: an electricity application, each field with its ✏️.
    page.key(&ru("menu.services")).await;
    page.press("consumer", &ru("conn.new")).await;
    page.press("consumer", &ru("conn.kind.electricity")).await;
    page.expect("consumer", &ru_head("conn.q.reason")).await;
    page.press("consumer", &ru("conn.opt.reason.new")).await;
    for (question, answer) in [
        ("conn.q.object_name_eu", Some("Дом")),
        ("conn.q.address", Some("г. Город, ул. Садовая, д. 3")),
        ("conn.q.cadastral", None),
        ("conn.q.power_new", Some("15")),
    ] {
        page.expect("consumer", &ru_head(question)).await;
        match answer {
            Some(a) => page.type_in("consumer", a).await,
            None => page.press("consumer", &ru("common.skip")).await,
        }
    }
    page.expect("consumer", &ru_head("conn.q.household")).await;
    page.press("consumer", &ru("conn.yes")).await;
    page.expect("consumer", &ru_head("conn.q.instalment")).await;
    page.press("consumer", &ru("conn.no")).await;
    for (question, answer) in [
        ("conn.q.supplier", "АО «Энергосбыт»"),
        ("conn.q.passport", "4510 123456"),
        ("conn.q.passport_issued_by", "ОВД"),
        ("conn.q.passport_date", "01.02.2015"),
    ] {
        page.expect("consumer", &ru_head(question)).await;
        page.type_in("consumer", answer).await;
    }
    page.expect("consumer", &ru_head("conn.files_q.electricity")).await;
    page.press("consumer", &ru("common.skip")).await;
    page.expect("consumer", &ru("conn.summary")).await;
    page.until(AT_BOTTOM_CONSUMER).await;
    page.until(NEWEST_TEXT_ABOVE_ITS_BUTTONS).await;
    // Its buttons scroll inside the message (there are more than the chat shows at once).
    page.until("(k => k.scrollHeight > k.clientHeight)([...document.querySelectorAll('#consumer .msg.with-kb .inline-kb')].pop())")
        .await;
    page.until(NO_LABEL_CUT).await;

    // The page's own labels in English, chosen at the top.
    page.c
        .execute(
            "const s = document.querySelector('#page-lang'); s.value = 'en'; s.dispatchEvent(new Event('change'));",
            vec![],
        )
        .await
        .unwrap();
    page.until("document.querySelector('#mailbox .pane-head .title').textContent === 'Mail'")
        .await;
    page.until("document.querySelector('#consumer .pane-head label span').textContent === 'Consumer' && document.documentElement.lang === 'en'")
        .await;
    page.until(NO_LABEL_CUT).await;

    page.c.close().await.unwrap();
    sandbox.stop().await.unwrap();
}

/// The consumer's chat shows its newest message.
const AT_BOTTOM_CONSUMER: &str =
    "(b => b.scrollHeight - b.scrollTop - b.clientHeight < 2)(document.querySelector('#consumer .messages'))";

/// One HTTP/1.1 exchange over a fresh connection: status, head, body.
/// A request as the page makes it: to its own address, POSTs with its own origin.
async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    let origin = format!("http://{addr}");
    let mut all = headers.to_vec();
    if method == "POST" {
        all.push(("Origin", &origin));
    }
    http_raw(addr, &addr.to_string(), method, path, &all, body).await
}

/// A request with the `Host` given and only the headers given.
async fn http_raw(
    addr: std::net::SocketAddr,
    host: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").expect("a head");
    let head = String::from_utf8_lossy(&out[..split]).into_owned();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, head, out[split + 4..].to_vec())
}

async fn post_json(addr: std::net::SocketAddr, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let (status, _, body) = http(
        addr,
        "POST",
        path,
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    )
    .await;
    (status, serde_json::from_slice(&body).unwrap_or_default())
}

/// The first batch of the page's event stream after `last_seen`.
async fn first_batch(addr: std::net::SocketAddr, last_seen: u64) -> Vec<serde_json::Value> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET /api/events HTTP/1.1\r\nHost: {addr}\r\nLast-Event-ID: {last_seen}\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = tokio::time::timeout(WAIT, s.read(&mut buf))
            .await
            .expect("an event")
            .unwrap();
        assert!(n > 0, "the stream ended");
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got);
        if let Some(data) = text.lines().find_map(|l| l.strip_prefix("data: "))
            && let Ok(serde_json::Value::Array(entries)) = serde_json::from_str(data)
        {
            return entries;
        }
    }
}

async fn sandbox_on(db: &str, dir: &std::path::Path, fresh: bool) -> Sandbox {
    let config = Config::from_flags(["--mail-dir", &dir.join("mail").display().to_string()]).unwrap();
    Sandbox::start(
        config,
        Options {
            port: 0,
            database_url: db.to_owned(),
            fresh,
        },
    )
    .await
    .unwrap()
}

/// Waits for the bot's message in a chat that contains `needle`, from event `from` on.
async fn bot_says(sandbox: &Sandbox, chat: i64, from: usize, needle: &str) -> tgmock::BotMessage {
    match sandbox
        .bot_api()
        .wait_event(
            from,
            WAIT,
            |e| matches!(e, tgmock::Event::Sent(m) if m.chat_id == chat && m.text.contains(needle)),
        )
        .await
    {
        Some((_, tgmock::Event::Sent(m))) => m,
        _ => panic!("the bot never said «{needle}» in {chat}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_api_refuses_what_it_cannot_do_keeps_files_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("sandbox.db").display());
    let sandbox = sandbox_on(&db, dir.path(), true).await;
    let addr = sandbox.address();
    let anna = kabinet::sandbox::CONSUMERS[0].id;

    // What the page is, and that it asks nothing of other hosts.
    let (status, head, page) = http(addr, "GET", "/", &[], b"").await;
    assert_eq!(status, 200);
    assert!(
        head.to_ascii_lowercase()
            .contains("content-security-policy: default-src 'self'")
    );
    assert!(
        !String::from_utf8_lossy(&page).contains("https://"),
        "no outside resources"
    );

    // The command menu the bot registered, per language, for the page's ☰.
    let (status, _, config) = http(addr, "GET", "/api/config", &[], b"").await;
    assert_eq!(status, 200);
    let config: serde_json::Value = serde_json::from_slice(&config).unwrap();
    for lang in ["ru", "en"] {
        let commands = config["commands"][lang].as_array().expect("commands per language");
        assert!(commands.iter().any(|c| c["command"] == "start"), "{lang}: {commands:?}");
    }
    assert_eq!(config["consumers"].as_array().map(Vec::len), Some(3));

    // Refusals: an unknown chat, an empty message, a button of a message that is not there.
    assert_eq!(
        post_json(addr, "/api/send", serde_json::json!({ "chat": 1, "text": "hi" }))
            .await
            .0,
        404
    );
    assert_eq!(
        post_json(addr, "/api/send", serde_json::json!({ "chat": anna, "text": "  " }))
            .await
            .0,
        400
    );
    let gone = serde_json::json!({ "chat": anna, "message_id": 999_999, "data": "reg" });
    assert_eq!(post_json(addr, "/api/press", gone).await.0, 409);

    let (status, _) = post_json(addr, "/api/send", serde_json::json!({ "chat": anna, "text": "/start" })).await;
    assert_eq!(status, 200);
    let welcome = bot_says(&sandbox, anna, 0, "Здравствуйте").await;
    let reg = &welcome.inline_buttons()[0].1;
    let press = serde_json::json!({ "chat": anna, "message_id": welcome.message_id, "data": reg });
    assert_eq!(post_json(addr, "/api/press", press).await.0, 200);
    bot_says(&sandbox, anna, 0, "Шаг 1 из 6").await;

    // A file sent in the chat is kept and comes back with its name.
    let boundary = "XyZ";
    let mut form = Vec::new();
    for (name, value) in [("chat", anna.to_string()), ("caption", "счёт".to_owned())] {
        form.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes(),
        );
    }
    form.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"akt.pdf\"\r\nContent-Type: application/pdf\r\n\r\n")
            .bytes(),
    );
    form.extend_from_slice(b"%PDF-1.4 test");
    form.extend(format!("\r\n--{boundary}--\r\n").bytes());
    let (status, _, _) = http(
        addr,
        "POST",
        "/api/upload",
        &[("Content-Type", &format!("multipart/form-data; boundary={boundary}"))],
        &form,
    )
    .await;
    assert_eq!(status, 200);
    let entries = first_batch(addr, 0).await;
    let sent = entries
        .iter()
        .find(|e| e["kind"] == "user" && e["file"]["name"] == "akt.pdf")
        .expect("the upload in the page's log");
    assert_eq!(sent["text"], "счёт");
    let id = sent["file"]["id"].as_str().unwrap();
    let (status, head, bytes) = http(addr, "GET", &format!("/api/files/{id}"), &[], b"").await;
    assert_eq!((status, bytes.as_slice()), (200, &b"%PDF-1.4 test"[..]));
    assert!(head.contains("filename*=UTF-8''akt.pdf"), "{head}");
    assert_eq!(http(addr, "GET", "/api/files/nope", &[], b"").await.0, 404);
    // File ids cannot be guessed from one another.
    let tail = id.rsplit('-').next().unwrap_or_default();
    assert!(tail.len() == 16 && tail.chars().all(|c| c.is_ascii_hexdigit()), "{id}");

    // Only the page itself: another host name (DNS rebinding) is refused, and so is a POST from
    // another origin or with none; every answer carries the policy and nosniff.
    let (status, head, _) = http_raw(
        addr,
        &format!("evil.example:{}", addr.port()),
        "GET",
        "/api/events",
        &[],
        b"",
    )
    .await;
    assert_eq!(status, 421);
    assert!(
        head.to_ascii_lowercase().contains("x-content-type-options: nosniff"),
        "{head}"
    );
    let hi = serde_json::json!({ "chat": anna, "text": "hi" }).to_string();
    let json = ("Content-Type", "application/json");
    let host = addr.to_string();
    for origin in [None, Some("http://evil.example"), Some("null")] {
        let mut headers = vec![json];
        if let Some(o) = origin {
            headers.push(("Origin", o));
        }
        let (status, head, _) = http_raw(addr, &host, "POST", "/api/send", &headers, hi.as_bytes()).await;
        assert_eq!(status, 403, "origin {origin:?}");
        assert!(head.to_ascii_lowercase().contains("content-security-policy"), "{head}");
    }

    // An uploaded SVG is never shown in place: downloaded, sandboxed, not sniffed.
    let mut svg_form = Vec::new();
    svg_form.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"chat\"\r\n\r\n{anna}\r\n").bytes());
    svg_form.extend(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.svg\"\r\nContent-Type: image/svg+xml\r\n\r\n")
            .bytes(),
    );
    svg_form.extend_from_slice(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>");
    svg_form.extend(format!("\r\n--{boundary}--\r\n").bytes());
    let multipart = format!("multipart/form-data; boundary={boundary}");
    let (status, _, _) = http(addr, "POST", "/api/upload", &[("Content-Type", &multipart)], &svg_form).await;
    assert_eq!(status, 200);
    let svg_id = first_batch(addr, 0)
        .await
        .iter()
        .find(|e| e["file"]["name"] == "x.svg")
        .and_then(|e| e["file"]["id"].as_str().map(str::to_owned))
        .expect("the SVG in the log");
    let (_, head, _) = http(addr, "GET", &format!("/api/files/{svg_id}?inline=true"), &[], b"").await;
    let head = head.to_ascii_lowercase();
    assert!(head.contains("content-disposition: attachment"), "{head}");
    assert!(head.contains("content-security-policy: sandbox"), "{head}");
    assert!(head.contains("x-content-type-options: nosniff"), "{head}");

    // A browser that reconnects gets only what it has not seen, from the next entry on.
    assert!(entries.len() >= 3, "{entries:?}");
    let seen = entries[entries.len() - 2]["seq"].as_u64().unwrap();
    let more = first_batch(addr, seen).await;
    assert_eq!(more[0], entries[entries.len() - 1]);
    assert!(more.iter().all(|e| e["seq"].as_u64().unwrap() > seen), "{more:?}");
    sandbox.stop().await.unwrap();

    // Started again on the same database: the bot still answers (the new run's updates are not
    // taken for the old run's, already handled ones).
    let sandbox = sandbox_on(&db, dir.path(), false).await;
    let addr = sandbox.address();
    post_json(addr, "/api/send", serde_json::json!({ "chat": anna, "text": "/start" })).await;
    bot_says(&sandbox, anna, 0, "Здравствуйте").await;
    sandbox.stop().await.unwrap();
}
