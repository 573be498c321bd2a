//! The payment QR code's text, ГОСТ Р 56042-2014, as Russian banking apps read it:
//! `ST00012|Name=…|PersonalAcc=…|BankName=…|BIC=…|CorrespAcc=…|PayeeINN=…|KPP=…|PersAcc=…|Sum=…|Purpose=…|PaymPeriod=…`.
//! «ST0001» is the format and its version, the «2» after it UTF-8. The required block (the
//! payee and its bank) comes first and stays within 300 bytes; the sum is in kopecks; a value
//! never holds the separator `|`.

/// The payee and the payment, as a receipt pays them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment<'a> {
    pub name: &'a str,
    pub personal_acc: &'a str,
    pub bank_name: &'a str,
    pub bic: &'a str,
    pub corresp_acc: &'a str,
    pub payee_inn: &'a str,
    pub kpp: &'a str,
    /// The consumer's personal account (лицевой счёт).
    pub pers_acc: &'a str,
    /// Kopecks.
    pub sum: i64,
    pub purpose: &'a str,
    /// «MMYYYY».
    pub paym_period: &'a str,
}

/// The required block's bound, in bytes.
pub const REQUIRED_MAX: usize = 300;

/// A value as the format allows it: no separator, no line breaks, trimmed.
fn clean(v: &str) -> String {
    v.replace(['|', '\r', '\n'], " ").trim().to_owned()
}

/// The required block: the format's header and the payee's five fields, the name shortened
/// (at a character) when the block would pass 300 bytes.
fn required(p: &Payment) -> String {
    let rest = format!(
        "|PersonalAcc={}|BankName={}|BIC={}|CorrespAcc={}",
        clean(p.personal_acc),
        clean(p.bank_name),
        clean(p.bic),
        clean(p.corresp_acc)
    );
    let mut name = clean(p.name);
    let fixed = "ST00012|Name=".len() + rest.len();
    while fixed + name.len() > REQUIRED_MAX {
        name.pop();
    }
    format!("ST00012|Name={name}{rest}")
}

/// The whole text of the code.
pub fn payload(p: &Payment) -> String {
    format!(
        "{}|PayeeINN={}|KPP={}|PersAcc={}|Sum={}|Purpose={}|PaymPeriod={}",
        required(p),
        clean(p.payee_inn),
        clean(p.kpp),
        clean(p.pers_acc),
        p.sum.max(0),
        clean(p.purpose),
        clean(p.paym_period)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payment<'a>(name: &'a str, purpose: &'a str) -> Payment<'a> {
        Payment {
            name,
            personal_acc: "40702810938000000001",
            bank_name: "ПАО Сбербанк",
            bic: "044525225",
            corresp_acc: "30101810400000000225",
            payee_inn: "7707083893",
            kpp: "773601001",
            pers_acc: "100200300",
            sum: 274_281,
            purpose,
            paym_period: "112026",
        }
    }

    #[test]
    fn the_text_is_the_standards_in_its_order_with_the_sum_in_kopecks() {
        let text = payload(&payment("АО «Энергосбыт»", "Оплата за ноябрь 2026 | ЛС 100200300"));
        assert_eq!(
            text,
            "ST00012|Name=АО «Энергосбыт»|PersonalAcc=40702810938000000001|BankName=ПАО Сбербанк|BIC=044525225|\
             CorrespAcc=30101810400000000225|PayeeINN=7707083893|KPP=773601001|PersAcc=100200300|Sum=274281|\
             Purpose=Оплата за ноябрь 2026   ЛС 100200300|PaymPeriod=112026"
        );
    }

    #[test]
    fn the_required_block_stays_within_300_bytes() {
        let long = "Государственное унитарное предприятие ".repeat(6);
        let text = payload(&payment(&long, "x"));
        let required_end = text.find("|PayeeINN=").unwrap();
        assert!(required_end <= REQUIRED_MAX, "{required_end}");
        assert!(text[..required_end].ends_with("|CorrespAcc=30101810400000000225"));
        assert!(text.starts_with("ST00012|Name=Государственное"));
    }
}
