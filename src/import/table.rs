//! A billing system's file as a table: CSV with `;` or `,`, UTF-8 (with or without a BOM) or
//! Windows-1251, a header row whose names map to the importer's columns through aliases
//! (built in, e.g. «ЛС» and «Лицевой счет» for `account`, and a mapping file's own).

use std::collections::HashMap;

/// The text encodings billing files come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Windows1251,
}

impl Encoding {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Ok(Self::Utf8),
            "windows-1251" | "cp1251" | "win-1251" | "1251" => Ok(Self::Windows1251),
            other => Err(format!("{other}: the encoding is utf-8 or windows-1251")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Utf8 => "utf-8",
            Self::Windows1251 => "windows-1251",
        }
    }
}

/// The file's text: as `forced`, else UTF-8 when it reads as UTF-8 (a BOM dropped), else
/// Windows-1251 (every byte is a character there, so the header check catches a wrong guess).
pub fn decode(bytes: &[u8], forced: Option<Encoding>) -> Result<(String, Encoding), String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let utf8 = std::str::from_utf8(bytes);
    match (forced, utf8) {
        (Some(Encoding::Utf8), Err(e)) => Err(format!(
            "not UTF-8 (byte {}): try --encoding windows-1251",
            e.valid_up_to()
        )),
        (Some(Encoding::Utf8) | None, Ok(s)) => Ok((s.to_owned(), Encoding::Utf8)),
        (Some(Encoding::Windows1251), _) | (None, Err(_)) => {
            let (text, _, _) = encoding_rs::WINDOWS_1251.decode(bytes);
            Ok((text.into_owned(), Encoding::Windows1251))
        }
    }
}

/// The names billing files give the account number's column, in every file.
pub const ACCOUNT_NAMES: &[&str] = &[
    "ЛС",
    "Лиц счет",
    "Лицевой счет",
    "Номер ЛС",
    "Номер лицевого счета",
    "ЛицСчет",
    "Account number",
];

/// Column names as billing writes them, to the importer's: built-in aliases and a mapping
/// file's lines `Имя в файле = column`.
#[derive(Debug, Clone, Default)]
pub struct Mapping(HashMap<String, String>);

impl Mapping {
    /// `aliases`: (column, its names in files).
    pub fn new(aliases: &[(&str, &[&str])]) -> Self {
        let mut m = HashMap::new();
        for (column, names) in aliases {
            m.insert(key(column), (*column).to_owned());
            for n in *names {
                m.insert(key(n), (*column).to_owned());
            }
        }
        Self(m)
    }

    /// Adds a mapping file's lines (`# comments` and blank lines skipped); `known` are the
    /// columns a line may name.
    pub fn extend(&mut self, text: &str, known: &[&str]) -> Result<(), String> {
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, column) = line
                .rsplit_once('=')
                .ok_or_else(|| format!("mapping line {}: expected «name in the file = column»", i + 1))?;
            let column = column.trim();
            if !known.contains(&column) {
                return Err(format!(
                    "mapping line {}: «{column}» is not a column ({})",
                    i + 1,
                    known.join(", ")
                ));
            }
            self.0.insert(key(name), column.to_owned());
        }
        Ok(())
    }

    pub fn column(&self, header: &str) -> Option<&str> {
        self.0.get(&key(header)).map(String::as_str)
    }
}

/// A header compared without case, spaces, dots, underscores, quotes and «ё».
fn key(name: &str) -> String {
    name.to_lowercase()
        .replace('ё', "е")
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// A row of the file: its line number (the header is line 1) and its cells by column.
#[derive(Debug, Clone)]
pub struct Row {
    pub line: u64,
    cells: HashMap<String, String>,
}

impl Row {
    /// The cell of a column, trimmed; empty when the column is absent.
    pub fn get(&self, column: &str) -> &str {
        self.cells.get(column).map(|s| s.trim()).unwrap_or("")
    }
}

/// The rows of a delimited text whose header maps through `mapping`; `required` columns must
/// be there. The delimiter is the header's: `;` when it has more of them than commas.
pub fn rows(text: &str, mapping: &Mapping, required: &[&str]) -> Result<Vec<Row>, String> {
    let head = text.lines().next().unwrap_or_default();
    let delimiter = if head.matches(';').count() >= head.matches(',').count() && head.contains(';') {
        b';'
    } else if head.contains('\t') && !head.contains(',') {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| format!("the header row: {e}"))?.clone();
    let columns: Vec<Option<String>> = headers.iter().map(|h| mapping.column(h).map(str::to_owned)).collect();
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|r| !columns.iter().flatten().any(|c| c == r))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the header row has no column for {} (it has: {}); name them in a --mapping file",
            missing.join(", "),
            headers.iter().collect::<Vec<_>>().join(", ")
        ));
    }
    let mut out = Vec::new();
    // Lines counted as the reading goes: up to `seen`, `lines` newlines.
    let (mut seen, mut lines) = (0usize, 0u64);
    for record in reader.records() {
        let record = record.map_err(|e| format!("line {}: {e}", e.position().map(|p| p.line()).unwrap_or(0)))?;
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        // The line in the file as an editor counts it (csv's own count skips blank lines).
        // (The record's position may be the blank lines before it: they are stepped over.)
        let bytes = text.as_bytes();
        let mut byte = record
            .position()
            .map(|p| p.byte() as usize)
            .unwrap_or(0)
            .min(bytes.len());
        while byte < bytes.len() && matches!(bytes[byte], b'\r' | b'\n') {
            byte += 1;
        }
        lines += bytes[seen.min(byte)..byte].iter().filter(|b| **b == b'\n').count() as u64;
        seen = seen.max(byte);
        let line = lines + 1;
        let cells = columns
            .iter()
            .zip(record.iter())
            .filter_map(|(c, v)| c.clone().map(|c| (c, v.to_owned())))
            .collect();
        out.push(Row { line, cells });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping() -> Mapping {
        Mapping::new(&[("account", &["ЛС", "Лицевой счет"]), ("address", &["Адрес"])])
    }

    #[test]
    fn utf8_with_a_bom_and_windows_1251_read_alike() {
        let text = "Лицевой счёт;Адрес\n1001;ул. Ленина, 1\n";
        let (a, enc) = decode(format!("\u{feff}{text}").as_bytes(), None).unwrap();
        assert_eq!((a.as_str(), enc), (text, Encoding::Utf8));
        let (cp, _, _) = encoding_rs::WINDOWS_1251.encode(text);
        let (b, enc) = decode(&cp, None).unwrap();
        assert_eq!((b.as_str(), enc), (text, Encoding::Windows1251));
        assert!(decode(&cp, Some(Encoding::Utf8)).unwrap_err().contains("windows-1251"));
        let rows = rows(&b, &mapping(), &["account"]).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].line, rows[0].get("account"), rows[0].get("address")),
            (2, "1001", "ул. Ленина, 1")
        );
    }

    #[test]
    fn commas_quotes_blank_lines_and_a_mapping_file() {
        let mut m = mapping();
        m.extend("# ours\nНомер договора = account\n", &["account", "address"])
            .unwrap();
        let text = "\"Номер договора\",АДРЕС,Лишнее\n\n2002,\"г. Город, ул. Мира, 5\",x\n";
        let rows = rows(text, &m, &["account", "address"]).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].line, rows[0].get("address")), (3, "г. Город, ул. Мира, 5"));
        assert!(m.extend("a = nonsense", &["account"]).unwrap_err().contains("nonsense"));
        let missing = super::rows("Что-то;Адрес\n1;2\n", &mapping(), &["account"]).unwrap_err();
        assert!(missing.contains("account") && missing.contains("Что-то"), "{missing}");
    }
}
