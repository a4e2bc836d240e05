//! The node's identities, kept in its data dir:
//!
//! - `identity.key`: the libp2p ed25519 keypair (protobuf encoding, mode 0600), so the
//!   node's `PeerId` survives restarts;
//! - the Ethereum key in an encrypted JSON keystore (scrypt + AES-128-CTR, alloy's keystore
//!   support), unlocked with a password read from a file or `ARCANUM_PASSWORD`, never from
//!   a flag, never logged;
//! - `node.json`: the public half (address, peer id), so `arcanum keys show` needs no
//!   password.

use alloy::signers::local::PrivateKeySigner;
use arcanum_p2p::{Keypair, PeerId};
use arcanum_protocol::Address;
use serde::{Deserialize, Serialize};
use std::{
    io::Write,
    path::{Path, PathBuf},
};

/// The libp2p identity file in the data dir.
pub const IDENTITY_FILE: &str = "identity.key";
/// The public summary in the data dir.
pub const PUBLIC_FILE: &str = "node.json";
/// The environment variable holding the keystore password when no file is configured.
pub const PASSWORD_ENV: &str = "ARCANUM_PASSWORD";

/// An identity or key problem, with the fix.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// File IO failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The identity file is not a libp2p keypair.
    #[error(
        "{0}: not a libp2p keypair; restore it from your backup or delete it to get a new peer id"
    )]
    BadIdentity(PathBuf),
    /// No password was given.
    #[error(
        "no keystore password: set keystore.password_file in config.toml or the {PASSWORD_ENV} environment variable"
    )]
    NoPassword,
    /// The password does not open the keystore (or the file is not a keystore).
    #[error(
        "{path}: cannot decrypt the keystore ({detail}); check the password (keystore.password_file or {PASSWORD_ENV})"
    )]
    Decrypt {
        /// The keystore.
        path: PathBuf,
        /// What failed.
        detail: String,
    },
    /// A key already exists where a new one would go.
    #[error("{0} already exists; refusing to overwrite a key (move it away first)")]
    Exists(PathBuf),
    /// The keystore could not be written.
    #[error("{path}: cannot write the keystore: {detail}")]
    Encrypt {
        /// The keystore.
        path: PathBuf,
        /// What failed.
        detail: String,
    },
}

/// The public identity of a node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicIdentity {
    /// Ethereum address (stakes, is paid, signs bids).
    pub address: Address,
    /// libp2p peer id.
    pub peer_id: String,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> IdentityError + '_ {
    move |source| IdentityError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` to a new file readable by the owner only.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), IdentityError> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                IdentityError::Exists(path.to_path_buf())
            } else {
                IdentityError::Io {
                    path: path.to_path_buf(),
                    source: e,
                }
            }
        })?;
    f.write_all(bytes).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

/// Loads the libp2p identity of `data_dir`, creating it on first use.
pub fn load_or_create_p2p(data_dir: &Path) -> Result<Keypair, IdentityError> {
    let path = data_dir.join(IDENTITY_FILE);
    if path.exists() {
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        return Keypair::from_protobuf_encoding(&bytes)
            .map_err(|_| IdentityError::BadIdentity(path));
    }
    let key = Keypair::generate_ed25519();
    let bytes = key
        .to_protobuf_encoding()
        .map_err(|_| IdentityError::BadIdentity(path.clone()))?;
    write_private(&path, &bytes)?;
    Ok(key)
}

/// Reads the keystore password from `password_file` (first line, trailing newline
/// stripped) or, when empty, from `ARCANUM_PASSWORD`.
pub fn read_password(password_file: &str) -> Result<String, IdentityError> {
    if !password_file.is_empty() {
        let path = PathBuf::from(password_file);
        let text = std::fs::read_to_string(&path).map_err(io(&path))?;
        return Ok(text.lines().next().unwrap_or_default().to_string());
    }
    std::env::var(PASSWORD_ENV).map_err(|_| IdentityError::NoPassword)
}

/// Encrypts `key` (a new random one when `None`) into the keystore at `path`; refuses to
/// overwrite.
pub fn write_keystore(
    path: &Path,
    password: &str,
    key: Option<PrivateKeySigner>,
) -> Result<Address, IdentityError> {
    if path.exists() {
        return Err(IdentityError::Exists(path.to_path_buf()));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("key.json");
    let mut rng = rand::rngs::OsRng;
    let err = |e: alloy::signers::local::LocalSignerError| IdentityError::Encrypt {
        path: path.to_path_buf(),
        detail: e.to_string(),
    };
    let signer = match key {
        Some(k) => {
            PrivateKeySigner::encrypt_keystore(dir, &mut rng, k.to_bytes(), password, Some(name))
                .map_err(err)?
                .0
        }
        None => {
            PrivateKeySigner::new_keystore(dir, &mut rng, password, Some(name))
                .map_err(err)?
                .0
        }
    };
    Ok(signer.address())
}

/// Decrypts the keystore at `path`.
pub fn unlock(path: &Path, password: &str) -> Result<PrivateKeySigner, IdentityError> {
    PrivateKeySigner::decrypt_keystore(path, password).map_err(|e| IdentityError::Decrypt {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}

/// Writes the public summary of a data dir.
pub fn write_public(data_dir: &Path, public: &PublicIdentity) -> Result<(), IdentityError> {
    let path = data_dir.join(PUBLIC_FILE);
    let text = serde_json::to_string_pretty(public).unwrap_or_default();
    std::fs::write(&path, text + "\n").map_err(io(&path))
}

/// Reads the public summary of a data dir.
pub fn read_public(data_dir: &Path) -> Result<PublicIdentity, IdentityError> {
    let path = data_dir.join(PUBLIC_FILE);
    let text = std::fs::read_to_string(&path).map_err(io(&path))?;
    serde_json::from_str(&text).map_err(|e| IdentityError::Io {
        path,
        source: std::io::Error::other(e),
    })
}

/// The peer id of a libp2p keypair.
pub fn peer_id(key: &Keypair) -> PeerId {
    key.public().to_peer_id()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p2p_identity_persists_and_keystore_round_trips_with_its_password_only() {
        let dir = std::env::temp_dir().join(format!("arcanum-id-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let a = load_or_create_p2p(&dir).expect("create");
        let b = load_or_create_p2p(&dir).expect("load");
        assert_eq!(peer_id(&a), peer_id(&b), "same peer id after a restart");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join(IDENTITY_FILE))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "identity readable by the owner only");

        let ks = dir.join("keystore/key.json");
        let imported = PrivateKeySigner::random();
        let addr = write_keystore(&ks, "correct horse", Some(imported.clone())).expect("write");
        assert_eq!(addr, imported.address());
        assert_eq!(
            unlock(&ks, "correct horse").expect("unlock").address(),
            addr
        );
        let err = unlock(&ks, "wrong")
            .expect_err("wrong password")
            .to_string();
        assert!(err.contains("check the password"), "{err}");
        assert!(matches!(
            write_keystore(&ks, "x", None),
            Err(IdentityError::Exists(_))
        ));
        let text = std::fs::read_to_string(&ks).expect("read");
        assert!(
            !text.contains(&alloy::hex::encode(imported.to_bytes())),
            "key encrypted"
        );
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
