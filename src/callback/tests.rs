use super::*;

/// Decodes `data` with every set of buttons: the names of the sets that take it.
fn takers(data: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    macro_rules! try_all {
        ($($t:ty),+) => {$(
            if <$t>::decode(data).is_some() {
                out.push(stringify!($t));
            }
        )+};
    }
    try_all!(
        Cb, StepCb, DeskCb, FormCb, HomeCb, AuthCb, ProfileCb, MetersCb, TicketsCb, ConnCb, AccountsCb, OutagesCb,
        FaqCb
    );
    out
}

fn check_all<B: Buttons>(name: &str) -> usize {
    let samples = B::samples();
    for b in &samples {
        let s = b.encode();
        assert!(s.len() <= MAX_DATA, "{name}: {s} is over Telegram's 64 bytes");
        assert_eq!(B::decode(&s), Some(*b), "{name}: {s} does not read back");
        assert_eq!(takers(&s), vec![name], "{s}: exactly one set of buttons takes it");
    }
    samples.len()
}

#[test]
fn every_button_round_trips_fits_telegram_and_belongs_to_one_set() {
    let n = check_all::<Cb>("Cb")
        + check_all::<StepCb>("StepCb")
        + check_all::<DeskCb>("DeskCb")
        + check_all::<FormCb>("FormCb")
        + check_all::<HomeCb>("HomeCb")
        + check_all::<AuthCb>("AuthCb")
        + check_all::<ProfileCb>("ProfileCb")
        + check_all::<MetersCb>("MetersCb")
        + check_all::<TicketsCb>("TicketsCb")
        + check_all::<ConnCb>("ConnCb")
        + check_all::<AccountsCb>("AccountsCb")
        + check_all::<OutagesCb>("OutagesCb")
        + check_all::<FaqCb>("FaqCb");
    assert!(n > 100, "{n} samples");
}

/// Buttons already in people's chats keep their meaning: the wire format is the point here.
#[test]
fn buttons_sent_before_keep_their_data() {
    let cases: Vec<(String, &str)> = vec![
        (Cb::Lang(Lang::En).encode(), "lang:en"),
        (Cb::ChooseLanguage.encode(), "p:lang"),
        (StepCb::Opt(65_535, 4).encode(), "o:65535:4"),
        (StepCb::FormEdit(2).encode(), "e:2"),
        (HomeCb::UsefulInfo.encode(), "svc:info"),
        (AuthCb::RestartRegistration.encode(), "reg:restart"),
        (ProfileCb::ToggleReminder(Reminder::Verification).encode(), "p:rem:1"),
        (MetersCb::Meters.encode(), "m"),
        (MetersCb::Meter(7).encode(), "m:7"),
        (MetersCb::History(7, 2).encode(), "m:h:7:2"),
        (
            MetersCb::MeterEditField(7, MeterField::Verification).encode(),
            "m:ef:7:3",
        ),
        (TicketsCb::NewTicket(TicketKind::Document).encode(), "t:new:d"),
        (TicketsCb::TicketList(TicketSection::Documents, 9).encode(), "t:l:2:9"),
        (TicketsCb::File(5).encode(), "f:5"),
        (ConnCb::ConnGroup(ConnKind::Heat, 3).encode(), "c:l:2:3"),
        (
            DeskCb::Act(
                ItemKind::Connection,
                9,
                DeskAction::Status(crate::domain::items::ConnStatus::DocumentsIssued),
            )
            .encode(),
            "dk:c:9:st-documents_issued",
        ),
    ];
    for (encoded, old) in cases {
        assert_eq!(encoded, old);
    }
}

#[test]
fn malformed_data_is_nobodys() {
    for bad in [
        "",
        "garbage",
        "m:-1",
        "m:r:x",
        "zones:4",
        "m:ef:1:9",
        "m:h:1",
        "m:1:2:3:4",
        "dk:x:1:t",
        "dk:t:1:st-nonsense",
        "t:l:3:0",
        "c:k:3",
        "p:rem:9",
        "o:70000:1",
        "menu:1",
        "m:",
    ] {
        assert!(takers(bad).is_empty(), "{bad}: {:?}", takers(bad));
    }
}
