// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @dev Gas figures of the last call (`Vm.lastCallGas`).
struct Gas {
    uint64 gasLimit;
    uint64 gasTotalUsed;
    uint64 gasMemoryUsed;
    int64 gasRefunded;
    uint64 gasRemaining;
}

/// @dev The subset of Foundry's cheatcodes our tests use (npm's forge-std is an old,
///      unofficial 1.1.2, so we declare the interface ourselves).
interface Vm {
    function prank(address) external;
    function startPrank(address) external;
    function stopPrank() external;
    function warp(uint256) external;
    function expectRevert(bytes calldata) external;
    function expectRevert(bytes4) external;
    function expectRevert() external;
    function expectEmit(bool, bool, bool, bool) external;
    function assume(bool) external pure;
    function readFile(string calldata) external view returns (string memory);
    function parseJsonUint(string calldata, string calldata) external pure returns (uint256);
    function parseJsonAddress(string calldata, string calldata) external pure returns (address);
    function parseJsonUintArray(string calldata, string calldata)
        external
        pure
        returns (uint256[] memory);
    function projectRoot() external view returns (string memory);
    function label(address, string calldata) external;
    function sign(uint256, bytes32) external pure returns (uint8, bytes32, bytes32);
    function addr(uint256) external pure returns (address);
    function toString(uint256) external pure returns (string memory);
    function roll(uint256) external;
    function etch(address, bytes calldata) external;
    function lastCallGas() external view returns (Gas memory);
    function getBlockTimestamp() external view returns (uint256);
}

/// @dev Minimal test base: the cheatcode handle and assertions that revert with context.
abstract contract TestBase {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @dev Forge runs functions prefixed `test`; this marks the contract as a test.
    bool public constant IS_TEST = true;

    /// @dev Forge prints these (DSTest log events) with `-vv`.
    event log_named_uint(string key, uint256 val);

    error AssertionFailed(string what, uint256 left, uint256 right);
    error AssertionFailedAddr(string what, address left, address right);
    error AssertionFailedBool(string what);

    function assertEq(uint256 a, uint256 b, string memory what) internal pure {
        if (a != b) revert AssertionFailed(what, a, b);
    }

    function assertEq(address a, address b, string memory what) internal pure {
        if (a != b) revert AssertionFailedAddr(what, a, b);
    }

    function assertEq(int256 a, int256 b, string memory what) internal pure {
        if (a != b) revert AssertionFailed(what, uint256(a), uint256(b));
    }

    function assertTrue(bool c, string memory what) internal pure {
        if (!c) revert AssertionFailedBool(what);
    }

    /// @dev A 65-byte `r || s || v` ECDSA signature of `digest` by private key `pk`.
    function sign(uint256 pk, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, digest);
        return abi.encodePacked(r, s, v);
    }

    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        if (hi <= lo) return lo;
        return lo + (x % (hi - lo + 1));
    }
}
