//! The seed database's key layout and integer encoding.
//!
//! Keys are `n:` + 64-byte node ID + field, where the field is `:discover` for the node record
//! itself and `:discover:lastping`, `:discover:lastpong`, `:discover:findfail` for its
//! counters. Integers are Go's `binary.PutVarint` (zigzag varints). Keeping the byte layout exact
//! matters beyond fidelity: `query_seeds` seeks to random keys, so which record a seek lands on
//! depends on how keys sort.

use integer_encoding::VarInt;

use crate::discv4::node::NodeId;

/// Prefix of every per-node key.
pub(crate) const ITEM_PREFIX: &[u8] = b"n:";
/// The key holding the database version.
pub(crate) const VERSION_KEY: &[u8] = b"version";
/// Field of the node record (RLP of `[IP, UDP, TCP, ID]`).
pub(crate) const DISCOVER_ROOT: &[u8] = b":discover";
/// Field of the time of the last ping received from the node.
pub(crate) const DISCOVER_PING: &[u8] = b":discover:lastping";
/// Field of the time of the last pong received from the node.
pub(crate) const DISCOVER_PONG: &[u8] = b":discover:lastpong";
/// Field of the count of FINDNODE failures.
pub(crate) const DISCOVER_FIND_FAILS: &[u8] = b":discover:findfail";

/// geth's `makeKey`: `n:` + id + field, or the bare field when `id` is `None`.
pub(crate) fn make_key(id: Option<&NodeId>, field: &[u8]) -> Vec<u8> {
    match id {
        None => field.to_vec(),
        Some(id) => {
            let mut k = Vec::with_capacity(2 + 64 + field.len());
            k.extend_from_slice(ITEM_PREFIX);
            k.extend_from_slice(&id.0);
            k.extend_from_slice(field);
            k
        }
    }
}

/// geth's `splitKey`: the node ID and the field of a per-node key, or `(None, key)` for any other
/// key. A key with the `n:` prefix but too short to hold an ID is not a per-node key (geth would
/// panic on it; a simulator must not).
pub(crate) fn split_key(key: &[u8]) -> (Option<NodeId>, &[u8]) {
    if key.len() < 2 + 64 || !key.starts_with(ITEM_PREFIX) {
        return (None, key);
    }
    let id = NodeId::from_slice(&key[2..66]).expect("length checked");
    (Some(id), &key[66..])
}

/// Go's `binary.PutVarint`.
pub(crate) fn encode_int(v: i64) -> Vec<u8> {
    v.encode_var_vec()
}

/// Go's `binary.Varint` as geth's `fetchInt64` uses it: trailing bytes are ignored and anything
/// unreadable is `None` (which the database reads as 0).
pub(crate) fn decode_int(bytes: &[u8]) -> Option<i64> {
    // A varint of an i64 is at most 10 bytes; a longer run of continuation bits is an overflow.
    let (v, n) = i64::decode_var(bytes)?;
    (n > 0 && n <= 10).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_matches_go() {
        // Values from Go: binary.PutVarint.
        assert_eq!(encode_int(0), vec![0x00]);
        assert_eq!(encode_int(-1), vec![0x01]);
        assert_eq!(encode_int(1), vec![0x02]);
        assert_eq!(encode_int(63), vec![0x7e]);
        assert_eq!(encode_int(64), vec![0x80, 0x01]);
        assert_eq!(
            encode_int(1_530_576_000),
            vec![0x80, 0xf2, 0xd5, 0xb3, 0x0b]
        );
        assert_eq!(
            decode_int(&[0x80, 0xf2, 0xd5, 0xb3, 0x0b, 0xff]),
            Some(1_530_576_000)
        );
        assert_eq!(decode_int(&[]), None);
        assert_eq!(decode_int(&[0x80]), None);
        assert_eq!(decode_int(&[0xff; 11]), None);
    }

    #[test]
    fn split_reverses_make() {
        let id = NodeId([9; 64]);
        for field in [
            DISCOVER_ROOT,
            DISCOVER_PING,
            DISCOVER_PONG,
            DISCOVER_FIND_FAILS,
        ] {
            let k = make_key(Some(&id), field);
            assert_eq!(split_key(&k), (Some(id), field));
        }
        assert_eq!(split_key(VERSION_KEY), (None, VERSION_KEY));
        assert_eq!(split_key(b"n:short"), (None, &b"n:short"[..]));
        assert_eq!(make_key(Some(&id), DISCOVER_ROOT).len(), 2 + 64 + 9);
        assert_eq!(
            &make_key(Some(&NodeId([7; 64])), DISCOVER_ROOT)[..3],
            b"n:\x07"
        );
        assert_eq!(make_key(None, b"version"), b"version");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            // A fixed seed: CI runs the same cases every time, so a red run is reproducible.
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed_d15c),
            ..proptest::prelude::ProptestConfig::default()
        })]
        #[test]
        fn key_round_trip(
            id in proptest::collection::vec(proptest::prelude::any::<u8>(), 64),
            field in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..24),
        ) {
            let id = NodeId(id.try_into().unwrap());
            let k = make_key(Some(&id), &field);
            let (got, f) = split_key(&k);
            proptest::prop_assert_eq!(got, Some(id));
            proptest::prop_assert_eq!(f, field.as_slice());
        }

        #[test]
        fn int_round_trip(v in proptest::prelude::any::<i64>()) {
            proptest::prop_assert_eq!(decode_int(&encode_int(v)), Some(v));
        }
    }
}
