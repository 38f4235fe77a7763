//! Short stable hashes: 16 hex digits of SHA-256, the same on every machine and run.

use sha2::{Digest, Sha256};

/// The first 8 bytes of SHA-256 of `bytes`, as 16 lower-case hex digits.
pub fn hex16(bytes: impl AsRef<[u8]>) -> String {
    let digest = Sha256::digest(bytes.as_ref());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn sixteen_hex_digits_of_sha256() {
        // SHA-256("abc") = ba7816bf8f01cfea 414140de...
        assert_eq!(super::hex16("abc"), "ba7816bf8f01cfea");
    }
}
