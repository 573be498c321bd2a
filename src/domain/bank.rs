//! The utility's payment details, as a receipt's payment QR code (ГОСТ Р 56042-2014) carries
//! them, checked the way the Bank of Russia and the tax service define them: a BIC of 9 digits
//! (a Russian one starts with 04), a settlement and a correspondent account of 20 digits with
//! their control key against the BIC, an INN with its check digits, a KPP of 9 characters.

/// The Bank of Russia's control key: the 3 digits given and the 20 of the account, weighted
/// 7, 1, 3 in turn, sum to a multiple of 10.
fn key_ok(prefix: &str, account: &str) -> bool {
    const W: [u32; 3] = [7, 1, 3];
    let sum: u32 = prefix
        .chars()
        .chain(account.chars())
        .enumerate()
        .map(|(i, c)| c.to_digit(10).unwrap_or(0) * W[i % 3])
        .sum();
    sum.is_multiple_of(10)
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// A BIC: 9 digits, a Russian bank's (04…).
pub fn bic_ok(bic: &str) -> bool {
    digits(bic, 9) && bic.starts_with("04")
}

/// A settlement account at the bank of `bic`: 20 digits whose key matches the BIC's last three.
pub fn settlement_ok(account: &str, bic: &str) -> bool {
    digits(account, 20) && bic_ok(bic) && key_ok(&bic[6..9], account)
}

/// The bank's correspondent account: 20 digits, 301…, whose key matches «0» and the BIC's
/// 5th and 6th digits.
pub fn correspondent_ok(account: &str, bic: &str) -> bool {
    digits(account, 20) && account.starts_with("301") && bic_ok(bic) && key_ok(&format!("0{}", &bic[4..6]), account)
}

/// An INN: 10 digits (an organisation's) or 12 (a person's, an entrepreneur's), with the tax
/// service's check digits.
pub fn inn_ok(inn: &str) -> bool {
    let d: Vec<u32> = inn.chars().filter_map(|c| c.to_digit(10)).collect();
    let check = |w: &[u32], n: usize| (w.iter().zip(&d).map(|(w, d)| w * d).sum::<u32>() % 11) % 10 == d[n];
    match (inn.len(), d.len()) {
        (10, 10) => check(&[2, 4, 10, 3, 5, 9, 4, 6, 8], 9),
        (12, 12) => check(&[7, 2, 4, 10, 3, 5, 9, 4, 6, 8], 10) && check(&[3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8], 11),
        _ => false,
    }
}

/// A KPP: 4 digits, 2 digits or capital Latin letters, 3 digits.
pub fn kpp_ok(kpp: &str) -> bool {
    let b = kpp.as_bytes();
    b.len() == 9
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4..6].iter().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        && b[6..].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_details_pass_and_a_changed_digit_fails() {
        // Sberbank's published details.
        let bic = "044525225";
        assert!(bic_ok(bic));
        assert!(correspondent_ok("30101810400000000225", bic));
        assert!(settlement_ok("40702810938000000001", bic));
        assert!(inn_ok("7707083893"));
        assert!(inn_ok("500100732259"));
        assert!(kpp_ok("773601001"));
        // One digit off: refused.
        assert!(!correspondent_ok("30101810500000000225", bic));
        assert!(!settlement_ok("40702810938000000002", bic));
        assert!(
            !settlement_ok("40702810938000000001", "044525226"),
            "the key depends on the BIC"
        );
        assert!(!inn_ok("7707083894"));
        assert!(!inn_ok("500100732258"));
        assert!(!bic_ok("123456789") && !bic_ok("04452522"));
        assert!(!kpp_ok("77360100") && !kpp_ok("7736zz001"));
    }
}
