// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {DataOracle} from "../DataOracle.sol";
import {IDataOracleConsumer} from "../interfaces/IDataOracleConsumer.sol";

/// @title Example dApp: reads a privately computed statistic from the DataOracle
/// @notice Asks for a feed (e.g. the mean sepal length of flowers held by several data
///         owners, computed by secure aggregation) and keeps the value it is called back with.
contract IrisStatsConsumer is IDataOracleConsumer {
    using SafeERC20 for IERC20;

    /// @notice The oracle this consumer trusts.
    DataOracle public immutable oracle;
    /// @notice Last value received per feed (fixed point, 1e18 = 1.0).
    mapping(bytes32 => int256) public valueOf;
    /// @notice Job backing the last value per feed.
    mapping(bytes32 => uint256) public jobOf;

    /// @notice A value arrived.
    event ValueReceived(bytes32 indexed feedId, int256 value, uint256 jobId);

    error NotOracle();

    /// @param oracle_ The oracle.
    constructor(DataOracle oracle_) {
        oracle = oracle_;
    }

    /// @notice Requests `feedId`, paying `fee` from this contract's balance.
    /// @param feedId Feed.
    /// @param fee Fee.
    /// @return requestId The oracle's request id.
    function ask(bytes32 feedId, uint96 fee) external returns (uint256 requestId) {
        IERC20 token = oracle.token();
        token.forceApprove(address(oracle), fee);
        requestId = oracle.request(feedId, fee, address(this), 100_000, 1 days);
    }

    /// @inheritdoc IDataOracleConsumer
    function onOracleValue(uint256, bytes32 feedId, int256 value, uint256 jobId) external {
        if (msg.sender != address(oracle)) revert NotOracle();
        valueOf[feedId] = value;
        jobOf[feedId] = jobId;
        emit ValueReceived(feedId, value, jobId);
    }
}
