//! The receipt (квитанция) of an account's bill as a one-page A4 PDF: the utility and its
//! payment details, the account, its address and holder, the period, the services table, the
//! totals and the amount due, and the payment QR code (ГОСТ Р 56042-2014) drawn as vector
//! squares. Text is set in DejaVu Sans, embedded (subset) so every reader shows Cyrillic; the
//! two font files are in `assets/fonts` (their licence beside them).

use crate::config::Config;
use crate::domain::meters::Period;
use crate::domain::money::Money;
use crate::domain::quantity::Quantity;
use crate::i18n;
use crate::store::bills::{BillRow, LineRow};
use krilla::Document;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use skrifa::MetadataProvider;
use skrifa::instance::{LocationRef, Size};

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// A4 in points, and the margins.
const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const LEFT: f32 = 42.0;
const RIGHT: f32 = WIDTH - 42.0;

/// What a receipt shows.
pub struct Source<'a> {
    pub config: &'a Config,
    pub loc: &'a str,
    pub number: &'a str,
    pub address: &'a str,
    pub holder: Option<&'a str>,
    pub period: Period,
    pub bill: &'a BillRow,
    pub lines: &'a [LineRow],
    /// What the payment code asks for (the amount still owed by the latest bill); none: no
    /// code (paid, or an older bill).
    pub pay: Option<i64>,
}

/// A font for drawing and for measuring.
struct Face {
    font: Font,
    data: &'static [u8],
}

impl Face {
    fn new(data: &'static [u8]) -> Result<Self, String> {
        let font = Font::new(data.into(), 0).ok_or("the receipt's font does not load")?;
        Ok(Self { font, data })
    }

    /// The width of `text` at `size` points.
    fn width(&self, text: &str, size: f32) -> f32 {
        let Ok(f) = skrifa::FontRef::new(self.data) else {
            return 0.0;
        };
        let (cmap, metrics) = (f.charmap(), f.glyph_metrics(Size::new(size), LocationRef::default()));
        text.chars()
            .filter_map(|c| cmap.map(c))
            .filter_map(|g| metrics.advance_width(g))
            .sum()
    }
}

/// The page being written: a pen moving down.
struct Pen<'s, 'p> {
    surface: Surface<'s>,
    regular: &'p Face,
    bold: &'p Face,
    y: f32,
}

impl Pen<'_, '_> {
    fn text(&mut self, x: f32, text: &str, size: f32, bold: bool) {
        let face = if bold { self.bold } else { self.regular };
        self.surface.draw_text(
            Point::from_xy(x, self.y),
            face.font.clone(),
            size,
            text,
            false,
            TextDirection::Auto,
        );
    }

    /// Right-aligned at `right`.
    fn text_right(&mut self, right: f32, text: &str, size: f32, bold: bool) {
        let face = if bold { self.bold } else { self.regular };
        let x = right - face.width(text, size);
        self.text(x, text, size, bold);
    }

    /// Lines of `text` within `width` (words kept whole), each `size` points, moving down.
    fn paragraph(&mut self, x: f32, width: f32, text: &str, size: f32, bold: bool) {
        for line in wrap(if bold { self.bold } else { self.regular }, text, size, width) {
            self.y += size * 1.35;
            self.text(x, &line, size, bold);
        }
    }

    fn rule(&mut self, from: f32, to: f32) {
        let mut pb = PathBuilder::new();
        if let Some(r) = Rect::from_xywh(from, self.y, to - from, 0.6) {
            pb.push_rect(r);
        }
        if let Some(path) = pb.finish() {
            self.surface.draw_path(&path);
        }
    }
}

/// `text` cut into lines no wider than `width`.
fn wrap(face: &Face, text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if face.width(&candidate, size) <= width || line.is_empty() {
            line = candidate;
        } else {
            lines.push(std::mem::replace(&mut line, word.to_owned()));
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn money(kopecks: i64) -> String {
    Money(kopecks).to_string()
}

/// The receipt of `s` as PDF bytes.
pub fn for_bill(s: &Source) -> Result<Vec<u8>, String> {
    let (regular, bold) = (Face::new(REGULAR)?, Face::new(BOLD)?);
    let t = |key: &str| i18n::t(s.loc, key);
    let tf = |key: &str, args: &[(&str, &str)]| i18n::tf(s.loc, key, args);
    let mut doc = Document::new();
    {
        let settings = PageSettings::from_wh(WIDTH, HEIGHT).ok_or("the page size")?;
        let mut page = doc.start_page_with(settings);
        let mut surface = page.surface();
        surface.set_fill(Some(Fill::default()));
        let mut pen = Pen {
            surface,
            regular: &regular,
            bold: &bold,
            y: 30.0,
        };
        header(&mut pen, s);
        pen.y += 30.0;
        let period = crate::wording::period(s.loc, s.period);
        pen.text(LEFT, &tf("receipt.title", &[("period", &period)]), 15.0, true);
        pen.y += 8.0;
        pen.paragraph(
            LEFT,
            RIGHT - LEFT,
            &tf("receipt.account", &[("number", s.number)]),
            10.5,
            true,
        );
        if let Some(h) = s.holder {
            pen.paragraph(LEFT, RIGHT - LEFT, &tf("receipt.holder", &[("name", h)]), 10.0, false);
        }
        pen.paragraph(
            LEFT,
            RIGHT - LEFT,
            &tf("receipt.address", &[("address", s.address)]),
            10.0,
            false,
        );
        pen.y += 16.0;
        services(&mut pen, s);
        // The payment code at the left, the totals at the right, side by side.
        let top = pen.y + 8.0;
        pen.y = top;
        totals(&mut pen, s);
        pen.y = top;
        let qr = s
            .pay
            .filter(|sum| *sum > 0)
            .and_then(|sum| crate::receipt::payment_text(s.config, s.number, s.period, sum).ok());
        match qr {
            Some(text) => pay_code(&mut pen, &text, s.loc)?,
            None => {
                pen.y += 14.0;
                pen.paragraph(LEFT, 250.0, &t("receipt.no_code"), 9.0, false);
            }
        }
        // The surface, then the page, are finished as they go out of scope (in that order).
        drop(pen);
    }
    doc.finish().map_err(|e| format!("{e:?}"))
}

fn header(pen: &mut Pen, s: &Source) {
    let tf = |key: &str, args: &[(&str, &str)]| i18n::tf(s.loc, key, args);
    let c = s.config;
    let org = c.org_named(s.loc).unwrap_or("").to_owned();
    if !org.is_empty() {
        pen.paragraph(LEFT, RIGHT - LEFT, &org, 13.0, true);
    }
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    if c.bank_account.is_some() {
        let details = tf(
            "receipt.details",
            &[
                ("inn", &v(&c.org_inn)),
                ("kpp", &v(&c.org_kpp)),
                ("account", &v(&c.bank_account)),
                ("bank", &v(&c.bank_name)),
                ("bic", &v(&c.bank_bic)),
                ("corr", &v(&c.bank_corr_account)),
            ],
        );
        pen.paragraph(LEFT, RIGHT - LEFT, &details, 8.5, false);
    }
}

/// Where the services' table stops, leaving room for the totals and the payment code.
const SERVICES_END: f32 = HEIGHT - 290.0;

/// The columns' right edges: volume, tariff, charged, recalculation, benefit.
const COLUMNS: [f32; 5] = [300.0, 360.0, 430.0, 495.0, RIGHT];

fn services(pen: &mut Pen, s: &Source) {
    let t = |key: &str| i18n::t(s.loc, key);
    let heads = [
        "receipt.c_volume",
        "receipt.c_tariff",
        "receipt.c_charged",
        "receipt.c_recalc",
        "receipt.c_benefit",
    ];
    pen.text(LEFT, &t("receipt.c_service"), 8.5, true);
    for (edge, key) in COLUMNS.iter().zip(heads) {
        pen.text_right(*edge, &t(key), 8.5, true);
    }
    pen.y += 5.0;
    pen.rule(LEFT, RIGHT);
    for (i, l) in s.lines.iter().enumerate() {
        // One page: the totals and the code need the bottom of it.
        if pen.y > SERVICES_END {
            let more = (s.lines.len() - i).to_string();
            pen.y += 12.0;
            pen.text(LEFT, &i18n::tf(s.loc, "receipt.more", &[("n", &more)]), 8.5, false);
            break;
        }
        let top = pen.y;
        pen.paragraph(LEFT, 190.0, &l.service, 9.0, false);
        let bottom = pen.y;
        pen.y = top + 9.0 * 1.35;
        let volume = l
            .volume
            .map(|v| format!("{} {}", Quantity(v).display(), l.unit.as_deref().unwrap_or("")))
            .unwrap_or_default();
        let cells = [
            volume,
            l.tariff.clone().unwrap_or_default(),
            money(l.amount),
            nonzero(l.recalculation),
            nonzero(l.benefit),
        ];
        for (edge, cell) in COLUMNS.iter().zip(cells) {
            pen.text_right(*edge, cell.trim(), 9.0, false);
        }
        pen.y = bottom.max(pen.y) + 4.0;
        pen.rule(LEFT, RIGHT);
    }
}

fn nonzero(kopecks: i64) -> String {
    if kopecks == 0 { String::new() } else { money(kopecks) }
}

fn totals(pen: &mut Pen, s: &Source) {
    let t = |key: &str| i18n::t(s.loc, key);
    let tf = |key: &str, args: &[(&str, &str)]| i18n::tf(s.loc, key, args);
    let b = s.bill;
    let rows = [
        ("receipt.opening", b.opening),
        ("receipt.charged", b.charged),
        ("receipt.recalculation", b.recalculation),
        ("receipt.benefit", -b.benefit),
        ("receipt.paid", -b.paid),
        ("receipt.penalty", b.penalty),
    ];
    for (key, v) in rows {
        if v == 0 && key != "receipt.charged" {
            continue;
        }
        pen.y += 14.0;
        pen.text(330.0, &t(key), 9.5, false);
        pen.text_right(RIGHT, &money(v), 9.5, false);
    }
    pen.y += 22.0;
    let due = if b.due > 0 { money(b.due) } else { money(0) };
    pen.text(330.0, &t("receipt.due"), 12.0, true);
    pen.text_right(RIGHT, &due, 12.0, true);
    if let Some(d) = b.due_date.filter(|_| b.due > 0) {
        pen.y += 14.0;
        pen.text_right(
            RIGHT,
            &tf("receipt.due_by", &[("date", &d.format("%d.%m.%Y").to_string())]),
            9.0,
            false,
        );
    }
}

/// The payment code, 150 points wide, at the left beside the totals, with how to use it under it.
fn pay_code(pen: &mut Pen, text: &str, loc: &str) -> Result<(), String> {
    let code =
        qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).map_err(|e| e.to_string())?;
    let n = code.width();
    let side = 150.0;
    let module = side / n as f32;
    let (x0, y0) = (LEFT, pen.y + 10.0);
    let mut pb = PathBuilder::new();
    for (i, c) in code.to_colors().iter().enumerate() {
        if *c == qrcode::Color::Dark
            && let Some(r) = Rect::from_xywh(
                x0 + (i % n) as f32 * module,
                y0 + (i / n) as f32 * module,
                module + 0.02,
                module + 0.02,
            )
        {
            pb.push_rect(r);
        }
    }
    if let Some(path) = pb.finish() {
        pen.surface.draw_path(&path);
    }
    // How to pay with it, under the code.
    pen.y = y0 + side + 4.0;
    pen.paragraph(x0, 250.0, &i18n::t(loc, "receipt.scan"), 8.5, false);
    Ok(())
}
