//! Which buddy or device a person means by what they typed: the exact id, else a name in any case, else an
//! unambiguous prefix of the id of at least [`MIN_PREFIX`] hex digits. Ambiguous or unknown input is an error
//! that names the candidates. The answer is the typed id the core takes; past this module nothing looks
//! anything up by text.

use crate::error::{Error, Kind, Result};
use crate::render::short;
use clearchat_core::{Buddy, BuddyId, Device, DeviceId};
use std::fmt::Display;
use std::str::FromStr;

/// The shortest id prefix taken as an id.
pub const MIN_PREFIX: usize = 4;

/// The buddy `wanted` names among `buddies`.
pub fn buddy(buddies: &[Buddy], wanted: &str) -> Result<BuddyId> {
    find(
        Kind::Buddy,
        buddies.iter().map(|b| (b.id, b.name.as_str())),
        wanted,
    )
}

/// The device `wanted` names among `devices` that are not unlinked.
pub fn device(devices: &[Device], wanted: &str) -> Result<DeviceId> {
    find(
        Kind::Device,
        devices
            .iter()
            .filter(|d| !d.revoked)
            .map(|d| (d.id, d.name.as_str())),
        wanted,
    )
}

fn find<'a, Id: Copy + PartialEq + Display + FromStr>(
    kind: Kind,
    items: impl Iterator<Item = (Id, &'a str)>,
    wanted: &str,
) -> Result<Id> {
    let items: Vec<(Id, &str, String)> =
        items.map(|(id, name)| (id, name, id.to_string())).collect();
    let wanted = wanted.trim();
    let label = |(id, name, _): &(Id, &str, String)| format!("{name} ({})", short(id));
    let pick = |found: Vec<&(Id, &str, String)>| -> Option<Result<Id>> {
        match found.as_slice() {
            [] => None,
            [(id, _, _)] => Some(Ok(*id)),
            many => Some(Err(Error::Ambiguous {
                kind,
                wanted: wanted.to_string(),
                candidates: many.iter().map(|c| label(c)).collect(),
            })),
        }
    };
    if let Ok(exact) = wanted.parse::<Id>() {
        if items.iter().any(|(id, _, _)| *id == exact) {
            return Ok(exact);
        }
    }
    let lower = wanted.to_lowercase();
    if let Some(found) = pick(
        items
            .iter()
            .filter(|(_, name, _)| name.to_lowercase() == lower)
            .collect(),
    ) {
        return found;
    }
    let hex = wanted.len() >= MIN_PREFIX && wanted.chars().all(|c| c.is_ascii_hexdigit());
    if hex {
        if let Some(found) = pick(
            items
                .iter()
                .filter(|(_, _, text)| text.starts_with(&lower))
                .collect(),
        ) {
            return found;
        }
    }
    Err(Error::Unknown {
        kind,
        wanted: wanted.to_string(),
        known: items.iter().map(label).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_ids::with_prefix as id;

    fn buddies() -> Vec<Buddy> {
        [
            ("ab12cd34ef", "Betty"),
            ("ab12ff00aa", "Carl"),
            ("9999aaaa00", "carl"),
            ("77771111bb", "Dora"),
        ]
        .into_iter()
        .map(|(prefix, name)| Buddy {
            id: id(prefix),
            name: name.into(),
            online: false,
            reach: clearchat_core::Reach::Unknown,
            unread: 0,
            last_message: None,
            shares_code_with: None,
        })
        .collect()
    }

    fn name_of(list: &[Buddy], id: BuddyId) -> &str {
        &list
            .iter()
            .find(|b| b.id == id)
            .expect("one of the list")
            .name
    }

    fn a_device(prefix: &str, name: &str, revoked: bool) -> Device {
        Device {
            id: id(prefix),
            name: name.into(),
            person: "Amy".into(),
            me: false,
            online: false,
            reach: clearchat_core::Reach::Unknown,
            revoked,
            last_seen: None,
        }
    }

    #[test]
    fn the_exact_id_wins_in_any_case() {
        let list = buddies();
        let betty: BuddyId = id("ab12cd34ef");
        assert_eq!(buddy(&list, &betty.to_hex()).unwrap(), betty);
        let shouted = format!(" {} ", betty.to_hex().to_uppercase());
        assert_eq!(buddy(&list, &shouted).unwrap(), betty);
        // A full id that is nobody's is unknown, not a prefix of anyone's.
        let err = buddy(&list, &id::<BuddyId>("ab12").to_hex()).unwrap_err();
        assert!(matches!(err, Error::Unknown { .. }), "{err}");
    }

    #[test]
    fn a_name_matches_in_any_case() {
        let list = buddies();
        assert_eq!(buddy(&list, "betty").unwrap(), id("ab12cd34ef"));
        assert_eq!(buddy(&list, "DORA").unwrap(), id("77771111bb"));
    }

    #[test]
    fn an_unambiguous_prefix_of_four_or_more_hex_digits() {
        let list = buddies();
        assert_eq!(name_of(&list, buddy(&list, "7777").unwrap()), "Dora");
        assert_eq!(name_of(&list, buddy(&list, "ab12c").unwrap()), "Betty");
        assert_eq!(name_of(&list, buddy(&list, "AB12F").unwrap()), "Carl");
        // Too short to be an id.
        let err = buddy(&list, "777").unwrap_err();
        assert!(matches!(err, Error::Unknown { .. }), "{err}");
    }

    #[test]
    fn ambiguous_input_names_the_candidates() {
        let list = buddies();
        let err = buddy(&list, "ab12").unwrap_err();
        let Error::Ambiguous { candidates, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(candidates, &["Betty (ab12cd34)", "Carl (ab12ff00)"]);
        assert!(err
            .to_string()
            .contains("Betty (ab12cd34), Carl (ab12ff00)"));
        // Two buddies of one name: the name is ambiguous, each id still works.
        let err = buddy(&list, "CARL").unwrap_err();
        assert!(matches!(err, Error::Ambiguous { .. }), "{err}");
        assert_eq!(name_of(&list, buddy(&list, "9999").unwrap()), "carl");
    }

    #[test]
    fn unknown_input_names_what_there_is() {
        let list = buddies();
        let err = buddy(&list, "Nobody").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("\"Nobody\""), "{text}");
        assert!(text.contains("Betty (ab12cd34)"), "{text}");
        assert!(text.contains("Dora (77771111)"), "{text}");
        let err = buddy(&[], "Betty").unwrap_err();
        assert!(err.to_string().contains("no buddies yet"), "{err}");
    }

    #[test]
    fn unlinked_devices_are_not_candidates() {
        let list = vec![
            a_device("aaaa0001", "Amy phone", true),
            a_device("aaaa0002", "Amy phone", false),
            a_device("bbbb0003", "Amy laptop", false),
        ];
        assert_eq!(device(&list, "amy phone").unwrap(), id("aaaa0002"));
        assert_eq!(device(&list, "aaaa").unwrap(), id("aaaa0002"));
        let unlinked = id::<DeviceId>("aaaa0001").to_hex();
        assert!(matches!(
            device(&list, &unlinked),
            Err(Error::Unknown { .. })
        ));
        assert_eq!(device(&list, "bbbb0003").unwrap(), id("bbbb0003"));
    }
}
