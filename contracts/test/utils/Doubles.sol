// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IGroth16Verifier} from "../../src/interfaces/IGroth16Verifier.sol";

/// @dev TEST DOUBLE: accepts a proof iff `proof[0] == 1` (a batch iff every proof's is). For tests of the market's
///      accounting and consent rules, where the test must choose whether a submission
///      verifies; the real generated verifier and real proofs are exercised by
///      ComputeMarket.t.sol and the Rust end-to-end tests.
contract FlagVerifier is IGroth16Verifier {
    function verifyProof(uint256[8] calldata proof, uint256[4] calldata)
        external
        pure
        returns (bool)
    {
        return proof[0] == 1;
    }

    function verifyBatch(uint256[8][] calldata proofs, uint256[4][] calldata)
        external
        pure
        returns (bool)
    {
        for (uint256 k; k < proofs.length; ++k) {
            if (proofs[k][0] != 1) return false;
        }
        return proofs.length != 0;
    }
}

/// @dev A minimal ERC-1271 contract wallet: a signature is valid iff its EOA owner made it.
contract OwnerWallet is IERC1271 {
    address public immutable owner;

    constructor(address owner_) {
        owner = owner_;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature)
        external
        view
        returns (bytes4)
    {
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(hash, signature);
        if (err == ECDSA.RecoverError.NoError && signer == owner) {
            return IERC1271.isValidSignature.selector;
        }
        return 0xffffffff;
    }
}
