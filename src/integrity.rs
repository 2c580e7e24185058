//! Subresource-Integrity style checks of a downloaded bundle (`integrity: "sha256-<base64>"`).
//!
//! Pure Rust (no JS), so it is unit-tested natively.

use recofuse_core::json::Quoted;

use crate::error::{codes, FacadeError};

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    recofuse_core::sha256::sha256(bytes)
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// Standard base64 (RFC 4648 §4, with `=` padding), as used by Subresource Integrity.
///
/// ```
/// assert_eq!(recofuse::integrity::base64(b"foobar"), "Zm9vYmFy");
/// assert_eq!(recofuse::integrity::base64(b"fo"), "Zm8=");
/// ```
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The integrity string of `digest`: `sha256-<base64>`.
pub fn integrity_string(digest: &[u8; 32]) -> String {
    format!("sha256-{}", base64(digest))
}

/// Checks `digest` (the SHA-256 of the bundle) against an SRI `integrity` value. Several
/// whitespace-separated hashes may be given (any `sha256-` match passes; `?options` are ignored).
/// Errors: `BAD_ARGUMENT` when no `sha256-` hash is present, `INTEGRITY_MISMATCH` when none matches.
///
/// ```
/// use recofuse::integrity::{check, sha256};
/// let d = sha256(b"abc");
/// assert!(check("sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=", &d).is_ok());
/// assert_eq!(check("sha256-AAAA", &d).unwrap_err().code, "INTEGRITY_MISMATCH");
/// assert_eq!(check("sha512-AAAA", &d).unwrap_err().code, "BAD_ARGUMENT");
/// ```
pub fn check(integrity: &str, digest: &[u8; 32]) -> Result<(), FacadeError> {
    let actual = base64(digest);
    let mut expected = Vec::new();
    for token in integrity.split_ascii_whitespace() {
        if let Some(value) = token.strip_prefix("sha256-") {
            let value = value.split('?').next().unwrap_or(value);
            expected.push(value);
        }
    }
    if expected.is_empty() {
        return Err(FacadeError::bad_argument(format!(
            "integrity {} holds no sha256-<base64> hash (only SHA-256 is supported)",
            Quoted(integrity)
        )));
    }
    if expected.iter().any(|e| e.trim_end_matches('=') == actual.trim_end_matches('=')) {
        Ok(())
    } else {
        Err(FacadeError::new(
            codes::INTEGRITY_MISMATCH,
            format!("bundle integrity mismatch: expected {}, got sha256-{actual}", expected.join(" or sha256-")),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let cases: [(&[u8], &str); 7] = [
            (b"", ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
            (b"fooba", "Zm9vYmE="),
            (b"foobar", "Zm9vYmFy"),
        ];
        for (input, want) in cases {
            assert_eq!(base64(input), want);
        }
    }

    #[test]
    fn sha256_of_empty_input_is_the_known_digest() {
        assert_eq!(hex(&sha256(b"")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(integrity_string(&sha256(b"")), "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    }

    #[test]
    fn check_accepts_any_matching_hash_and_ignores_padding_and_options() {
        let d = sha256(b"");
        assert!(check("sha384-xyz sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU", &d).is_ok());
        assert!(check("  sha256-nope  sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=?v=1", &d).is_ok());
        assert_eq!(check("", &d).unwrap_err().code, "BAD_ARGUMENT");
        assert_eq!(check("sha256-47DEQpj8HBSa", &d).unwrap_err().code, "INTEGRITY_MISMATCH");
    }
}
