// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ComputeMarket} from "./ComputeMarket.sol";
import {IDataOracleConsumer} from "./interfaces/IDataOracleConsumer.sol";

/// @title Arcanum data oracle
/// @notice dApps request values (a feed id, a fee, an optional callback). An authorised
///         oracle node runs the computation as a ComputeMarket job and fulfils the request
///         with a value backed by that job: the job must be `Completed`, i.e. its Groth16
///         proof verified on chain. The value is stored with its provenance (job id, worker,
///         block) and readable by anyone with `latest(feedId)`; the callback runs with a
///         bounded gas limit and cannot block fulfilment. Unfulfilled requests can be
///         cancelled after expiry and refunded.
/// @dev The value is derived off-chain from the job's output, which anyone can check
///      against the output commitment in the market's `JobCompleted` event; fulfilment
///      therefore trusts the oracle node only for that derivation, not for the computation.
contract DataOracle is Ownable2Step, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice A pending or settled request.
    struct Request {
        address requester;
        uint64 expiresAt;
        uint32 callbackGasLimit;
        bool open;
        address callback;
        uint96 fee;
        bytes32 feedId;
    }

    /// @notice A feed's latest value with its provenance.
    struct Value {
        int256 value;
        uint256 jobId;
        address worker;
        uint64 blockNumber;
        uint64 timestamp;
        uint256 requestId;
    }

    /// @notice Most gas a callback may be given.
    uint32 public constant MAX_CALLBACK_GAS = 1_000_000;
    /// @dev Gas kept back for the bookkeeping after the callback returns.
    uint256 internal constant CALLBACK_OVERHEAD = 10_000;

    /// @notice Token fees are paid in.
    IERC20 public immutable token;
    /// @notice The market whose completed jobs back every value.
    ComputeMarket public immutable market;
    /// @notice Id of the next request.
    uint256 public nextRequestId = 1;

    /// @notice Authorised oracle nodes.
    mapping(address => bool) public isOracle;
    /// @notice Requests by id.
    mapping(uint256 => Request) public requests;
    /// @notice Withdrawable credit (oracle fees, refunds).
    mapping(address => uint256) public credit;
    mapping(bytes32 => Value) internal _latest;

    /// @notice An oracle node was authorised or removed.
    event OracleSet(address indexed oracle, bool allowed);
    /// @notice A value was requested.
    event Requested(
        uint256 indexed requestId,
        address indexed requester,
        bytes32 indexed feedId,
        uint256 fee,
        address callback,
        uint32 callbackGasLimit,
        uint64 expiresAt
    );
    /// @notice A request was fulfilled.
    event Fulfilled(
        uint256 indexed requestId,
        bytes32 indexed feedId,
        int256 value,
        uint256 indexed jobId,
        address worker,
        address oracle
    );
    /// @notice The callback of a fulfilled request ran (or failed).
    event CallbackResult(uint256 indexed requestId, bool success);
    /// @notice An expired request was cancelled and refunded.
    event RequestCancelled(uint256 indexed requestId);
    /// @notice Credit was paid out.
    event Claimed(address indexed account, uint256 amount);

    error NotOracle(address caller);
    error NotRequester(uint256 requestId);
    error RequestNotOpen(uint256 requestId);
    error RequestExpired(uint256 requestId, uint64 expiresAt);
    error RequestNotExpired(uint256 requestId, uint64 expiresAt);
    error JobNotCompleted(uint256 jobId);
    error CallbackGasTooHigh(uint32 limit);
    error InsufficientGasForCallback(uint256 available, uint256 needed);
    error InvalidTtl();
    error ZeroAmount();
    error UnknownFeed(bytes32 feedId);

    /// @param token_ Fee token.
    /// @param market_ Market whose completed jobs back values.
    /// @param owner_ Administrator of the oracle set.
    constructor(IERC20 token_, ComputeMarket market_, address owner_) Ownable(owner_) {
        token = token_;
        market = market_;
    }

    /// @notice Authorises or removes an oracle node.
    /// @param oracle Node address.
    /// @param allowed Whether it may fulfil.
    function setOracle(address oracle, bool allowed) external onlyOwner {
        isOracle[oracle] = allowed;
        emit OracleSet(oracle, allowed);
    }

    /// @notice Requests a value for `feedId`, paying `fee` (needs an allowance).
    /// @param feedId What to compute (e.g. `keccak256("iris/sepal_length/mean")`).
    /// @param fee Fee for the oracle node.
    /// @param callback Contract to call back, or zero.
    /// @param callbackGasLimit Gas for the callback, at most `MAX_CALLBACK_GAS`.
    /// @param ttl Seconds until the request may be cancelled.
    /// @return requestId The request's id.
    function request(
        bytes32 feedId,
        uint96 fee,
        address callback,
        uint32 callbackGasLimit,
        uint64 ttl
    ) external nonReentrant returns (uint256 requestId) {
        if (callbackGasLimit > MAX_CALLBACK_GAS) {
            revert CallbackGasTooHigh(callbackGasLimit);
        }
        if (ttl == 0 || ttl > 365 days) revert InvalidTtl();
        requestId = nextRequestId++;
        uint64 expiresAt = uint64(block.timestamp) + ttl;
        requests[requestId] = Request({
            requester: msg.sender,
            expiresAt: expiresAt,
            callbackGasLimit: callbackGasLimit,
            open: true,
            callback: callback,
            fee: fee,
            feedId: feedId
        });
        emit Requested(requestId, msg.sender, feedId, fee, callback, callbackGasLimit, expiresAt);
        if (fee != 0) token.safeTransferFrom(msg.sender, address(this), fee);
    }

    /// @notice Fulfils a request with a value backed by a completed market job. Records the
    ///         value, credits the fee, then calls the callback with its gas limit; a failing
    ///         callback does not revert the fulfilment.
    /// @param requestId Request.
    /// @param value The value.
    /// @param jobId The completed job backing it.
    function fulfill(uint256 requestId, int256 value, uint256 jobId) external nonReentrant {
        if (!isOracle[msg.sender]) revert NotOracle(msg.sender);
        Request storage r = requests[requestId];
        if (!r.open) revert RequestNotOpen(requestId);
        if (block.timestamp > r.expiresAt) revert RequestExpired(requestId, r.expiresAt);
        ComputeMarket.Job memory job = market.jobs(jobId);
        ComputeMarket.Status status = job.status;
        address worker = job.worker;
        if (status != ComputeMarket.Status.Completed) revert JobNotCompleted(jobId);

        r.open = false;
        bytes32 feedId = r.feedId;
        _latest[feedId] = Value({
            value: value,
            jobId: jobId,
            worker: worker,
            blockNumber: uint64(block.number),
            timestamp: uint64(block.timestamp),
            requestId: requestId
        });
        credit[msg.sender] += r.fee;
        emit Fulfilled(requestId, feedId, value, jobId, worker, msg.sender);

        address callback = r.callback;
        if (callback != address(0)) {
            uint256 limit = r.callbackGasLimit;
            // EIP-150 forwards at most 63/64 of what is left: make sure the callback really
            // gets its limit, so a fulfiller cannot starve it on purpose.
            uint256 needed = limit * 64 / 63 + CALLBACK_OVERHEAD;
            if (gasleft() < needed) revert InsufficientGasForCallback(gasleft(), needed);
            bytes memory data = abi.encodeCall(
                IDataOracleConsumer.onOracleValue, (requestId, feedId, value, jobId)
            );
            bool success;
            assembly ("memory-safe") {
                // No return data is copied: a callback cannot grief with a huge return.
                success := call(limit, callback, 0, add(data, 0x20), mload(data), 0, 0)
            }
            emit CallbackResult(requestId, success);
        }
    }

    /// @notice Cancels an expired, unfulfilled request and credits the fee back.
    /// @param requestId Request.
    function cancel(uint256 requestId) external {
        Request storage r = requests[requestId];
        if (r.requester != msg.sender) revert NotRequester(requestId);
        if (!r.open) revert RequestNotOpen(requestId);
        if (block.timestamp <= r.expiresAt) revert RequestNotExpired(requestId, r.expiresAt);
        r.open = false;
        credit[msg.sender] += r.fee;
        emit RequestCancelled(requestId);
    }

    /// @notice Pays out the caller's credit.
    /// @return amount Amount paid.
    function claim() external nonReentrant returns (uint256 amount) {
        amount = credit[msg.sender];
        if (amount == 0) revert ZeroAmount();
        credit[msg.sender] = 0;
        emit Claimed(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @notice A feed's latest value and provenance; reverts if the feed has no value yet.
    /// @param feedId Feed.
    /// @return The value record.
    function latest(bytes32 feedId) external view returns (Value memory) {
        Value memory v = _latest[feedId];
        if (v.blockNumber == 0) revert UnknownFeed(feedId);
        return v;
    }
}
