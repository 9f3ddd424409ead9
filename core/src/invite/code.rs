//! Invite code text format.
//!
//! This module owns how an invite travels between two people: the compact
//! binary form of an [`InviteCode`], its base32 text form (for pasting, e.g.
//! from an SMS), its `CLEARCHAT:` URI form (for QR codes), tolerant parsing
//! of all of these, and rendering the URI as a QR module matrix.
//!
//! Binary form (all integers big-endian):
//!
//! ```text
//! version   1 byte   (= 1)
//! purpose   1 byte   (1 = link a device, 2 = add a buddy)
//! secret    16 bytes
//! inviter   32 bytes (Ed25519 public key of the inviting device)
//! expires   8 bytes  (unix seconds)
//! count     1 byte   (number of addresses, at most 8)
//! addrs     count x address
//! others    1 byte   (number of other devices of the inviter that can serve the invite, at most 3)
//!           others x (32 bytes Ed25519 public key, address)
//! checksum  4 bytes  (first 4 bytes of SHA-256 over everything before it)
//!
//! address = tag 4, 4 bytes ip, 2 bytes port | tag 6, 16 bytes ip, 2 bytes port
//! ```
//!
//! The text form is the uppercase RFC 4648 base32 (no padding) of the binary
//! form, in groups of 5 characters separated by `-`. Decoding never panics on
//! any input.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use sha2::{Digest, Sha256};

/// What accepting an invite does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Purpose {
    /// Link another device of mine to my identity.
    Link,
    /// Add a buddy (another person).
    Buddy,
}

impl Purpose {
    fn to_byte(self) -> u8 {
        match self {
            Purpose::Link => 1,
            Purpose::Buddy => 2,
        }
    }

    fn from_byte(b: u8) -> Option<Purpose> {
        match b {
            1 => Some(Purpose::Link),
            2 => Some(Purpose::Buddy),
            _ => None,
        }
    }
}

/// A decoded invite.
#[derive(Clone, PartialEq, Eq)]
pub struct InviteCode {
    pub purpose: Purpose,
    /// One-time invite secret.
    pub secret: [u8; 16],
    /// Inviter device id (Ed25519 public key).
    pub inviter: [u8; 32],
    /// Where the inviter can be reached; at most [`MAX_ADDRS`] are encoded.
    pub addrs: Vec<SocketAddr>,
    /// Other devices of the inviter's person that hold the invite too and can serve it when the inviting
    /// device is away, each with its last known address; at most [`MAX_OTHER_DEVICES`] are encoded.
    pub others: Vec<([u8; 32], SocketAddr)>,
    /// Expiry, unix seconds.
    pub expires_at: u64,
}

/// The secret never prints: the rest does, for diagnostics.
impl std::fmt::Debug for InviteCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InviteCode")
            .field("purpose", &self.purpose)
            .field("secret", &"..")
            .field("inviter", &crate::ids::DeviceId(self.inviter))
            .field("addrs", &self.addrs)
            .field("others", &self.others.len())
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Why a pasted or scanned code could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("the code is empty")]
    Empty,
    /// `position` is the 1-based character position in the input as given.
    #[error("the code contains a character that does not belong in it (character {position})")]
    BadCharacter { position: usize },
    #[error("the code is too short: part of it is missing")]
    TooShort,
    #[error("the code is too long: it may contain extra text")]
    TooLong,
    #[error("the code has a typo: its checksum does not match")]
    Checksum,
    #[error("the code was made by a newer version of Clearchat (format {0}); please update")]
    UnknownVersion(u8),
    #[error("the code is for something this version of Clearchat does not know")]
    UnknownPurpose,
    #[error("the code is damaged: {0}")]
    Malformed(&'static str),
}

impl CodeError {
    /// Plain human-readable reason, same as `to_string()`.
    pub fn reason(&self) -> String {
        self.to_string()
    }
}

/// URI scheme used in QR codes (uppercase so the QR can use alphanumeric mode).
pub const URI_SCHEME: &str = "CLEARCHAT:";

/// Maximum number of addresses carried by a code; extra ones are dropped when encoding.
pub const MAX_ADDRS: usize = 8;
/// Maximum number of other serving devices carried by a code.
pub const MAX_OTHER_DEVICES: usize = 3;

const VERSION: u8 = 1;
const CHECKSUM_LEN: usize = 4;
const TAG_V4: u8 = 4;
const TAG_V6: u8 = 6;
const HEADER_LEN: usize = 1 + 1 + 16 + 32 + 8 + 1;
const MAX_ADDR_LEN: usize = 1 + 16 + 2;
const MIN_BIN_LEN: usize = HEADER_LEN + 1 + CHECKSUM_LEN;
const MAX_BIN_LEN: usize = HEADER_LEN
    + MAX_ADDRS * MAX_ADDR_LEN
    + 1
    + MAX_OTHER_DEVICES * (32 + MAX_ADDR_LEN)
    + CHECKSUM_LEN;
const MAX_CHARS: usize = (MAX_BIN_LEN * 8).div_ceil(5);
const GROUP: usize = 5;

impl InviteCode {
    /// Text code for pasting: uppercase RFC 4648 base32 (no padding) of the
    /// binary form, in groups of 5 separated by '-'.
    pub fn to_text(&self) -> String {
        let b32 = base32_encode(&self.to_binary());
        let mut out = String::with_capacity(b32.len() + b32.len() / GROUP);
        for (i, c) in b32.chars().enumerate() {
            if i > 0 && i % GROUP == 0 {
                out.push('-');
            }
            out.push(c);
        }
        out
    }

    /// URI for QR: "CLEARCHAT:" + the base32 without dashes (QR alphanumeric
    /// mode keeps it small).
    pub fn to_uri(&self) -> String {
        let mut out = String::from(URI_SCHEME);
        out.push_str(&base32_encode(&self.to_binary()));
        out
    }

    /// Accepts the text code, the URI (scheme case-insensitive, also
    /// "clearchat://"), lowercase, with spaces/dashes/newlines anywhere,
    /// surrounding whitespace; maps the confusable characters 0->O, 1->I,
    /// 8->B when decoding base32.
    pub fn parse(input: &str) -> Result<InviteCode, CodeError> {
        let bin = text_to_binary(input)?;
        Self::from_binary(&bin)
    }

    /// QR matrix of the URI, alphanumeric mode, error correction level M.
    pub fn qr(&self) -> QrMatrix {
        // The URI is at most 10 + MAX_CHARS (< 400) alphanumeric characters,
        // far below the capacity of a version 40-M code (3391).
        QrMatrix::encode(&self.to_uri()).expect("an invite URI always fits in a QR code")
    }

    fn to_binary(&self) -> Vec<u8> {
        if self.addrs.len() > MAX_ADDRS {
            log::warn!(
                "invite code carries {} addresses; only the first {MAX_ADDRS} are encoded",
                self.addrs.len()
            );
        }
        let addrs = &self.addrs[..self.addrs.len().min(MAX_ADDRS)];
        let mut out = Vec::with_capacity(MAX_BIN_LEN);
        out.push(VERSION);
        out.push(self.purpose.to_byte());
        out.extend_from_slice(&self.secret);
        out.extend_from_slice(&self.inviter);
        out.extend_from_slice(&self.expires_at.to_be_bytes());
        out.push(addrs.len() as u8); // <= MAX_ADDRS
        for addr in addrs {
            write_addr(&mut out, addr);
        }
        let others = &self.others[..self.others.len().min(MAX_OTHER_DEVICES)];
        out.push(others.len() as u8); // <= MAX_OTHER_DEVICES
        for (device, addr) in others {
            out.extend_from_slice(device);
            write_addr(&mut out, addr);
        }
        let sum = checksum(&out);
        out.extend_from_slice(&sum);
        out
    }

    fn from_binary(bin: &[u8]) -> Result<InviteCode, CodeError> {
        if bin.len() < MIN_BIN_LEN {
            return Err(CodeError::TooShort);
        }
        if bin.len() > MAX_BIN_LEN {
            return Err(CodeError::TooLong);
        }
        let (body, sum) = bin.split_at(bin.len() - CHECKSUM_LEN);
        if checksum(body) != sum {
            return Err(CodeError::Checksum);
        }
        let mut r = Reader { data: body };
        let version = r.u8()?;
        if version != VERSION {
            return Err(CodeError::UnknownVersion(version));
        }
        let purpose = Purpose::from_byte(r.u8()?).ok_or(CodeError::UnknownPurpose)?;
        let secret: [u8; 16] = r.array()?;
        let inviter: [u8; 32] = r.array()?;
        let expires_at = u64::from_be_bytes(r.array()?);
        let count = usize::from(r.u8()?);
        if count > MAX_ADDRS {
            return Err(CodeError::Malformed("it lists too many addresses"));
        }
        let mut addrs = Vec::with_capacity(count);
        for _ in 0..count {
            addrs.push(r.addr()?);
        }
        let count = usize::from(r.u8()?);
        if count > MAX_OTHER_DEVICES {
            return Err(CodeError::Malformed("it lists too many devices"));
        }
        let mut others = Vec::with_capacity(count);
        for _ in 0..count {
            let device: [u8; 32] = r.array()?;
            others.push((device, r.addr()?));
        }
        if !r.data.is_empty() {
            return Err(CodeError::Malformed("it has unexpected extra data"));
        }
        Ok(InviteCode {
            purpose,
            secret,
            inviter,
            addrs,
            others,
            expires_at,
        })
    }
}

fn write_addr(out: &mut Vec<u8>, addr: &SocketAddr) {
    match addr.ip() {
        IpAddr::V4(ip) => {
            out.push(TAG_V4);
            out.extend_from_slice(&ip.octets());
        }
        IpAddr::V6(ip) => {
            out.push(TAG_V6);
            out.extend_from_slice(&ip.octets());
        }
    }
    out.extend_from_slice(&addr.port().to_be_bytes());
}

fn checksum(data: &[u8]) -> [u8; CHECKSUM_LEN] {
    let digest = Sha256::digest(data);
    let mut out = [0u8; CHECKSUM_LEN];
    out.copy_from_slice(&digest[..CHECKSUM_LEN]);
    out
}

/// Bounds-checked cursor over the binary form.
struct Reader<'a> {
    data: &'a [u8],
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], CodeError> {
        if self.data.len() < n {
            return Err(CodeError::Malformed("it ends too early"));
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, CodeError> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn addr(&mut self) -> Result<SocketAddr, CodeError> {
        let ip = match self.u8()? {
            TAG_V4 => IpAddr::V4(Ipv4Addr::from(self.array::<4>()?)),
            TAG_V6 => IpAddr::V6(Ipv6Addr::from(self.array::<16>()?)),
            _ => return Err(CodeError::Malformed("it contains an unknown address type")),
        };
        let port = u16::from_be_bytes(self.array()?);
        Ok(SocketAddr::new(ip, port))
    }
}

/// Strips the optional scheme and separators, then base32-decodes.
fn text_to_binary(input: &str) -> Result<Vec<u8>, CodeError> {
    let leading_ws = input.chars().take_while(|c| c.is_whitespace()).count();
    let trimmed = input.trim();
    let mut skipped_chars = leading_ws;
    let mut rest = trimmed;
    for scheme in ["clearchat://", "clearchat:"] {
        if let Some(prefix) = trimmed.get(..scheme.len()) {
            if prefix.eq_ignore_ascii_case(scheme) {
                rest = &trimmed[scheme.len()..];
                skipped_chars += scheme.len(); // ASCII: bytes == chars
                break;
            }
        }
    }

    // The code's characters, and the 1-based position in the input of each, for error messages.
    let mut symbols: Vec<u8> = Vec::with_capacity(rest.len().min(MAX_CHARS));
    let mut positions: Vec<usize> = Vec::with_capacity(rest.len().min(MAX_CHARS));
    for (i, c) in rest.chars().enumerate() {
        if c.is_whitespace() || c == '-' {
            continue;
        }
        let position = skipped_chars + i + 1;
        // Checked here, before the decoder looks at the length, so the error names the character.
        let upper = c.to_ascii_uppercase();
        if !(ALPHABET.contains(upper) || "018".contains(upper)) {
            return Err(CodeError::BadCharacter { position });
        }
        if symbols.len() >= MAX_CHARS {
            return Err(CodeError::TooLong);
        }
        symbols.push(c as u8);
        positions.push(position);
    }
    if symbols.is_empty() {
        return Err(CodeError::Empty);
    }
    base32().decode(&symbols).map_err(|e| match e.kind {
        data_encoding::DecodeKind::Symbol => CodeError::BadCharacter {
            position: positions.get(e.position).copied().unwrap_or(0),
        },
        // Non-zero padding bits: the last character was mistyped.
        data_encoding::DecodeKind::Trailing => CodeError::Checksum,
        // Unpadded base32 never leaves 1, 3 or 6 characters in the last block.
        _ if symbols.len() * 5 / 8 < MIN_BIN_LEN => CodeError::TooShort,
        _ => CodeError::Malformed("a character is missing or extra"),
    })
}

/// RFC 4648 base32 without padding, uppercase; decoding also takes lowercase and the confusable
/// characters 0 (for O), 1 (for I) and 8 (for B), and refuses non-zero trailing bits, so that every
/// character matters and a changed last character is caught.
fn base32() -> &'static data_encoding::Encoding {
    static ENCODING: std::sync::OnceLock<data_encoding::Encoding> = std::sync::OnceLock::new();
    ENCODING.get_or_init(|| {
        let mut spec = data_encoding::Specification::new();
        spec.symbols.push_str(ALPHABET);
        spec.translate
            .from
            .push_str("abcdefghijklmnopqrstuvwxyz018");
        spec.translate.to.push_str("ABCDEFGHIJKLMNOPQRSTUVWXYZOIB");
        spec.check_trailing_bits = true;
        spec.encoding().expect("the base32 specification is valid")
    })
}

const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn base32_encode(data: &[u8]) -> String {
    base32().encode(data)
}

/// A QR code as a square of modules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    /// Modules per side.
    pub width: u32,
    /// Row-major, `true` = dark, no quiet zone.
    pub modules: Vec<bool>,
}

impl QrMatrix {
    /// Encodes `data` at error correction level M, in the smallest version.
    /// Data made only of QR alphanumeric characters (uppercase A-Z, 0-9,
    /// space, `$%*+-./:`) is forced into alphanumeric mode; anything else is
    /// encoded with the library's automatic segmentation.
    pub fn encode(data: &str) -> Result<QrMatrix, CodeError> {
        use qrcode::bits::Bits;
        use qrcode::{EcLevel, QrCode, Version};

        let too_long = CodeError::Malformed("it is too long for a QR code");
        let code = if is_qr_alphanumeric(data) {
            let mut found = None;
            for v in 1..=40 {
                let mut bits = Bits::new(Version::Normal(v));
                if bits.push_alphanumeric_data(data.as_bytes()).is_ok()
                    && bits.push_terminator(EcLevel::M).is_ok()
                {
                    found = Some(bits);
                    break;
                }
            }
            let bits = found.ok_or(too_long.clone())?;
            QrCode::with_bits(bits, EcLevel::M).map_err(|_| too_long)?
        } else {
            QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
                .map_err(|_| too_long)?
        };
        let width = code.width() as u32;
        Ok(QrMatrix {
            width,
            modules: code
                .into_colors()
                .into_iter()
                .map(|c| c == qrcode::Color::Dark)
                .collect(),
        })
    }

    /// Whether the module at column `x`, row `y` is dark; outside the matrix
    /// is light (like the quiet zone).
    pub fn get(&self, x: u32, y: u32) -> bool {
        if x >= self.width || y >= self.width {
            return false;
        }
        let idx = y as usize * self.width as usize + x as usize;
        self.modules.get(idx).copied().unwrap_or(false)
    }
}

fn is_qr_alphanumeric(data: &str) -> bool {
    data.bytes()
        .all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'Z' | b' ' | b'$' | b'%' | b'*' | b'+' | b'-' | b'.' | b'/' | b':'))
}

#[cfg(test)]
mod tests;
