// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {ComputeMarket} from "./ComputeMarket.sol";
import {IGroth16Verifier} from "./interfaces/IGroth16Verifier.sol";
import {IDataOracleConsumer} from "./interfaces/IDataOracleConsumer.sol";

/// @title Arcanum data oracle
/// @notice dApps request values of registered feeds (a feed id, a fee, an optional
///         callback). An authorised oracle node runs the feed's computation as a
///         ComputeMarket job posted after the request, and fulfils with a value that is
///         proven to be exactly the feed's statistic of that job's result. For a
///         `secagg-sum` feed: one Groth16 proof per clerk (its share sum, against the share
///         commitments the contributors bound into the job's input commitment) and a
///         finalize proof (the value from the job's masked inputs and the clerks' sums). For
///         an `he-linear` feed: one proof per key-committee member (its decryption shares of
///         the ciphertext sums, under its key in the committee the owners encrypted to) and
///         a finalize proof (the value is the threshold decryption of the job's ciphertext
///         sum with those shares). The value is stored with
///         its provenance (job id, worker, block) and readable by anyone with
///         `latest(feedId)`; the callback runs with a bounded gas limit and cannot block
///         fulfilment. Unfulfilled requests can be cancelled after expiry and refunded.
/// @dev No oracle node, requester, worker, clerk or committee member is trusted for the
///      value: the owners whose data it combines are the feed's (each signs its anchor for
///      the request), the clerks prove their sums (members their shares), and the value is
///      proven. The oracle set only decides who
///      may earn fees. See `oracle/README.md` for the feed catalog.
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
        /// @dev The market's next job id at the request: a value must come from a job
        ///      posted after it (fresh data, not a replayed old result).
        uint64 minJobId;
        bytes32 feedId;
    }

    /// @notice A `secagg-sum` feed: clerks prove their sums of pad shares.
    uint8 public constant KIND_SECAGG_SUM = 0;
    /// @notice An `he-linear` feed: key-committee members prove their decryption shares.
    uint8 public constant KIND_HE_LINEAR = 1;

    /// @notice A feed's definition: what its value is a proven function of.
    struct Feed {
        /// @dev `KIND_SECAGG_SUM` or `KIND_HE_LINEAR`.
        uint8 kind;
        /// @dev keccak256 of the canonical query (dataset, columns, query, fixed point,
        ///      clerks, threshold) mod r: the contributors commit to it in their anchors.
        uint256 queryTag;
        /// @dev The statistic, packed: `num | den << 8 | decimals << 16 | scale << 24`.
        uint64 params;
        /// @dev The job shape the circuits serve; the backing job must have it.
        uint32 shape;
        /// @dev Clerk sums (or members' decryption shares) the finalize proof combines.
        uint8 threshold;
        /// @dev Contributor positions of the shape (anchors in the finalize proof).
        uint8 slots;
        /// @dev Fewest data owners of the feed (`isFeedOwner`) whose signed anchors a value
        ///      must combine.
        uint8 minOwners;
        /// @dev Verifier of each clerk's sum (public `[ic, tag, index, commitment]`) or
        ///      member's shares (public `[sumDigest, keyDigest, index, commitment]`).
        IGroth16Verifier clerkVerifier;
        /// @dev Verifier of the value (public `[request, ic, params, value, x.., c.., a..]`,
        ///      then `[tag, keyDigest, sumDigest]` for an he-linear feed).
        address finalizeVerifier;
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

    /// @notice BN254 scalar field modulus (values are signed field elements in proofs).
    uint256 internal constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice What a data owner signs for each request it contributes to: its anchor (its
    ///         masked vector's and pad shares' commitments and the query).
    bytes32 public constant ANCHOR_TYPEHASH =
        keccak256("ArcanumAnchor(uint256 chainId,address oracle,uint256 requestId,uint256 anchor)");
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
    mapping(bytes32 => Feed) internal _feeds;
    /// @notice The data owners whose contributions a feed's values may combine.
    mapping(bytes32 => mapping(address => bool)) public isFeedOwner;

    /// @notice An oracle node was authorised or removed.
    event OracleSet(address indexed oracle, bool allowed);
    /// @notice A feed was defined (or redefined).
    event FeedSet(
        bytes32 indexed feedId,
        uint8 kind,
        uint256 queryTag,
        uint64 params,
        uint32 shape,
        uint8 threshold,
        uint8 slots,
        uint8 minOwners,
        address clerkVerifier,
        address finalizeVerifier
    );
    /// @notice A data owner was added to (or removed from) a feed.
    event FeedOwnerSet(bytes32 indexed feedId, address indexed owner, bool allowed);
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
    error BadFeed(bytes32 feedId);
    error JobBeforeRequest(uint256 jobId, uint256 minJobId);
    error ShapeMismatch(uint256 jobId, uint32 shape, uint32 feedShape);
    error BadClerks(uint256 count, uint256 threshold);
    error InvalidClerkProof(uint256 position);
    error InvalidFinalizeProof();
    error ValueOutOfRange(int256 value);
    error BadAnchors(uint256 count, uint256 slots);
    error NotFeedOwner(uint256 slot, address signer);
    error TooFewOwners(uint256 owners, uint256 needed);

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

    /// @notice Defines (or redefines) a feed.
    /// @param feedId Feed (e.g. `keccak256("iris/sepal_length/mean")`).
    /// @param feed Its definition.
    function setFeed(bytes32 feedId, Feed calldata feed) external onlyOwner {
        // params: num (8 bits), den (8 bits), decimals (5 bits), 3 zero bits, scale (8 bits).
        if (
            feed.kind > KIND_HE_LINEAR || feed.threshold == 0 || feed.slots == 0
                || feed.minOwners == 0 || feed.minOwners > feed.slots
                || address(feed.clerkVerifier) == address(0) || feed.finalizeVerifier == address(0)
                || feed.queryTag >= R || feed.params >> 32 != 0 || (feed.params >> 21) & 7 != 0
        ) revert BadFeed(feedId);
        _feeds[feedId] = feed;
        emit FeedSet(
            feedId,
            feed.kind,
            feed.queryTag,
            feed.params,
            feed.shape,
            feed.threshold,
            feed.slots,
            feed.minOwners,
            address(feed.clerkVerifier),
            feed.finalizeVerifier
        );
    }

    /// @notice Adds (or removes) data owners whose contributions a feed's values may combine.
    /// @param feedId Feed.
    /// @param owners Their addresses (the keys their nodes sign anchors with).
    /// @param allowed Whether they count.
    function setFeedOwners(bytes32 feedId, address[] calldata owners, bool allowed)
        external
        onlyOwner
    {
        for (uint256 i; i < owners.length; ++i) {
            isFeedOwner[feedId][owners[i]] = allowed;
            emit FeedOwnerSet(feedId, owners[i], allowed);
        }
    }

    /// @notice The digest a data owner signs for its `anchor` in request `requestId`.
    /// @param requestId Request.
    /// @param anchor The owner's anchor.
    /// @return The digest (signed as is, no prefix).
    function anchorDigest(uint256 requestId, uint256 anchor) public view returns (bytes32) {
        return
            keccak256(abi.encode(ANCHOR_TYPEHASH, block.chainid, address(this), requestId, anchor));
    }

    /// @notice A feed's definition; reverts for an unknown feed.
    /// @param feedId Feed.
    /// @return The definition.
    function feeds(bytes32 feedId) external view returns (Feed memory) {
        Feed memory f = _feeds[feedId];
        if (f.threshold == 0) revert UnknownFeed(feedId);
        return f;
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
        if (_feeds[feedId].threshold == 0) revert UnknownFeed(feedId);
        requestId = nextRequestId++;
        uint64 expiresAt = uint64(block.timestamp) + ttl;
        requests[requestId] = Request({
            requester: msg.sender,
            expiresAt: expiresAt,
            callbackGasLimit: callbackGasLimit,
            open: true,
            callback: callback,
            fee: fee,
            minJobId: uint64(market.nextJobId()),
            feedId: feedId
        });
        emit Requested(requestId, msg.sender, feedId, fee, callback, callbackGasLimit, expiresAt);
        if (fee != 0) token.safeTransferFrom(msg.sender, address(this), fee);
    }

    /// @notice The proofs behind a value.
    struct ValueProof {
        /// @dev The owners' anchors by contributor position (0: an absent slot).
        uint256[] anchors;
        /// @dev Each present anchor's signature by its owner (`anchorDigest`).
        bytes[] anchorSignatures;
        /// @dev The clerks' (or members') indices, strictly increasing, `threshold` of them.
        uint256[] clerkIndices;
        /// @dev Each clerk's commitment to its share sum (member's: to its shares).
        uint256[] clerkCommitments;
        /// @dev Each clerk's proof of its sum (member's: of its shares).
        uint256[8][] clerkProofs;
        /// @dev he-linear feeds: the key committee's digest (its threshold and keys),
        ///      which the owners' anchors bind. Ignored for secagg-sum feeds.
        uint256 keyDigest;
        /// @dev he-linear feeds: the digest of the ciphertext sums the members decrypt,
        ///      which the finalize proof opens from the job's inputs. Ignored otherwise.
        uint256 sumDigest;
        /// @dev The finalize proof of the value.
        uint256[8] finalize;
    }

    /// @notice Fulfils a request with a value proven to be the feed's statistic of a
    ///         completed market job posted after the request. Records the value, credits the
    ///         fee, then calls the callback with its gas limit; a failing callback does not
    ///         revert the fulfilment.
    /// @param requestId Request.
    /// @param value The value (`|value| < 2^127`).
    /// @param jobId The completed job backing it.
    /// @param proof The clerks' and the finalize proofs.
    function fulfill(uint256 requestId, int256 value, uint256 jobId, ValueProof calldata proof)
        external
        nonReentrant
    {
        if (!isOracle[msg.sender]) revert NotOracle(msg.sender);
        Request storage r = requests[requestId];
        if (!r.open) revert RequestNotOpen(requestId);
        if (block.timestamp > r.expiresAt) revert RequestExpired(requestId, r.expiresAt);
        if (jobId < r.minJobId) revert JobBeforeRequest(jobId, r.minJobId);
        ComputeMarket.Job memory job = market.jobs(jobId);
        if (job.status != ComputeMarket.Status.Completed) revert JobNotCompleted(jobId);
        address worker = job.worker;
        _checkOwners(requestId, _feeds[r.feedId], r.feedId, proof);
        _checkProof(requestId, _feeds[r.feedId], r.feedId, job, jobId, value, proof);

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

    /// @dev Each present anchor is signed for this request by a distinct data owner of the
    ///      feed, and there are at least the feed's minimum.
    function _checkOwners(
        uint256 requestId,
        Feed storage feed,
        bytes32 feedId,
        ValueProof calldata proof
    ) internal view {
        uint256 n = feed.slots;
        if (proof.anchors.length != n || proof.anchorSignatures.length != n) {
            revert BadAnchors(proof.anchors.length, n);
        }
        address[] memory signers = new address[](n);
        uint256 count;
        for (uint256 i; i < n; ++i) {
            uint256 a = proof.anchors[i];
            if (a == 0) continue;
            (address signer, ECDSA.RecoverError err,) =
                ECDSA.tryRecover(anchorDigest(requestId, a), proof.anchorSignatures[i]);
            if (err != ECDSA.RecoverError.NoError || !isFeedOwner[feedId][signer]) {
                revert NotFeedOwner(i, signer);
            }
            for (uint256 j; j < count; ++j) {
                if (signers[j] == signer) revert NotFeedOwner(i, signer);
            }
            signers[count++] = signer;
        }
        if (count < feed.minOwners) revert TooFewOwners(count, feed.minOwners);
    }

    /// @dev Verifies the clerks' (or members') proofs and the finalize proof of `value` for
    ///      the feed and the job.
    function _checkProof(
        uint256 requestId,
        Feed storage feed,
        bytes32 feedId,
        ComputeMarket.Job memory job,
        uint256 jobId,
        int256 value,
        ValueProof calldata proof
    ) internal view {
        uint256 t = feed.threshold;
        if (t == 0) revert UnknownFeed(feedId);
        if (job.shape != feed.shape) revert ShapeMismatch(jobId, job.shape, feed.shape);
        if (
            proof.clerkIndices.length != t || proof.clerkCommitments.length != t
                || proof.clerkProofs.length != t
        ) revert BadClerks(proof.clerkIndices.length, t);
        if (value <= -(int256(1) << 127) || value >= int256(1) << 127) {
            revert ValueOutOfRange(value);
        }
        uint256[] memory input = _checkParts(feed, job.inputCommitment, proof);
        // The request and this fulfiller: a proof is not replayed nor copied by another node.
        input[0] = uint256(keccak256(abi.encode(requestId, msg.sender))) % R;
        input[1] = job.inputCommitment;
        input[2] = feed.params;
        input[3] = value < 0 ? R - uint256(-value) : uint256(value);
        if (!_verify(feed.finalizeVerifier, proof.finalize, input)) revert InvalidFinalizeProof();
    }

    /// @dev Verifies the `threshold` clerks' (or members') proofs and returns the finalize
    ///      proof's public inputs, all but the first four filled: their indices and
    ///      commitments, the anchors, and for an he-linear feed the query tag and both
    ///      digests.
    function _checkParts(Feed storage feed, uint256 ic, ValueProof calldata proof)
        internal
        view
        returns (uint256[] memory input)
    {
        uint256 t = feed.threshold;
        uint256 n = feed.slots;
        bool he = feed.kind == KIND_HE_LINEAR;
        // A clerk proves against the job and the query; a member against the sums and the
        // committee, which the finalize proof ties to the job and the owners' anchors.
        (uint256 p0, uint256 p1) = he ? (proof.sumDigest, proof.keyDigest) : (ic, feed.queryTag);
        input = new uint256[](4 + 2 * t + n + (he ? 3 : 0));
        IGroth16Verifier verifier = feed.clerkVerifier;
        uint256 previous;
        for (uint256 k; k < t; ++k) {
            uint256 x = proof.clerkIndices[k];
            // Strictly increasing: distinct clerks (and no index 0).
            if (x <= previous) revert BadClerks(t, t);
            previous = x;
            uint256 c = proof.clerkCommitments[k];
            if (!verifier.verifyProof(proof.clerkProofs[k], [p0, p1, x, c])) {
                revert InvalidClerkProof(k);
            }
            input[4 + k] = x;
            input[4 + t + k] = c;
        }
        for (uint256 i; i < n; ++i) {
            input[4 + 2 * t + i] = proof.anchors[i];
        }
        if (he) {
            input[4 + 2 * t + n] = feed.queryTag;
            input[5 + 2 * t + n] = p1;
            input[6 + 2 * t + n] = p0;
        }
    }

    /// @dev Calls `verifyProof(uint256[8], uint256[n])` of a generated verifier.
    function _verify(address verifier, uint256[8] calldata proof, uint256[] memory input)
        internal
        view
        returns (bool)
    {
        bytes4 selector = bytes4(
            keccak256(
                bytes(
                    string.concat(
                        "verifyProof(uint256[8],uint256[", Strings.toString(input.length), "])"
                    )
                )
            )
        );
        (bool ok, bytes memory ret) =
            verifier.staticcall(abi.encodePacked(selector, abi.encode(proof), input));
        return ok && ret.length == 32 && abi.decode(ret, (bool));
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
