//! Receipts: the payment QR code (ГОСТ Р 56042-2014) as a picture a banking app scans from
//! the screen or from paper. Error correction M, as the standard's recommendations and the
//! banks' scanners expect; a quiet zone of four modules.

pub mod pdf;

use qrcode::{Color, EcLevel, QrCode};

/// The payment text of an account's bill for a period, with the configured payment details:
/// the sum is the amount due (nothing when it is an overpayment).
pub fn payment_text(
    config: &crate::config::Config,
    account: &str,
    period: crate::domain::meters::Period,
    due: i64,
) -> Result<String, String> {
    let problems = config.payment_problems();
    let missing = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).is_none();
    if !problems.is_empty() || missing(&config.bank_bic) {
        return Err(if problems.is_empty() {
            "the payment details are not set: ORG_INN, ORG_KPP, BANK_NAME, BANK_BIC, BANK_ACCOUNT, BANK_CORR_ACCOUNT"
                .into()
        } else {
            problems.join("; ")
        });
    }
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let name = config.org_named("ru").unwrap_or("").to_owned();
    let label = crate::wording::period(&config.default_locale, period);
    let purpose = format!("Оплата за {label}, лицевой счёт {account}");
    let paym_period = format!("{:02}{}", period.month, period.year);
    let (acc, bank, bic, corr, inn, kpp) = (
        v(&config.bank_account),
        v(&config.bank_name),
        v(&config.bank_bic),
        v(&config.bank_corr_account),
        v(&config.org_inn),
        v(&config.org_kpp),
    );
    Ok(crate::domain::payment_qr::payload(
        &crate::domain::payment_qr::Payment {
            name: &name,
            personal_acc: &acc,
            bank_name: &bank,
            bic: &bic,
            corresp_acc: &corr,
            payee_inn: &inn,
            kpp: &kpp,
            pers_acc: account,
            sum: due.max(0),
            purpose: &purpose,
            paym_period: &paym_period,
        },
    ))
}

/// The code of `text` as a grayscale PNG, `module` pixels a module.
pub fn qr_png(text: &str, module: u32) -> Result<Vec<u8>, String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|e| e.to_string())?;
    let modules = code.width();
    let colors = code.to_colors();
    const QUIET: usize = 4;
    let side = (modules + 2 * QUIET) as u32 * module;
    let mut pixels = vec![255u8; (side * side) as usize];
    for (i, c) in colors.iter().enumerate() {
        if *c != Color::Dark {
            continue;
        }
        let (mx, my) = ((i % modules + QUIET) as u32, (i / modules + QUIET) as u32);
        for y in my * module..(my + 1) * module {
            let row = (y * side) as usize;
            pixels[row + (mx * module) as usize..row + ((mx + 1) * module) as usize].fill(0);
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, side, side);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(|e| e.to_string())?;
        w.write_image_data(&pixels).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::payment_qr::{Payment, payload};

    /// What a scanner reads from the picture.
    fn scan(png_bytes: &[u8]) -> String {
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        let (w, h) = (info.width as usize, info.height as usize);
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1, "one code in the picture");
        grids[0].decode().unwrap().1
    }

    #[test]
    fn the_picture_scans_back_to_exactly_the_standards_text() {
        let text = payload(&Payment {
            name: "АО «Энергосбыт»",
            personal_acc: "40702810938000000001",
            bank_name: "ПАО Сбербанк",
            bic: "044525225",
            corresp_acc: "30101810400000000225",
            payee_inn: "7707083893",
            kpp: "773601001",
            pers_acc: "100200300",
            sum: 274_281,
            purpose: "Оплата за ноябрь 2026, ЛС 100200300",
            paym_period: "112026",
        });
        let png = qr_png(&text, 4).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        assert_eq!(scan(&png), text);
    }
}
