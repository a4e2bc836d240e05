// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IGroth16Verifier} from "./interfaces/IGroth16Verifier.sol";

/// @title Arcanum compute market
/// @notice Requesters post jobs with an escrowed reward; staked workers are assigned jobs,
///         compute them off-chain and submit the output commitment with a Groth16 proof that
///         this contract checks through the job shape's verifier before crediting the reward.
///         Payments are pulled with `claim`. A missed deadline refunds the requester and
///         slashes the stake the worker locked for the job.
/// @dev Proof public inputs are `[jobId, uint160(worker), inputCommitment, outputCommitment]`,
///      so a proof can be neither replayed for another job nor submitted by another address.
contract ComputeMarket is Ownable2Step, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice Lifecycle of a job; it only ever moves forward.
    enum Status {
        None,
        Open,
        Assigned,
        Completed,
        Cancelled,
        Expired
    }

    /// @notice A posted job.
    struct Job {
        address requester;
        uint64 deadline;
        uint32 shape;
        address worker;
        uint8 kind;
        Status status;
        uint256 reward;
        uint256 minStake;
        uint256 inputCommitment;
        uint256 outputCommitment;
    }

    /// @notice A worker's stake.
    struct Worker {
        uint256 stake;
        uint256 locked;
        uint256 unbonding;
        uint64 unbondingReadyAt;
    }

    /// @dev BN254 scalar field modulus; commitments must be below it.
    uint256 internal constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice Token of rewards and stake.
    IERC20 public immutable token;
    /// @notice Seconds between `requestUnbond` and `withdraw`.
    uint64 public immutable unbondingDelay;
    /// @notice Stake a worker must hold to be assigned any job.
    uint256 public minWorkerStake;
    /// @notice Id of the next job.
    uint256 public nextJobId = 1;

    /// @notice Shape registry: shape id => verifier.
    mapping(uint32 shape => IGroth16Verifier) public verifierOf;
    /// @notice Jobs by id.
    mapping(uint256 jobId => Job) public jobs;
    /// @notice Worker stakes.
    mapping(address worker => Worker) public workers;
    /// @notice Credit withdrawable with `claim`.
    mapping(address account => uint256) public credit;

    /// @notice A shape's verifier was set.
    event VerifierSet(uint32 indexed shape, address verifier);
    /// @notice The minimum worker stake changed.
    event MinWorkerStakeSet(uint256 amount);
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
        uint256 minStake
    );
    /// @notice A job was assigned to a worker, whose stake is locked.
    event JobAssigned(uint256 indexed jobId, address indexed worker);
    /// @notice A job's proof verified; the worker was credited.
    event JobCompleted(
        uint256 indexed jobId, address indexed worker, uint256 outputCommitment, uint256 reward
    );
    /// @notice A job was cancelled before assignment; the reward was credited back.
    event JobCancelled(uint256 indexed jobId);
    /// @notice A job's deadline passed unfulfilled: refunded and the worker slashed.
    event JobExpired(uint256 indexed jobId, address indexed worker, uint256 slashed);
    /// @notice Credit was paid out.
    event Claimed(address indexed account, uint256 amount);

    error UnknownShape(uint32 shape);
    error NotInField(uint256 value);
    error ZeroAmount();
    error DeadlineInPast(uint64 deadline);
    error NotRequester(uint256 jobId);
    error NotAssignedWorker(uint256 jobId, address caller);
    error WrongStatus(uint256 jobId, Status status);
    error DeadlinePassed(uint256 jobId, uint64 deadline);
    error DeadlineNotPassed(uint256 jobId, uint64 deadline);
    error InsufficientStake(address worker, uint256 free, uint256 needed);
    error UnbondingNotReady(uint64 readyAt);
    error InvalidProof(uint256 jobId);

    /// @param token_ Reward and stake token.
    /// @param unbondingDelay_ Seconds between `requestUnbond` and `withdraw`.
    /// @param minWorkerStake_ Stake needed to take any job.
    /// @param owner_ Administrator of the shape registry.
    constructor(IERC20 token_, uint64 unbondingDelay_, uint256 minWorkerStake_, address owner_)
        Ownable(owner_)
    {
        token = token_;
        unbondingDelay = unbondingDelay_;
        minWorkerStake = minWorkerStake_;
    }

    // ----------------------------------------------------------------- admin

    /// @notice Registers (or replaces) the verifier of a circuit shape.
    /// @param shape Shape id.
    /// @param verifier Verifier contract generated from the shape's verifying key.
    function setVerifier(uint32 shape, IGroth16Verifier verifier) external onlyOwner {
        verifierOf[shape] = verifier;
        emit VerifierSet(shape, address(verifier));
    }

    /// @notice Sets the stake every worker must hold.
    /// @param amount Minimum stake.
    function setMinWorkerStake(uint256 amount) external onlyOwner {
        minWorkerStake = amount;
        emit MinWorkerStakeSet(amount);
    }

    // --------------------------------------------------------------- workers

    /// @notice Adds `amount` to the caller's stake (needs an ERC-20 allowance).
    /// @param amount Amount to stake.
    function stake(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Worker storage w = workers[msg.sender];
        w.stake += amount;
        emit Staked(msg.sender, amount, w.stake);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Starts unbonding `amount` of free (unlocked) stake; withdrawable after the delay.
    /// @param amount Amount to unbond.
    function requestUnbond(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        Worker storage w = workers[msg.sender];
        uint256 free = w.stake - w.locked;
        if (amount > free) revert InsufficientStake(msg.sender, free, amount);
        w.stake -= amount;
        w.unbonding += amount;
        w.unbondingReadyAt = uint64(block.timestamp) + unbondingDelay;
        emit UnbondRequested(msg.sender, amount, w.unbondingReadyAt);
    }

    /// @notice Withdraws all unbonded stake once the delay has passed.
    function withdraw() external nonReentrant {
        Worker storage w = workers[msg.sender];
        if (block.timestamp < w.unbondingReadyAt) revert UnbondingNotReady(w.unbondingReadyAt);
        uint256 amount = w.unbonding;
        if (amount == 0) revert ZeroAmount();
        w.unbonding = 0;
        emit Withdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    // ------------------------------------------------------------------ jobs

    /// @notice Posts a job and escrows its reward (needs an ERC-20 allowance).
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
        if (address(verifierOf[shape]) == address(0)) revert UnknownShape(shape);
        if (inputCommitment >= R) revert NotInField(inputCommitment);
        if (reward == 0) revert ZeroAmount();
        if (deadline <= block.timestamp) revert DeadlineInPast(deadline);
        jobId = nextJobId++;
        jobs[jobId] = Job({
            requester: msg.sender,
            deadline: deadline,
            shape: shape,
            worker: address(0),
            kind: kind,
            status: Status.Open,
            reward: reward,
            minStake: minStake,
            inputCommitment: inputCommitment,
            outputCommitment: 0
        });
        emit JobPosted(jobId, msg.sender, kind, shape, inputCommitment, reward, deadline, minStake);
        token.safeTransferFrom(msg.sender, address(this), reward);
    }

    /// @notice Assigns an open job to a worker (the requester picks a bid); locks the job's
    ///         `minStake` of the worker's free stake.
    /// @param jobId Job.
    /// @param worker Worker address.
    function assign(uint256 jobId, address worker) external {
        Job storage job = jobs[jobId];
        if (job.requester != msg.sender) revert NotRequester(jobId);
        if (job.status != Status.Open) revert WrongStatus(jobId, job.status);
        if (block.timestamp > job.deadline) revert DeadlinePassed(jobId, job.deadline);
        Worker storage w = workers[worker];
        uint256 free = w.stake - w.locked;
        uint256 needed = job.minStake > minWorkerStake ? job.minStake : minWorkerStake;
        if (free < needed || free == 0) revert InsufficientStake(worker, free, needed);
        w.locked += job.minStake;
        job.worker = worker;
        job.status = Status.Assigned;
        emit JobAssigned(jobId, worker);
    }

    /// @notice Submits a job's output commitment with a proof; on success the job completes,
    ///         the worker's stake is unlocked and the reward credited.
    /// @param jobId Job.
    /// @param outputCommitment Poseidon commitment to the output.
    /// @param proof Groth16 proof in EVM calldata order.
    function submitResult(uint256 jobId, uint256 outputCommitment, uint256[8] calldata proof)
        external
    {
        Job storage job = jobs[jobId];
        if (job.status != Status.Assigned) revert WrongStatus(jobId, job.status);
        if (job.worker != msg.sender) revert NotAssignedWorker(jobId, msg.sender);
        if (block.timestamp > job.deadline) revert DeadlinePassed(jobId, job.deadline);
        if (outputCommitment >= R) revert NotInField(outputCommitment);
        uint256[4] memory input =
            [jobId, uint256(uint160(msg.sender)), job.inputCommitment, outputCommitment];
        if (!verifierOf[job.shape].verifyProof(proof, input)) revert InvalidProof(jobId);

        job.status = Status.Completed;
        job.outputCommitment = outputCommitment;
        workers[msg.sender].locked -= job.minStake;
        uint256 reward = job.reward;
        credit[msg.sender] += reward;
        emit JobCompleted(jobId, msg.sender, outputCommitment, reward);
    }

    /// @notice Cancels an unassigned job; the reward is credited back to the requester.
    /// @param jobId Job.
    function cancel(uint256 jobId) external {
        Job storage job = jobs[jobId];
        if (job.requester != msg.sender) revert NotRequester(jobId);
        if (job.status != Status.Open) revert WrongStatus(jobId, job.status);
        job.status = Status.Cancelled;
        credit[msg.sender] += job.reward;
        emit JobCancelled(jobId);
    }

    /// @notice After a missed deadline, anyone may expire an assigned job: the reward and
    ///         the worker's locked stake are credited to the requester.
    /// @param jobId Job.
    function expire(uint256 jobId) external {
        Job storage job = jobs[jobId];
        if (job.status != Status.Assigned) revert WrongStatus(jobId, job.status);
        if (block.timestamp <= job.deadline) revert DeadlineNotPassed(jobId, job.deadline);
        job.status = Status.Expired;
        Worker storage w = workers[job.worker];
        uint256 slashed = job.minStake;
        w.locked -= slashed;
        w.stake -= slashed;
        credit[job.requester] += job.reward + slashed;
        emit JobExpired(jobId, job.worker, slashed);
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
}
