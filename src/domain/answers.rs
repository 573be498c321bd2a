//! How a form's answers are kept as text (in the dialogue, a connection draft, an item's
//! `fields`), read and written in one place: a yes or a no, the options chosen of several,
//! the entries typed one by one, a field passed by a check. Everything else asks for the
//! typed value and never spells the text.

const YES: &str = "yes";
const NO: &str = "no";
/// A field passed by a check rather than answered (a repeated password, a verified code).
const PASSED: &str = "1";
const OPTION_SEP: char = ',';
const ENTRY_SEP: char = '|';

/// A yes or a no as kept.
pub fn yes_no(yes: bool) -> &'static str {
    if yes { YES } else { NO }
}

/// A kept yes or no; anything else is neither.
pub fn read_yes_no(v: &str) -> Option<bool> {
    match v {
        YES => Some(true),
        NO => Some(false),
        _ => None,
    }
}

/// The mark of a field passed by a check.
pub fn passed() -> &'static str {
    PASSED
}

/// The options chosen of several, as kept (in the order given).
pub fn join_options<'a>(options: impl IntoIterator<Item = &'a str>) -> String {
    options.into_iter().collect::<Vec<_>>().join(&OPTION_SEP.to_string())
}

/// The options chosen of several.
pub fn options(v: &str) -> impl Iterator<Item = &str> {
    v.split(OPTION_SEP).filter(|s| !s.is_empty())
}

/// Entries typed one by one, as kept.
pub fn join_entries<'a>(entries: impl IntoIterator<Item = &'a str>) -> String {
    entries.into_iter().collect::<Vec<_>>().join(&ENTRY_SEP.to_string())
}

/// Entries typed one by one.
pub fn entries(v: &str) -> impl Iterator<Item = &str> {
    v.split(ENTRY_SEP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_read_back_as_written() {
        for b in [true, false] {
            assert_eq!(read_yes_no(yes_no(b)), Some(b));
        }
        assert_eq!(read_yes_no("1"), None);
        let o = join_options(["a", "b"]);
        assert_eq!(options(&o).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(options("").count(), 0);
        let e = join_entries(["x;1", "y;2"]);
        assert_eq!(entries(&e).collect::<Vec<_>>(), ["x;1", "y;2"]);
    }
}
