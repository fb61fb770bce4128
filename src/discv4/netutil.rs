//! geth's `p2p/netutil` as its table uses it: which addresses are LAN, and the per-prefix IP
//! limits of buckets and the table.
//!
//! These are rules of the geth model, not of the simulated network: they live beside the table
//! so that the discv4 layer never reaches into the simulator (`sim::network` lays out the
//! addresses these functions judge).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// geth's `netutil.IsLAN`: loopback, or in 0/8, 10/8, 172.16/12, 192.168/16, fe80::/10, fc00::/7.
///
/// geth exempts LAN addresses from its table IP limits, which is why simulated peers default to
/// public space. IPv4-mapped IPv6 addresses count as the IPv4 address they map, as in Go.
///
/// ```
/// use discsim::discv4::netutil::is_lan;
/// assert!(is_lan(&"192.168.1.5".parse().unwrap()));
/// assert!(is_lan(&"::1".parse().unwrap()));
/// assert!(!is_lan(&"11.0.0.1".parse().unwrap()));
/// ```
pub fn is_lan(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_lan4(*v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_lan4(v4),
            None => is_lan6(*v6),
        },
    }
}

fn in_net4(ip: Ipv4Addr, net: [u8; 4], bits: u32) -> bool {
    let mask = u32::MAX << (32 - bits);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net))
}

fn is_lan4(ip: Ipv4Addr) -> bool {
    ip.is_loopback()
        || in_net4(ip, [0, 0, 0, 0], 8)
        || in_net4(ip, [10, 0, 0, 0], 8)
        || in_net4(ip, [172, 16, 0, 0], 12)
        || in_net4(ip, [192, 168, 0, 0], 16)
}

fn is_lan6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback() || first & 0xffc0 == 0xfe80 || first & 0xfe00 == 0xfc00
}

/// geth's `netutil.DistinctNetSet`: counts addresses per network prefix and refuses the
/// `limit + 1`-th in any one prefix. geth's table uses it to cap how many peers one /24 may
/// place in a bucket (2) and in the whole table (10).
///
/// As in geth, membership is per prefix, not per address: [`DistinctNetSet::contains`] asks
/// whether the address's network has any member, and [`DistinctNetSet::remove`] frees one slot
/// in it.
///
/// ```
/// use discsim::discv4::netutil::DistinctNetSet;
/// let mut s = DistinctNetSet::new(24, 2);
/// assert!(s.add("11.0.0.1".parse().unwrap()));
/// assert!(s.add("11.0.0.2".parse().unwrap()));
/// assert!(!s.add("11.0.0.3".parse().unwrap()));
/// assert!(s.add("11.0.1.1".parse().unwrap()));
/// assert_eq!(s.len(), 3);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DistinctNetSet {
    subnet: u8,
    limit: usize,
    /// IPv4 networks with members and their counts, sorted by network. Sorted vectors rather
    /// than a map: a bucket's set holds a handful of networks, and an ordered map's node costs
    /// about 450 bytes even for one (20 KB per peer for a table's 18 sets, measured). One vector
    /// per family: an IPv4 entry is then 8 bytes, not the 24 of an enum that also fits IPv6,
    /// and it compares as one integer.
    v4: Vec<(u32, u32)>,
    /// IPv6 networks, as big-endian bytes (which order as the number does; a `u128`'s 16-byte
    /// alignment would double every entry).
    v6: Vec<([u8; 16], u32)>,
    len: usize,
}

/// An address family and the address truncated to the set's prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NetKey {
    V4(u32),
    V6([u8; 16]),
}

/// Adds one member to `key`'s network in a sorted count vector, unless it holds `limit`.
fn add_to<K: Ord + Copy>(members: &mut Vec<(K, u32)>, key: K, limit: usize) -> bool {
    let at = members.binary_search_by_key(&key, |m| m.0);
    if at.map_or(0, |i| members[i].1 as usize) >= limit {
        return false;
    }
    match at {
        Ok(i) => members[i].1 += 1,
        Err(i) => members.insert(i, (key, 1)),
    }
    true
}

/// Removes one member from `key`'s network, if it has any; says whether it did.
fn remove_from<K: Ord + Copy>(members: &mut Vec<(K, u32)>, key: K) -> bool {
    let Ok(i) = members.binary_search_by_key(&key, |m| m.0) else {
        return false;
    };
    members[i].1 -= 1;
    if members[i].1 == 0 {
        members.remove(i);
    }
    true
}

impl DistinctNetSet {
    /// An empty set allowing `limit` addresses per network of `subnet` prefix bits (clamped to
    /// the address length, as in geth).
    pub fn new(subnet: u8, limit: usize) -> Self {
        DistinctNetSet {
            subnet,
            limit,
            v4: Vec::new(),
            v6: Vec::new(),
            len: 0,
        }
    }

    /// The prefix length in bits.
    pub fn subnet(&self) -> u8 {
        self.subnet
    }

    /// The most addresses one network may hold.
    pub fn limit(&self) -> usize {
        self.limit
    }

    fn key(&self, ip: IpAddr) -> NetKey {
        let v4 = match ip {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(v6) => v6.to_ipv4_mapped(),
        };
        let bits = u32::from(self.subnet);
        match (v4, ip) {
            (Some(v4), _) => {
                let bits = bits.min(32);
                let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
                NetKey::V4(u32::from(v4) & mask)
            }
            (None, IpAddr::V6(v6)) => {
                let bits = bits.min(128);
                let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
                NetKey::V6((u128::from(v6) & mask).to_be_bytes())
            }
            (None, IpAddr::V4(_)) => unreachable!("IPv4 always has a key"),
        }
    }

    /// Adds `ip`, unless its network already holds `limit` addresses; says whether it did.
    pub fn add(&mut self, ip: IpAddr) -> bool {
        let added = match self.key(ip) {
            NetKey::V4(k) => add_to(&mut self.v4, k, self.limit),
            NetKey::V6(k) => add_to(&mut self.v6, k, self.limit),
        };
        self.len += usize::from(added);
        added
    }

    /// Frees one slot in `ip`'s network, if it has any members.
    pub fn remove(&mut self, ip: IpAddr) {
        let removed = match self.key(ip) {
            NetKey::V4(k) => remove_from(&mut self.v4, k),
            NetKey::V6(k) => remove_from(&mut self.v6, k),
        };
        self.len -= usize::from(removed);
    }

    /// Whether `ip`'s network has any member.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match self.key(ip) {
            NetKey::V4(k) => self.v4.binary_search_by_key(&k, |m| m.0).is_ok(),
            NetKey::V6(k) => self.v6.binary_search_by_key(&k, |m| m.0).is_ok(),
        }
    }

    /// How many addresses the set holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set holds no address.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn lan_matches_geth() {
        let lan = [
            "127.0.0.1",
            "127.255.0.9",
            "0.1.2.3",
            "10.0.0.1",
            "10.255.255.255",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.0.1",
            "::1",
            "fe80::1",
            "febf::1",
            "fc00::1",
            "fdff::1",
            "::ffff:10.1.2.3",
            "::ffff:127.0.0.1",
        ];
        let wan = [
            "11.0.0.1",
            "9.255.255.255",
            "172.15.255.255",
            "172.32.0.0",
            "192.167.255.255",
            "192.169.0.0",
            "169.254.1.1",
            "100.64.0.1",
            "8.8.8.8",
            "fec0::1",
            "fe00::1",
            "2001:db8::1",
            "::ffff:8.8.8.8",
            "::",
        ];
        for s in lan {
            assert!(is_lan(&s.parse().unwrap()), "{s} is LAN");
        }
        for s in wan {
            assert!(!is_lan(&s.parse().unwrap()), "{s} is not LAN");
        }
    }

    #[test]
    fn distinct_net_set_matches_geth_test() {
        // geth's TestDistinctNetSet, verbatim.
        let ops: &[(&str, &str, bool)] = &[
            ("add", "127.0.0.1", true),
            ("add", "127.0.0.2", true),
            ("add", "127.0.0.3", false),
            ("add", "127.32.0.1", true),
            ("add", "127.32.0.2", true),
            ("add", "127.32.0.3", false),
            ("add", "127.33.0.1", false),
            ("add", "127.34.0.1", true),
            ("add", "127.34.0.2", true),
            ("add", "127.34.0.3", false),
            ("remove", "127.0.0.1", true),
            ("add", "127.0.0.3", true),
            ("add", "127.0.0.3", false),
        ];
        let mut set = DistinctNetSet::new(15, 2);
        for &(op, ip, ok) in ops {
            let ip: IpAddr = ip.parse().unwrap();
            match op {
                "add" => assert_eq!(set.add(ip), ok, "add {ip}"),
                _ => set.remove(ip),
            }
        }
        assert_eq!(set.len(), 6);
        assert!(set.contains("127.1.2.3".parse().unwrap()));
        assert!(!set.contains("127.2.0.1".parse().unwrap()));
    }

    #[test]
    fn distinct_net_set_edges() {
        // IPv6 and IPv4 never share a network, mapped addresses count as IPv4.
        let mut s = DistinctNetSet::new(24, 1);
        assert!(s.add("11.0.0.1".parse().unwrap()));
        assert!(!s.add("::ffff:11.0.0.9".parse().unwrap()));
        assert!(s.add("2001:1234::1".parse().unwrap()));
        assert!(!s.add("2001:12ff::1".parse().unwrap()));
        assert!(s.add("2001:1300::1".parse().unwrap()));
        assert_eq!(s.len(), 3);
        // Removing from an empty network is a no-op.
        s.remove("12.0.0.1".parse().unwrap());
        assert_eq!(s.len(), 3);
        s.remove("11.0.0.200".parse().unwrap());
        assert!(!s.contains("11.0.0.1".parse().unwrap()));
        assert_eq!(s.len(), 2);

        // Prefixes beyond the address length clamp; zero bits make one network of everything.
        let mut exact = DistinctNetSet::new(200, 1);
        assert!(exact.add("11.0.0.1".parse().unwrap()));
        assert!(exact.add("11.0.0.2".parse().unwrap()));
        assert!(!exact.add("11.0.0.2".parse().unwrap()));
        let mut all = DistinctNetSet::new(0, 2);
        assert!(all.add("1.2.3.4".parse().unwrap()));
        assert!(all.add("200.2.3.4".parse().unwrap()));
        assert!(!all.add("9.9.9.9".parse().unwrap()));
        assert!(all.add("::2".parse().unwrap()));
        // A zero limit admits nothing and remembers nothing.
        let mut none = DistinctNetSet::new(24, 0);
        assert!(!none.add("11.0.0.1".parse().unwrap()));
        assert!(!none.contains("11.0.0.1".parse().unwrap()));
        assert!(none.is_empty());
    }

    proptest::proptest! {
        /// Against a model that counts members per /24 network (IPv4 and IPv6 apart): every
        /// add is admitted exactly when its network holds fewer than the limit, and the length
        /// is the sum of the counts.
        #[test]
        fn distinct_net_set_counts_members_per_network(ops in proptest::collection::vec((proptest::bool::ANY, proptest::bool::ANY, 0u8..4, 0u8..3), 0..60)) {
            let mut set = DistinctNetSet::new(24, 2);
            let mut model = std::collections::BTreeMap::<(bool, u8), usize>::new();
            for (add, v6, net, host) in ops {
                let ip: IpAddr = if v6 {
                    format!("2001:{net}00::{host}").parse().unwrap()
                } else {
                    format!("11.0.{net}.{host}").parse().unwrap()
                };
                let count = model.entry((v6, net)).or_default();
                if add {
                    let admitted = *count < 2;
                    proptest::prop_assert_eq!(set.add(ip), admitted);
                    *count += usize::from(admitted);
                } else {
                    set.remove(ip);
                    *count = count.saturating_sub(1);
                }
                proptest::prop_assert_eq!(set.contains(ip), model[&(v6, net)] > 0);
                proptest::prop_assert_eq!(set.len(), model.values().sum::<usize>());
            }
        }
    }
}
