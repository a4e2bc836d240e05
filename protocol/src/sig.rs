//! EIP-191 personal-message signatures over a 32-byte digest, bound to the address that
//! claims them: what offers and clerk bindings are signed with.

use crate::{Error, Result};
use alloy_primitives::{Address, Signature};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;

/// Signs `digest` as `claimed`; refuses a key of another address.
pub(crate) fn sign(key: &PrivateKeySigner, claimed: Address, digest: &[u8; 32]) -> Result<Vec<u8>> {
    if key.address() != claimed {
        return Err(Error::WrongSigner {
            claimed,
            recovered: key.address(),
        });
    }
    key.sign_message_sync(digest)
        .map(|sig| sig.as_bytes().to_vec())
        .map_err(|e| Error::Signature(e.to_string()))
}

/// Checks `signature` over `digest` recovers to `claimed`.
pub(crate) fn verify(signature: &[u8], digest: &[u8; 32], claimed: Address) -> Result<()> {
    let sig = Signature::try_from(signature).map_err(|e| Error::Signature(e.to_string()))?;
    let recovered = sig
        .recover_address_from_msg(digest)
        .map_err(|e| Error::Signature(e.to_string()))?;
    if recovered != claimed {
        return Err(Error::WrongSigner { claimed, recovered });
    }
    Ok(())
}
