//! Telegram's size rules for what the bot composes: a text shows at most 4,096 and a caption
//! 1,024 UTF-16 code units once its HTML is parsed. A longer text is split into several
//! messages at a paragraph, else a line, else a word boundary (a hard cut only inside a word
//! longer than the room), never inside a tag or an entity; tags open at a cut are closed at
//! the end of one part and opened again at the start of the next.

/// Telegram's limit for a message's text.
pub const TEXT_LIMIT: usize = 4096;
/// Telegram's limit for a caption.
pub const CAPTION_LIMIT: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    /// `<name …>`: the byte range of the whole tag and of its name.
    Open { at: usize, end: usize, name_end: usize },
    /// `</name>`.
    Close { at: usize, end: usize },
    /// One visible character (a plain one or an entity): its byte range, UTF-16 length and,
    /// for boundaries, whether it is a line break or a space.
    Unit {
        at: usize,
        end: usize,
        units: usize,
        ch: char,
    },
}

/// The tokens of `html`. Anything that is not a well-formed tag or a known entity is taken as
/// plain text, so the splitter never fails; the bot's own HTML is always well-formed.
fn tokenize(html: &str) -> Vec<Tok> {
    let bytes = html.as_bytes();
    let mut toks = Vec::with_capacity(html.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'<'
            && let Some(rel) = html[i..].find('>')
        {
            let end = i + rel + 1;
            if bytes.get(i + 1) == Some(&b'/') {
                toks.push(Tok::Close { at: i, end });
            } else {
                let name_end = html[i + 1..end - 1]
                    .find(|c: char| c.is_ascii_whitespace())
                    .map_or(end - 1, |p| i + 1 + p);
                toks.push(Tok::Open { at: i, end, name_end });
            }
            i = end;
            continue;
        }
        if bytes[i] == b'&'
            && let Some((ch, len)) = entity(&html[i..])
        {
            toks.push(Tok::Unit {
                at: i,
                end: i + len,
                units: ch.len_utf16(),
                ch,
            });
            i += len;
            continue;
        }
        let ch = html[i..].chars().next().unwrap_or_default();
        toks.push(Tok::Unit {
            at: i,
            end: i + ch.len_utf8(),
            units: ch.len_utf16(),
            ch,
        });
        i += ch.len_utf8();
    }
    toks
}

/// The entities Telegram decodes (`&lt;` `&gt;` `&amp;` `&quot;` and numeric ones).
fn entity(s: &str) -> Option<(char, usize)> {
    let end = s.find(';').filter(|e| *e <= 12)?;
    let c = match &s[1..end] {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        body => {
            let code = match body.strip_prefix("#x").or_else(|| body.strip_prefix("#X")) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => body.strip_prefix('#')?.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((c, end + 1))
}

/// The tags still open after `toks`, given those open before them: (open-tag text, name).
fn open_after<'a>(html: &'a str, toks: &[Tok], mut open: Vec<(&'a str, &'a str)>) -> Vec<(&'a str, &'a str)> {
    for t in toks {
        match *t {
            Tok::Open { at, end, name_end } => open.push((&html[at..end], &html[at + 1..name_end])),
            Tok::Close { .. } => {
                open.pop();
            }
            Tok::Unit { .. } => {}
        }
    }
    open
}

/// Splits `html` into parts that each show at most `limit` UTF-16 code units, valid HTML each
/// (given valid HTML). A text that fits comes back as it is. Parts that would show only
/// whitespace are left out (Telegram refuses an empty message).
pub fn split(html: &str, limit: usize) -> Vec<String> {
    let parts: Vec<String> = split_all(html, limit)
        .into_iter()
        .filter(|(_, blank)| !blank)
        .map(|(p, _)| p)
        .collect();
    if parts.is_empty() {
        return vec![html.to_owned()];
    }
    parts
}

/// Every part, each with whether it shows only whitespace.
fn split_all(html: &str, limit: usize) -> Vec<(String, bool)> {
    let limit = limit.max(2);
    let toks = tokenize(html);
    let mut parts = Vec::new();
    let mut start = 0;
    let mut open: Vec<(&str, &str)> = Vec::new();
    while start < toks.len() {
        let end = part_end(&toks, start, limit);
        let still_open = open_after(html, &toks[start..end], open.clone());
        let mut part = String::new();
        for (tag, _) in &open {
            part.push_str(tag);
        }
        part.push_str(&html[tok_at(&toks[start])..tok_end(&toks[end - 1])]);
        for (_, name) in still_open.iter().rev() {
            part.push_str(&format!("</{name}>"));
        }
        let blank = toks[start..end]
            .iter()
            .all(|t| !matches!(t, Tok::Unit { ch, .. } if !ch.is_whitespace()));
        parts.push((part, blank));
        open = still_open;
        start = end;
    }
    parts
}

/// Where the part that begins at token `start` ends (exclusive).
fn part_end(toks: &[Tok], start: usize, limit: usize) -> usize {
    // How far the part can go, and the last boundary of each kind on the way (the index after
    // it, and the length shown up to it).
    let (mut len, mut i) = (0, start);
    let (mut para, mut line, mut space) = (None, None, None);
    let mut prev = '\0';
    while i < toks.len() {
        if let Tok::Unit { units, ch, .. } = toks[i] {
            if len + units > limit {
                break;
            }
            len += units;
            match ch {
                '\n' if prev == '\n' => para = Some((i + 1, len)),
                '\n' => line = Some((i + 1, len)),
                ' ' | '\t' => space = Some((i + 1, len)),
                _ => {}
            }
            prev = ch;
        }
        i += 1;
    }
    if i == toks.len() {
        return i;
    }
    // The widest kind of boundary that still fills at least half the part; else a hard cut,
    // which leaves tags that open right before it to the next part.
    let mut cut = match [para, line, space]
        .into_iter()
        .flatten()
        .find(|(_, at)| at * 2 >= limit)
    {
        Some((at, _)) => at,
        None => {
            let mut cut = i;
            while cut > start + 1 && matches!(toks[cut - 1], Tok::Open { .. }) {
                cut -= 1;
            }
            cut
        }
    };
    cut = cut.max(start + 1);
    // Tags that close right at the cut belong to this part.
    while cut < toks.len() && matches!(toks[cut], Tok::Close { .. }) {
        cut += 1;
    }
    cut
}

fn tok_at(t: &Tok) -> usize {
    match *t {
        Tok::Open { at, .. } | Tok::Close { at, .. } | Tok::Unit { at, .. } => at,
    }
}

fn tok_end(t: &Tok) -> usize {
    match *t {
        Tok::Open { end, .. } | Tok::Close { end, .. } | Tok::Unit { end, .. } => end,
    }
}

/// What `html` shows, in UTF-16 code units (as Telegram counts, before trimming).
pub fn shown_len(html: &str) -> usize {
    tokenize(html)
        .iter()
        .map(|t| match t {
            Tok::Unit { units, .. } => *units,
            _ => 0,
        })
        .sum()
}

/// `html` cut to show at most `limit` units, ending in «…» when cut (for one-line places that
/// cannot be split: a button's notice, an e-mail subject).
pub fn truncate(html: &str, limit: usize) -> String {
    if shown_len(html) <= limit {
        return html.to_owned();
    }
    let mut first = split(html, limit.saturating_sub(1).max(2))
        .into_iter()
        .next()
        .unwrap_or_default();
    first.push('…');
    first
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn shown(html: &str) -> String {
        tgmock::html::parse(html).expect("valid HTML")
    }

    #[test]
    fn a_text_that_fits_is_left_as_it_is() {
        assert_eq!(split("<b>Привет</b>, мир", 4096), vec!["<b>Привет</b>, мир"]);
    }

    #[test]
    fn cuts_at_paragraphs_then_lines_then_words() {
        let text = format!("{}\n\n{}", "а".repeat(30), "б".repeat(30));
        assert_eq!(
            split(&text, 40),
            vec![format!("{}\n\n", "а".repeat(30)), "б".repeat(30)]
        );
        let text = format!("{}\n{}", "а".repeat(30), "б".repeat(30));
        assert_eq!(split(&text, 40), vec![format!("{}\n", "а".repeat(30)), "б".repeat(30)]);
        let parts = split("раз два три четыре пять шесть", 12);
        assert_eq!(parts.concat(), "раз два три четыре пять шесть");
        assert!(parts.iter().all(|p| p.chars().count() <= 12), "{parts:?}");
        assert_eq!(parts[0], "раз два три ");
    }

    #[test]
    fn never_inside_a_tag_or_an_entity_and_tags_are_carried_over() {
        let parts = split("<b>жирный &amp; длинный текст</b> и <i>курсив</i>", 10);
        for p in &parts {
            let s = shown(p);
            assert!(s.encode_utf16().count() <= 10, "{p}");
        }
        assert!(parts[0].starts_with("<b>") && parts[0].ends_with("</b>"), "{parts:?}");
        assert!(parts[1].starts_with("<b>"), "{parts:?}");
        let joined: String = parts.iter().map(|p| shown(p)).collect();
        assert_eq!(joined, "жирный & длинный текст и курсив");
    }

    #[test]
    fn surrogate_pairs_count_twice_and_are_never_halved() {
        let parts = split(&"👍".repeat(10), 5);
        assert!(parts.iter().all(|p| p.encode_utf16().count() <= 5));
        assert_eq!(parts.concat(), "👍".repeat(10));
    }

    #[test]
    fn whitespace_only_parts_are_left_out() {
        let parts = split(&format!("слово{}", " ".repeat(50)), 10);
        assert_eq!(parts, vec!["слово     ".to_owned()]);
    }

    #[test]
    fn truncate_ends_with_an_ellipsis() {
        assert_eq!(truncate("коротко", 200), "коротко");
        let t = truncate(&"слово ".repeat(100), 20);
        assert!(t.ends_with('…') && t.chars().count() <= 20, "{t}");
    }

    /// Text as the bot builds it: escaped user text with line breaks, in a few tags.
    fn html_text() -> impl Strategy<Value = String> {
        let word = prop_oneof![
            "[а-яА-Яa-z0-9]{1,12}",
            Just("&amp;".to_owned()),
            Just("&lt;".to_owned()),
            Just("👍".to_owned()),
            "[а-я]{40,90}",
        ];
        let sep = prop_oneof![Just(" "), Just(" "), Just("\n"), Just("\n\n"), Just("  ")];
        let chunk = (word, sep).prop_map(|(w, s)| format!("{w}{s}"));
        let run = prop::collection::vec(chunk, 1..30).prop_map(|v| v.concat());
        let tagged = (run.clone(), prop_oneof![Just(""), Just("b"), Just("i"), Just("code")]).prop_map(|(t, tag)| {
            if tag.is_empty() {
                t
            } else {
                format!("<{tag}>{t}</{tag}>")
            }
        });
        prop::collection::vec(tagged, 1..6).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn every_part_fits_is_valid_and_together_they_are_the_input(html in html_text(), limit in 8usize..300) {
            let parts = split(&html, limit);
            for p in &parts {
                let s = tgmock::html::parse(p);
                prop_assert!(s.is_ok(), "invalid part {:?}: {:?}", p, s);
                let s = s.unwrap();
                prop_assert!(s.encode_utf16().count() <= limit, "part over {}: {:?}", limit, p);
                prop_assert!(!s.trim().is_empty());
            }
            // Together the parts are the input: nothing lost, nothing added; the parts left out
            // show only whitespace.
            let all = split_all(&html, limit);
            let joined: String = all.iter().map(|(p, _)| shown(p)).collect();
            prop_assert_eq!(joined, shown(&html));
            for (p, blank) in &all {
                prop_assert_eq!(*blank, shown(p).trim().is_empty());
            }
            if parts.len() == 1 && shown_len(&html) <= limit {
                prop_assert_eq!(&parts[0], &html);
            }
        }
    }
}
