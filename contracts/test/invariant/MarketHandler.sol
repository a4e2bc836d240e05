// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Vm} from "../utils/TestBase.sol";
import {ArcanumToken} from "../../src/ArcanumToken.sol";
import {ComputeMarket} from "../../src/ComputeMarket.sol";

/// @dev Drives the market with random but well-formed actions from a fixed set of actors
///      (each with a private key, so honest workers sign real EIP-712 bids) and keeps ghost
///      records the invariants compare against. Besides the honest flows it plays a
///      malicious requester that tries to lock, and then slash, the stake of workers that
///      never bid for its job: bids signed by the wrong key, bids for other jobs or earlier
///      attempts, bids whose terms it rewrote or whose time ran out, offers accepted from
///      the wrong address, garbage signatures, jobs whose stake equals a victim's free stake.
///
///      Ghost consent: `consented[worker][job][attempt]` is set only when the worker itself
///      signs a bid for that attempt (with terms the job meets) or sends `acceptAssignment`.
///      Ghost stake: `expectedStake[worker]` grows with `stake` and shrinks only with the
///      worker's own `requestUnbond` and with `expire` of an attempt it consented to.
contract MarketHandler {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    ArcanumToken public immutable token;
    ComputeMarket public immutable market;
    address[] public actors;
    uint256[] internal keys;
    mapping(address actor => uint256) internal keyOf;
    uint256[] public jobIds;

    mapping(uint256 => uint256) public completions;
    mapping(uint256 => ComputeMarket.Status) public finalStatus;
    mapping(uint256 => uint16) public maxAttempts;
    uint256 public calls;

    mapping(address worker => mapping(uint256 jobId => mapping(uint16 attempt => bool))) public
        consented;
    mapping(address worker => uint256) public expectedStake;
    /// Posting fee of each job, and what slashes paid back to its requester (all attempts).
    mapping(uint256 jobId => uint256) public feeOf;
    mapping(uint256 jobId => uint256) public slashToRequester;
    /// Malicious attempts made, and any the market let through (must stay 0).
    uint256 public attacks;
    uint256 public attacksLanded;
    /// Slashes whose requester share differs from min(share, fee left) (must stay 0).
    uint256 public badSplits;
    /// Coverage counters: successful honest assignments, top-ups, expiries, settlements.
    uint256 public bidsTaken;
    uint256 public offersTaken;
    uint256 public topUps;
    uint256 public expiries;
    uint256 public releases;
    uint256 public settlements;

    constructor(ArcanumToken token_, ComputeMarket market_, uint256[] memory keys_) {
        token = token_;
        market = market_;
        keys = keys_;
        for (uint256 i; i < keys_.length; ++i) {
            address a = vm.addr(keys_[i]);
            actors.push(a);
            keyOf[a] = keys_[i];
        }
    }

    function _actor(uint256 seed) internal view returns (address) {
        return actors[seed % actors.length];
    }

    /// An actor other than `not` (the next one round the list if `seed` lands on it).
    function _otherActor(uint256 seed, address not) internal view returns (address a) {
        uint256 i = seed % actors.length;
        a = actors[i];
        if (a == not) a = actors[(i + 1) % actors.length];
    }

    function _job(uint256 seed) internal view returns (uint256) {
        if (jobIds.length == 0) return 0;
        return jobIds[seed % jobIds.length];
    }

    /// The first job from `seed` on (round the list) in `status` whose deadline has not
    /// passed (`live`) or has (`!live`), else `_job(seed)`: keeps the flows busy however few
    /// jobs happen to be in that state.
    function _jobIn(uint256 seed, ComputeMarket.Status status, bool live)
        internal
        view
        returns (uint256)
    {
        uint256 n = jobIds.length;
        if (n == 0) return 0;
        uint256 start = seed % n;
        for (uint256 k; k < n; ++k) {
            uint256 id = jobIds[(start + k) % n];
            ComputeMarket.Job memory j = market.jobs(id);
            if (j.status == status && (j.deadline >= block.timestamp) == live) return id;
        }
        return jobIds[start];
    }

    /// The first actor from `seed` on with enough free stake for job `id`, else `_actor(seed)`.
    function _workerFor(uint256 seed, uint256 id) internal view returns (address) {
        uint256 minStake = market.jobs(id).minStake;
        uint256 needed = minStake > market.minWorkerStake() ? minStake : market.minWorkerStake();
        uint256 n = actors.length;
        uint256 start = seed % n;
        for (uint256 k; k < n; ++k) {
            address a = actors[(start + k) % n];
            uint256 free = market.freeStake(a);
            if (free >= needed && free != 0) return a;
        }
        return actors[start];
    }

    function _sign(uint256 pk, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, digest);
        return abi.encodePacked(r, s, v);
    }

    function _ask(uint256 seed, ComputeMarket.Job memory job) internal pure returns (uint256) {
        uint256 budget = job.budget == 0 ? 1 ether : job.budget;
        return seed % 16 == 0 ? budget + 1 : 1 + seed % budget;
    }

    /// A bid for the job's current attempt on terms the job meets.
    function _fairBid(uint256 id, address worker, uint256 ask, uint256 slack)
        internal
        view
        returns (ComputeMarket.Bid memory)
    {
        ComputeMarket.Job memory job = market.jobs(id);
        return ComputeMarket.Bid({
            jobId: id,
            worker: worker,
            attempt: job.attempts,
            // Up to the budget (above the escrow a first attempt left: a top-up), and now
            // and then above it (refused).
            ask: _ask(ask, job),
            maxLockedStake: uint256(job.minStake) + slack % 10 ether,
            deadlineAtLeast: job.deadline == 0 ? 0 : uint64(job.deadline - slack % 2),
            expiresAt: uint64(block.timestamp + slack % 1 hours)
        });
    }

    // ------------------------------------------------------------ workers

    function stake(uint256 who, uint256 amount) external {
        calls++;
        address a = _actor(who);
        amount = 1 + amount % 200 ether;
        if (amount % 4 != 0) amount += market.minWorkerStake(); // mostly enough to work
        vm.prank(a);
        try market.stake(amount) {
            expectedStake[a] += amount;
        } catch {}
    }

    function requestUnbond(uint256 who, uint256 amount) external {
        calls++;
        address a = _actor(who);
        amount = 1 + amount % 100 ether;
        vm.prank(a);
        try market.requestUnbond(amount) {
            expectedStake[a] -= amount;
        } catch {}
    }

    function withdraw(uint256 who) external {
        calls++;
        vm.prank(_actor(who));
        try market.withdraw() {} catch {}
    }

    // ---------------------------------------------------------- requesters

    function post(uint256 who, uint256 reward, uint256 minStake, uint256 ttl) external {
        calls++;
        _post(_actor(who), reward, minStake % 60 ether, ttl);
    }

    /// The bait: a job whose stake equals a victim's whole free stake.
    function postTargeting(uint256 who, uint256 victim, uint256 reward, uint256 ttl) external {
        calls++;
        _post(_actor(who), reward, market.freeStake(_actor(victim)), ttl);
    }

    function _post(address requester, uint256 reward, uint256 minStake, uint256 ttl) internal {
        reward = 1 + reward % 50 ether;
        uint256 fee = reward * market.feeBps() / market.BPS();
        vm.prank(requester);
        try market.postJob(
            1,
            1,
            uint256(keccak256(abi.encode(requester, reward, jobIds.length))) % 1e70,
            reward,
            uint64(block.timestamp + 1 + ttl % 3 days),
            minStake
        ) returns (
            uint256 id
        ) {
            jobIds.push(id);
            feeOf[id] = fee;
        } catch {}
    }

    /// An honest worker signs a bid on the job's terms; the requester submits it.
    function bid(uint256 job, uint256 worker, uint256 ask, uint256 slack) external {
        calls++;
        uint256 id = _jobIn(job, ComputeMarket.Status.Open, true);
        address w = _workerFor(worker, id);
        ComputeMarket.Bid memory b = _fairBid(id, w, ask, slack);
        bytes memory sig = _sign(keyOf[w], market.bidDigest(b));
        consented[w][id][b.attempt] = true;
        uint256 escrow = market.jobs(id).reward;
        vm.prank(market.jobs(id).requester);
        try market.assignWithBid(b, sig) {
            bidsTaken++;
            if (b.ask > escrow) topUps++;
        } catch {}
    }

    /// The requester signs an offer; the worker accepts it with its own transaction.
    function accept(uint256 job, uint256 worker, uint256 ask, uint256 slack) external {
        calls++;
        uint256 id = _jobIn(job, ComputeMarket.Status.Open, true);
        address w = _workerFor(worker, id);
        ComputeMarket.Job memory j = market.jobs(id);
        if (j.requester == address(0)) return;
        ask = _ask(ask, j);
        uint64 acceptBy = uint64(block.timestamp + slack % 1 hours);
        bytes memory sig =
            _sign(keyOf[j.requester], market.assignmentDigest(id, w, j.attempts, ask, acceptBy));
        consented[w][id][j.attempts] = true;
        vm.prank(w);
        try market.acceptAssignment(id, ask, acceptBy, sig) {
            offersTaken++;
            if (ask > j.reward) topUps++;
        } catch {}
    }

    /// The assigned worker gives the job back (succeeds within the start window).
    function release(uint256 job) external {
        calls++;
        uint256 id = _jobIn(job, ComputeMarket.Status.Assigned, true);
        vm.prank(market.jobs(id).worker);
        try market.release(id) {
            releases++;
            maxAttempts[id] = market.jobs(id).attempts;
        } catch {}
    }

    function submit(uint256 job, bool valid, uint256 outputCommitment) external {
        calls++;
        uint256 id = _jobIn(job, ComputeMarket.Status.Assigned, true);
        uint256[8] memory proof;
        proof[0] = valid ? 1 : 0;
        vm.prank(market.jobs(id).worker);
        try market.submitResult(id, outputCommitment % 1e70, proof) {
            completions[id] += 1;
            settlements++;
            finalStatus[id] = ComputeMarket.Status.Completed;
        } catch {}
    }

    function cancel(uint256 job) external {
        calls++;
        uint256 id = _jobIn(job, ComputeMarket.Status.Open, true);
        vm.prank(market.jobs(id).requester);
        try market.cancel(id) {
            finalStatus[id] = ComputeMarket.Status.Cancelled;
        } catch {}
    }

    function expire(uint256 job, uint256 who) external {
        calls++;
        uint256 id = _jobIn(job, ComputeMarket.Status.Assigned, false);
        ComputeMarket.Job memory j = market.jobs(id);
        uint256 share = uint256(j.minStake) * market.slashToRequesterBps() / market.BPS();
        uint256 toRequester = share < j.feeLeft ? share : j.feeLeft;
        vm.prank(_actor(who));
        try market.expire(id) {
            ComputeMarket.Job memory after_ = market.jobs(id);
            maxAttempts[id] = after_.attempts;
            expiries++;
            // Expected only for an attempt the worker consented to; otherwise the stake
            // invariant fails.
            if (consented[j.worker][id][j.attempts]) expectedStake[j.worker] -= j.minStake;
            uint256 paid = j.feeLeft - after_.feeLeft;
            slashToRequester[id] += paid;
            if (paid != toRequester) badSplits++;
        } catch {}
    }

    function extend(uint256 job, uint256 ttl) external {
        calls++;
        uint256 id = _jobIn(job, ComputeMarket.Status.Open, false);
        vm.prank(market.jobs(id).requester);
        try market.extendDeadline(id, uint64(block.timestamp + 1 + ttl % 1 days)) {} catch {}
    }

    function claim(uint256 who) external {
        calls++;
        vm.prank(_actor(who));
        try market.claim() {} catch {}
    }

    function warp(uint256 secs) external {
        calls++;
        // Short steps too, so that releases inside the start window happen.
        vm.warp(block.timestamp + (secs % 2 == 0 ? secs % 15 minutes : secs % 2 days));
    }

    // ------------------------------------------------------------ attacker

    /// The job's requester tries to make `victim` take its job without the victim's
    /// consent to this job's current attempt on these terms. Every mode must revert.
    function attack(uint256 job, uint256 victimSeed, uint256 mode, uint256 noise) external {
        calls++;
        // An open job, and a victim with the free stake it needs: if the market let the
        // requester through, the victim's stake would be locked.
        uint256 id = _jobIn(job, ComputeMarket.Status.Open, true);
        ComputeMarket.Job memory j = market.jobs(id);
        address requester = j.requester;
        if (requester == address(0)) return;
        // A requester bidding for its own job consents; the victim is someone else.
        address victim = _workerFor(victimSeed, id);
        if (victim == requester) victim = _otherActor(victimSeed, requester);
        ComputeMarket.Bid memory b = _fairBid(id, victim, noise, noise >> 8);
        bytes memory sig;
        mode = mode % 9;
        if (mode == 0) {
            // Signed by the requester's own key, in the victim's name.
            sig = _sign(keyOf[requester], market.bidDigest(b));
        } else if (mode == 1) {
            // Signed by another worker's key, in the victim's name.
            address signer = _otherActor(noise, victim);
            sig = _sign(keyOf[signer], market.bidDigest(b));
        } else if (mode == 2) {
            // The victim's genuine bid for another job, replayed for this one.
            uint256 other = _job(noise);
            if (other == id) return;
            ComputeMarket.Bid memory real = _fairBid(other, victim, noise, noise >> 8);
            sig = _sign(keyOf[victim], market.bidDigest(real));
            consented[victim][other][real.attempt] = true;
            b = real;
            b.jobId = id;
            b.attempt = j.attempts;
        } else if (mode == 3) {
            // The victim's genuine bid for an earlier attempt (before an expiry or release).
            if (j.attempts == 0) return;
            b.attempt = j.attempts - 1;
            sig = _sign(keyOf[victim], market.bidDigest(b));
            consented[victim][id][b.attempt] = true;
        } else if (mode == 4) {
            // The victim accepts less stake than the job locks; submitted as signed, or
            // rewritten to the job's stake.
            if (j.minStake == 0) return;
            b.maxLockedStake = j.minStake - 1 - noise % j.minStake;
            sig = _sign(keyOf[victim], market.bidDigest(b));
            if (noise % 2 == 0) b.maxLockedStake = j.minStake;
        } else if (mode == 5) {
            // The victim wants a later deadline than the job's; as signed, or rewritten.
            b.deadlineAtLeast = j.deadline + 1 + uint64(noise % 1 days);
            sig = _sign(keyOf[victim], market.bidDigest(b));
            if (noise % 2 == 0) b.deadlineAtLeast = j.deadline;
        } else if (mode == 6) {
            // The victim's bid whose time ran out.
            if (block.timestamp == 0) return;
            b.expiresAt = uint64(block.timestamp - 1 - noise % block.timestamp);
            sig = _sign(keyOf[victim], market.bidDigest(b));
        } else if (mode == 7) {
            // Garbage (sometimes empty or short) signature bytes.
            sig = noise % 3 == 0
                ? bytes("")
                : abi.encodePacked(keccak256(abi.encode(noise)), bytes32(noise), uint8(noise));
        } else {
            // An offer naming the victim, accepted by someone else (the requester or a third
            // party): the market binds the offer to the accepting address.
            uint64 acceptBy = uint64(block.timestamp + 1 hours);
            sig = _sign(
                keyOf[requester], market.assignmentDigest(id, victim, j.attempts, b.ask, acceptBy)
            );
            address caller = noise % 2 == 0 ? requester : _otherActor(noise, victim);
            attacks++;
            vm.prank(caller);
            try market.acceptAssignment(id, b.ask, acceptBy, sig) {
                attacksLanded++;
            } catch {}
            return;
        }
        attacks++;
        vm.prank(requester);
        try market.assignWithBid(b, sig) {
            attacksLanded++;
        } catch {}
    }

    // --------------------------------------------------------------- views

    function jobCount() external view returns (uint256) {
        return jobIds.length;
    }

    function actorCount() external view returns (uint256) {
        return actors.length;
    }
}
