//! The settlements, streets and houses the utility knows (its registry's addresses), for
//! choosing an address step by step: settlement → street → house. Names are kept as compared
//! (`address::plain`) and shown with capitals; a button names its choice by a short key of
//! the name, so a list that changed between two presses is noticed, not misread.

use super::address::{Address, House};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// Settlement → street → houses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Places(BTreeMap<String, BTreeMap<String, BTreeSet<House>>>);

/// A button's key for a name: the first four bytes of its SHA-256.
pub fn key(name: &str) -> u32 {
    let d = Sha256::digest(name.as_bytes());
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// «карла маркса» → «Карла Маркса», «ростов-на-дону» → «Ростов-На-Дону» kept simple: each word's
/// first letter up.
pub fn title(plain: &str) -> String {
    plain
        .split(' ')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A house as shown and typed: «22а», «5к2», «12/3».
pub fn house_shown(h: &House) -> String {
    format!("{}{}{}", h.number, h.letter, h.building)
}

impl Places {
    /// From addresses as billing writes them; those without a settlement, a street or a house
    /// are left out (they can still be typed).
    pub fn from_addresses<'a>(addresses: impl IntoIterator<Item = &'a str>) -> Self {
        let mut all: BTreeMap<String, BTreeMap<String, BTreeSet<House>>> = BTreeMap::new();
        for a in addresses {
            let Some(Address {
                settlement,
                street,
                house: Some(house),
            }) = Address::parse(a)
            else {
                continue;
            };
            if settlement.is_empty() || street.is_empty() {
                continue;
            }
            all.entry(settlement)
                .or_default()
                .entry(street)
                .or_default()
                .insert(house);
        }
        Self(all)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn settlements(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }

    pub fn streets(&self, settlement: &str) -> Vec<&str> {
        self.0
            .get(settlement)
            .map(|s| s.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    pub fn houses(&self, settlement: &str, street: &str) -> Vec<&House> {
        self.0
            .get(settlement)
            .and_then(|s| s.get(street))
            .map(|h| h.iter().collect())
            .unwrap_or_default()
    }

    /// The settlement whose key is `k`.
    pub fn settlement(&self, k: u32) -> Option<&str> {
        self.settlements().into_iter().find(|s| key(s) == k)
    }

    /// The street of `settlement` whose key is `k`.
    pub fn street(&self, settlement: &str, k: u32) -> Option<&str> {
        self.streets(settlement).into_iter().find(|s| key(s) == k)
    }

    /// The house of the street whose key (of how it is shown) is `k`.
    pub fn house(&self, settlement: &str, street: &str, k: u32) -> Option<&House> {
        self.houses(settlement, street)
            .into_iter()
            .find(|h| key(&house_shown(h)) == k)
    }
}

/// The address a choice makes, as one types it: «Город, Ленина, д. 7а».
pub fn chosen_address(settlement: &str, street: &str, house: &House) -> String {
    format!("{}, {}, д. {}", title(settlement), title(street), house_shown(house))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registrys_addresses_become_settlements_streets_and_houses_in_order() {
        let p = Places::from_addresses([
            "г. Город, ул. Ленина, д. 10, кв. 3",
            "г. Город, ул. Ленина, д. 2",
            "Город, Ленина улица, дом 2, кв 5",
            "г. Город, пр-т Карла Маркса, д. 22а",
            "с. Ивановка, ул. Садовая, д. 5 к2",
            "д. Петровка, 15",
            "где-то",
        ]);
        assert_eq!(p.settlements(), vec!["город", "ивановка"]);
        assert_eq!(p.streets("город"), vec!["карла маркса", "ленина"]);
        let houses: Vec<String> = p.houses("город", "ленина").into_iter().map(house_shown).collect();
        assert_eq!(houses, vec!["2", "10"], "one house once, in number order");
        let h = p.house("ивановка", "садовая", key("5к2")).unwrap();
        let address = chosen_address("ивановка", "садовая", h);
        assert_eq!(address, "Ивановка, Садовая, д. 5к2");
        // What the choice makes reads back as the same address.
        let back = Address::parse(&address).unwrap();
        assert_eq!(
            (back.settlement.as_str(), back.street.as_str(), back.house.as_ref()),
            ("ивановка", "садовая", Some(h))
        );
        assert_eq!(p.settlement(key("город")), Some("город"));
        assert_eq!(p.street("город", key("нет такой")), None);
        assert_eq!(title("карла маркса"), "Карла Маркса");
    }
}
