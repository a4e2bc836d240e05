// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IGroth16Verifier} from "./interfaces/IGroth16Verifier.sol";

/// @title Arcanum compute market
/// @notice Requesters post jobs with an escrowed reward. A worker's stake is locked for a job
///         only by the worker's own act: its EIP-712 `Bid` that the requester submits
///         (`assignWithBid`), or its own transaction accepting a requester-signed `Assignment`
///         (`acceptAssignment`). The worker is paid its ask; the rest of the escrow is credited
///         back to the requester when the job is assigned. Workers compute off-chain and
///         submit the output commitment with a Groth16 proof that this contract checks
///         through the job shape's verifier before crediting the ask. Payments are pulled
///         with `claim`. A missed deadline slashes the stake the worker locked for the job and
///         reopens it; the requester's share of a slash is capped at its posting fee (nobody
///         profits from a slash it can cause), the rest goes to the treasury. A worker that
///         did not receive inputs opening the posted commitment may `release` the job without
///         slash within the start window.
/// @dev Proof public inputs are `[jobId, uint160(worker), inputCommitment, outputCommitment]`,
///      so a proof can be neither replayed for another job nor submitted by another address.
///      Storage is packed so that settlement touches few slots: a worker's `locked` stake and
///      `credit` share one slot, and the output commitment lives in the `JobCompleted` event.
contract ComputeMarket is Ownable2Step, ReentrancyGuard, EIP712 {
    using SafeERC20 for IERC20;
    using SafeCast for uint256;

    /// @notice Lifecycle of a job. `Completed` and `Cancelled` are final; `Assigned` returns
    ///         to `Open` only through `expire`, which increments `attempts`.
    enum Status {
        None,
        Open,
        Assigned,
        Completed,
        Cancelled
    }

    /// @notice A posted job (5 storage slots; `deadline` fits until 2106). The verifier is
    ///         pinned when the job is posted: changing the shape registry never changes the
    ///         rules of a job already in flight. Settlement reads only the first four.
    struct Job {
        address requester;
        uint32 deadline;
        uint32 shape;
        uint8 kind;
        Status status;
        uint16 attempts;
        address worker;
        /// @dev Escrow: the posted reward until assignment, then the assigned worker's ask
        ///      (the difference was credited to, or drawn from, the requester).
        uint96 reward;
        uint96 minStake;
        IGroth16Verifier verifier;
        uint256 inputCommitment;
        /// @dev Posting fee not yet paid back to the requester out of slashes.
        uint96 feeLeft;
        /// @dev The posted reward: the most any attempt may pay (an ask above it reverts).
        uint96 budget;
        /// @dev When the current assignment was made (start of the release window).
        uint32 assignedAt;
    }

    /// @notice A worker's signed bid for one attempt of one job (EIP-712; ERC-1271 for
    ///         contract workers). The bid dies when the job is reopened (`attempt`), after
    ///         `expiresAt`, and when the job's terms are worse than what it signed: a stake to
    ///         lock above `maxLockedStake` or a deadline before `deadlineAtLeast`.
    struct Bid {
        uint256 jobId;
        address worker;
        uint16 attempt;
        uint256 ask;
        uint256 maxLockedStake;
        uint64 deadlineAtLeast;
        uint64 expiresAt;
    }

    /// @notice An account's balances held by the market.
    struct Account {
        uint128 stake;
        uint128 unbonding;
        uint128 locked;
        uint128 credit;
        uint64 unbondingReadyAt;
        uint32 releases;
    }

    /// @dev BN254 scalar field modulus; commitments must be below it.
    uint256 internal constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice Basis-point denominator.
    uint256 public constant BPS = 10_000;
    /// @notice Upper bound of the posting fee.
    uint256 public constant MAX_FEE_BPS = 1_000;
    /// @notice EIP-712 type of a requester-signed assignment (the worker accepts it itself).
    bytes32 public constant ASSIGNMENT_TYPEHASH = keccak256(
        "Assignment(uint256 jobId,address worker,uint16 attempt,uint256 ask,uint64 acceptBy)"
    );
    /// @notice EIP-712 type of a worker-signed bid (the requester submits it).
    bytes32 public constant BID_TYPEHASH = keccak256(
        "Bid(uint256 jobId,address worker,uint16 attempt,uint256 ask,uint256 maxLockedStake,uint64 deadlineAtLeast,uint64 expiresAt)"
    );
    /// @notice Upper bound of the start window.
    uint32 public constant MAX_START_WINDOW = 1 days;

    /// @notice Token of rewards and stake.
    IERC20 public immutable token;
    /// @notice Seconds between `requestUnbond` and `withdraw`.
    uint64 public immutable unbondingDelay;
    /// @notice Stake a worker must hold to be assigned any job.
    uint256 public minWorkerStake;
    /// @notice Posting fee in basis points of the reward, credited to the treasury.
    uint256 public feeBps;
    /// @notice Share of a slashed stake credited to the requester (the rest to the treasury).
    uint256 public slashToRequesterBps = 5_000;
    /// @notice Receiver of fees and of the treasury share of slashes.
    address public treasury;
    /// @notice Seconds after assignment during which the worker may `release` the job
    ///         without slash (it did not receive inputs opening the posted commitment).
    uint32 public startWindow = 10 minutes;
    /// @notice Id of the next job.
    uint256 public nextJobId = 1;

    /// @notice Shape registry: shape id => verifier.
    mapping(uint32 shape => IGroth16Verifier) public verifierOf;
    /// @notice Shape registry: shape id => the job kind its circuit proves.
    mapping(uint32 shape => uint8) public kindOf;
    /// @dev Jobs by id (read with `jobs`).
    mapping(uint256 jobId => Job) internal _jobs;
    /// @notice Balances by account.
    mapping(address account => Account) public accounts;

    /// @notice A shape's verifier and kind were set.
    event VerifierSet(uint32 indexed shape, uint8 kind, address verifier);
    /// @notice The start window changed.
    event StartWindowSet(uint32 startWindow);
    /// @notice Economic parameters changed.
    event ParametersSet(
        uint256 minWorkerStake, uint256 feeBps, uint256 slashToRequesterBps, address treasury
    );
    /// @notice A worker added stake.
    event Staked(address indexed worker, uint256 amount, uint256 total);
    /// @notice A worker started unbonding stake.
    event UnbondRequested(address indexed worker, uint256 amount, uint64 readyAt);
    /// @notice A worker withdrew unbonded stake.
    event Withdrawn(address indexed worker, uint256 amount);
    /// @notice A job was posted and its reward escrowed.
    event JobPosted(
        uint256 indexed jobId,
        address indexed requester,
        uint8 kind,
        uint32 shape,
        uint256 inputCommitment,
        uint256 reward,
        uint64 deadline,
        uint256 minStake,
        uint256 fee
    );
    /// @notice A job was assigned to a worker, with its consent, at its ask; its stake is
    ///         locked. `refund` was credited to the requester (escrow above the ask), `topUp`
    ///         drawn from it (ask above the escrow left by an earlier attempt).
    event JobAssigned(
        uint256 indexed jobId,
        address indexed worker,
        uint16 attempt,
        uint256 ask,
        uint256 refund,
        uint256 topUp
    );
    /// @notice The assigned worker released the job within the start window, without slash.
    event JobReleased(
        uint256 indexed jobId, address indexed worker, uint16 attempt, uint32 releases
    );
    /// @notice A job's proof verified; the worker was credited.
    event JobCompleted(
        uint256 indexed jobId, address indexed worker, uint256 outputCommitment, uint256 reward
    );
    /// @notice A job was cancelled; the reward was credited back.
    event JobCancelled(uint256 indexed jobId, uint256 refund);
    /// @notice An open job's deadline moved.
    event DeadlineExtended(uint256 indexed jobId, uint64 deadline);
    /// @notice A worker missed a deadline: slashed, and the job reopened.
    event JobExpired(
        uint256 indexed jobId, address indexed worker, uint256 toRequester, uint256 toTreasury
    );
    /// @notice Credit was paid out.
    event Claimed(address indexed account, uint256 amount);

    error UnknownShape(uint32 shape);
    error NotInField(uint256 value);
    error ZeroAmount();
    error AmountTooLarge(uint256 amount);
    error InvalidParameter();
    error DeadlineInPast(uint64 deadline);
    error NotRequester(uint256 jobId);
    error NotAssignedWorker(uint256 jobId, address caller);
    error WrongStatus(uint256 jobId, Status status);
    error DeadlinePassed(uint256 jobId, uint64 deadline);
    error DeadlineNotPassed(uint256 jobId, uint64 deadline);
    error InsufficientStake(address worker, uint256 free, uint256 needed);
    error UnbondingNotReady(uint64 readyAt);
    error InvalidProof(uint256 jobId);
    error AssignmentExpired(uint64 acceptBy);
    error BadAssignmentSignature();
    error KindMismatch(uint32 shape, uint8 expected, uint8 got);
    error BidForOtherJob(uint256 jobId, uint256 bidJobId);
    error BidForOtherAttempt(uint256 jobId, uint16 attempt, uint16 bidAttempt);
    error BidExpired(uint64 expiresAt);
    error StakeAboveBid(uint256 jobId, uint256 minStake, uint256 maxLockedStake);
    error DeadlineBeforeBid(uint256 jobId, uint64 deadline, uint64 deadlineAtLeast);
    error DeadlineNotLater(uint256 jobId, uint64 deadline, uint64 current);
    error BadBidSignature(address worker);
    error StartWindowClosed(uint256 jobId, uint64 closedAt);
    error AskAboveBudget(uint256 jobId, uint256 ask, uint256 budget);
    error BadChunks(uint256 jobId, uint256 chunks);
    /// @notice A batch is empty or its arrays differ in length.
    error BadBatch(uint256 jobs);
    /// @notice The batch's jobs are not all pinned to the first job's verifier.
    error MixedVerifiers(uint256 jobId);
    /// @notice At least one proof of the batch does not verify (settle the jobs one by one
    ///         to find which).
    error InvalidBatch();
    error ChunksDoNotOpenInputCommitment(uint256 jobId);

    /// @param token_ Reward and stake token.
    /// @param unbondingDelay_ Seconds between `requestUnbond` and `withdraw`.
    /// @param minWorkerStake_ Stake needed to take any job.
    /// @param owner_ Administrator (shape registry, parameters).
    /// @param treasury_ Receiver of fees and slashes.
    constructor(
        IERC20 token_,
        uint64 unbondingDelay_,
        uint256 minWorkerStake_,
        address owner_,
        address treasury_
    ) Ownable(owner_) EIP712("Arcanum ComputeMarket", "1") {
        if (treasury_ == address(0)) revert InvalidParameter();
        token = token_;
        unbondingDelay = unbondingDelay_;
        minWorkerStake = minWorkerStake_;
        treasury = treasury_;
    }

    // ----------------------------------------------------------------- admin

    /// @notice Registers (or replaces) the verifier of a circuit shape and the job kind it
    ///         proves. Jobs already posted keep the verifier pinned at posting.
    /// @param shape Shape id.
    /// @param kind Job kind the shape's circuit proves (nonzero).
    /// @param verifier Verifier contract generated from the shape's verifying key (zero:
    ///        the shape takes no more jobs). It must answer `verifyBatch` (batched and
    ///        chunked settlement go through it).
    function setVerifier(uint32 shape, uint8 kind, IGroth16Verifier verifier) external onlyOwner {
        if (kind == 0) revert InvalidParameter();
        if (address(verifier) != address(0)) {
            (bool ok, bytes memory ret) = address(verifier)
                .staticcall(
                    abi.encodeCall(
                        IGroth16Verifier.verifyBatch, (new uint256[8][](0), new uint256[4][](0))
                    )
                );
            if (!ok || ret.length != 32) revert InvalidParameter();
        }
        verifierOf[shape] = verifier;
        kindOf[shape] = kind;
        emit VerifierSet(shape, kind, address(verifier));
    }

    /// @notice Sets the start window (seconds after assignment in which a worker may release).
    /// @param startWindow_ At most `MAX_START_WINDOW`.
    function setStartWindow(uint32 startWindow_) external onlyOwner {
        if (startWindow_ > MAX_START_WINDOW) revert InvalidParameter();
        startWindow = startWindow_;
        emit StartWindowSet(startWindow_);
    }

    /// @notice Sets the economic parameters.
    /// @param minWorkerStake_ Stake every worker must hold.
    /// @param feeBps_ Posting fee, at most `MAX_FEE_BPS`.
    /// @param slashToRequesterBps_ Requester's share of a slash, at most `BPS`.
    /// @param treasury_ Fee and slash receiver.
    function setParameters(
        uint256 minWorkerStake_,
        uint256 feeBps_,
        uint256 slashToRequesterBps_,
        address treasury_
    ) external onlyOwner {
        if (feeBps_ > MAX_FEE_BPS || slashToRequesterBps_ > BPS || treasury_ == address(0)) {
            revert InvalidParameter();
        }
        minWorkerStake = minWorkerStake_;
        feeBps = feeBps_;
        slashToRequesterBps = slashToRequesterBps_;
        treasury = treasury_;
        emit ParametersSet(minWorkerStake_, feeBps_, slashToRequesterBps_, treasury_);
    }

    // --------------------------------------------------------------- workers

    /// @notice Adds `amount` to the caller's stake (needs an ERC-20 allowance).
    /// @param amount Amount to stake.
    function stake(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Account storage a = accounts[msg.sender];
        a.stake += amount.toUint128();
        emit Staked(msg.sender, amount, a.stake);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Starts unbonding `amount` of free (unlocked) stake; withdrawable after the
    ///         delay. A new request restarts the delay for everything unbonding.
    /// @param amount Amount to unbond.
    function requestUnbond(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        Account storage a = accounts[msg.sender];
        uint256 free = a.stake - a.locked;
        if (amount > free) revert InsufficientStake(msg.sender, free, amount);
        a.stake -= uint128(amount);
        a.unbonding += uint128(amount);
        a.unbondingReadyAt = uint64(block.timestamp) + unbondingDelay;
        emit UnbondRequested(msg.sender, amount, a.unbondingReadyAt);
    }

    /// @notice Withdraws all unbonded stake once the delay has passed.
    function withdraw() external nonReentrant {
        Account storage a = accounts[msg.sender];
        if (block.timestamp < a.unbondingReadyAt) revert UnbondingNotReady(a.unbondingReadyAt);
        uint256 amount = a.unbonding;
        if (amount == 0) revert ZeroAmount();
        a.unbonding = 0;
        emit Withdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    // ------------------------------------------------------------------ jobs

    /// @notice Posts a job and escrows its reward plus the posting fee (needs an allowance).
    /// @param kind Job kind (1 secagg-sum, 2 fl-round, 3 he-linear).
    /// @param shape Circuit shape id; must have a registered verifier.
    /// @param inputCommitment Poseidon commitment to the inputs.
    /// @param reward Reward escrowed for the worker.
    /// @param deadline Unix time by which the result must be submitted.
    /// @param minStake Stake the worker locks while the job runs (slashed if it misses).
    /// @return jobId The new job's id.
    function postJob(
        uint8 kind,
        uint32 shape,
        uint256 inputCommitment,
        uint256 reward,
        uint64 deadline,
        uint256 minStake
    ) external nonReentrant returns (uint256 jobId) {
        IGroth16Verifier verifier = verifierOf[shape];
        if (address(verifier) == address(0)) revert UnknownShape(shape);
        uint8 shapeKind = kindOf[shape];
        if (kind != shapeKind) revert KindMismatch(shape, shapeKind, kind);
        if (inputCommitment >= R) revert NotInField(inputCommitment);
        if (reward == 0) revert ZeroAmount();
        if (reward > type(uint96).max) revert AmountTooLarge(reward);
        if (minStake > type(uint96).max) revert AmountTooLarge(minStake);
        if (deadline <= block.timestamp || deadline > type(uint32).max) {
            revert DeadlineInPast(deadline);
        }
        uint256 fee = reward * feeBps / BPS;
        jobId = nextJobId++;
        _jobs[jobId] = Job({
            requester: msg.sender,
            deadline: uint32(deadline),
            shape: shape,
            kind: kind,
            status: Status.Open,
            attempts: 0,
            worker: address(0),
            reward: uint96(reward),
            minStake: uint96(minStake),
            verifier: verifier,
            inputCommitment: inputCommitment,
            feeLeft: uint96(fee),
            budget: uint96(reward),
            assignedAt: 0
        });
        if (fee != 0) accounts[treasury].credit += fee.toUint128();
        emit JobPosted(
            jobId, msg.sender, kind, shape, inputCommitment, reward, deadline, minStake, fee
        );
        token.safeTransferFrom(msg.sender, address(this), reward + fee);
    }

    /// @notice Assigns an open job to the worker that signed `bid` (the requester picked it
    ///         in the reverse auction). The worker's consent is its EIP-712 signature
    ///         (ERC-1271 for contract workers); the bid must be for this job and this attempt,
    ///         unexpired, and accept the job's stake and deadline. Escrow above the ask is
    ///         credited back to the requester; an ask above the escrow left by an earlier
    ///         attempt is drawn from the requester's credit, then its allowance.
    /// @param bid The worker's bid.
    /// @param signature The worker's signature over `bidDigest(bid)`.
    function assignWithBid(Bid calldata bid, bytes calldata signature) external nonReentrant {
        uint256 jobId = bid.jobId;
        Job storage job = _jobs[jobId];
        if (job.requester != msg.sender) revert NotRequester(jobId);
        if (block.timestamp > bid.expiresAt) revert BidExpired(bid.expiresAt);
        if (bid.attempt != job.attempts) {
            revert BidForOtherAttempt(jobId, job.attempts, bid.attempt);
        }
        if (job.minStake > bid.maxLockedStake) {
            revert StakeAboveBid(jobId, job.minStake, bid.maxLockedStake);
        }
        if (job.deadline < bid.deadlineAtLeast) {
            revert DeadlineBeforeBid(jobId, job.deadline, bid.deadlineAtLeast);
        }
        if (!SignatureChecker.isValidSignatureNow(bid.worker, bidDigest(bid), signature)) {
            revert BadBidSignature(bid.worker);
        }
        _assign(jobId, job, bid.worker, bid.ask);
    }

    /// @notice Takes an open job at the price the requester signed (EIP-712
    ///         `Assignment(jobId, worker, attempt, ask, acceptBy)`; ERC-1271 for contract
    ///         requesters). The caller's transaction is its consent.
    /// @param jobId Job.
    /// @param ask Price the requester offered; the caller is paid this on settlement.
    /// @param acceptBy Last second the assignment may be accepted.
    /// @param signature The requester's signature.
    function acceptAssignment(uint256 jobId, uint256 ask, uint64 acceptBy, bytes calldata signature)
        external
        nonReentrant
    {
        if (block.timestamp > acceptBy) revert AssignmentExpired(acceptBy);
        Job storage job = _jobs[jobId];
        bytes32 digest = assignmentDigest(jobId, msg.sender, job.attempts, ask, acceptBy);
        if (!SignatureChecker.isValidSignatureNow(job.requester, digest, signature)) {
            revert BadAssignmentSignature();
        }
        _assign(jobId, job, msg.sender, ask);
    }

    /// @notice The EIP-712 digest a requester signs to let `worker` take attempt `attempt`
    ///         of job `jobId` at price `ask` until `acceptBy`.
    /// @param jobId Job.
    /// @param worker Worker allowed to accept.
    /// @param attempt The job's current `attempts` (a signature dies when the job is reopened).
    /// @param ask Price the worker is paid.
    /// @param acceptBy Expiry of the assignment offer.
    /// @return The digest.
    function assignmentDigest(
        uint256 jobId,
        address worker,
        uint16 attempt,
        uint256 ask,
        uint64 acceptBy
    ) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(ASSIGNMENT_TYPEHASH, jobId, worker, attempt, ask, acceptBy))
        );
    }

    /// @notice The EIP-712 digest a worker signs to bid for a job.
    /// @param bid The bid.
    /// @return The digest.
    function bidDigest(Bid calldata bid) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    BID_TYPEHASH,
                    bid.jobId,
                    bid.worker,
                    bid.attempt,
                    bid.ask,
                    bid.maxLockedStake,
                    bid.deadlineAtLeast,
                    bid.expiresAt
                )
            )
        );
    }

    /// @dev Locks the consenting worker's stake and sets the escrow to its ask.
    function _assign(uint256 jobId, Job storage job, address worker, uint256 ask) internal {
        if (job.status != Status.Open) revert WrongStatus(jobId, job.status);
        if (block.timestamp > job.deadline) revert DeadlinePassed(jobId, job.deadline);
        if (ask == 0) revert ZeroAmount();
        if (ask > job.budget) revert AskAboveBudget(jobId, ask, job.budget);
        Account storage a = accounts[worker];
        uint256 free = a.stake - a.locked;
        uint256 needed = job.minStake > minWorkerStake ? job.minStake : minWorkerStake;
        if (free < needed || free == 0) revert InsufficientStake(worker, free, needed);
        a.locked += job.minStake;
        uint256 escrow = job.reward;
        uint256 refund;
        uint256 topUp;
        if (ask < escrow) {
            refund = escrow - ask;
            accounts[job.requester].credit += refund.toUint128();
        } else if (ask > escrow) {
            topUp = ask - escrow;
        }
        job.reward = uint96(ask);
        job.worker = worker;
        job.status = Status.Assigned;
        job.assignedAt = uint32(block.timestamp);
        emit JobAssigned(jobId, worker, job.attempts, ask, refund, topUp);
        if (topUp != 0) _drawFromRequester(job.requester, topUp);
    }

    /// @dev Takes `amount` from the requester's credit, and what it lacks from its allowance.
    function _drawFromRequester(address requester, uint256 amount) private {
        Account storage r = accounts[requester];
        uint256 fromCredit = amount < r.credit ? amount : r.credit;
        r.credit -= uint128(fromCredit);
        if (amount > fromCredit) {
            token.safeTransferFrom(requester, address(this), amount - fromCredit);
        }
    }

    /// @notice The assigned worker gives the job back without slash, within `startWindow`
    ///         of the assignment (and before the deadline): for a worker that did not receive
    ///         inputs opening the posted commitment. The job reopens (`attempts` grows, so
    ///         every outstanding bid dies); releases are counted per worker.
    /// @param jobId Job.
    function release(uint256 jobId) external {
        Job storage job = _jobs[jobId];
        if (job.status != Status.Assigned) revert WrongStatus(jobId, job.status);
        if (job.worker != msg.sender) revert NotAssignedWorker(jobId, msg.sender);
        uint64 closesAt = uint64(job.assignedAt) + startWindow;
        if (job.deadline < closesAt) closesAt = job.deadline;
        if (block.timestamp > closesAt) revert StartWindowClosed(jobId, closesAt);
        Account storage w = accounts[msg.sender];
        w.locked -= job.minStake;
        w.releases += 1;
        uint16 attempt = job.attempts;
        job.status = Status.Open;
        job.worker = address(0);
        job.attempts = attempt + 1;
        emit JobReleased(jobId, msg.sender, attempt, w.releases);
    }

    /// @notice Submits a job's output commitment with a proof; on success the job completes,
    ///         the worker's stake is unlocked and the reward credited.
    /// @param jobId Job.
    /// @param outputCommitment Poseidon commitment to the output.
    /// @param proof Groth16 proof in EVM calldata order.
    function submitResult(uint256 jobId, uint256 outputCommitment, uint256[8] calldata proof)
        external
    {
        Job storage job = _submittable(jobId);
        // The verifier reverts with PublicInputNotInField for an out-of-field commitment.
        uint256[4] memory input =
            [jobId, uint256(uint160(msg.sender)), job.inputCommitment, outputCommitment];
        if (!job.verifier.verifyProof(proof, input)) revert InvalidProof(jobId);
        _complete(jobId, job, outputCommitment);
    }

    /// @notice Settles several of the caller's assigned jobs in one transaction, with one
    ///         batched pairing check under their common verifier (random linear combination:
    ///         `IGroth16Verifier.verifyBatch`). All or nothing: a single invalid proof fails
    ///         the whole batch with `InvalidBatch` (settle one by one then); a job repeated in
    ///         the batch fails with `WrongStatus`.
    /// @param jobIds Assigned jobs, all pinned to the same verifier.
    /// @param outputCommitments Each job's output commitment.
    /// @param proofs Each job's proof, public inputs `[jobId, worker, ic, oc]`.
    function submitResults(
        uint256[] calldata jobIds,
        uint256[] calldata outputCommitments,
        uint256[8][] calldata proofs
    ) external {
        uint256 n = jobIds.length;
        if (n == 0 || outputCommitments.length != n || proofs.length != n) revert BadBatch(n);
        uint256[4][] memory inputs = new uint256[4][](n);
        uint256 worker = uint256(uint160(msg.sender));
        IGroth16Verifier verifier;
        for (uint256 k; k < n; ++k) {
            uint256 jobId = jobIds[k];
            Job storage job = _submittable(jobId);
            if (k == 0) verifier = job.verifier;
            else if (job.verifier != verifier) revert MixedVerifiers(jobId);
            inputs[k] = [jobId, worker, job.inputCommitment, outputCommitments[k]];
            // Marked completed at once: the same job twice fails the second time.
            _complete(jobId, job, outputCommitments[k]);
        }
        // The verifier is the one pinned at posting (a view: no reentrancy); the batch
        // reverts as a whole if it fails.
        if (!verifier.verifyBatch(proofs, inputs)) revert InvalidBatch();
    }

    /// @notice Settles a job too large for one circuit: its inputs were split into chunks
    ///         of the job's shape and each chunk proven on its own, under the verifier
    ///         pinned at posting. The job's input commitment must be the combination of the
    ///         chunks' input commitments, `uint256(keccak256(abi.encodePacked(ics))) % r`;
    ///         the output commitment recorded is the same combination of the chunks' output
    ///         commitments, in the same order.
    /// @param jobId Assigned job.
    /// @param inputCommitments Each chunk's input commitment, in chunk order (at least 2).
    /// @param outputCommitments Each chunk's output commitment.
    /// @param proofs Each chunk's proof, public inputs `[jobId, worker, ic_i, oc_i]`.
    function submitChunkedResult(
        uint256 jobId,
        uint256[] calldata inputCommitments,
        uint256[] calldata outputCommitments,
        uint256[8][] calldata proofs
    ) external {
        Job storage job = _submittable(jobId);
        uint256 n = inputCommitments.length;
        if (n < 2 || outputCommitments.length != n || proofs.length != n) {
            revert BadChunks(jobId, n);
        }
        if (combineCommitments(inputCommitments) != job.inputCommitment) {
            revert ChunksDoNotOpenInputCommitment(jobId);
        }
        uint256 worker = uint256(uint160(msg.sender));
        uint256[4][] memory inputs = new uint256[4][](n);
        for (uint256 i; i < n; ++i) {
            inputs[i] = [jobId, worker, inputCommitments[i], outputCommitments[i]];
        }
        // The chunks' proofs in one batched pairing check.
        if (!job.verifier.verifyBatch(proofs, inputs)) revert InvalidProof(jobId);
        _complete(jobId, job, combineCommitments(outputCommitments));
    }

    /// @notice The combined commitment of a chunked job:
    ///         `uint256(keccak256(abi.encodePacked(commitments))) % r`.
    /// @param commitments Chunk commitments, in chunk order.
    /// @return The combination, a BN254 scalar field element.
    function combineCommitments(uint256[] calldata commitments) public pure returns (uint256) {
        return uint256(keccak256(abi.encodePacked(commitments))) % R;
    }

    /// @dev The job, if the caller may submit its result now.
    function _submittable(uint256 jobId) private view returns (Job storage job) {
        job = _jobs[jobId];
        if (job.status != Status.Assigned) revert WrongStatus(jobId, job.status);
        if (job.worker != msg.sender) revert NotAssignedWorker(jobId, msg.sender);
        if (block.timestamp > job.deadline) revert DeadlinePassed(jobId, job.deadline);
    }

    /// @dev Marks the job completed and credits the worker its ask (pull payment).
    function _complete(uint256 jobId, Job storage job, uint256 outputCommitment) private {
        job.status = Status.Completed;
        uint96 reward = job.reward;
        Account storage a = accounts[msg.sender];
        a.locked -= job.minStake;
        a.credit += reward;
        emit JobCompleted(jobId, msg.sender, outputCommitment, reward);
    }

    /// @notice Cancels an open (unassigned or reopened) job; the escrow is credited back.
    ///         The posting fee is not refunded (beyond what slashes already paid back).
    /// @param jobId Job.
    function cancel(uint256 jobId) external {
        Job storage job = _jobs[jobId];
        if (job.requester != msg.sender) revert NotRequester(jobId);
        if (job.status != Status.Open) revert WrongStatus(jobId, job.status);
        job.status = Status.Cancelled;
        uint96 reward = job.reward;
        accounts[msg.sender].credit += reward;
        emit JobCancelled(jobId, reward);
    }

    /// @notice Moves an open job's deadline later (e.g. to reassign it after an expiry).
    ///         Never earlier: a worker's `acceptAssignment` transaction consents to the
    ///         deadline it read, which the requester must not shorten under it.
    /// @param jobId Job.
    /// @param deadline New deadline, in the future and after the current one.
    function extendDeadline(uint256 jobId, uint64 deadline) external {
        Job storage job = _jobs[jobId];
        if (job.requester != msg.sender) revert NotRequester(jobId);
        if (job.status != Status.Open) revert WrongStatus(jobId, job.status);
        if (deadline <= block.timestamp || deadline > type(uint32).max) {
            revert DeadlineInPast(deadline);
        }
        if (deadline <= job.deadline) revert DeadlineNotLater(jobId, deadline, job.deadline);
        job.deadline = uint32(deadline);
        emit DeadlineExtended(jobId, deadline);
    }

    /// @notice After a missed deadline, anyone may expire an assigned job: the worker's
    ///         locked stake is slashed and the job reopens for another worker, or for the
    ///         requester to cancel. The requester gets `slashToRequesterBps` of the slash but
    ///         never more, over all attempts, than the posting fee it paid (a requester that
    ///         withholds inputs must not profit from the slash it caused); the rest goes to
    ///         the treasury.
    /// @param jobId Job.
    function expire(uint256 jobId) external {
        Job storage job = _jobs[jobId];
        if (job.status != Status.Assigned) revert WrongStatus(jobId, job.status);
        if (block.timestamp <= job.deadline) revert DeadlineNotPassed(jobId, job.deadline);
        address worker = job.worker;
        uint128 slashed = job.minStake;
        Account storage w = accounts[worker];
        w.locked -= slashed;
        w.stake -= slashed;
        uint256 share = uint256(slashed) * slashToRequesterBps / BPS;
        uint96 feeLeft = job.feeLeft;
        uint128 toRequester = uint128(share < feeLeft ? share : feeLeft);
        uint128 toTreasury = slashed - toRequester;
        job.feeLeft = feeLeft - uint96(toRequester);
        accounts[job.requester].credit += toRequester;
        accounts[treasury].credit += toTreasury;
        job.status = Status.Open;
        job.worker = address(0);
        job.attempts += 1;
        emit JobExpired(jobId, worker, toRequester, toTreasury);
    }

    /// @notice Pays out the caller's credit.
    /// @return amount Amount paid.
    function claim() external nonReentrant returns (uint256 amount) {
        Account storage a = accounts[msg.sender];
        amount = a.credit;
        if (amount == 0) revert ZeroAmount();
        a.credit = 0;
        emit Claimed(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @notice A job's record (zeroed for an unknown id).
    /// @param jobId Job.
    /// @return The job.
    function jobs(uint256 jobId) external view returns (Job memory) {
        return _jobs[jobId];
    }

    /// @notice Claimable credit of `account`.
    /// @param account Account.
    /// @return Credit.
    function credit(address account) external view returns (uint256) {
        return accounts[account].credit;
    }

    /// @notice A worker's stake figures.
    /// @param worker Worker.
    /// @return staked Total stake (free plus locked).
    /// @return locked Stake locked by assigned jobs.
    /// @return unbonding Stake waiting for the unbonding delay.
    /// @return readyAt When `unbonding` can be withdrawn.
    /// @return releases Jobs the worker released within the start window (for schedulers).
    function stakeOf(address worker)
        external
        view
        returns (uint256 staked, uint256 locked, uint256 unbonding, uint64 readyAt, uint32 releases)
    {
        Account storage a = accounts[worker];
        return (a.stake, a.locked, a.unbonding, a.unbondingReadyAt, a.releases);
    }

    /// @notice Stake not locked by any job: what a new job may lock.
    /// @param worker Worker.
    /// @return Free stake.
    function freeStake(address worker) external view returns (uint256) {
        Account storage a = accounts[worker];
        return a.stake - a.locked;
    }
}
