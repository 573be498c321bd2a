//! Which sections the main menu shows: the fixed ones always, the others once the user has
//! at least one item of that kind (the portal's rule).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Services,
    Profile,
    Meters,
    /// «Передать показания»: straight to the reading, once the user has a meter.
    SendReadings,
    Connection,
    Tickets,
    Requests,
    Documents,
}

impl Section {
    pub const ALL: [Section; 8] = [
        Self::Services,
        Self::Profile,
        Self::Meters,
        Self::SendReadings,
        Self::Connection,
        Self::Tickets,
        Self::Requests,
        Self::Documents,
    ];
}

/// How many items of each conditional kind the user has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ItemCounts {
    pub meters: i64,
    pub connection: i64,
    pub tickets: i64,
    pub requests: i64,
    pub documents: i64,
}

pub fn menu_sections(counts: ItemCounts) -> Vec<Section> {
    let mut out = vec![Section::Services, Section::Profile, Section::Meters];
    let conditional = [
        (counts.meters, Section::SendReadings),
        (counts.connection, Section::Connection),
        (counts.tickets, Section::Tickets),
        (counts.requests, Section::Requests),
        (counts.documents, Section::Documents),
    ];
    out.extend(conditional.into_iter().filter(|(n, _)| *n > 0).map(|(_, s)| s));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_sections_only_for_a_new_user() {
        assert_eq!(
            menu_sections(ItemCounts::default()),
            vec![Section::Services, Section::Profile, Section::Meters]
        );
    }

    #[test]
    fn each_conditional_section_appears_with_its_first_item() {
        let c = ItemCounts {
            tickets: 1,
            ..Default::default()
        };
        assert!(menu_sections(c).contains(&Section::Tickets));
        assert!(!menu_sections(c).contains(&Section::Requests));
        let all = ItemCounts {
            meters: 1,
            connection: 2,
            tickets: 1,
            requests: 3,
            documents: 1,
        };
        assert_eq!(menu_sections(all).len(), 8);
        assert_eq!(menu_sections(all)[3], Section::SendReadings);
    }
}
