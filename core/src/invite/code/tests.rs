//! The invite code format, tested: round trips, lenient input, typos, garbage, earlier codes, QR.

use super::*;
use rand::{Rng, RngCore};

fn sample() -> InviteCode {
    InviteCode {
        purpose: Purpose::Buddy,
        secret: [7; 16],
        inviter: {
            let mut k = [0u8; 32];
            for (i, b) in k.iter_mut().enumerate() {
                *b = i as u8 * 3 + 1;
            }
            k
        },
        addrs: vec![
            "192.168.1.20:4433".parse().unwrap(),
            "[2001:db8::1]:443".parse().unwrap(),
            "10.0.0.1:1".parse().unwrap(),
        ],
        others: vec![([9; 32], "192.168.1.21:4433".parse().unwrap())],
        expires_at: 1_767_225_600,
    }
}

fn random_code(rng: &mut impl Rng) -> InviteCode {
    let mut secret = [0u8; 16];
    let mut inviter = [0u8; 32];
    rng.fill_bytes(&mut secret);
    rng.fill_bytes(&mut inviter);
    let addr = |rng: &mut dyn RngCore| {
        let ip = if rng.gen() {
            IpAddr::V4(Ipv4Addr::from(rng.gen::<[u8; 4]>()))
        } else {
            IpAddr::V6(Ipv6Addr::from(rng.gen::<[u8; 16]>()))
        };
        SocketAddr::new(ip, rng.gen())
    };
    let n = rng.gen_range(0..=MAX_ADDRS);
    let addrs = (0..n).map(|_| addr(rng)).collect();
    let n = rng.gen_range(0..=MAX_OTHER_DEVICES);
    let others = (0..n).map(|_| (rng.gen::<[u8; 32]>(), addr(rng))).collect();
    InviteCode {
        purpose: if rng.gen() {
            Purpose::Link
        } else {
            Purpose::Buddy
        },
        secret,
        inviter,
        addrs,
        others,
        expires_at: rng.gen(),
    }
}

#[test]
fn round_trip_text_and_uri() {
    let code = sample();
    let text = code.to_text();
    assert!(text.split('-').all(|g| !g.is_empty() && g.len() <= 5));
    assert!(text
        .bytes()
        .all(|b| b == b'-' || ALPHABET.as_bytes().contains(&b)));
    assert_eq!(InviteCode::parse(&text).unwrap(), code);

    let uri = code.to_uri();
    assert!(uri.starts_with(URI_SCHEME));
    assert!(!uri.contains('-'));
    assert_eq!(InviteCode::parse(&uri).unwrap(), code);
    assert_eq!(InviteCode::parse(&uri.to_lowercase()).unwrap(), code);
    let slashes = format!("clearchat://{}", &uri[URI_SCHEME.len()..]);
    assert_eq!(InviteCode::parse(&slashes).unwrap(), code);
    let mixed = format!("ClearChat:{}", &uri[URI_SCHEME.len()..]);
    assert_eq!(InviteCode::parse(&mixed).unwrap(), code);
}

#[test]
fn round_trip_random() {
    let mut rng = rand::thread_rng();
    for _ in 0..500 {
        let code = random_code(&mut rng);
        assert_eq!(InviteCode::parse(&code.to_text()).unwrap(), code);
        assert_eq!(InviteCode::parse(&code.to_uri()).unwrap(), code);
    }
}

#[test]
fn base32_matches_rfc4648_vectors() {
    let vectors: [(&str, &str); 7] = [
        ("", ""),
        ("f", "MY"),
        ("fo", "MZXQ"),
        ("foo", "MZXW6"),
        ("foob", "MZXW6YQ"),
        ("fooba", "MZXW6YTB"),
        ("foobar", "MZXW6YTBOI"),
    ];
    for (plain, enc) in vectors {
        assert_eq!(base32_encode(plain.as_bytes()), enc);
        assert_eq!(base32().decode(enc.as_bytes()).unwrap(), plain.as_bytes());
    }
}

#[test]
fn lenient_input_accepted() {
    let code = sample();
    let text = code.to_text();
    let lower = text.to_lowercase();
    assert_eq!(InviteCode::parse(&lower).unwrap(), code);

    let spaced = format!("  \n{}\t\r\n ", text.replace('-', " "));
    assert_eq!(InviteCode::parse(&spaced).unwrap(), code);

    let no_dashes = text.replace('-', "");
    let mut messy = String::new();
    for (i, c) in no_dashes.chars().enumerate() {
        messy.push(c);
        match i % 7 {
            0 => messy.push('-'),
            3 => messy.push('\n'),
            5 => messy.push_str(" - "),
            _ => {}
        }
    }
    assert_eq!(InviteCode::parse(&messy).unwrap(), code);

    // Confusables: O->0, I->1, B->8 must decode to the same code.
    let confused = no_dashes
        .replace('O', "0")
        .replace('I', "1")
        .replace('B', "8");
    assert_eq!(InviteCode::parse(&confused).unwrap(), code);
}

#[test]
fn one_changed_character_is_checksum_error() {
    let text = sample().to_text();
    let chars: Vec<char> = text.chars().collect();
    for i in 0..chars.len() {
        if chars[i] == '-' {
            continue;
        }
        for &repl in ALPHABET.as_bytes() {
            let repl = char::from(repl);
            if repl == chars[i] {
                continue;
            }
            let mut changed = chars.clone();
            changed[i] = repl;
            let s: String = changed.into_iter().collect();
            assert_eq!(
                InviteCode::parse(&s),
                Err(CodeError::Checksum),
                "position {i}"
            );
        }
    }
}

#[test]
fn truncation_is_an_error() {
    let uri = sample().to_uri();
    let body = &uri[URI_SCHEME.len()..];
    for len in 0..body.len() {
        let err = InviteCode::parse(&body[..len]).unwrap_err();
        if len == 0 {
            assert_eq!(err, CodeError::Empty);
        }
    }
    assert_eq!(InviteCode::parse(&body[..20]), Err(CodeError::TooShort));
    assert_eq!(InviteCode::parse(URI_SCHEME), Err(CodeError::Empty));
    assert_eq!(InviteCode::parse("   "), Err(CodeError::Empty));
}

#[test]
fn specific_errors() {
    assert_eq!(
        InviteCode::parse("ABCDE-FG!HI"),
        Err(CodeError::BadCharacter { position: 9 })
    );
    assert_eq!(
        InviteCode::parse(" clearchat:AB9"),
        Err(CodeError::BadCharacter { position: 14 })
    );
    let long = "A".repeat(MAX_CHARS + 8);
    assert_eq!(InviteCode::parse(&long), Err(CodeError::TooLong));

    // Valid checksum but bad contents.
    let encode_body = |mut body: Vec<u8>| {
        let sum = checksum(&body);
        body.extend_from_slice(&sum);
        base32_encode(&body)
    };
    let mut body = sample().to_binary();
    body.truncate(body.len() - CHECKSUM_LEN);

    let mut v = body.clone();
    v[0] = 9;
    assert_eq!(
        InviteCode::parse(&encode_body(v)),
        Err(CodeError::UnknownVersion(9))
    );
    let mut v = body.clone();
    v[1] = 3;
    assert_eq!(
        InviteCode::parse(&encode_body(v)),
        Err(CodeError::UnknownPurpose)
    );
    let mut v = body.clone();
    v[HEADER_LEN] = 5; // unknown address tag
    assert!(matches!(
        InviteCode::parse(&encode_body(v)),
        Err(CodeError::Malformed(_))
    ));
    let mut v = body.clone();
    v.push(0); // trailing byte
    assert!(matches!(
        InviteCode::parse(&encode_body(v)),
        Err(CodeError::Malformed(_))
    ));
    let mut v = body.clone();
    v[HEADER_LEN - 1] = 9; // too many addresses
    assert!(matches!(
        InviteCode::parse(&encode_body(v)),
        Err(CodeError::Malformed(_))
    ));
    let mut v = body;
    v[HEADER_LEN - 1] = 4; // claims more addresses than present
    assert!(matches!(
        InviteCode::parse(&encode_body(v)),
        Err(CodeError::Malformed(_))
    ));

    for e in [CodeError::Checksum, CodeError::TooShort, CodeError::Empty] {
        assert_eq!(e.reason(), e.to_string());
        assert!(!e.reason().is_empty());
    }
}

#[test]
fn too_many_addrs_are_dropped_on_encode() {
    let mut code = sample();
    code.addrs = (0..12u16)
        .map(|i| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 1000 + i))
        .collect();
    let back = InviteCode::parse(&code.to_text()).unwrap();
    assert_eq!(back.addrs, code.addrs[..MAX_ADDRS]);
}

#[test]
fn garbage_never_panics() {
    let mut rng = rand::thread_rng();
    let pool: Vec<char> = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz2345670189 -\n\t:/!é€😀\u{0}"
        .chars()
        .collect();
    for _ in 0..3000 {
        // Random bytes, lossily made into a string.
        let len = rng.gen_range(0..500);
        let mut bytes = vec![0u8; len];
        rng.fill_bytes(&mut bytes);
        let _ = InviteCode::parse(&String::from_utf8_lossy(&bytes));

        // Random strings from a base32-heavy pool, with and without a scheme.
        let len = rng.gen_range(0..420);
        let s: String = (0..len)
            .map(|_| pool[rng.gen_range(0..pool.len())])
            .collect();
        let _ = InviteCode::parse(&s);
        let _ = InviteCode::parse(&format!("clearchat:{s}"));

        // Random binary with a valid checksum, to reach the field decoder.
        let len = rng.gen_range(0..MAX_BIN_LEN + 8);
        let mut body = vec![0u8; len];
        rng.fill_bytes(&mut body);
        if len > 1 && rng.gen() {
            body[0] = VERSION;
            body[1] = rng.gen_range(1..=2);
        }
        if len >= HEADER_LEN && rng.gen() {
            body[HEADER_LEN - 1] = rng.gen_range(0..=9);
        }
        let sum = checksum(&body);
        body.extend_from_slice(&sum);
        let _ = InviteCode::parse(&base32_encode(&body));

        // Mutations of a valid code.
        let mut chars: Vec<char> = random_code(&mut rng).to_uri().chars().collect();
        let i = rng.gen_range(0..chars.len());
        match rng.gen_range(0..3) {
            0 => {
                chars.remove(i);
            }
            1 => chars.insert(i, pool[rng.gen_range(0..pool.len())]),
            _ => chars[i] = pool[rng.gen_range(0..pool.len())],
        }
        let _ = InviteCode::parse(&chars.into_iter().collect::<String>());
    }
}

/// Codes made by the hand-written base32 encoder this module had before it moved to `data-encoding`
/// (commit 8fbe8f6): every code already shown or sent keeps parsing to the same invite.
#[test]
fn codes_made_by_earlier_versions_still_parse() {
    let vectors = [
        (
            "AEARC-EIRCE-IRCEI-RCEIR-CEIRC-EIRCI-RCEIR-CEIRC-EIRCE-IRCEI-RCEIR-CEIRC-EIRCE-IRCEI-RCEIR-CEIRC-AAAAA-ADJKW-4QAAI-EP4AA-AAIRK-EAKBL-3P2Q",
            "CLEARCHAT:AEARCEIRCEIRCEIRCEIRCEIRCEIRCIRCEIRCEIRCEIRCEIRCEIRCEIRCEIRCEIRCEIRCEIRCEIRCEIRCAAAAAADJKW4QAAIEP4AAAAIRKEAKBL3P2Q",
            InviteCode {
                purpose: Purpose::Link,
                secret: [0x11; 16],
                inviter: [0x22; 32],
                addrs: vec!["127.0.0.1:4433".parse().unwrap()],
                others: vec![],
                expires_at: 1_767_225_600,
            },
        ),
        (
            "AEBDA-MJSGM-2DKNR-XHA4W-CYTDM-RSWMA-ABAIB-QIBIG-A4EAS-CQLBQ-GQ4DY-QCEJB-GFAVC-YLRQG-I2DMO-B2HQ7-AAAAA-ADLJH-JAAAQ-EYCUA-CFFZO-IDCAA-INXAA-AAAAA-AAAAA-AAAAA-AAOAN-3AGV2-XK5LV-OV2XK-5LVOV-2XK5L-VOV2X-K5LVO-V2XK5-LVOV2-XK5LV-OV2WB-AKAAA-AEE4I-7TKLQ-YI",
            "CLEARCHAT:AEBDAMJSGM2DKNRXHA4WCYTDMRSWMAABAIBQIBIGA4EASCQLBQGQ4DYQCEJBGFAVCYLRQGI2DMOB2HQ7AAAAAADLJHJAAAQEYCUACFFZOIDCAAINXAAAAAAAAAAAAAAAAAAAOAN3AGV2XK5LVOV2XK5LVOV2XK5LVOV2XK5LVOV2XK5LVOV2XK5LVOV2WBAKAAAAEE4I7TKLQYI",
            InviteCode {
                purpose: Purpose::Buddy,
                secret: *b"0123456789abcdef",
                inviter: core::array::from_fn(|i| i as u8),
                addrs: vec![
                    "192.168.1.20:47474".parse().unwrap(),
                    "[2001:db8::7]:443".parse().unwrap(),
                ],
                others: vec![([0xab; 32], "10.0.0.2:5000".parse().unwrap())],
                expires_at: 1_800_000_000,
            },
        ),
        (
            "AEBP5-7X673-7P57X-6737P-57X67-37P4A-IBAEA-QCAIB-AEAQC-AIBAE-AQCAI-BAEAQ-CAIBA-EAQCA-IBAEA-QCAIB-AAAAA-AAAAA-AAAAA-CAMBQ-GAYDA-MBQGA-YDAMB-QGAYD-AMBQG-AYDAM-BQGAY-DAMBQ-GAYDA-MBQMA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAI-AAECA-IBAEA-QCAIB-AEAQC-AIBAE-AQCAI-BAEAQ-CAIBA-EAQCA-IBAEA-QCAIB-ABAIB-QJ777-ITKSX-XI",
            "CLEARCHAT:AEBP57X6737P57X6737P57X6737P4AIBAEAQCAIBAEAQCAIBAEAQCAIBAEAQCAIBAEAQCAIBAEAQCAIBAAAAAAAAAAAAAAACAMBQGAYDAMBQGAYDAMBQGAYDAMBQGAYDAMBQGAYDAMBQGAYDAMBQMAAAAAAAAAAAAAAAAAAAAAAAAAIAAECAIBAEAQCAIBAEAQCAIBAEAQCAIBAEAQCAIBAEAQCAIBAEAQCAIBABAIBQJ777ITKSXXI",
            InviteCode {
                purpose: Purpose::Buddy,
                secret: [0xfe; 16],
                inviter: [0x01; 32],
                addrs: vec![],
                others: vec![
                    ([3; 32], "[::1]:1".parse().unwrap()),
                    ([4; 32], "1.2.3.4:65535".parse().unwrap()),
                ],
                expires_at: 0,
            },
        ),
    ];
    for (text, uri, code) in vectors {
        assert_eq!(InviteCode::parse(text).unwrap(), code);
        assert_eq!(InviteCode::parse(uri).unwrap(), code);
        assert_eq!(code.to_text(), text, "the same code is made today");
        assert_eq!(code.to_uri(), uri);
    }
}

#[test]
fn qr_matrix_shape() {
    let code = sample();
    let qr = code.qr();
    assert!(qr.width >= 21 && qr.width <= 177);
    assert_eq!((qr.width - 21) % 4, 0);
    assert_eq!(qr.modules.len(), (qr.width * qr.width) as usize);
    // Top-left finder pattern: dark corner, dark ring, light gap.
    assert!(qr.get(0, 0));
    assert!(qr.get(6, 6));
    assert!(!qr.get(1, 1));
    assert!(qr.get(3, 3));
    assert!(!qr.get(qr.width, 0));

    // Alphanumeric mode keeps a full 8-address code reasonably small.
    let mut big = code.clone();
    big.addrs = (0..8u16)
        .map(|i| SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), i))
        .collect();
    let big_qr = big.qr();
    assert_eq!(big_qr.modules.len(), (big_qr.width * big_qr.width) as usize);
    assert!(big_qr.width <= 17 + 4 * 15, "width {}", big_qr.width);

    // Non-alphanumeric data still encodes (byte mode).
    let q = QrMatrix::encode("hello, world").unwrap();
    assert_eq!(q.modules.len(), (q.width * q.width) as usize);
    assert!(QrMatrix::encode(&"A".repeat(10_000)).is_err());
}
