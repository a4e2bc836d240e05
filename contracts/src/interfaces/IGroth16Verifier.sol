// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @title Groth16 verifier of one circuit shape
/// @notice Implemented by the verifier contracts that arcanum-zk generates from verifying keys.
interface IGroth16Verifier {
    /// @notice A public input is not below the BN254 scalar field modulus.
    /// @param index Position of the offending input.
    error PublicInputNotInField(uint256 index);

    /// @notice Checks a proof against public inputs `[job_id, worker, input_commitment, output_commitment]`.
    /// @param proof `A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y`.
    /// @param input The public inputs.
    /// @return True if and only if the proof verifies.
    function verifyProof(uint256[8] calldata proof, uint256[4] calldata input)
        external
        view
        returns (bool);

    /// @notice Checks `proofs[k]` against `inputs[k]` for every `k` with one pairing
    ///         product (a random linear combination whose coefficients are a hash of every
    ///         proof and input): true if and only if every proof verifies, except with
    ///         probability about 2^-127. Reverts `PublicInputNotInField(k * 4 + j)`.
    /// @param proofs The proofs, each as for `verifyProof`.
    /// @param inputs Their public inputs, in the same order.
    /// @return True if and only if every proof verifies.
    function verifyBatch(uint256[8][] calldata proofs, uint256[4][] calldata inputs)
        external
        view
        returns (bool);
}
