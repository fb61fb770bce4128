use super::*;
use proptest::prelude::*;
use std::net::{Ipv4Addr, Ipv6Addr};

fn v4(s: &str) -> IpAddr {
    IpAddr::V4(s.parse::<Ipv4Addr>().unwrap())
}

fn v6(s: &str) -> IpAddr {
    IpAddr::V6(s.parse::<Ipv6Addr>().unwrap())
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A datagram with a valid hash around an arbitrary type byte and body.
fn datagram(sender: &NodeId, ptype: u8, body: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; MAC_SIZE];
    b.extend_from_slice(&sender.0);
    b.push(0);
    b.push(ptype);
    b.extend_from_slice(body);
    let h = keccak256(&b[MAC_SIZE..]);
    b[..MAC_SIZE].copy_from_slice(&h);
    b
}

fn round_trip(p: Packet) {
    let sender = NodeId([0x5a; 64]);
    let (bytes, hash) = encode(&p, &sender);
    assert!(bytes.len() <= MAX_PACKET_SIZE);
    let d = decode(&bytes).unwrap();
    assert_eq!(d.packet, p);
    assert_eq!(d.sender, sender);
    assert_eq!(d.hash, hash);
    assert_eq!(&bytes[..32], &hash);
}

fn node(i: u8, ip: IpAddr) -> Node {
    Node::new(ip, 30303 + i as u16, 30303, NodeId([i; 64]))
}

const EXP: u64 = 1_530_576_020; // 0x5b3abc94

#[test]
fn kinds() {
    for (i, k) in PacketKind::ALL.iter().enumerate() {
        assert_eq!(k.index(), i);
        assert_eq!(*k as u8 as usize, i + 1);
        assert_eq!(PacketKind::from_type(*k as u8), Some(*k));
    }
    let names: Vec<_> = PacketKind::ALL.iter().map(|k| k.name()).collect();
    assert_eq!(
        names,
        [
            "ping",
            "pong",
            "findnode",
            "neighbors",
            "enrrequest",
            "enrresponse"
        ]
    );
    assert_eq!(PacketKind::ALL.len(), PacketKind::COUNT);
    assert_eq!(PacketKind::from_type(0), None);
    assert_eq!(PacketKind::from_type(7), None);
}

#[test]
fn findnode_exact_bytes_and_layout() {
    let p = Packet::FindNode(FindNode {
        target: NodeId([0xab; 64]),
        expiration: EXP,
    });
    // Body by hand: the target is a 64-byte string (long form: 0xb8, length 0x40, then the
    // bytes: 66 bytes); the expiration 0x5b3abc94 is a 4-byte string (0x84 + 4 bytes: 5
    // bytes). The payload, 71 = 0x47 bytes, exceeds 55, so the list header is the long form
    // 0xf8 0x47. 73 bytes in all.
    let mut body = vec![0xf8, 0x47, 0xb8, 0x40];
    body.extend_from_slice(&[0xab; 64]);
    body.extend_from_slice(&[0x84, 0x5b, 0x3a, 0xbc, 0x94]);
    assert_eq!(body.len(), 73);

    let sender = NodeId([0x11; 64]);
    let (bytes, hash) = encode(&p, &sender);
    assert_eq!(bytes.len(), HEAD_SIZE + 1 + body.len());
    assert_eq!(&bytes[32..96], &sender.0[..]);
    assert_eq!(bytes[96], 0);
    assert_eq!(bytes[97], PacketKind::FindNode as u8);
    assert_eq!(&bytes[98..], &body[..]);
    assert_eq!(hash, keccak256(&bytes[32..]));
    assert_eq!(&bytes[..32], &hash);
    assert_eq!(bytes, datagram(&sender, 3, &body));
}

#[test]
fn pong_exact_bytes() {
    let p = Packet::Pong(Pong {
        to: Endpoint::new(v4("10.0.0.1"), 30303, 0),
        reply_tok: [0x22; 32],
        expiration: 1,
        enr_seq: None,
    });
    // Body by hand:
    // - endpoint: IP 0x84 0a 00 00 01 (5), UDP 30303 = 0x765f as 0x82 76 5f (3), TCP 0 as the
    //   empty string 0x80 (1): payload 9, short list header 0xc0 + 9 = 0xc9; 10 bytes;
    // - reply token: 0xa0 (0x80 + 32) and 32 bytes; 33 bytes;
    // - expiration 1: a single byte below 0x80 is its own encoding, 0x01.
    // Payload 10 + 33 + 1 = 44, short list header 0xc0 + 44 = 0xec. 45 bytes in all.
    let mut body = vec![0xec, 0xc9, 0x84, 10, 0, 0, 1, 0x82, 0x76, 0x5f, 0x80, 0xa0];
    body.extend_from_slice(&[0x22; 32]);
    body.push(0x01);
    let (bytes, _) = encode(&p, &NodeId::ZERO);
    assert_eq!(bytes.len(), HEAD_SIZE + 1 + 45);
    assert_eq!(bytes[97], 2);
    assert_eq!(&bytes[98..], &body[..]);
}

#[test]
fn round_trips() {
    let ep4 = Endpoint::new(v4("192.168.1.7"), 30303, 30304);
    let ep6 = Endpoint::new(v6("2001:db8::1"), 65535, 0);
    round_trip(Packet::Ping(Ping {
        version: PING_VERSION,
        from: ep4.clone(),
        to: ep6.clone(),
        expiration: EXP,
        enr_seq: Some(u64::MAX),
    }));
    round_trip(Packet::Ping(Ping {
        version: PING_VERSION,
        from: ep6.clone(),
        to: ep4.clone(),
        expiration: u64::MAX,
        enr_seq: None,
    }));
    round_trip(Packet::Pong(Pong {
        to: ep4.clone(),
        reply_tok: [0xfe; 32],
        expiration: 0,
        enr_seq: Some(0),
    }));
    round_trip(Packet::Pong(Pong {
        to: ep6.clone(),
        reply_tok: [0; 32],
        expiration: EXP,
        enr_seq: None,
    }));
    round_trip(Packet::FindNode(FindNode {
        target: NodeId([0; 64]),
        expiration: EXP,
    }));
    round_trip(Packet::Neighbors(Neighbors {
        nodes: vec![node(1, v4("1.2.3.4")), node(2, v6("::1"))],
        expiration: EXP,
    }));
    round_trip(Packet::Neighbors(Neighbors {
        nodes: vec![],
        expiration: EXP,
    }));
}

#[test]
fn neighbors_chunking_and_size_limit() {
    for ip in [v4("255.255.255.255"), v6("ffff:ffff::ffff")] {
        let nodes: Vec<Node> = (0..16)
            .map(|i| Node::new(ip, 65535, 65535, NodeId([0xff - i; 64])))
            .collect();
        let packets = neighbors_packets(&nodes, u64::MAX, MAX_NEIGHBORS);
        assert_eq!(packets.len(), 2);
        assert_eq!(packets[0].nodes, nodes[..12]);
        assert_eq!(packets[1].nodes, nodes[12..]);
        for p in packets {
            let p = Packet::Neighbors(p);
            let (bytes, _) = encode(&p, &NodeId([0xff; 64]));
            assert!(bytes.len() <= MAX_PACKET_SIZE, "{} bytes", bytes.len());
            assert!(bytes.len() <= p.max_encoded_len());
            assert_eq!(decode(&bytes).unwrap().packet, p);
        }
    }
    let empty = neighbors_packets(&[], EXP, MAX_NEIGHBORS);
    assert_eq!(
        empty,
        [Neighbors {
            nodes: vec![],
            expiration: EXP
        }]
    );
    let twelve: Vec<Node> = (0..12).map(|i| node(i, v4("10.0.0.1"))).collect();
    assert_eq!(neighbors_packets(&twelve, EXP, MAX_NEIGHBORS).len(), 1);
    let many: Vec<Node> = (0..24).map(|i| node(i, v4("10.0.0.1"))).collect();
    let sizes: Vec<usize> = neighbors_packets(&many, EXP, MAX_NEIGHBORS)
        .iter()
        .map(|p| p.nodes.len())
        .collect();
    assert_eq!(sizes, [12, 12]);
}

#[test]
fn max_encoded_len_bounds_every_kind() {
    let ep6 = Endpoint::new(v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 65535, 65535);
    let packets = [
        Packet::Ping(Ping {
            version: u32::MAX,
            from: ep6.clone(),
            to: ep6.clone(),
            expiration: u64::MAX,
            enr_seq: Some(u64::MAX),
        }),
        Packet::Pong(Pong {
            to: ep6.clone(),
            reply_tok: [0xff; 32],
            expiration: u64::MAX,
            enr_seq: Some(u64::MAX),
        }),
        Packet::FindNode(FindNode {
            target: NodeId([0xff; 64]),
            expiration: u64::MAX,
        }),
        Packet::EnrRequest(EnrRequest {
            expiration: u64::MAX,
        }),
        Packet::EnrResponse(EnrResponse {
            reply_tok: [0xff; 32],
            record: enr_record(
                &Node::new(ep6.ip, 65535, 65535, NodeId([0xff; 64])),
                u64::MAX,
            ),
        }),
    ];
    for p in packets {
        let (bytes, _) = encode(&p, &NodeId::ZERO);
        assert!(bytes.len() <= p.max_encoded_len(), "{:?}", p.kind());
    }
}

/// EIP-8's discovery test vectors, signed by geth-compatible clients, with extra list elements
/// and random bytes after the body. Their hashes are real, so they pass our hash check; the
/// "sender" we read is just the first 64 bytes of a real signature.
#[test]
fn eip8_vectors() {
    let ping4 = hex(
        "e9614ccfd9fc3e74360018522d30e1419a143407ffcce748de3e22116b7e8dc92ff74788c0b6663a
        aa3d67d641936511c8f8d6ad8698b820a7cf9e1be7155e9a241f556658c55428ec0563514365799a
        4be2be5a685a80971ddcfa80cb422cdd0101ec04cb847f000001820cfa8215a8d790000000000000
        000000000000000000018208ae820d058443b9a3550102",
    );
    let d = decode(&ping4).unwrap();
    assert_eq!(&d.sender.0[..], &ping4[32..96]);
    assert_eq!(&d.hash[..], &ping4[..32]);
    assert_eq!(
        d.packet,
        Packet::Ping(Ping {
            version: PING_VERSION,
            from: Endpoint::new(v4("127.0.0.1"), 3322, 5544),
            to: Endpoint::new(v6("::1"), 2222, 3333),
            expiration: 1136239445,
            // Its tail is `01 02`: geth 2019 reads the first element as the ENR seq.
            enr_seq: Some(1),
        })
    );

    let ping555 = hex(
        "577be4349c4dd26768081f58de4c6f375a7a22f3f7adda654d1428637412c3d7fe917cadc56d4e5e
        7ffae1dbe3efffb9849feb71b262de37977e7c7a44e677295680e9e38ab26bee2fcbae207fba3ff3
        d74069a50b902a82c9903ed37cc993c50001f83e82022bd79020010db83c4d001500000000abcdef
        12820cfa8215a8d79020010db885a308d313198a2e037073488208ae82823a8443b9a355c5010203
        040531b9019afde696e582a78fa8d95ea13ce3297d4afb8ba6433e4154caa5ac6431af1b80ba7602
        3fa4090c408f6b4bc3701562c031041d4702971d102c9ab7fa5eed4cd6bab8f7af956f7d565ee191
        7084a95398b6a21eac920fe3dd1345ec0a7ef39367ee69ddf092cbfe5b93e5e568ebc491983c09c7
        6d922dc3",
    );
    assert_eq!(
        decode(&ping555).unwrap().packet,
        Packet::Ping(Ping {
            version: 555,
            from: Endpoint::new(v6("2001:db8:3c4d:15::abcd:ef12"), 3322, 5544),
            to: Endpoint::new(v6("2001:db8:85a3:8d3:1319:8a2e:370:7348"), 2222, 33338),
            expiration: 1136239445,
            // Its tail starts with a list, which is no seq.
            enr_seq: None,
        })
    );

    let pong = hex(
        "09b2428d83348d27cdf7064ad9024f526cebc19e4958f0fdad87c15eb598dd61d08423e0bf66b206
        9869e1724125f820d851c136684082774f870e614d95a2855d000f05d1648b2d5945470bc187c2d2
        216fbe870f43ed0909009882e176a46b0102f846d79020010db885a308d313198a2e037073488208
        ae82823aa0fbc914b16819237dcd8801d7e53f69e9719adecb3cc0e790c57e91ca4461c9548443b9
        a355c6010203c2040506a0c969a58f6f9095004c0177a6b47f451530cab38966a25cca5cb58f0555
        42124e",
    );
    let tok: [u8; 32] = hex("fbc914b16819237dcd8801d7e53f69e9719adecb3cc0e790c57e91ca4461c954")
        .try_into()
        .unwrap();
    assert_eq!(
        decode(&pong).unwrap().packet,
        Packet::Pong(Pong {
            to: Endpoint::new(v6("2001:db8:85a3:8d3:1319:8a2e:370:7348"), 2222, 33338),
            reply_tok: tok,
            expiration: 1136239445,
            // Its tail starts with a list: no seq.
            enr_seq: None,
        })
    );

    let findnode = hex(
        "c7c44041b9f7c7e41934417ebac9a8e1a4c6298f74553f2fcfdcae6ed6fe53163eb3d2b52e39fe91
        831b8a927bf4fc222c3902202027e5e9eb812195f95d20061ef5cd31d502e47ecb61183f74a504fe
        04c51e73df81f25c4d506b26db4517490103f84eb840ca634cae0d49acb401d8a4c6b6fe8c55b70d
        115bf400769cc1400f3258cd31387574077f301b421bc84df7266c44e9e6d569fc56be00812904767
        bf5ccd1fc7f8443b9a35582999983999999280dc62cc8255c73471e0a61da0c89acdc0e035e260add
        7fc0c04ad9ebf3919644c91cb247affc82b69bd2ca235c71eab8e49737c937a2c396",
    );
    let target = NodeId::from_slice(&hex(
        "ca634cae0d49acb401d8a4c6b6fe8c55b70d115bf400769cc1400f3258cd31387574077f301b421bc84df7266c44e9e6d569fc56be00812904767bf5ccd1fc7f",
    ))
    .unwrap();
    assert_eq!(
        decode(&findnode).unwrap().packet,
        Packet::FindNode(FindNode {
            target,
            expiration: 1136239445,
        })
    );

    let neighbors = hex(
        "c679fc8fe0b8b12f06577f2e802d34f6fa257e6137a995f6f4cbfc9ee50ed3710faf6e66f932c4c8
        d81d64343f429651328758b47d3dbc02c4042f0fff6946a50f4a49037a72bb550f3a7872363a83e1
        b9ee6469856c24eb4ef80b7535bcf99c0004f9015bf90150f84d846321163782115c82115db84031
        55e1427f85f10a5c9a7755877748041af1bcd8d474ec065eb33df57a97babf54bfd2103575fa8291
        15d224c523596b401065a97f74010610fce76382c0bf32f84984010203040101b840312c55512422
        cf9b8a4097e9a6ad79402e87a15ae909a4bfefa22398f03d20951933beea1e4dfa6f968212385e82
        9f04c2d314fc2d4e255e0d3bc08792b069dbf8599020010db83c4d001500000000abcdef12820d05
        820d05b84038643200b172dcfef857492156971f0e6aa2c538d8b74010f8e140811d53b98c765dd2
        d96126051913f44582e8c199ad7c6d6819e9a56483f637feaac9448aacf8599020010db885a308d3
        13198a2e037073488203e78203e8b8408dcab8618c3253b558d459da53bd8fa68935a719aff8b811
        197101a4b2b47dd2d47295286fc00cc081bb542d760717d1bdd6bec2c37cd72eca367d6dd3b9df73
        8443b9a355010203b525a138aa34383fec3d2719a0",
    );
    let id = |h: &str| NodeId::from_slice(&hex(h)).unwrap();
    let want = vec![
        Node::new(v4("99.33.22.55"), 4444, 4445, id("3155e1427f85f10a5c9a7755877748041af1bcd8d474ec065eb33df57a97babf54bfd2103575fa829115d224c523596b401065a97f74010610fce76382c0bf32")),
        Node::new(v4("1.2.3.4"), 1, 1, id("312c55512422cf9b8a4097e9a6ad79402e87a15ae909a4bfefa22398f03d20951933beea1e4dfa6f968212385e829f04c2d314fc2d4e255e0d3bc08792b069db")),
        Node::new(v6("2001:db8:3c4d:15::abcd:ef12"), 3333, 3333, id("38643200b172dcfef857492156971f0e6aa2c538d8b74010f8e140811d53b98c765dd2d96126051913f44582e8c199ad7c6d6819e9a56483f637feaac9448aac")),
        Node::new(v6("2001:db8:85a3:8d3:1319:8a2e:370:7348"), 999, 1000, id("8dcab8618c3253b558d459da53bd8fa68935a719aff8b811197101a4b2b47dd2d47295286fc00cc081bb542d760717d1bdd6bec2c37cd72eca367d6dd3b9df73")),
    ];
    assert_eq!(
        decode(&neighbors).unwrap().packet,
        Packet::Neighbors(Neighbors {
            nodes: want,
            expiration: 1136239445,
        })
    );
}

/// EIP-8's first vector has no extras, so our encoder must reproduce geth's type and body
/// bytes exactly.
#[test]
fn encoder_matches_geth_body() {
    let geth = hex(
        "71dbda3a79554728d4f94411e42ee1f8b0d561c10e1e5f5893367948c6a7d70bb87b235fa28a7707
        0271b6c164a2dce8c7e13a5739b53b5e96f2e5acb0e458a02902f5965d55ecbeb2ebb6cabb8b2b23
        2896a36b737666c55265ad0a68412f250001ea04cb847f000001820cfa8215a8d790000000000000
        000000000000000000018208ae820d058443b9a355",
    );
    let d = decode(&geth).unwrap();
    let (ours, _) = encode(&d.packet, &d.sender);
    assert_eq!(ours.len(), geth.len());
    assert_eq!(&ours[HEAD_SIZE..], &geth[HEAD_SIZE..]);
}

fn is_rlp_err(r: Result<Decoded, PacketError>) -> bool {
    matches!(r, Err(PacketError::Rlp(_)))
}

fn ping_body(extra: &[u8], extra_items: usize) -> Vec<u8> {
    let mut s = RlpStream::new_list(4 + extra_items);
    s.append(&4u32);
    s.append(&Endpoint::new(v4("1.2.3.4"), 1, 2));
    s.append(&Endpoint::new(v6("::2"), 3, 4));
    s.append(&EXP);
    s.append_raw(extra, extra_items);
    s.out().to_vec()
}

#[test]
fn rejects_bad_framing() {
    let p = Packet::FindNode(FindNode {
        target: NodeId([3; 64]),
        expiration: EXP,
    });
    let (bytes, _) = encode(&p, &NodeId([1; 64]));
    assert_eq!(decode(&[]), Err(PacketError::TooSmall));
    assert_eq!(decode(&bytes[..HEAD_SIZE]), Err(PacketError::TooSmall));
    // Truncating a valid packet breaks its hash...
    assert_eq!(decode(&bytes[..bytes.len() - 1]), Err(PacketError::BadHash));
    // ...and a truncated body under a valid hash is bad RLP.
    let body = &bytes[HEAD_SIZE + 1..];
    for cut in [0, 1, 2, 40, body.len() - 1] {
        let d = datagram(&NodeId([1; 64]), 3, &body[..cut]);
        assert!(is_rlp_err(decode(&d)), "cut at {cut}");
    }
    for i in [0, 31, 32, 96, 97, 98, bytes.len() - 1] {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        assert_eq!(decode(&b), Err(PacketError::BadHash), "flipped byte {i}");
    }
    let body = bytes[HEAD_SIZE + 1..].to_vec();
    assert_eq!(
        decode(&datagram(&NodeId::ZERO, 9, &body)),
        Err(PacketError::UnknownType(9))
    );
    assert_eq!(
        decode(&datagram(&NodeId::ZERO, 0, &body)),
        Err(PacketError::UnknownType(0))
    );
    let mut big = datagram(&NodeId::ZERO, 3, &body);
    big.resize(MAX_PACKET_SIZE + 1, 0);
    assert_eq!(decode(&big), Err(PacketError::TooLarge));
    // Exactly the limit is fine (trailing bytes after the body are ignored).
    let mut padded = body.clone();
    padded.resize(MAX_PACKET_SIZE - HEAD_SIZE - 1, 0xee);
    assert!(decode(&datagram(&NodeId::ZERO, 3, &padded)).is_ok());
}

#[test]
fn rejects_malformed_bodies() {
    let s = NodeId::ZERO;
    // A 63-byte target.
    let mut f = RlpStream::new_list(2);
    f.append(&&[7u8; 63][..]).append(&EXP);
    assert!(is_rlp_err(decode(&datagram(&s, 3, &f.out()))));
    // A target sent as a list (with a 64-byte payload) rather than a string.
    let mut f = RlpStream::new_list(2);
    f.begin_list(64);
    for _ in 0..64 {
        f.append(&1u8);
    }
    f.append(&EXP);
    assert!(is_rlp_err(decode(&datagram(&s, 3, &f.out()))));
    // Missing expiration.
    let mut f = RlpStream::new_list(1);
    f.append(&&[7u8; 64][..]);
    assert!(is_rlp_err(decode(&datagram(&s, 3, &f.out()))));
    // A body that is not a list.
    assert!(is_rlp_err(decode(&datagram(&s, 1, &[0x83, 1, 2, 3]))));
    // Non-canonical integer (leading zero) as expiration.
    let mut f = RlpStream::new_list(2);
    f.append(&&[7u8; 64][..]).append(&&[0u8, 1][..]);
    assert!(is_rlp_err(decode(&datagram(&s, 3, &f.out()))));
    // A port that overflows u16.
    let mut p = RlpStream::new_list(4);
    p.append(&4u32);
    p.begin_list(3)
        .append(&&[1u8, 2, 3, 4][..])
        .append(&70000u32)
        .append(&1u16);
    p.append(&Endpoint::new(v4("1.2.3.4"), 1, 2)).append(&EXP);
    assert!(is_rlp_err(decode(&datagram(&s, 1, &p.out()))));
    // A five-byte IP.
    let mut p = RlpStream::new_list(4);
    p.append(&4u32);
    p.begin_list(3)
        .append(&&[1u8, 2, 3, 4, 5][..])
        .append(&1u16)
        .append(&1u16);
    p.append(&Endpoint::new(v4("1.2.3.4"), 1, 2)).append(&EXP);
    assert!(is_rlp_err(decode(&datagram(&s, 1, &p.out()))));
    // An endpoint with a fourth element: geth's rpcEndpoint has no tail.
    let mut p = RlpStream::new_list(4);
    p.append(&4u32);
    p.begin_list(4)
        .append(&&[1u8, 2, 3, 4][..])
        .append(&1u16)
        .append(&1u16)
        .append(&1u16);
    p.append(&Endpoint::new(v4("1.2.3.4"), 1, 2)).append(&EXP);
    assert!(is_rlp_err(decode(&datagram(&s, 1, &p.out()))));
    // A 31-byte reply token.
    let mut p = RlpStream::new_list(3);
    p.append(&Endpoint::new(v4("1.2.3.4"), 1, 2))
        .append(&&[9u8; 31][..])
        .append(&EXP);
    assert!(is_rlp_err(decode(&datagram(&s, 2, &p.out()))));
}

#[test]
fn ping_extra_elements_are_ignored_if_well_formed() {
    let want = Packet::Ping(Ping {
        version: PING_VERSION,
        from: Endpoint::new(v4("1.2.3.4"), 1, 2),
        to: Endpoint::new(v6("::2"), 3, 4),
        expiration: EXP,
        // The first extra element is an integer, which geth 2019 reads as the ENR seq.
        enr_seq: Some(0x9999),
    });
    let s = NodeId([8; 64]);
    // Two extra elements (a string and a list), then junk after the body.
    let mut body = ping_body(&[0x82, 0x99, 0x99, 0xc2, 0x01, 0x02], 2);
    body.extend_from_slice(&[0xff, 0x00, 0xb8]);
    assert_eq!(decode(&datagram(&s, 1, &body)).unwrap().packet, want);
    // A tail element overrunning its list is still an error, as in geth.
    let mut body = ping_body(&[0x85, 0x01], 1);
    body.extend_from_slice(&[0x02, 0x03, 0x04, 0x05]); // the overrun lands after the list
    assert!(is_rlp_err(decode(&datagram(&s, 1, &body))));
}

#[test]
fn neighbors_decode_all_or_nothing() {
    let s = NodeId::ZERO;
    let good = node(1, v4("10.0.0.1"));
    let build = |bad: &dyn Fn(&mut RlpStream)| {
        let mut n = RlpStream::new_list(2);
        n.begin_list(3);
        n.append(&good);
        bad(&mut n);
        n.append(&good);
        n.append(&EXP);
        n.out().to_vec()
    };
    // Control: three good nodes decode.
    let ok = build(&|n| {
        n.append(&good);
    });
    match decode(&datagram(&s, 4, &ok)).unwrap().packet {
        Packet::Neighbors(nb) => assert_eq!(nb.nodes, vec![good; 3]),
        other => panic!("{other:?}"),
    }
    // One node with a 63-byte ID.
    let short_id = build(&|n| {
        n.begin_list(4)
            .append(&&[10u8, 0, 0, 1][..])
            .append(&1u16)
            .append(&1u16)
            .append(&&[1u8; 63][..]);
    });
    assert!(is_rlp_err(decode(&datagram(&s, 4, &short_id))));
    // One node with a fifth element: geth's rpcNode has no tail.
    let five = build(&|n| {
        n.begin_list(5)
            .append(&&[10u8, 0, 0, 1][..])
            .append(&1u16)
            .append(&1u16)
            .append(&&[1u8; 64][..])
            .append(&0u8);
    });
    assert!(is_rlp_err(decode(&datagram(&s, 4, &five))));
    // One node whose list carries a stray header byte after its four items: Node's own
    // decoder would count four items and accept it.
    let stray = build(&|n| {
        let mut inner = RlpStream::new_list(4);
        inner
            .append(&&[10u8, 0, 0, 1][..])
            .append(&1u16)
            .append(&1u16)
            .append(&&[1u8; 64][..]);
        let mut raw = inner.out().to_vec();
        // Grow the list payload by one byte, a string header promising more than is left.
        raw[1] += 1;
        raw.push(0x85);
        n.append_raw(&raw, 1);
    });
    assert!(is_rlp_err(decode(&datagram(&s, 4, &stray))));
    // One node with a list where the IP string belongs.
    let list_ip = build(&|n| {
        n.begin_list(4);
        n.begin_list(4)
            .append(&1u8)
            .append(&2u8)
            .append(&3u8)
            .append(&4u8);
        n.append(&1u16).append(&1u16).append(&&[1u8; 64][..]);
    });
    assert!(is_rlp_err(decode(&datagram(&s, 4, &list_ip))));
}

#[test]
fn expiry_boundaries() {
    let exp = EXP;
    let at = SimTime::from_unix_secs(exp);
    assert!(!is_expired(exp, at));
    assert!(!is_expired(exp, at - Duration::from_secs(1)));
    assert!(is_expired(exp, at + Duration::from_micros(1)));
    assert!(is_expired(exp, at + Duration::from_secs(1)));
    assert!(!is_expired(u64::MAX, at));
    assert!(is_expired(0, SimTime::from_micros(1)));
    assert!(!is_expired(0, SimTime::from_micros(0)));
    let now = SimTime::from_unix_secs(exp) + Duration::from_micros(999_999);
    assert_eq!(expiration_at(now, Duration::from_secs(20)), exp + 20);
    assert_eq!(expiration_at(now, Duration::from_micros(1)), exp + 1);
    assert_eq!(expiration_at(now, Duration::ZERO), exp);
}

// ---------------------------------------------------------------------------------------------
// EIP-868: the ENR seq in PING and PONG, ENRREQUEST, ENRRESPONSE and node records.

/// Packet sizes as geth 3a4a3d080b sends them, computed from its source: IPv4, ports 30303, a
/// 4-byte expiration (any Unix time from 2004 to 2106).
#[test]
fn sizes_match_geth() {
    let size = |p: Packet| encode(&p, &NodeId([1; 64])).0.len();
    let ping = |tcp: u16, enr_seq: Option<u64>| {
        Packet::Ping(Ping {
            version: PING_VERSION,
            from: Endpoint::new(v4("10.0.0.1"), 30303, tcp),
            to: Endpoint::new(v4("10.0.0.2"), 30303, 0),
            expiration: EXP,
            enr_seq,
        })
    };
    let pong = |tcp: u16, enr_seq: Option<u64>| {
        Packet::Pong(Pong {
            to: Endpoint::new(v4("10.0.0.1"), 30303, tcp),
            reply_tok: [7; 32],
            expiration: EXP,
            enr_seq,
        })
    };
    // 2018 (no seq); 2019 with a one-byte seq (0 to 127) and a two-byte one; 2019 from a local
    // record without "tcp".
    assert_eq!(size(ping(30303, None)), 127);
    assert_eq!(size(ping(30303, Some(1))), 128);
    assert_eq!(size(ping(30303, Some(0))), 128);
    assert_eq!(size(ping(30303, Some(128))), 129);
    assert_eq!(size(ping(0, Some(1))), 126);
    assert_eq!(size(pong(30303, None)), 149);
    assert_eq!(size(pong(30303, Some(1))), 150);
    assert_eq!(size(pong(30303, Some(128))), 151);
    assert_eq!(size(pong(0, Some(1))), 148);
    assert_eq!(
        size(Packet::FindNode(FindNode {
            target: NodeId([9; 64]),
            expiration: EXP,
        })),
        171
    );
    let neighbors = |k: u8, tcp: u16| {
        let nodes = (0..k)
            .map(|i| Node::new(v4("10.0.1.1"), 30303, tcp, NodeId([i; 64])))
            .collect();
        size(Packet::Neighbors(Neighbors {
            nodes,
            expiration: EXP,
        }))
    };
    assert_eq!(neighbors(0, 30303), 105);
    assert_eq!(neighbors(1, 30303), 186);
    assert_eq!(neighbors(4, 30303), 425);
    assert_eq!(neighbors(12, 30303), 1057);
    assert_eq!(neighbors(12, 0), 1033);
    assert_eq!(
        size(Packet::EnrRequest(EnrRequest { expiration: EXP })),
        104
    );
    let response = |tcp: u16, seq: u64| {
        let record = enr_record(&Node::new(v4("10.0.0.1"), 30303, tcp, NodeId([3; 64])), seq);
        let len = record.len();
        let packet = size(Packet::EnrResponse(EnrResponse {
            reply_tok: [5; 32],
            record,
        }));
        (len, packet)
    };
    assert_eq!(response(30303, 1), (141, 274));
    assert_eq!(response(30303, 0), (141, 274));
    assert_eq!(response(0, 1), (134, 267));
    assert_eq!(response(30303, 128), (142, 275));
}

#[test]
fn enr_record_layout() {
    // An ID whose last byte (Y's lowest) is odd: the key starts with 0x03.
    let id = NodeId(std::array::from_fn(|i| i as u8));
    let n = Node::new(v4("10.0.0.1"), 30303, 30304, id);
    let record = enr_record(&n, 5);
    let rlp = Rlp::new(&record);
    assert_eq!(rlp.payload_info().unwrap().total(), record.len());
    let items: Vec<Rlp<'_>> = rlp.iter().collect();
    assert_eq!(items.len(), 12);
    assert_eq!(items[0].data().unwrap().len(), 64);
    assert_eq!(items[1].as_val::<u64>().unwrap(), 5);
    let keys: Vec<&[u8]> = items[2..]
        .iter()
        .step_by(2)
        .map(|k| k.data().unwrap())
        .collect();
    let want: [&[u8]; 5] = [b"id", b"ip", b"secp256k1", b"tcp", b"udp"];
    assert_eq!(keys, want);
    assert_eq!(items[3].data().unwrap(), b"v4");
    assert_eq!(items[5].data().unwrap(), [10, 0, 0, 1]);
    let key = items[7].data().unwrap();
    assert_eq!(key.len(), 33);
    assert_eq!(key[0], 0x03);
    assert_eq!(&key[1..], &id.0[..32]);
    assert_eq!(items[9].as_val::<u16>().unwrap(), 30304);
    assert_eq!(items[11].as_val::<u16>().unwrap(), 30303);

    // Even Y: 0x02. IPv6: 16 bytes under "ip". TCP 0: no "tcp".
    let even = NodeId([2; 64]);
    let v6_record = enr_record(&Node::new(v6("2001:db8::7"), 30303, 0, even), 0);
    let items: Vec<Rlp<'_>> = Rlp::new(&v6_record).iter().collect();
    assert_eq!(items.len(), 10);
    assert_eq!(items[1].as_val::<u64>().unwrap(), 0);
    assert_eq!(items[5].data().unwrap().len(), 16);
    assert_eq!(items[7].data().unwrap()[0], 0x02);
    let keys: Vec<&[u8]> = items[2..]
        .iter()
        .step_by(2)
        .map(|k| k.data().unwrap())
        .collect();
    let want: [&[u8]; 4] = [b"id", b"ip", b"secp256k1", b"udp"];
    assert_eq!(keys, want);
    assert_eq!(v6_record.len(), 134 + 12);

    // Deterministic, and the stand-in signature changes with the content, as a real one would.
    assert_eq!(enr_record(&n, 5), record);
    let sig = |r: &[u8]| Rlp::new(r).at(0).unwrap().data().unwrap().to_vec();
    assert_ne!(sig(&enr_record(&n, 6)), sig(&record));
    let moved = Node::new(v4("10.0.0.2"), 30303, 30304, id);
    assert_ne!(sig(&enr_record(&moved, 5)), sig(&record));
    for seq in [0, 1, 127, 128, 255, 256, u64::MAX] {
        assert_eq!(enr_seq(&enr_record(&n, seq)), Some(seq));
    }
}

/// The body of a PONG to `1.2.3.4` with `extra_items` raw elements after the expiration.
fn pong_body(extra: &[u8], extra_items: usize) -> Vec<u8> {
    let mut s = RlpStream::new_list(3 + extra_items);
    s.append(&Endpoint::new(v4("1.2.3.4"), 1, 2));
    s.append(&&[6u8; 32][..]);
    s.append(&EXP);
    s.append_raw(extra, extra_items);
    s.out().to_vec()
}

#[test]
fn ping_and_pong_write_the_seq_as_one_more_element() {
    let ping = Ping {
        version: PING_VERSION,
        from: Endpoint::new(v4("10.0.0.1"), 30303, 30303),
        to: Endpoint::new(v4("10.0.0.2"), 30303, 0),
        expiration: EXP,
        enr_seq: None,
    };
    let pong = Pong {
        to: Endpoint::new(v4("10.0.0.1"), 30303, 30303),
        reply_tok: [7; 32],
        expiration: EXP,
        enr_seq: None,
    };
    let body = |p: Packet| encode(&p, &NodeId::ZERO).0[HEAD_SIZE + 1..].to_vec();
    let payload = |body: &[u8]| {
        let info = Rlp::new(body).payload_info().unwrap();
        assert_eq!(info.total(), body.len());
        body[info.header_len..].to_vec()
    };
    let tails: [(u64, &[u8]); 5] = [
        (0, &[0x80]),
        (1, &[0x01]),
        (127, &[0x7f]),
        (128, &[0x81, 0x80]),
        (
            u64::MAX,
            &[0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        ),
    ];
    for (seq, tail) in tails {
        let cases = [
            (
                body(Packet::Ping(ping.clone())),
                body(Packet::Ping(Ping {
                    enr_seq: Some(seq),
                    ..ping.clone()
                })),
            ),
            (
                body(Packet::Pong(pong.clone())),
                body(Packet::Pong(Pong {
                    enr_seq: Some(seq),
                    ..pong.clone()
                })),
            ),
        ];
        for (without, with) in cases {
            // The named fields stay as they are and the seq comes last, inside the list.
            assert_eq!(payload(&with), [payload(&without), tail.to_vec()].concat());
        }
    }
}

/// geth 2019's `seqFromTail`: the first tail element if it decodes as a `uint64`, otherwise
/// nothing (geth: 0); the packet decodes either way, as a 2018 decoder would.
#[test]
fn the_seq_is_read_from_the_tail_as_geth_2019_does() {
    let s = NodeId([8; 64]);
    let seqs = |tail: &[u8], items: usize| {
        let ping = match decode(&datagram(&s, 1, &ping_body(tail, items)))
            .unwrap()
            .packet
        {
            Packet::Ping(p) => p,
            other => panic!("{other:?}"),
        };
        let pong = match decode(&datagram(&s, 2, &pong_body(tail, items)))
            .unwrap()
            .packet
        {
            Packet::Pong(p) => p,
            other => panic!("{other:?}"),
        };
        // The named fields are decoded whatever the tail.
        assert_eq!((ping.expiration, pong.expiration), (EXP, EXP));
        assert_eq!(pong.reply_tok, [6; 32]);
        assert_eq!(ping.enr_seq, pong.enr_seq, "{tail:02x?}");
        ping.enr_seq
    };
    assert_eq!(seqs(&[], 0), None);
    assert_eq!(seqs(&[0x01], 1), Some(1));
    assert_eq!(seqs(&[0x80], 1), Some(0));
    assert_eq!(seqs(&[0x82, 0x01, 0x00], 1), Some(256));
    assert_eq!(
        seqs(&[0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 1),
        Some(u64::MAX)
    );
    // Only the first element counts; the others are skipped.
    assert_eq!(seqs(&[0x05, 0xc0, 0x83, 1, 2, 3], 3), Some(5));
    assert_eq!(seqs(&[0xc0, 0x05], 2), None);
    // Not a uint64 in geth's canonical form: a list, nine bytes, a leading zero, a one-byte
    // string holding a byte under 0x80, a zero byte.
    let not_seqs: [&[u8]; 5] = [
        &[0xc1, 0x01],
        &[0x89, 1, 0, 0, 0, 0, 0, 0, 0, 0],
        &[0x82, 0x00, 0x01],
        &[0x81, 0x05],
        &[0x00],
    ];
    for tail in not_seqs {
        assert_eq!(seqs(tail, 1), None, "{tail:02x?}");
    }
}

#[test]
fn enr_request_and_response_bytes_and_round_trips() {
    // ENRREQUEST: [Expiration], the expiration as 0x84 + 4 bytes: 0xc5 and 5 bytes.
    let (bytes, _) = encode(
        &Packet::EnrRequest(EnrRequest { expiration: EXP }),
        &NodeId::ZERO,
    );
    assert_eq!(bytes[HEAD_SIZE], 5);
    assert_eq!(
        &bytes[HEAD_SIZE + 1..],
        &[0xc5, 0x84, 0x5b, 0x3a, 0xbc, 0x94]
    );
    // ENRRESPONSE: [ReplyTok, Record]: the token (0xa0 + 32 bytes), then the record as it is;
    // payload 33 + 141 = 174 = 0xae, so the long list header 0xf8 0xae.
    let record = enr_record(&node(1, v4("10.0.0.1")), 1);
    assert_eq!(record.len(), 141);
    let p = Packet::EnrResponse(EnrResponse {
        reply_tok: [0x33; 32],
        record: record.clone(),
    });
    let (bytes, _) = encode(&p, &NodeId::ZERO);
    assert_eq!(bytes[HEAD_SIZE], 6);
    let body = &bytes[HEAD_SIZE + 1..];
    assert_eq!(&body[..3], &[0xf8, 0xae, 0xa0]);
    assert_eq!(&body[3..35], &[0x33; 32]);
    assert_eq!(&body[35..], &record[..]);
    // ENRRESPONSE has no expiration and never expires.
    assert_eq!(p.expiration(), u64::MAX);

    for expiration in [0, 1, EXP, u64::MAX] {
        round_trip(Packet::EnrRequest(EnrRequest { expiration }));
    }
    for (n, seq) in [
        (node(1, v4("10.0.0.1")), 1),
        (node(2, v6("2001:db8::1")), u64::MAX),
        (Node::new(v4("10.0.0.3"), 30303, 0, NodeId([3; 64])), 0),
    ] {
        round_trip(Packet::EnrResponse(EnrResponse {
            reply_tok: [seq as u8; 32],
            record: enr_record(&n, seq),
        }));
    }
}

#[test]
fn enr_packets_skip_well_formed_tails() {
    let s = NodeId::ZERO;
    let mut r = RlpStream::new_list(3);
    r.append(&EXP).append(&1u8).begin_list(1).append(&2u8);
    assert_eq!(
        decode(&datagram(&s, 5, &r.out())).unwrap().packet,
        Packet::EnrRequest(EnrRequest { expiration: EXP })
    );
    let record = enr_record(&node(1, v4("10.0.0.1")), 9);
    let mut r = RlpStream::new_list(3);
    r.append(&&[4u8; 32][..]);
    r.append_raw(&record, 1);
    r.append(&"later");
    assert_eq!(
        decode(&datagram(&s, 6, &r.out())).unwrap().packet,
        Packet::EnrResponse(EnrResponse {
            reply_tok: [4; 32],
            record,
        })
    );
    // Missing fields, and bodies that are no list.
    assert!(is_rlp_err(decode(&datagram(&s, 5, &[0xc0]))));
    assert!(is_rlp_err(decode(&datagram(&s, 5, &[0x84, 1, 2, 3, 4]))));
    let mut r = RlpStream::new_list(1);
    r.append(&&[4u8; 32][..]);
    assert!(is_rlp_err(decode(&datagram(&s, 6, &r.out()))));
    assert!(is_rlp_err(decode(&datagram(&s, 6, &[]))));
}

/// An ENRRESPONSE body around a raw token item and a raw record.
fn enr_response_body(tok: &[u8], record: &[u8]) -> Vec<u8> {
    let mut s = RlpStream::new_list(2);
    s.append_raw(tok, 1);
    s.append_raw(record, 1);
    s.out().to_vec()
}

/// A list around raw items.
fn raw_list(items: &[Vec<u8>]) -> Vec<u8> {
    let mut s = RlpStream::new_list(items.len());
    for item in items {
        s.append_raw(item, 1);
    }
    s.out().to_vec()
}

#[test]
fn enr_responses_with_bad_records_or_tokens_are_rejected() {
    let s = NodeId::ZERO;
    let good = enr_record(&node(1, v4("10.0.0.1")), 1);
    let tok = rlp::encode(&&[1u8; 32][..]).to_vec();
    let response =
        |tok: &[u8], record: &[u8]| decode(&datagram(&s, 6, &enr_response_body(tok, record)));
    assert!(response(&tok, &good).is_ok());
    // Tokens of the wrong length, or a list.
    for len in [0, 31, 33] {
        let bad = rlp::encode(&vec![1u8; len]).to_vec();
        assert!(is_rlp_err(response(&bad, &good)), "{len}-byte token");
    }
    assert!(is_rlp_err(response(
        &raw_list(std::slice::from_ref(&tok)),
        &good
    )));
    // A truncated record: its header promises a byte more than the body holds.
    assert!(is_rlp_err(response(&tok, &good[..good.len() - 1])));
    // A record that is not a list: the same bytes as a string.
    assert!(is_rlp_err(response(&tok, &rlp::encode(&good))));

    // Records that are lists, but not records geth decodes. Each is checked by `enr_seq` too.
    let items: Vec<Vec<u8>> = Rlp::new(&good)
        .iter()
        .map(|r| r.as_raw().to_vec())
        .collect();
    let with = |f: &dyn Fn(&mut Vec<Vec<u8>>)| {
        let mut v = items.clone();
        f(&mut v);
        raw_list(&v)
    };
    let bad_records = [
        ("empty", raw_list(&[])),
        ("signature only", raw_list(&items[..1])),
        (
            "incomplete pair",
            with(&|v| {
                v.pop();
            }),
        ),
        ("signature a list", with(&|v| v[0] = raw_list(&[]))),
        (
            "seq with a leading zero",
            with(&|v| v[1] = vec![0x82, 0, 1]),
        ),
        (
            "seq of nine bytes",
            with(&|v| v[1] = vec![0x89, 1, 0, 0, 0, 0, 0, 0, 0, 0]),
        ),
        ("seq a list", with(&|v| v[1] = raw_list(&[]))),
        ("key a list", with(&|v| v[2] = raw_list(&[]))),
        (
            "keys out of order",
            with(&|v| {
                v.swap(2, 4);
                v.swap(3, 5);
            }),
        ),
        ("a duplicate key", with(&|v| v[4] = v[2].clone())),
        // Well-formed otherwise, one byte over geth's limit.
        (
            "301 bytes",
            with(&|v| {
                v.push(rlp::encode(&"zz").to_vec());
                v.push(rlp::encode(&vec![7u8; 154]).to_vec());
            }),
        ),
    ];
    for (what, record) in &bad_records {
        assert!(is_rlp_err(response(&tok, record)), "{what}");
        assert_eq!(enr_seq(record), None, "{what}");
    }
    // The limit itself is fine; so is any signature length, which geth checks only when it
    // verifies the record.
    let at_limit = with(&|v| {
        v.push(rlp::encode(&"zz").to_vec());
        v.push(rlp::encode(&vec![7u8; 153]).to_vec());
    });
    assert_eq!(at_limit.len(), MAX_RECORD_SIZE);
    assert!(response(&tok, &at_limit).is_ok());
    let unsigned = with(&|v| v[0] = vec![0x80]);
    assert!(response(&tok, &unsigned).is_ok());
    assert_eq!(enr_seq(&unsigned), Some(1));
    // `enr_seq` takes exactly one record: nothing after it, nothing cut.
    assert_eq!(enr_seq(&[&good[..], &[0x01]].concat()), None);
    assert_eq!(enr_seq(&good[..good.len() - 1]), None);
    assert_eq!(enr_seq(&[]), None);
}

fn arb_ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(IpAddr::from),
        any::<[u8; 16]>().prop_map(IpAddr::from),
    ]
}

fn arb_node() -> impl Strategy<Value = Node> {
    (
        arb_ip(),
        any::<u16>(),
        any::<u16>(),
        prop::collection::vec(any::<u8>(), 64),
    )
        .prop_map(|(ip, udp, tcp, id)| Node::new(ip, udp, tcp, NodeId::from_slice(&id).unwrap()))
}

fn arb_endpoint() -> impl Strategy<Value = Endpoint> {
    (arb_ip(), any::<u16>(), any::<u16>()).prop_map(|(ip, udp, tcp)| Endpoint::new(ip, udp, tcp))
}

/// Any packet of any kind, Neighbors with up to `max_nodes` nodes.
fn arb_packet(max_nodes: usize) -> impl Strategy<Value = Packet> {
    let seq = || prop::option::of(any::<u64>());
    prop_oneof![
        (
            any::<u32>(),
            arb_endpoint(),
            arb_endpoint(),
            any::<u64>(),
            seq()
        )
            .prop_map(
                |(version, from, to, expiration, enr_seq)| Packet::Ping(Ping {
                    version,
                    from,
                    to,
                    expiration,
                    enr_seq,
                })
            ),
        (arb_endpoint(), any::<[u8; 32]>(), any::<u64>(), seq()).prop_map(
            |(to, reply_tok, expiration, enr_seq)| Packet::Pong(Pong {
                to,
                reply_tok,
                expiration,
                enr_seq,
            })
        ),
        (prop::collection::vec(any::<u8>(), 64), any::<u64>()).prop_map(|(t, expiration)| {
            Packet::FindNode(FindNode {
                target: NodeId::from_slice(&t).unwrap(),
                expiration,
            })
        }),
        (
            prop::collection::vec(arb_node(), 0..=max_nodes),
            any::<u64>()
        )
            .prop_map(|(nodes, expiration)| Packet::Neighbors(Neighbors { nodes, expiration })),
        any::<u64>().prop_map(|expiration| Packet::EnrRequest(EnrRequest { expiration })),
        (any::<[u8; 32]>(), arb_node(), any::<u64>()).prop_map(|(reply_tok, n, seq)| {
            Packet::EnrResponse(EnrResponse {
                reply_tok,
                record: enr_record(&n, seq),
            })
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        // A fixed seed: CI runs the same cases every time, so a red run is reproducible.
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5eed_d15c),
        ..ProptestConfig::default()
    })]
    #[test]
    fn decode_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..1400)) {
        let _ = decode(&bytes);
    }

    /// Random bytes almost never pass the hash check; these do, so the body parser is
    /// exercised.
    #[test]
    fn decode_never_panics_behind_valid_hash(
        ptype in 0u8..8,
        body in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let _ = decode(&datagram(&NodeId::ZERO, ptype, &body));
    }

    /// Mutations of a valid body behind a recomputed hash: bodies that are nearly right, of
    /// every kind.
    #[test]
    fn decode_never_panics_on_mutated_bodies(
        p in arb_packet(3),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let (bytes, _) = encode(&p, &NodeId::ZERO);
        let mut body = bytes[HEAD_SIZE + 1..].to_vec();
        for (i, b) in edits {
            let i = i.index(body.len());
            body[i] = b;
        }
        let _ = decode(&datagram(&NodeId::ZERO, p.kind() as u8, &body));
    }

    /// Mutated records, alone: `enr_seq` answers or says no.
    #[test]
    fn enr_seq_never_panics_on_mutated_records(
        n in arb_node(),
        seq in any::<u64>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut record = enr_record(&n, seq);
        for (i, b) in edits {
            let i = i.index(record.len());
            record[i] = b;
        }
        let _ = enr_seq(&record);
        let _ = enr_seq(&record[..cut.index(record.len())]);
    }

    #[test]
    fn every_kind_round_trips(
        p in arb_packet(MAX_NEIGHBORS),
        sender in prop::collection::vec(any::<u8>(), 64),
    ) {
        let sender = NodeId::from_slice(&sender).unwrap();
        let (bytes, hash) = encode(&p, &sender);
        prop_assert!(bytes.len() <= MAX_PACKET_SIZE);
        prop_assert!(bytes.len() <= p.max_encoded_len());
        prop_assert_eq!(bytes[HEAD_SIZE], p.kind() as u8);
        let d = decode(&bytes).unwrap();
        prop_assert_eq!(d.packet, p);
        prop_assert_eq!(d.sender, sender);
        prop_assert_eq!(d.hash, hash);
    }

    #[test]
    fn records_round_trip_their_seq(n in arb_node(), seq in any::<u64>()) {
        let record = enr_record(&n, seq);
        prop_assert_eq!(enr_seq(&record), Some(seq));
        prop_assert!(record.len() <= MAX_RECORD_SIZE);
    }
}
