use super::*;

/// Payment details: none is fine, some means all, the accounts' keys must match the BIC;
/// each problem names its setting.
#[test]
fn payment_details_are_all_or_none_and_agree_with_the_bic() {
    let c = |flags: &[&str]| Config::from_flags(flags.iter().copied()).map(|c| c.payment_problems());
    assert_eq!(c(&[]).unwrap(), Vec::<String>::new());
    let full = [
        "--org-name",
        "АО «Энергосбыт»",
        "--org-inn",
        "7707083893",
        "--org-kpp",
        "773601001",
        "--bank-name",
        "ПАО Сбербанк",
        "--bank-bic",
        "044525225",
        "--bank-account",
        "40702810938000000001",
        "--bank-corr-account",
        "30101810400000000225",
    ];
    assert_eq!(c(&full).unwrap(), Vec::<String>::new());
    let partial = c(&["--bank-bic", "044525225"]).unwrap();
    assert!(
        partial.iter().any(|p| p.starts_with("ORG_INN is not set")),
        "{partial:?}"
    );
    let mut wrong = full;
    wrong[11] = "40702810938000000002";
    let problems = c(&wrong).unwrap();
    assert!(
        problems.len() == 1 && problems[0].starts_with("BANK_ACCOUNT 40702810938000000002"),
        "{problems:?}"
    );
    // A bad INN or BIC is refused as the setting is read.
    assert!(
        Config::from_flags(["--org-inn", "7707083894"])
            .unwrap_err()
            .to_string()
            .contains("ORG_INN")
    );
    assert!(
        Config::from_flags(["--bank-bic", "12345"])
            .unwrap_err()
            .to_string()
            .contains("BANK_BIC")
    );
}

#[test]
fn schedule_repeats_its_last_step() {
    let s = parse_schedule("1, 2,5").unwrap();
    assert_eq!((s.delay(1), s.delay(2), s.delay(3), s.delay(9)), (1, 2, 5, 5));
    assert!(parse_schedule("a,1").unwrap_err().contains("OUTBOX_RETRY_SECONDS"));
    assert!(parse_db_url("mysql://x").unwrap_err().contains("DATABASE_URL"));
    assert!(parse_db_url("postgres://kabinet@db/kabinet").is_ok());
    assert!(parse_db_url("sqlite://data/k.db").is_ok());
    assert!(parse_locale("de").unwrap_err().contains("DEFAULT_LOCALE"));
}

#[test]
fn an_unset_name_is_not_shown_and_english_texts_take_the_english_one() {
    let mut c = Config::from_flags(["--telegram-token", "1:T"]).unwrap();
    c.org_name = None;
    c.org_name_en = None;
    assert_eq!(c.org_named("ru"), None);
    assert_eq!(c.org_signature("ru"), crate::i18n::t("ru", "org.unnamed"));
    c.org_name = Some("АО «Энерго»".into());
    assert_eq!(c.org_named("en"), Some("АО «Энерго»"), "the only name there is");
    c.org_name_en = Some("Energo JSC".into());
    assert_eq!(c.org_named("en"), Some("Energo JSC"));
    assert_eq!(c.org_named("ru"), Some("АО «Энерго»"));
}

#[test]
fn secrets_stay_out_of_debug_and_a_webhook_secret_follows_telegrams_rule() {
    let c = Config::from_flags([
        "--telegram-token",
        "123:SECRET-TOKEN",
        "--smtp-url",
        "smtp://u:PASSWORD@host",
        "--webhook-secret",
        "Hook_Secret-1",
    ])
    .unwrap();
    let shown = format!("{c:?}");
    for secret in ["SECRET-TOKEN", "PASSWORD", "Hook_Secret-1"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(shown.contains("<hidden>"));
    for bad in ["", "with space", "ключ", &"a".repeat(257)] {
        let refused = Config::from_flags(["--webhook-secret", bad])
            .err()
            .map(|e| e.to_string());
        assert!(refused.is_some_and(|e| e.contains("WEBHOOK_SECRET")), "{bad:?}");
    }
    assert!(Config::from_flags(["--webhook-secret", &"a".repeat(256)]).is_ok());
}
