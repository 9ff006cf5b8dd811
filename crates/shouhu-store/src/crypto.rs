//! Encryption at rest for children's sensitive fields (ID numbers, phones, addresses, health,
//! notes): AES-256-GCM under the deployment key, plus a keyed hash for look-ups and duplicate checks
//! so that equal values can be found without storing them in clear.

use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::StoreError;

const NONCE_LEN: usize = 12;

/// The deployment's secret. Lost key, lost data: back it up with the database, never beside it.
pub struct DeploymentKey {
    cipher: Aes256Gcm,
    /// Kept apart from the cipher key so a leaked look-up hash says nothing about the cipher.
    mac_key: [u8; 32],
}

impl std::fmt::Debug for DeploymentKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeploymentKey(***)")
    }
}

impl DeploymentKey {
    pub fn from_bytes(key: [u8; 32]) -> Self {
        let mac_key: [u8; 32] = Sha256::new()
            .chain_update(b"shouhu look-up hash v1")
            .chain_update(key)
            .finalize()
            .into();
        Self {
            cipher: Aes256Gcm::new(&key.into()),
            mac_key,
        }
    }

    /// 64 hex digits, as kept in the key file or `SHOUHU_KEY`.
    pub fn from_hex(text: &str) -> Result<Self, StoreError> {
        let bytes =
            hex::decode(text.trim()).map_err(|_| StoreError::Key("not hexadecimal".into()))?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| StoreError::Key("a key is 32 bytes (64 hex digits)".into()))?;
        Ok(Self::from_bytes(key))
    }

    /// Reads the key file, or creates it (mode 0600) with a fresh random key on first start.
    pub fn load_or_create(path: &Path) -> Result<Self, StoreError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_hex(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut key);
                write_private(path, &hex::encode(key))?;
                Ok(Self::from_bytes(key))
            }
            Err(e) => Err(StoreError::Key(format!("{}: {e}", path.display()))),
        }
    }

    /// A fresh nonce followed by the ciphertext and its tag.
    pub fn encrypt(&self, plain: &str) -> Result<Vec<u8>, StoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .map_err(|_| StoreError::Key("encryption failed".into()))?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    /// Fails on a wrong key or a tampered value rather than returning garbage.
    pub fn decrypt(&self, blob: &[u8]) -> Result<String, StoreError> {
        if blob.len() < NONCE_LEN {
            return Err(StoreError::Key("sealed value too short".into()));
        }
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| StoreError::Key("wrong key or tampered value".into()))?;
        String::from_utf8(plain).map_err(|_| StoreError::Key("sealed value is not text".into()))
    }

    /// HMAC-SHA256 of a normalised value (e.g. an ID number), hex: equal values, equal hashes.
    pub fn lookup_hash(&self, value: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.mac_key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> Result<(), StoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    let err = |e: std::io::Error| StoreError::Key(format!("{}: {e}", path.display()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(err)?;
    file.write_all(text.as_bytes()).map_err(err)
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> Result<(), StoreError> {
    std::fs::write(path, text).map_err(|e| StoreError::Key(format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> DeploymentKey {
        DeploymentKey::from_bytes([n; 32])
    }

    #[test]
    fn sealed_values_open_only_with_their_key_and_untouched() {
        let k = key(1);
        let sealed = k.encrypt("52050220150301123X").unwrap();
        assert_eq!(k.decrypt(&sealed).unwrap(), "52050220150301123X");
        assert!(key(2).decrypt(&sealed).is_err(), "another deployment's key");
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(k.decrypt(&tampered).is_err());
        assert_ne!(
            k.encrypt("same").unwrap(),
            k.encrypt("same").unwrap(),
            "fresh nonce each time"
        );
    }

    #[test]
    fn look_up_hashes_are_stable_and_keyed() {
        assert_eq!(
            key(1).lookup_hash("13812345678"),
            key(1).lookup_hash("13812345678")
        );
        assert_ne!(
            key(1).lookup_hash("13812345678"),
            key(2).lookup_hash("13812345678")
        );
        assert_ne!(
            key(1).lookup_hash("13812345678"),
            key(1).lookup_hash("13812345679")
        );
    }

    #[test]
    fn the_key_file_is_created_private_and_read_back() {
        let dir = std::env::temp_dir().join(format!("shouhu-key-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("shouhu.key");
        let first = DeploymentKey::load_or_create(&path).unwrap();
        let sealed = first.encrypt("仅本部署可读").unwrap();
        let again = DeploymentKey::load_or_create(&path).unwrap();
        assert_eq!(again.decrypt(&sealed).unwrap(), "仅本部署可读");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert!(format!("{first:?}").contains("***"));
        assert!(DeploymentKey::from_hex("abcd").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
