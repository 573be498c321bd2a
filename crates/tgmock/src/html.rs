//! Telegram's HTML parse mode, as the Bot API applies it before it counts a text's length:
//! the supported tags, HTML entities, and the errors it answers for anything else (the rules
//! of TDLib's `parse_html`, which the Bot API runs).

/// Tags Telegram accepts in HTML parse mode.
const SUPPORTED: &[&str] = &[
    "a",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "code",
    "pre",
    "span",
    "tg-spoiler",
    "tg-emoji",
    "blockquote",
];

/// The text a message shows for `html`, or the reason Telegram refuses it (the part after
/// "Bad Request: can't parse entities: ").
pub fn parse(html: &str) -> Result<String, String> {
    let bytes = html.as_bytes();
    let mut out = String::with_capacity(html.len());
    let mut open: Vec<String> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'&' => match entity(&html[i..]) {
                Some((c, len)) => {
                    out.push(c);
                    i += len;
                }
                None => {
                    out.push('&');
                    i += 1;
                }
            },
            b'<' => {
                let begin = i;
                i += 1;
                if bytes.get(i) == Some(&b'/') {
                    i += 1;
                    let name_start = i;
                    while i < bytes.len() && bytes[i] != b'>' && !bytes[i].is_ascii_whitespace() {
                        i += 1;
                    }
                    let name = html[name_start..i].to_ascii_lowercase();
                    while i < bytes.len() && bytes[i] != b'>' {
                        i += 1;
                    }
                    let Some(expected) = open.last() else {
                        return Err(format!("Unexpected end tag at byte offset {begin}"));
                    };
                    if i >= bytes.len() {
                        return Err(format!("Unclosed end tag at byte offset {begin}"));
                    }
                    if *expected != name {
                        return Err(format!(
                            "Unmatched end tag at byte offset {begin}, expected \"</{expected}>\", found \"</{name}>\""
                        ));
                    }
                    open.pop();
                    i += 1;
                } else {
                    let name_start = i;
                    while i < bytes.len() && bytes[i] != b'>' && !bytes[i].is_ascii_whitespace() {
                        i += 1;
                    }
                    if i >= bytes.len() {
                        return Err(format!("Unclosed start tag at byte offset {begin}"));
                    }
                    let name = html[name_start..i].to_ascii_lowercase();
                    if !SUPPORTED.contains(&name.as_str()) {
                        return Err(format!("Unsupported start tag \"{name}\" at byte offset {begin}"));
                    }
                    i = attributes(html, i, &name, begin)?;
                    open.push(name);
                }
            }
            _ => {
                let c = html[i..].chars().next().unwrap_or_default();
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    if let Some(tag) = open.last() {
        return Err(format!("Can't find end tag corresponding to start tag \"{tag}\""));
    }
    Ok(out)
}

/// Skips a start tag's attributes (`name="value"`, `name='value'`, `name=value`); returns the
/// index after its `>`.
fn attributes(html: &str, mut i: usize, tag: &str, begin: usize) -> Result<usize, String> {
    let bytes = html.as_bytes();
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        match bytes.get(i) {
            None => return Err(format!("Unclosed start tag at byte offset {begin}")),
            Some(b'>') => return Ok(i + 1),
            _ => {}
        }
        let name_start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'=' && bytes[i] != b'>' {
            i += 1;
        }
        if i == name_start {
            return Err(format!(
                "Empty attribute name in the tag \"{tag}\" at byte offset {begin}"
            ));
        }
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') {
            return Err(format!(
                "Expected equal sign in declaration of an attribute of the tag \"{tag}\" at byte offset {begin}"
            ));
        }
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        match bytes.get(i) {
            None => return Err(format!("Unclosed start tag at byte offset {begin}")),
            Some(&q @ (b'"' | b'\'')) => {
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    i += 1;
                }
                if i >= bytes.len() {
                    return Err(format!("Unclosed start tag at byte offset {begin}"));
                }
                i += 1;
            }
            Some(_) => {
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                    i += 1;
                }
            }
        }
    }
}

/// An HTML entity at the start of `s` (`&lt;`, `&gt;`, `&amp;`, `&quot;`, `&#NN;`, `&#xHH;`):
/// the character and the entity's length. Anything else is a literal `&`.
fn entity(s: &str) -> Option<(char, usize)> {
    let end = s.find(';')?;
    let body = &s[1..end];
    if body.len() > 10 {
        return None;
    }
    let c = match body {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        _ => {
            let code = if let Some(hex) = body.strip_prefix("#x").or_else(|| body.strip_prefix("#X")) {
                u32::from_str_radix(hex, 16).ok()?
            } else {
                body.strip_prefix('#')?.parse::<u32>().ok()?
            };
            char::from_u32(code).filter(|c| *c != '\0')?
        }
    };
    Some((c, end + 1))
}

/// A text's length as Telegram counts it: UTF-16 code units, after leading and trailing
/// whitespace is dropped.
pub fn telegram_len(text: &str) -> usize {
    text.trim().encode_utf16().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supported_tags_and_entities_become_plain_text() {
        assert_eq!(parse("<b>Жирный</b> &amp; <i>курсив</i>").unwrap(), "Жирный & курсив");
        assert_eq!(
            parse("<a href=\"https://t.me/x?a=1&amp;b=2\">ссылка</a>").unwrap(),
            "ссылка"
        );
        assert_eq!(
            parse("a &lt; b &gt; c &quot;d&quot; &#1044; &#x44;").unwrap(),
            "a < b > c \"d\" Д D"
        );
        assert_eq!(parse("AT&T &nbsp;").unwrap(), "AT&T &nbsp;");
        assert_eq!(parse("<pre><code class=\"language-rust\">x</code></pre>").unwrap(), "x");
    }

    #[test]
    fn telegram_refuses_broken_html_with_its_own_words() {
        assert_eq!(
            parse("<b>жирный").unwrap_err(),
            "Can't find end tag corresponding to start tag \"b\""
        );
        assert_eq!(
            parse("<div>x</div>").unwrap_err(),
            "Unsupported start tag \"div\" at byte offset 0"
        );
        assert_eq!(
            parse("<b><i>x</b></i>").unwrap_err(),
            "Unmatched end tag at byte offset 7, expected \"</i>\", found \"</b>\""
        );
        assert_eq!(parse("x</b>").unwrap_err(), "Unexpected end tag at byte offset 1");
        assert_eq!(
            parse("1 < 2").unwrap_err(),
            "Unsupported start tag \"\" at byte offset 2"
        );
        assert_eq!(parse("<a href=\"x").unwrap_err(), "Unclosed start tag at byte offset 0");
    }

    #[test]
    fn length_counts_utf16_units_after_trimming() {
        assert_eq!(telegram_len("  Привет \n"), 6);
        assert_eq!(telegram_len("👍"), 2);
    }
}
