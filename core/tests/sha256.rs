//! The engine's own SHA-256 against the FIPS 180-4 examples and against the `sha2` crate.

use recofuse_core::sha256::{sha256, sha256_hex};
use sha2::{Digest, Sha256};

#[test]
fn fips_examples() {
    let cases: [(&[u8], &str); 4] = [
        (b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (b"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (
            b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
        ),
        (
            b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
        ),
    ];
    for (input, want) in cases {
        assert_eq!(sha256_hex(input), want, "{:?}", String::from_utf8_lossy(input));
    }
    assert_eq!(sha256_hex(&vec![b'a'; 1_000_000]), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

#[test]
fn same_digest_as_the_sha2_crate() {
    // Every length from 0 to 300 bytes (the padding's one- and two-block cases around 55/56/64 and
    // their multiples), then a few long inputs, of pseudo-random bytes.
    let mut x = 0x2545f4914f6cdd1du64;
    let bytes: Vec<u8> = (0..70_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    for n in (0..=300).chain([511, 512, 513, 4_096, 65_537, 70_000]) {
        let want: [u8; 32] = Sha256::digest(&bytes[..n]).into();
        assert_eq!(sha256(&bytes[..n]), want, "length {n}");
    }
}
