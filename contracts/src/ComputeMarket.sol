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
/// @notice Requesters post jobs with an escrowed reward; staked workers are assigned jobs
///         (by the requester, or by accepting an EIP-712 assignment the requester signed),
///         compute them off-chain and submit the output commitment with a Groth16 proof that
///         this contract checks through the job shape's verifier before crediting the reward.
///         Payments are pulled with `claim`. A missed deadline slashes the stake the worker
///         locked for the job (split between requester and treasury) and reopens the job for
///         another worker; the requester may instead cancel it and take the reward back.
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

    /// @notice A posted job (4 storage slots; `deadline` fits until 2106). The verifier is
    ///         pinned when the job is posted: changing the shape registry never changes the
    ///         rules of a job already in flight.
    struct Job {
        address requester;
        uint32 deadline;
        uint32 shape;
        uint8 kind;
        Status status;
        uint16 attempts;
        address worker;
        uint96 reward;
        uint96 minStake;
        IGroth16Verifier verifier;
        uint256 inputCommitment;
    }

    /// @notice An account's balances held by the market.
    struct Account {
        uint128 stake;
        uint128 unbonding;
        uint128 locked;
        uint128 credit;
        uint64 unbondingReadyAt;
    }

    /// @dev BN254 scalar field modulus; commitments must be below it.
    uint256 internal constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice Basis-point denominator.
    uint256 public constant BPS = 10_000;
    /// @notice Upper bound of the posting fee.
    uint256 public constant MAX_FEE_BPS = 1_000;
    /// @notice EIP-712 type of a requester-signed assignment.
    bytes32 public constant ASSIGNMENT_TYPEHASH =
        keccak256("Assignment(uint256 jobId,address worker,uint16 attempt,uint64 acceptBy)");

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
    /// @notice Id of the next job.
    uint256 public nextJobId = 1;

    /// @notice Shape registry: shape id => verifier.
    mapping(uint32 shape => IGroth16Verifier) public verifierOf;
    /// @notice Jobs by id.
    mapping(uint256 jobId => Job) public jobs;
    /// @notice Balances by account.
    mapping(address account => Account) public accounts;

    /// @notice A shape's verifier was set.
    event VerifierSet(uint32 indexed shape, address verifier);
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
    /// @notice A job was assigned to a worker, whose stake is locked.
    event JobAssigned(uint256 indexed jobId, address indexed worker, uint16 attempt);
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
    error BadChunks(uint256 jobId, uint256 chunks);
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

    /// @notice Registers (or replaces) the verifier of a circuit shape.
    /// @param shape Shape id.
    /// @param verifier Verifier contract generated from the shape's verifying key.
    function setVerifier(uint32 shape, IGroth16Verifier verifier) external onlyOwner {
        verifierOf[shape] = verifier;
        emit VerifierSet(shape, address(verifier));
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
        if (inputCommitment >= R) revert NotInField(inputCommitment);
        if (reward == 0) revert ZeroAmount();
        if (reward > type(uint96).max) revert AmountTooLarge(reward);
        if (minStake > type(uint96).max) revert AmountTooLarge(minStake);
        if (deadline <= block.timestamp || deadline > type(uint32).max) {
            revert DeadlineInPast(deadline);
        }
        uint256 fee = reward * feeBps / BPS;
        jobId = nextJobId++;
        jobs[jobId] = Job({
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
            inputCommitment: inputCommitment
        });
        if (fee != 0) accounts[treasury].credit += fee.toUint128();
        emit JobPosted(
            jobId, msg.sender, kind, shape, inputCommitment, reward, deadline, minStake, fee
        );
        token.safeTransferFrom(msg.sender, address(this), reward + fee);
    }

    /// @notice Assigns an open job to a worker (the requester picks a bid).
    /// @param jobId Job.
    /// @param worker Worker address.
    function assign(uint256 jobId, address worker) external {
        Job storage job = jobs[jobId];
        if (job.requester != msg.sender) revert NotRequester(jobId);
        _assign(jobId, job, worker);
    }

    /// @notice Takes an open job with an assignment the requester signed (EIP-712
    ///         `Assignment(jobId, worker, attempt, acceptBy)`; ERC-1271 for contract requesters).
    /// @param jobId Job.
    /// @param acceptBy Last second the assignment may be accepted.
    /// @param signature The requester's signature.
    function acceptAssignment(uint256 jobId, uint64 acceptBy, bytes calldata signature) external {
        if (block.timestamp > acceptBy) revert AssignmentExpired(acceptBy);
        Job storage job = jobs[jobId];
        bytes32 digest = assignmentDigest(jobId, msg.sender, job.attempts, acceptBy);
        if (!SignatureChecker.isValidSignatureNow(job.requester, digest, signature)) {
            revert BadAssignmentSignature();
        }
        _assign(jobId, job, msg.sender);
    }

    /// @notice The EIP-712 digest a requester signs to let `worker` take attempt `attempt`
    ///         of job `jobId` until `acceptBy`.
    /// @param jobId Job.
    /// @param worker Worker allowed to accept.
    /// @param attempt The job's current `attempts` (a signature dies when the job is reopened).
    /// @param acceptBy Expiry of the assignment offer.
    /// @return The digest.
    function assignmentDigest(uint256 jobId, address worker, uint16 attempt, uint64 acceptBy)
        public
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(
            keccak256(abi.encode(ASSIGNMENT_TYPEHASH, jobId, worker, attempt, acceptBy))
        );
    }

    function _assign(uint256 jobId, Job storage job, address worker) internal {
        if (job.status != Status.Open) revert WrongStatus(jobId, job.status);
        if (block.timestamp > job.deadline) revert DeadlinePassed(jobId, job.deadline);
        Account storage a = accounts[worker];
        uint256 free = a.stake - a.locked;
        uint256 needed = job.minStake > minWorkerStake ? job.minStake : minWorkerStake;
        if (free < needed || free == 0) revert InsufficientStake(worker, free, needed);
        a.locked += job.minStake;
        job.worker = worker;
        job.status = Status.Assigned;
        emit JobAssigned(jobId, worker, job.attempts);
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
        IGroth16Verifier verifier = job.verifier;
        uint256 worker = uint256(uint160(msg.sender));
        for (uint256 i; i < n; ++i) {
            uint256[4] memory input = [jobId, worker, inputCommitments[i], outputCommitments[i]];
            if (!verifier.verifyProof(proofs[i], input)) revert InvalidProof(jobId);
        }
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
        job = jobs[jobId];
        if (job.status != Status.Assigned) revert WrongStatus(jobId, job.status);
        if (job.worker != msg.sender) revert NotAssignedWorker(jobId, msg.sender);
        if (block.timestamp > job.deadline) revert DeadlinePassed(jobId, job.deadline);
    }

    /// @dev Marks the job completed and credits the worker (pull payment).
    function _complete(uint256 jobId, Job storage job, uint256 outputCommitment) private {
        job.status = Status.Completed;
        uint96 reward = job.reward;
        Account storage a = accounts[msg.sender];
        a.locked -= job.minStake;
        a.credit += reward;
        emit JobCompleted(jobId, msg.sender, outputCommitment, reward);
    }

    /// @notice Cancels an open (unassigned or reopened) job; the reward is credited back.
    ///         The posting fee is not refunded.
    /// @param jobId Job.
    function cancel(uint256 jobId) external {
        Job storage job = jobs[jobId];
        if (job.requester != msg.sender) revert NotRequester(jobId);
        if (job.status != Status.Open) revert WrongStatus(jobId, job.status);
        job.status = Status.Cancelled;
        uint96 reward = job.reward;
        accounts[msg.sender].credit += reward;
        emit JobCancelled(jobId, reward);
    }

    /// @notice Moves an open job's deadline (e.g. to reassign it after an expiry).
    /// @param jobId Job.
    /// @param deadline New deadline, in the future.
    function extendDeadline(uint256 jobId, uint64 deadline) external {
        Job storage job = jobs[jobId];
        if (job.requester != msg.sender) revert NotRequester(jobId);
        if (job.status != Status.Open) revert WrongStatus(jobId, job.status);
        if (deadline <= block.timestamp || deadline > type(uint32).max) {
            revert DeadlineInPast(deadline);
        }
        job.deadline = uint32(deadline);
        emit DeadlineExtended(jobId, deadline);
    }

    /// @notice After a missed deadline, anyone may expire an assigned job: the worker's
    ///         locked stake is slashed (split between requester and treasury) and the job
    ///         reopens for another worker, or for the requester to cancel.
    /// @param jobId Job.
    function expire(uint256 jobId) external {
        Job storage job = jobs[jobId];
        if (job.status != Status.Assigned) revert WrongStatus(jobId, job.status);
        if (block.timestamp <= job.deadline) revert DeadlineNotPassed(jobId, job.deadline);
        address worker = job.worker;
        uint128 slashed = job.minStake;
        Account storage w = accounts[worker];
        w.locked -= slashed;
        w.stake -= slashed;
        uint128 toRequester = uint128(uint256(slashed) * slashToRequesterBps / BPS);
        uint128 toTreasury = slashed - toRequester;
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
    function stakeOf(address worker)
        external
        view
        returns (uint256 staked, uint256 locked, uint256 unbonding, uint64 readyAt)
    {
        Account storage a = accounts[worker];
        return (a.stake, a.locked, a.unbonding, a.unbondingReadyAt);
    }
}
