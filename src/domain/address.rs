//! Addresses as people and billing write them, made comparable: «г. Город, ул. Ленина, д. 1,
//! кв. 2», «Город, Ленина улица, дом 1 корп. 2», «ЛЕНИНА УЛ, 1/2». An address reads into a
//! settlement, a street and a house (number, letter, building, fraction); the flat is dropped.
//! An outage's area is a settlement, optionally a street, optionally houses — numbers and
//! ranges such as «1-15 нечёт, 20, 22а» — and an address is inside it or not.

use serde::{Deserialize, Serialize};

/// Words that name a settlement's kind (dropped), as written before or after its name; «го» is
/// «г.о.», an urban district named after its town.
const SETTLEMENT_KINDS: [&str; 18] = [
    "г",
    "город",
    "гор",
    "го",
    "пос",
    "поселок",
    "п",
    "пгт",
    "рп",
    "с",
    "село",
    "д",
    "дер",
    "деревня",
    "ст-ца",
    "станица",
    "снт",
    "тер",
];

/// Words that name a street's kind (dropped); a part with one of them is the street.
const STREET_KINDS: [&str; 25] = [
    "ул",
    "улица",
    "пр-т",
    "пр-кт",
    "пр",
    "просп",
    "проспект",
    "пер",
    "переулок",
    "ш",
    "шоссе",
    "б-р",
    "бульвар",
    "наб",
    "набережная",
    "пл",
    "площадь",
    "проезд",
    "пр-д",
    "туп",
    "тупик",
    "аллея",
    "линия",
    "кв-л",
    "квартал",
];

/// Parts that are not the settlement, the street or the house: regions, districts, the flat.
const OTHER_KINDS: [&str; 14] = [
    "обл",
    "область",
    "край",
    "респ",
    "республика",
    "р-н",
    "район",
    "мр-н",
    "ао",
    "кв",
    "квартира",
    "оф",
    "офис",
    "пом",
];

/// Words that introduce a house number.
const HOUSE_WORDS: [&str; 3] = ["д", "дом", "вл"];

/// Words that introduce a building of a house, the longer before the shorter, with the letter
/// it is kept under: «корп. 2» is «к2», «стр. 1» is «с1», «лит. А» is «лА».
const BUILDING_WORDS: [(&str, &str); 8] = [
    ("корпус", "к"),
    ("корп", "к"),
    ("строение", "с"),
    ("стр", "с"),
    ("литера", "л"),
    ("лит", "л"),
    ("к", "к"),
    ("с", "с"),
];

/// A name as compared: lower case, «ё» as «е», dots, quotes and extra spaces gone; «г.о.»
/// as one word «го», «м.р-н» as «мр-н».
pub fn plain(s: &str) -> String {
    let s = s.to_lowercase().replace("г.о.", " го ").replace("м.р-н", " мр-н ");
    let s: String = s
        .chars()
        .map(|c| match c {
            'ё' => 'е',
            '.' | '«' | '»' | '"' | '\'' | '(' | ')' => ' ',
            c => c,
        })
        .collect();
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// «к2», «корп2», «стр1» (the building glued to the number's tail): the building as kept.
fn building_of(tail: &str) -> Option<String> {
    BUILDING_WORDS.iter().find_map(|(word, short)| {
        tail.strip_prefix(word)
            .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_alphanumeric()))
            .map(|n| format!("{short}{n}"))
    })
}

/// A house: «1», «22а», «5 к2», «12/3».
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct House {
    pub number: u32,
    /// «а» of «22а» (lower case), empty when none.
    pub letter: String,
    /// The building («к2», «с1») or the fraction's second number («/3»), empty when none.
    pub building: String,
}

impl House {
    /// «22а», «22 а», «22-а», «5 к2», «5к2», «5 корп. 2», «12/3», «д. 7 стр. 1».
    pub fn parse(input: &str) -> Option<Self> {
        let s = plain(input);
        let mut words: Vec<&str> = s.split(' ').collect();
        if words.first().is_some_and(|w| HOUSE_WORDS.contains(w)) {
            words.remove(0);
        }
        let first = words.first()?;
        let digits: String = first.chars().take_while(char::is_ascii_digit).collect();
        let number = digits.parse::<u32>().ok().filter(|n| *n > 0)?;
        let mut rest = first[digits.len()..].trim_start_matches('-').to_owned();
        let mut building = String::new();
        if let Some((letter, fraction)) = rest.clone().split_once('/') {
            building = format!("/{fraction}");
            rest = letter.to_owned();
        }
        if let Some(b) = building_of(&rest) {
            building = b;
            rest.clear();
        }
        let mut letter = rest;
        let mut more = words[1..].iter();
        // «22 а»: a lone letter after the number.
        if letter.is_empty()
            && let Some(w) = words.get(1)
            && w.chars().count() == 1
            && w.chars().all(char::is_alphabetic)
            && !BUILDING_WORDS.iter().any(|(b, _)| b == w)
        {
            letter = (*w).to_owned();
            more.next();
        }
        if !letter.chars().all(char::is_alphabetic) || letter.chars().count() > 2 {
            return None;
        }
        let tail: String = more.copied().collect();
        if !tail.is_empty() {
            building.push_str(&building_of(&tail).unwrap_or(tail));
        }
        Some(Self {
            number,
            letter,
            building,
        })
    }
}

/// An address as compared.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Address {
    /// The settlement's name, plain; empty when the address does not say.
    pub settlement: String,
    /// Empty for a village without streets («д. Ивановка, 15»).
    pub street: String,
    pub house: Option<House>,
}

/// The part without its kind word (one of `kinds`, first or last: «ул. Ленина», «Ленина ул»),
/// and whether it had one. A name that is a kind word itself («г. Город») keeps it.
fn without_kind(part: &str, kinds: &[&str]) -> (String, bool) {
    let mut words: Vec<&str> = part.split(' ').collect();
    if words.len() > 1 && kinds.contains(&words[0]) {
        words.remove(0);
    } else if words.len() > 1 && words.last().is_some_and(|w| kinds.contains(w)) {
        words.pop();
    } else {
        return (part.to_owned(), false);
    }
    (words.join(" "), true)
}

/// The address's parts: its commas', and where it has none, cut before a house, flat or
/// building word followed by a number, and before a street word after a settlement («г Город
/// ул Ленина д 5 кв 3»).
fn parts(input: &str) -> Vec<String> {
    let mut out: Vec<Vec<&str>> = Vec::new();
    let text = plain(&input.replace(',', " , "));
    let words: Vec<&str> = text.split(' ').collect();
    let mut current: Vec<&str> = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let next_is_number = words
            .get(i + 1)
            .is_some_and(|n| n.starts_with(|c: char| c.is_ascii_digit()));
        let cut = *w == ","
            || (!current.is_empty()
                && next_is_number
                && (HOUSE_WORDS.contains(w) || OTHER_KINDS.contains(w) || BUILDING_WORDS.iter().any(|(b, _)| b == w)))
            || (current.len() > 1 && SETTLEMENT_KINDS.contains(&current[0]) && STREET_KINDS.contains(w));
        if cut && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        if *w != "," {
            current.push(w);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out.into_iter().map(|p| p.join(" ")).collect()
}

impl Address {
    /// Reads an address. The street is the part with a street word, or else the part before
    /// the house; the settlement is the first part with a settlement word, or the part before
    /// the street. Postal codes, regions, districts, the flat are left out. None unless two of
    /// the settlement, the street and the house can be told.
    pub fn parse(input: &str) -> Option<Self> {
        let mut settlement = String::new();
        let mut street: Option<String> = None;
        let mut house: Option<House> = None;
        let mut loose: Vec<String> = Vec::new();
        for p in parts(input) {
            let first = p.split(' ').next().unwrap_or_default();
            let last = p.rsplit(' ').next().unwrap_or_default();
            let postal = p.len() == 6 && p.chars().all(|c| c.is_ascii_digit());
            if postal || OTHER_KINDS.contains(&first) || OTHER_KINDS.contains(&last) {
                continue;
            }
            // A building after the house: «д. 10, корп. 2».
            if let Some(h) = house.as_mut()
                && h.building.is_empty()
                && let Some(b) = building_of(&p.replace(' ', ""))
            {
                h.building = b;
                continue;
            }
            let (name, is_street) = without_kind(&p, &STREET_KINDS);
            if is_street && street.is_none() {
                street = Some(name);
                continue;
            }
            // «д. 1» is a house, «д. Ивановка» a village.
            let house_like = p.starts_with(|c: char| c.is_ascii_digit())
                || (HOUSE_WORDS.contains(&first)
                    && p.split(' ')
                        .nth(1)
                        .is_some_and(|w| w.starts_with(|c: char| c.is_ascii_digit())));
            if house_like && house.is_none() {
                house = House::parse(&p);
                if house.is_some() {
                    continue;
                }
            }
            let (name, is_settlement) = without_kind(&p, &SETTLEMENT_KINDS);
            if is_settlement && settlement.is_empty() {
                settlement = name;
                continue;
            }
            loose.push(name);
        }
        // No street word: the last loose part before the house is the street, the one before
        // it the settlement.
        if street.is_none() {
            street = loose.pop();
        }
        if settlement.is_empty()
            && let Some(s) = loose.pop()
        {
            settlement = s;
        }
        let mut street = street.unwrap_or_default();
        // «Ленина 7»: the house written after the street without a comma.
        if house.is_none()
            && let Some((name, last)) = street.clone().rsplit_once(' ')
            && last.starts_with(|c: char| c.is_ascii_digit())
            && let Some(h) = House::parse(last)
        {
            street = name.to_owned();
            house = Some(h);
        }
        // Two of the three at least: a lone name is not an address to match.
        let known = [!settlement.is_empty(), !street.is_empty(), house.is_some()];
        if known.iter().filter(|k| **k).count() < 2 {
            return None;
        }
        Some(Self {
            settlement,
            street,
            house,
        })
    }
}

/// Which numbers of a range: all, odd or even.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Parity {
    All,
    Odd,
    Even,
}

/// One item of a house list: a house, or a range of numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Houses {
    One(House),
    Range { from: u32, to: u32, parity: Parity },
}

impl Houses {
    /// «1-15 нечёт, 20, 22а, 30–40 чёт, 5 к2»: the list, or None with anything unreadable.
    pub fn parse_list(input: &str) -> Option<Vec<Houses>> {
        let s = plain(input).replace(['–', '—'], "-");
        let mut out = Vec::new();
        for item in s.split([',', ';']).map(str::trim).filter(|i| !i.is_empty()) {
            let (body, parity) = match item.rsplit_once(' ') {
                Some((b, w)) if w.starts_with("нечет") || w == "odd" => (b, Parity::Odd),
                Some((b, w)) if w.starts_with("чет") || w == "even" => (b, Parity::Even),
                _ => (item, Parity::All),
            };
            let body = body.replace(' ', "");
            match body.split_once('-') {
                Some((a, b)) if a.chars().all(|c| c.is_ascii_digit()) && b.chars().all(|c| c.is_ascii_digit()) => {
                    let (from, to) = (a.parse().ok()?, b.parse().ok()?);
                    if from == 0 || from > to {
                        return None;
                    }
                    out.push(Houses::Range { from, to, parity });
                }
                _ if parity == Parity::All => out.push(Houses::One(House::parse(item)?)),
                _ => return None,
            }
        }
        (!out.is_empty()).then_some(out)
    }

    /// Whether `h` is this item: a range holds every house of its numbers (letters and
    /// buildings too); a house, the same house (a house without a building holds its buildings).
    pub fn holds(&self, h: &House) -> bool {
        match self {
            Houses::Range { from, to, parity } => {
                (*from..=*to).contains(&h.number)
                    && match parity {
                        Parity::All => true,
                        Parity::Odd => h.number % 2 == 1,
                        Parity::Even => h.number.is_multiple_of(2),
                    }
            }
            Houses::One(one) => {
                one.number == h.number
                    && one.letter == h.letter
                    && (one.building.is_empty() || one.building == h.building)
            }
        }
    }
}

/// An outage's area: a settlement, a street of it (none: the whole settlement), houses of the
/// street (none: the whole street).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Area {
    pub settlement: String,
    pub street: Option<String>,
    pub houses: Option<Vec<Houses>>,
}

impl Area {
    /// «г. Город» (the whole settlement), «г. Город, ул. Ленина» (the street), «г. Город, ул.
    /// Ленина: 1-15 нечёт, 20, 22а» (those houses).
    pub fn parse(input: &str) -> Option<Self> {
        let (place, houses) = match input.split_once(':') {
            Some((p, h)) => (p, Some(Houses::parse_list(h)?)),
            None => (input, None),
        };
        let parts: Vec<String> = place.split(',').map(plain).filter(|p| !p.is_empty()).collect();
        let (settlement, street) = match parts.as_slice() {
            [one] => (without_kind(one, &SETTLEMENT_KINDS).0, None),
            [town, street] => (
                without_kind(town, &SETTLEMENT_KINDS).0,
                Some(without_kind(street, &STREET_KINDS).0),
            ),
            _ => return None,
        };
        if settlement.is_empty()
            || street.as_ref().is_some_and(String::is_empty)
            || (street.is_none() && houses.is_some())
        {
            return None;
        }
        Some(Self {
            settlement,
            street,
            houses,
        })
    }

    /// Whether the address is inside. An address that names no settlement is taken as the
    /// area's when its street and house match (billing often leaves the town out).
    pub fn holds(&self, a: &Address) -> bool {
        if !a.settlement.is_empty() && a.settlement != self.settlement {
            return false;
        }
        let Some(street) = &self.street else {
            return !a.settlement.is_empty();
        };
        if *street != a.street {
            return false;
        }
        match (&self.houses, &a.house) {
            (None, _) => true,
            (Some(list), Some(h)) => list.iter().any(|i| i.holds(h)),
            (Some(_), None) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn addr(s: &str) -> Address {
        Address::parse(s).unwrap_or_else(|| panic!("{s} does not read"))
    }

    #[test]
    fn addresses_as_billing_and_people_write_them_read_alike() {
        let a = addr("г. Город, ул. Ленина, д. 1, кв. 2");
        assert_eq!((a.settlement.as_str(), a.street.as_str()), ("город", "ленина"));
        assert_eq!(a.house, House::parse("1"));
        for same in [
            "Город, Ленина улица, дом 1",
            "ГОРОД, УЛ ЛЕНИНА, Д 1, КВ 5",
            "Московская обл., г. Город, ул. Ленина, д.1",
            "город Город, улица Ленина, 1",
        ] {
            assert_eq!(
                addr(same),
                Address {
                    house: House::parse("1"),
                    ..a.clone()
                },
                "{same}"
            );
        }
        let b = addr("пос. Берёзовка, пр-т Мира, д. 22а корп. 2");
        assert_eq!((b.settlement.as_str(), b.street.as_str()), ("березовка", "мира"));
        assert_eq!(
            b.house.unwrap(),
            House {
                number: 22,
                letter: "а".into(),
                building: "к2".into()
            }
        );
        assert_eq!(House::parse("12/3").unwrap().building, "/3");
        assert_eq!(House::parse("22 А"), House::parse("22а"));
        assert_eq!(House::parse("д. 7 стр. 1").unwrap().building, "с1");
        assert_ne!(
            House::parse("7 стр 1"),
            House::parse("7 к 1"),
            "a building is not a строение"
        );
        assert_eq!(House::parse("22к2"), House::parse("22 корп. 2"));
        // A village before the street, a house after it.
        let v = addr("д. Ивановка, ул. Полевая, д. 3");
        assert_eq!((v.settlement.as_str(), v.street.as_str()), ("ивановка", "полевая"));
        assert_eq!(v.house.unwrap().number, 3);
        assert_eq!(Address::parse("кв. 5"), None);
        // As registries and people really write them.
        let m = addr("г. Москва, Ленинский пр-т, д. 10 к. 2");
        assert_eq!((m.settlement.as_str(), m.street.as_str()), ("москва", "ленинский"));
        assert_eq!(m.house, House::parse("10к2"));
        let h = addr("Московская обл., г.о. Химки, мкр. Сходня, ул. Мичурина, 5");
        assert_eq!((h.settlement.as_str(), h.street.as_str()), ("химки", "мичурина"));
        let l = addr("пос. Лесной, 2-я Лесная ул., д. 4/1");
        assert_eq!((l.settlement.as_str(), l.street.as_str()), ("лесной", "2-я лесная"));
        assert_eq!(
            l.house.unwrap(),
            House {
                number: 4,
                letter: String::new(),
                building: "/1".into()
            }
        );
        let p = addr("123456, г. Москва, ул. Тверская, д. 10, корп. 2");
        assert_eq!((p.street.as_str(), p.house), ("тверская", House::parse("10 к2")));
        assert_eq!(addr("г. Москва, пр-кт Мира, 1").street, "мира");
        assert_eq!(addr("Город, Ленина 7"), addr("г. Город, ул. Ленина, д. 7"));
        let typed = addr("г Город ул Ленина д 5 кв 3");
        assert_eq!((typed.settlement.as_str(), typed.street.as_str()), ("город", "ленина"));
        assert_eq!(typed.house, House::parse("5"));
        let village = addr("д. Ивановка, 15");
        assert_eq!((village.settlement.as_str(), village.street.as_str()), ("ивановка", ""));
        assert!(Area::parse("д. Ивановка").unwrap().holds(&village));
        assert!(!Area::parse("д. Ивановка, ул. Полевая").unwrap().holds(&village));
    }

    #[test]
    fn an_area_holds_its_settlement_street_and_houses() {
        let area = Area::parse("г. Город, ул. Ленина: 1-15 нечёт, 20, 22а").unwrap();
        assert!(area.holds(&addr("г. Город, ул. Ленина, д. 7, кв. 1")));
        assert!(
            area.holds(&addr("Город, Ленина, 7 корп. 2")),
            "a range holds the buildings"
        );
        assert!(
            !area.holds(&addr("г. Город, ул. Ленина, д. 8")),
            "even, outside the odd range"
        );
        assert!(area.holds(&addr("г. Город, ул. Ленина, д. 20")));
        assert!(area.holds(&addr("г. Город, ул. Ленина, д. 22 А")));
        assert!(!area.holds(&addr("г. Город, ул. Ленина, д. 22")), "22а is not 22");
        assert!(!area.holds(&addr("г. Город, ул. Садовая, д. 7")));
        assert!(!area.holds(&addr("пос. Другой, ул. Ленина, д. 7")));
        assert!(
            area.holds(&addr("ул. Ленина, д. 7")),
            "no town written: the street decides"
        );
        let town = Area::parse("г. Город").unwrap();
        assert!(town.holds(&addr("г. Город, ул. Садовая, д. 3")));
        assert!(
            !town.holds(&addr("ул. Садовая, д. 3")),
            "a whole town needs the town named"
        );
        let street = Area::parse("Город, проспект Мира").unwrap();
        assert!(street.holds(&addr("г. Город, пр-т Мира, д. 100")));
        for bad in [
            "",
            "г. Город: 1-5",
            "г. Город, ул. Ленина: 5-1",
            "г. Город, ул. Ленина: пять",
        ] {
            assert_eq!(Area::parse(bad), None, "{bad}");
        }
    }

    proptest! {
        /// A range holds exactly the numbers between its ends of its parity, whatever letter
        /// or building the house has.
        #[test]
        fn a_range_holds_exactly_its_numbers(from in 1u32..200, len in 0u32..60, n in 1u32..300, odd in any::<bool>(), letter in proptest::option::of("[абв]")) {
            let to = from + len;
            let word = if odd { "нечёт" } else { "чёт" };
            let list = Houses::parse_list(&format!("{from}-{to} {word}")).unwrap();
            let house = format!("{n}{}", letter.unwrap_or_default());
            let h = House::parse(&house).unwrap();
            let expected = (from..=to).contains(&n) && (n % 2 == 1) == odd;
            prop_assert_eq!(list.iter().any(|i| i.holds(&h)), expected);
        }

        /// Writing an address another way (case, «ё», kind words, spaces) reads the same.
        #[test]
        fn the_same_address_written_another_way_reads_the_same(n in 1u32..500, upper in any::<bool>(), words in any::<bool>()) {
            let a = format!("г. Берёзовка, ул. Лесная, д. {n}");
            let b = if words { format!("Березовка, Лесная улица, дом {n}") } else { format!("берёзовка, лесная ул., {n}") };
            let b = if upper { b.to_uppercase() } else { b };
            prop_assert_eq!(Address::parse(&a), Address::parse(&b));
        }
    }
}
