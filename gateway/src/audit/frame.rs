//! One spooled entry on disk: `[length: u32 LE][crc32 of the entry: u32 LE]`
//! then the entry as protobuf. A write torn by a crash fails its length or
//! its checksum, and is cut off when the spool is opened again.

use prost::Message;
use proto::store::AuditEntry;

/// The bytes before each entry.
pub(super) const HEADER: usize = 8;
/// An entry larger than this is not an entry: a length read from garbage.
pub(super) const MAX_ENTRY: usize = 64 * 1024;

/// Returns `entry` as one frame.
pub(super) fn encode(entry: &AuditEntry) -> Vec<u8> {
    let body = entry.encode_to_vec();
    let mut frame = Vec::with_capacity(HEADER + body.len());
    // An entry is a few hundred bytes: far below u32::MAX.
    frame.extend((body.len() as u32).to_le_bytes());
    frame.extend(crc32fast::hash(&body).to_le_bytes());
    frame.extend(body);
    frame
}

/// What the bytes at the start of a buffer hold.
#[derive(Debug, PartialEq)]
pub(super) enum Decoded {
    /// An entry and the length of its frame.
    Entry(AuditEntry, usize),
    /// The start of a frame whose rest is not there (yet, or ever).
    Incomplete,
    /// Not a frame: a torn or damaged write.
    Corrupt,
}

/// Decodes the frame at the start of `bytes`.
pub(super) fn decode(bytes: &[u8]) -> Decoded {
    let Some((header, rest)) = bytes.split_first_chunk::<HEADER>() else {
        return Decoded::Incomplete;
    };
    let (length, checksum) = header.split_at(4);
    let length = u32::from_le_bytes([length[0], length[1], length[2], length[3]]) as usize;
    let checksum = u32::from_le_bytes([checksum[0], checksum[1], checksum[2], checksum[3]]);
    if length > MAX_ENTRY {
        return Decoded::Corrupt;
    }
    let Some(body) = rest.get(..length) else {
        return Decoded::Incomplete;
    };
    if crc32fast::hash(body) != checksum {
        return Decoded::Corrupt;
    }
    match AuditEntry::decode(body) {
        Ok(entry) => Decoded::Entry(entry, HEADER + length),
        Err(_) => Decoded::Corrupt,
    }
}

/// Returns how many leading bytes of `bytes` are whole, sound frames.
pub(super) fn sound_prefix(bytes: &[u8]) -> usize {
    let mut at = 0;
    while let Decoded::Entry(_, length) = decode(&bytes[at..]) {
        at += length;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str) -> AuditEntry {
        AuditEntry {
            idempotency_key: key.into(),
            method: "/forecastmesh.gateway.v1.GatewayService/GetKpis".into(),
            status_code: "OK".into(),
            ..Default::default()
        }
    }

    #[test]
    fn frames_decode_to_what_was_encoded() {
        let frame = encode(&entry("a"));
        assert_eq!(decode(&frame), Decoded::Entry(entry("a"), frame.len()));
    }

    #[test]
    fn a_torn_or_damaged_tail_is_cut_off() {
        let mut bytes = encode(&entry("a"));
        let whole = bytes.len();
        bytes.extend(encode(&entry("b")));
        // Torn: the second frame lost its last byte.
        let torn = &bytes[..bytes.len() - 1];
        assert_eq!(sound_prefix(torn), whole);
        assert_eq!(decode(&torn[whole..]), Decoded::Incomplete);
        // Damaged: a flipped bit in the second entry's body.
        let mut damaged = bytes.clone();
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        assert_eq!(sound_prefix(&damaged), whole);
        assert_eq!(decode(&damaged[whole..]), Decoded::Corrupt);
        // Garbage whose length field is absurd.
        assert_eq!(decode(&[0xff; 16]), Decoded::Corrupt);
    }
}
