//! Which buddy or device a person means by what they typed: the exact id, else a name in any case, else an
//! unambiguous prefix of the id of at least [`MIN_PREFIX`] hex digits. Ambiguous or unknown input is an error
//! that names the candidates. Everything past this module calls the core with full ids only.

use crate::error::{Error, Kind, Result};
use crate::render::short;
use clearchat_core::{Buddy, Device};

/// The shortest id prefix taken as an id.
pub const MIN_PREFIX: usize = 4;

/// The buddy `wanted` names among `buddies`.
pub fn buddy<'a>(buddies: &'a [Buddy], wanted: &str) -> Result<&'a Buddy> {
    find(
        Kind::Buddy,
        buddies.iter().map(|b| (b, b.id.as_str(), b.name.as_str())),
        wanted,
    )
}

/// The device `wanted` names among `devices` that are not unlinked.
pub fn device<'a>(devices: &'a [Device], wanted: &str) -> Result<&'a Device> {
    find(
        Kind::Device,
        devices
            .iter()
            .filter(|d| !d.revoked)
            .map(|d| (d, d.id.as_str(), d.name.as_str())),
        wanted,
    )
}

fn find<'a, T>(
    kind: Kind,
    items: impl Iterator<Item = (&'a T, &'a str, &'a str)>,
    wanted: &str,
) -> Result<&'a T> {
    let items: Vec<(&T, &str, &str)> = items.collect();
    let wanted = wanted.trim();
    let label = |(_, id, name): &(&T, &str, &str)| format!("{name} ({})", short(id));
    let pick = |found: Vec<&(&'a T, &str, &str)>| -> Option<Result<&'a T>> {
        match found.as_slice() {
            [] => None,
            [(item, _, _)] => Some(Ok(*item)),
            many => Some(Err(Error::Ambiguous {
                kind,
                wanted: wanted.to_string(),
                candidates: many.iter().map(|c| label(c)).collect(),
            })),
        }
    };
    if let Some((item, _, _)) = items
        .iter()
        .find(|(_, id, _)| id.eq_ignore_ascii_case(wanted))
    {
        return Ok(item);
    }
    let lower = wanted.to_lowercase();
    if let Some(found) = pick(
        items
            .iter()
            .filter(|(_, _, name)| name.to_lowercase() == lower)
            .collect(),
    ) {
        return found;
    }
    let hex = wanted.len() >= MIN_PREFIX && wanted.chars().all(|c| c.is_ascii_hexdigit());
    if hex {
        if let Some(found) = pick(
            items
                .iter()
                .filter(|(_, id, _)| id.starts_with(&lower))
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

    fn buddies() -> Vec<Buddy> {
        [
            ("ab12cd34ef", "Betty"),
            ("ab12ff00aa", "Carl"),
            ("9999aaaa00", "carl"),
            ("77771111bb", "Dora"),
        ]
        .into_iter()
        .map(|(id, name)| Buddy {
            id: id.into(),
            name: name.into(),
            online: false,
            unread: 0,
            last_message: None,
        })
        .collect()
    }

    fn a_device(id: &str, name: &str, revoked: bool) -> Device {
        Device {
            id: id.into(),
            name: name.into(),
            person: "Amy".into(),
            me: false,
            online: false,
            revoked,
            last_seen: None,
        }
    }

    #[test]
    fn the_exact_id_wins_in_any_case() {
        let list = buddies();
        assert_eq!(buddy(&list, "ab12cd34ef").unwrap().name, "Betty");
        assert_eq!(buddy(&list, " AB12CD34EF ").unwrap().name, "Betty");
    }

    #[test]
    fn a_name_matches_in_any_case() {
        let list = buddies();
        assert_eq!(buddy(&list, "betty").unwrap().id, "ab12cd34ef");
        assert_eq!(buddy(&list, "DORA").unwrap().id, "77771111bb");
    }

    #[test]
    fn an_unambiguous_prefix_of_four_or_more_hex_digits() {
        let list = buddies();
        assert_eq!(buddy(&list, "7777").unwrap().name, "Dora");
        assert_eq!(buddy(&list, "ab12c").unwrap().name, "Betty");
        assert_eq!(buddy(&list, "AB12F").unwrap().name, "Carl");
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
        assert_eq!(buddy(&list, "9999").unwrap().name, "carl");
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
        assert_eq!(device(&list, "amy phone").unwrap().id, "aaaa0002");
        assert_eq!(device(&list, "aaaa").unwrap().id, "aaaa0002");
        assert!(matches!(
            device(&list, "aaaa0001"),
            Err(Error::Unknown { .. })
        ));
        assert_eq!(device(&list, "bbbb0003").unwrap().name, "Amy laptop");
    }
}
