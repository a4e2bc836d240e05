// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @title Receiver of DataOracle callbacks
/// @notice Implement this to be called back when a request is fulfilled. Check that
///         `msg.sender` is the oracle. The call gets at most the gas limit set in the
///         request; if it reverts or runs out of gas the value is still recorded.
interface IDataOracleConsumer {
    /// @notice Called once per fulfilled request.
    /// @param requestId The request.
    /// @param feedId The feed it was for.
    /// @param value The fulfilled value.
    /// @param jobId The proof-verified job backing the value.
    function onOracleValue(uint256 requestId, bytes32 feedId, int256 value, uint256 jobId) external;
}
