// Kabinet sandbox page: a Telegram-like consumer chat, the operators' group and the mailbox.
// Everything comes from one server-sent event stream; actions are small JSON calls.
'use strict';

const S = {
  loadedAt: Date.now(),  // toasts from before the page was (re)loaded are not shown again
  config: null,
  chats: new Map(),      // chat id -> { items: [{id, out, entry, edited}], keyboard, kbHidden, unseen }
  current: null,         // the consumer chat shown in the left pane
  replyTo: null,         // the group message the operator answers
  letters: [],
};

// ---- the page's own words, in the language chosen at the top (the bot speaks for itself)
const WORDS = {
  ru: {
    tagline: 'песочница: настоящий бот без Telegram', connecting: 'подключение…', live: 'на связи', reconnecting: 'переподключение…',
    consumer_chat: 'Чат потребителя', consumer: 'Потребитель', who: 'Кто пишет', private_chat: 'личный чат с ботом',
    commands: 'Команды бота', attach_photo: 'Отправить файл или фото', attach: 'Отправить файл', message: 'Сообщение',
    keyboard: 'Клавиатура бота', send: 'Отправить', group: 'Группа операторов', operators: 'Операторы',
    no_reply: 'Не отвечать', group_placeholder: 'Ответьте на карточку: ↩ у сообщения', group_message: 'Сообщение в группу',
    mail: 'Почта', mail_sub: 'письма бота, новые сверху', no_letters: 'Писем пока нет.', accounts_hint: 'Лицевые счета: добавьте счёт 100200300 — подтвердите номером счётчика ЭЛ-001 или суммой 2742,81.', deleted: 'Это сообщение уже удалено.',
    not_sent: 'Не отправлено: ', no_link: 'Нет связи с песочницей: ', edited: 'изменено ', reply: '↩ Ответить',
    group_empty: 'Здесь появятся карточки заявок и обращений.', chat_empty: 'Напишите /start, чтобы начать.',
    operator_chat: ' — личный чат', reply_to: 'Ответ на: ', no_subject: '(без темы)', to: 'Кому: ', writes: 'пишет ',
  },
  en: {
    tagline: 'sandbox: the real bot without Telegram', connecting: 'connecting…', live: 'live', reconnecting: 'reconnecting…',
    consumer_chat: 'Consumer chat', consumer: 'Consumer', who: 'Who writes', private_chat: 'private chat with the bot',
    commands: 'Bot commands', attach_photo: 'Send a file or a photo', attach: 'Send a file', message: 'Message',
    keyboard: 'Bot keyboard', send: 'Send', group: 'Operators\' group', operators: 'Operators',
    no_reply: 'Do not reply', group_placeholder: 'Reply to a card: ↩ under the message', group_message: 'Message to the group',
    mail: 'Mail', mail_sub: 'the bot\'s letters, newest first', no_letters: 'No letters yet.', accounts_hint: 'Personal accounts: add account 100200300, proved with meter number ЭЛ-001 or the amount 2742.81.', deleted: 'This message was deleted already.',
    not_sent: 'Not sent: ', no_link: 'No connection to the sandbox: ', edited: 'edited ', reply: '↩ Reply',
    group_empty: 'Cards of applications and appeals will appear here.', chat_empty: 'Type /start to begin.',
    operator_chat: ' — private chat', reply_to: 'Reply to: ', no_subject: '(no subject)', to: 'To: ', writes: 'writing: ',
  },
};
let LANG = localStorage.getItem('kabinet-sandbox-lang') || ((navigator.language || '').startsWith('en') ? 'en' : 'ru');
const T = (key) => (WORDS[LANG] || WORDS.ru)[key] || WORDS.ru[key] || key;
function translatePage() {
  document.documentElement.lang = LANG;
  for (const e of document.querySelectorAll('[data-t]')) e.textContent = T(e.dataset.t);
  for (const [attr, data] of [['title', 'tTitle'], ['placeholder', 'tPlaceholder'], ['aria-label', 'tAriaLabel']]) {
    for (const e of document.querySelectorAll(`[data-t-${attr}]`)) e.setAttribute(attr, T(e.dataset[data]));
  }
}

const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
};

function chat(id) {
  if (!S.chats.has(id)) S.chats.set(id, { items: [], keyboard: null, kbHidden: false, unseen: 0 });
  return S.chats.get(id);
}

// ---- Telegram's HTML subset, rebuilt element by element: nothing else gets through.
const TAGS = { B: 'b', STRONG: 'b', I: 'i', EM: 'i', U: 'u', INS: 'u', S: 's', STRIKE: 's', DEL: 's', CODE: 'code', PRE: 'pre', BLOCKQUOTE: 'blockquote' };
function copyNodes(nodes, into) {
  for (const n of nodes) {
    if (n.nodeType === Node.TEXT_NODE) { into.append(n.textContent); continue; }
    if (n.nodeType !== Node.ELEMENT_NODE) continue;
    const tag = n.tagName;
    let e;
    if (TAGS[tag]) e = document.createElement(TAGS[tag]);
    else if (tag === 'A') {
      e = document.createElement('a');
      const href = n.getAttribute('href') || '';
      if (/^(https?:|mailto:|tg:)/i.test(href)) { e.href = href; e.target = '_blank'; e.rel = 'noopener noreferrer'; }
    } else if (tag === 'TG-SPOILER' || (tag === 'SPAN' && n.classList.contains('tg-spoiler'))) {
      e = el('span', { class: 'spoiler', onclick: () => e.classList.add('open') });
    } else e = document.createElement('span');
    copyNodes(n.childNodes, e);
    into.append(e);
  }
}
function richText(entry) {
  const box = el('div', { class: 'text' });
  if (entry.html) copyNodes(new DOMParser().parseFromString('<body>' + entry.text, 'text/html').body.childNodes, box);
  else box.textContent = entry.text || '';
  return box;
}
const hhmm = (ms) => new Date(ms).toLocaleTimeString(LANG === 'en' ? 'en-GB' : 'ru-RU', { hour: '2-digit', minute: '2-digit' });
const firstLine = (t) => (t || '').replace(/<[^>]*>/g, '').split('\n').find((l) => l.trim()) || '';

// ---- server calls
async function call(path, body, pane) {
  try {
    const opts = body instanceof FormData ? { method: 'POST', body } : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
    const r = await fetch(path, opts);
    if (!r.ok) {
      const why = (await r.json().catch(() => ({}))).error || r.statusText;
      note(pane, r.status === 409 ? T('deleted') : T('not_sent') + why);
    }
  } catch (e) {
    note(pane, T('no_link') + e.message);
  }
}
function note(pane, text) {
  const box = $('.messages', pane);
  box.append(el('div', { class: 'error-note' }, text));
  box.scrollTop = box.scrollHeight;
}
const send = (chatId, text, pane, replyTo) => call('/api/send', { chat: chatId, text, reply_to: replyTo ?? null }, pane);
const press = (chatId, messageId, data, pane) => call('/api/press', { chat: chatId, message_id: messageId, data }, pane);

// ---- rendering a chat
// More rows of buttons than this scroll inside their message (a summary's ✏️ for each field).
const MANY_ROWS = 8;
function bubble(item, chatId, pane) {
  const { entry } = item;
  const c = chat(chatId);
  const b = el('div', { class: 'bubble' });
  if (chatId < 0 && item.out) b.append(el('div', { class: 'from' }, entry.from));
  if (entry.reply_to) {
    const orig = c.items.find((i) => i.id === entry.reply_to);
    if (orig) b.append(el('div', { class: 'quote' }, firstLine(orig.entry.text) || (orig.entry.file ? '📎 ' + orig.entry.file.name : '…')));
  }
  if (entry.file) {
    const href = '/api/files/' + encodeURIComponent(entry.file.id);
    if (entry.file.image) b.append(el('a', { href: href + '?inline=true', target: '_blank' }, el('img', { class: 'photo', src: href + '?inline=true', alt: entry.file.name, onload: () => toBottom(pane) })));
    b.append(el('div', { class: 'file' }, '📄', el('a', { href, download: entry.file.name }, entry.file.name)));
  }
  if (entry.contact) b.append(el('div', { class: 'text' }, '📞 ' + entry.contact));
  if (entry.text) b.append(richText(entry));
  b.append(el('span', { class: 'meta' }, (item.edited ? T('edited') : '') + hhmm(entry.at)));
  const rows = entry.markup && entry.markup.inline_keyboard;
  // Buttons under a short message keep a readable width.
  const many = rows && rows.length > MANY_ROWS;
  const m = el('div', { class: 'msg' + (item.out ? ' out' : '') + (rows && rows.length ? ' with-kb' : '') + (many ? ' many' : ''), 'data-id': item.id }, b);
  if (rows && rows.length) {
    const kb = el('div', { class: 'inline-kb' });
    for (const row of rows) {
      const r = el('div', { class: 'row' });
      for (const btn of row) {
        if (btn.url) r.append(el('a', { href: btn.url, target: '_blank', rel: 'noopener noreferrer' }, btn.text + ' ↗'));
        else r.append(el('button', { type: 'button', onclick: () => press(chatId, item.id, btn.callback_data || '', pane) }, btn.text));
      }
      kb.append(r);
    }
    m.append(kb);
  }
  if (chatId < 0 && !item.out) {
    m.append(el('button', { type: 'button', class: 'reply-action', onclick: () => startReply(item) }, T('reply')));
  }
  return m;
}

// A chat follows its newest message while the reader is at the bottom (as after a reload):
// after new messages, after the reply keyboard changes the height, after a picture loads.
function following(pane) {
  return pane.dataset.follow !== 'no';
}
function toBottom(pane) {
  if (!following(pane)) return;
  const box = $('.messages', pane);
  box.scrollTop = box.scrollHeight;
}
function watchScroll(pane) {
  const box = $('.messages', pane);
  box.addEventListener('scroll', () => {
    // Only the reader's own scrolling up stops following; reaching the bottom resumes it.
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    pane.dataset.follow = atBottom ? 'yes' : 'no';
  });
  new ResizeObserver(() => toBottom(pane)).observe(box);
}

function renderChat(pane, chatId) {
  const box = $('.messages', pane);
  if (chat(chatId).scrollNext) pane.dataset.follow = 'yes';
  const keep = following(pane);
  box.replaceChildren(...chat(chatId).items.map((i) => bubble(i, chatId, pane)));
  if (!box.children.length) box.append(el('p', { class: 'empty' }, chatId < 0 ? T('group_empty') : T('chat_empty')));
  chat(chatId).scrollNext = false;
  // The keyboard first: it takes height from the messages, and then the scroll is right.
  if (pane.id === 'consumer') renderKeyboard();
  pane.dataset.follow = keep ? 'yes' : 'no';
  toBottom(pane);
}

function renderKeyboard() {
  const pane = $('#consumer');
  const c = chat(S.current);
  const kbBox = $('.keyboard', pane);
  const toggle = $('.kb-toggle', pane);
  const markup = c.keyboard;
  $('input[name=text]', pane).placeholder = (markup && markup.input_field_placeholder) || T('message');
  toggle.hidden = !markup;
  kbBox.hidden = !markup || c.kbHidden;
  kbBox.replaceChildren();
  if (!markup) return;
  for (const row of markup.keyboard) {
    const r = el('div', { class: 'row' });
    for (const raw of row) {
      const btn = typeof raw === 'string' ? { text: raw } : raw;
      r.append(el('button', {
        type: 'button',
        class: btn.request_contact ? 'contact' : null,
        onclick: () => {
          if (btn.request_contact) call('/api/contact', { chat: S.current }, pane);
          else send(S.current, btn.text, pane);
          if (markup.one_time_keyboard) { c.kbHidden = true; renderKeyboard(); }
          chat(S.current).scrollNext = true;
        },
      }, btn.text));
    }
    kbBox.append(r);
  }
}

function renderWho() {
  const sel = $('#who');
  const people = [...S.config.consumers, S.config.operator];
  sel.replaceChildren(...people.map((p) => {
    const unseen = p.id === S.current ? 0 : chat(p.id).unseen;
    const label = p.id === S.config.operator.id ? p.name + T('operator_chat') : p.name;
    return el('option', { value: p.id, selected: p.id === S.current }, label + (unseen ? ` (${unseen})` : ''));
  }));
}

function showToast(pane, text, alert) {
  const t = $('.toast', pane);
  t.className = 'toast' + (alert ? ' alert' : '');
  t.replaceChildren(text);
  t.hidden = false;
  // How many this page has shown (a reload starts from none): the browser test reads it.
  t.dataset.shown = String(Number(t.dataset.shown || 0) + 1);
  clearTimeout(t._timer);
  if (alert) t.append(el('button', { type: 'button', onclick: () => { t.hidden = true; } }, 'OK'));
  else t._timer = setTimeout(() => { t.hidden = true; }, 2500);
}

// ---- the group's reply
function startReply(item) {
  S.replyTo = item.id;
  const bar = $('#group .replying');
  $('.quote', bar).textContent = T('reply_to') + (firstLine(item.entry.text) || item.entry.file?.name || '…');
  bar.hidden = false;
  $('#group input[name=text]').focus();
}
function stopReply() {
  S.replyTo = null;
  $('#group .replying').hidden = true;
}

// ---- the mailbox
function renderLetters() {
  const box = $('#mailbox .letters');
  if (!S.letters.length) return;
  box.replaceChildren(...S.letters.slice().reverse().map((l) => {
    const body = el('div', { class: 'body' });
    // Links into the bot (t.me/<bot>?start=…) open in the consumer chat shown on the left.
    const parts = (l.text || '').split(/(https?:\/\/\S+)/);
    for (const p of parts) {
      const deep = p.match(/^https?:\/\/t\.me\/([A-Za-z0-9_]+)\?start=([A-Za-z0-9_-]+)/);
      if (deep && deep[1] === S.config.bot) {
        body.append(el('a', { href: '#', class: 'deep-link', onclick: (e) => { e.preventDefault(); send(S.current, '/start ' + deep[2], $('#consumer')); } }, p));
      } else if (/^https?:\/\//.test(p)) body.append(el('a', { href: p, target: '_blank', rel: 'noopener noreferrer' }, p));
      else body.append(p);
    }
    return el('article', { class: 'letter' },
      el('div', { class: 'subject' }, l.subject || T('no_subject')),
      el('div', { class: 'head' }, T('to') + l.to + ' · ' + hhmm(l.at)),
      body);
  }));
}

// ---- the stream
function apply(entries) {
  const dirty = new Set();
  for (const e of entries) {
    if (e.kind === 'mail') { S.letters.push(e); dirty.add('mail'); continue; }
    const c = chat(e.chat);
    if (e.kind === 'user' || e.kind === 'sent') {
      c.items.push({ id: e.id, out: e.kind === 'user', entry: e });
      if (e.kind === 'sent' && e.markup) {
        if (e.markup.keyboard) { c.keyboard = e.markup; c.kbHidden = false; }
        else if (e.markup.remove_keyboard) c.keyboard = null;
      }
      if (e.kind === 'sent' && e.chat !== S.current && e.chat > 0) c.unseen += 1;
    } else if (e.kind === 'edited') {
      const i = c.items.find((x) => x.id === e.id);
      if (i) { i.entry = { ...e, at: i.entry.at }; i.edited = true; }
    } else if (e.kind === 'deleted') {
      c.items = c.items.filter((x) => x.id !== e.id);
      if (S.replyTo === e.id && e.chat < 0) stopReply();
    } else if (e.kind === 'toast') {
      if (e.at < S.loadedAt - 2000) continue;
      const pane = e.chat < 0 ? $('#group') : (e.chat === S.current ? $('#consumer') : null);
      if (pane) showToast(pane, e.text, e.alert);
      continue;
    }
    dirty.add(e.chat);
  }
  for (const d of dirty) {
    if (d === 'mail') renderLetters();
    else if (d === S.current) renderChat($('#consumer'), d);
    else if (d === S.config.group.id) renderChat($('#group'), d);
  }
  renderWho();
}

function connect() {
  const status = $('#status');
  const es = new EventSource('/api/events');
  es.addEventListener('entries', (ev) => apply(JSON.parse(ev.data)));
  es.onopen = () => { status.dataset.state = 'live'; status.textContent = T('live'); };
  es.onerror = () => { status.dataset.state = 'connecting'; status.textContent = T('reconnecting'); };
}

// ---- composers
function wireComposer(pane, chatOf, replyOf) {
  const form = $('.composer', pane);
  const input = $('input[name=text]', form);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    chat(chatOf()).scrollNext = true;
    send(chatOf(), text, pane, replyOf());
    if (pane.id === 'group') stopReply();
  });
  const file = $('input[type=file]', form);
  file.addEventListener('change', () => {
    if (!file.files.length) return;
    const fd = new FormData();
    fd.append('chat', chatOf());
    fd.append('caption', input.value.trim());
    const r = replyOf();
    if (r) fd.append('reply_to', r);
    fd.append('file', file.files[0]);
    input.value = '';
    file.value = '';
    chat(chatOf()).scrollNext = true;
    call('/api/upload', fd, pane);
    if (pane.id === 'group') stopReply();
  });
}

function commandsFor(lang) {
  const all = S.config.commands || {};
  return all[lang] || all.default || Object.values(all)[0] || [];
}

async function main() {
  S.config = await (await fetch('/api/config')).json();
  const saved = Number(localStorage.getItem('kabinet-sandbox-who'));
  const ids = [...S.config.consumers, S.config.operator].map((p) => p.id);
  S.current = ids.includes(saved) ? saved : S.config.consumers[0].id;
  $('#group-title').textContent = S.config.group.title;
  translatePage();
  const langSel = $('#page-lang');
  langSel.value = LANG;
  langSel.addEventListener('change', () => {
    LANG = langSel.value;
    localStorage.setItem('kabinet-sandbox-lang', LANG);
    translatePage();
    $('#group-title').textContent = S.config.group.title;
    $('#operator-name').textContent = T('writes') + S.config.operator.name;
    const live = $('#status').dataset.state === 'live';
    $('#status').textContent = T(live ? 'live' : 'reconnecting');
    renderChat($('#consumer'), S.current);
    renderChat($('#group'), S.config.group.id);
    renderWho();
  });
  $('#operator-name').textContent = T('writes') + S.config.operator.name;

  const consumer = $('#consumer');
  const group = $('#group');
  $('#who').addEventListener('change', (e) => {
    S.current = Number(e.target.value);
    localStorage.setItem('kabinet-sandbox-who', S.current);
    chat(S.current).unseen = 0;
    chat(S.current).scrollNext = true;
    $('.commands', consumer).hidden = true;
    renderChat(consumer, S.current);
    renderWho();
  });
  wireComposer(consumer, () => S.current, () => null);
  wireComposer(group, () => S.config.group.id, () => S.replyTo);
  $('.cancel-reply', group).addEventListener('click', stopReply);
  $('.kb-toggle', consumer).addEventListener('click', () => { const c = chat(S.current); c.kbHidden = !c.kbHidden; renderKeyboard(); toBottom(consumer); });
  $('.menu-button', consumer).addEventListener('click', () => {
    const box = $('.commands', consumer);
    if (!box.hidden) { box.hidden = true; return; }
    const me = [...S.config.consumers, S.config.operator].find((p) => p.id === S.current);
    box.replaceChildren(...commandsFor(me.language).map((c) => el('button', {
      type: 'button',
      onclick: () => { box.hidden = true; chat(S.current).scrollNext = true; send(S.current, '/' + c.command, consumer); },
    }, el('b', {}, '/' + c.command), c.description)));
    box.hidden = false;
  });
  watchScroll(consumer);
  watchScroll(group);
  renderChat(consumer, S.current);
  renderChat(group, S.config.group.id);
  renderWho();
  connect();
}

main();
