// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {Vm} from "../utils/TestBase.sol";
import {ArcanumToken} from "../../src/ArcanumToken.sol";
import {ComputeMarket} from "../../src/ComputeMarket.sol";
import {IGroth16Verifier} from "../../src/interfaces/IGroth16Verifier.sol";

/// @dev TEST DOUBLE for the invariant campaign only: accepts a proof iff `proof[0] == 1`.
///      The campaign checks the market's accounting and state machine, so the handler must
///      choose whether a submission verifies; the real generated verifier and real proofs
///      are exercised by ComputeMarket.t.sol and the Rust end-to-end tests.
contract FlagVerifier is IGroth16Verifier {
    function verifyProof(uint256[8] calldata proof, uint256[4] calldata)
        external
        pure
        returns (bool)
    {
        return proof[0] == 1;
    }
}

/// @dev Drives the market with random but well-formed actions from a fixed set of actors and
///      keeps ghost records the invariants compare against.
contract MarketHandler {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    ArcanumToken public immutable token;
    ComputeMarket public immutable market;
    address[] public actors;
    uint256[] public jobIds;

    mapping(uint256 => uint256) public completions;
    mapping(uint256 => ComputeMarket.Status) public finalStatus;
    mapping(uint256 => uint16) public maxAttempts;
    uint256 public calls;

    constructor(ArcanumToken token_, ComputeMarket market_, address[] memory actors_) {
        token = token_;
        market = market_;
        actors = actors_;
    }

    function _actor(uint256 seed) internal view returns (address) {
        return actors[seed % actors.length];
    }

    function _job(uint256 seed) internal view returns (uint256) {
        if (jobIds.length == 0) return 0;
        return jobIds[seed % jobIds.length];
    }

    function stake(uint256 who, uint256 amount) external {
        calls++;
        address a = _actor(who);
        amount = 1 + amount % 200 ether;
        vm.prank(a);
        try market.stake(amount) {} catch {}
    }

    function requestUnbond(uint256 who, uint256 amount) external {
        calls++;
        vm.prank(_actor(who));
        try market.requestUnbond(1 + amount % 100 ether) {} catch {}
    }

    function withdraw(uint256 who) external {
        calls++;
        vm.prank(_actor(who));
        try market.withdraw() {} catch {}
    }

    function post(uint256 who, uint256 reward, uint256 minStake, uint256 ttl) external {
        calls++;
        vm.prank(_actor(who));
        try market.postJob(
            1,
            1,
            uint256(keccak256(abi.encode(who, reward))) % 1e70,
            1 + reward % 50 ether,
            uint64(block.timestamp + 1 + ttl % 3 days),
            minStake % 60 ether
        ) returns (
            uint256 id
        ) {
            jobIds.push(id);
        } catch {}
    }

    function assign(uint256 job, uint256 worker) external {
        calls++;
        uint256 id = _job(job);
        (address requester,,,,,,,,,,) = market.jobs(id);
        vm.prank(requester);
        try market.assign(id, _actor(worker)) {} catch {}
    }

    function submit(uint256 job, bool valid, uint256 outputCommitment) external {
        calls++;
        uint256 id = _job(job);
        (,,,,,, address worker,,,,) = market.jobs(id);
        uint256[8] memory proof;
        proof[0] = valid ? 1 : 0;
        vm.prank(worker);
        try market.submitResult(id, outputCommitment % 1e70, proof) {
            completions[id] += 1;
            finalStatus[id] = ComputeMarket.Status.Completed;
        } catch {}
    }

    function cancel(uint256 job) external {
        calls++;
        uint256 id = _job(job);
        (address requester,,,,,,,,,,) = market.jobs(id);
        vm.prank(requester);
        try market.cancel(id) {
            finalStatus[id] = ComputeMarket.Status.Cancelled;
        } catch {}
    }

    function expire(uint256 job, uint256 who) external {
        calls++;
        uint256 id = _job(job);
        vm.prank(_actor(who));
        try market.expire(id) {
            (,,,,, uint16 attempts,,,,,) = market.jobs(id);
            maxAttempts[id] = attempts;
        } catch {}
    }

    function extend(uint256 job, uint256 ttl) external {
        calls++;
        uint256 id = _job(job);
        (address requester,,,,,,,,,,) = market.jobs(id);
        vm.prank(requester);
        try market.extendDeadline(id, uint64(block.timestamp + 1 + ttl % 1 days)) {} catch {}
    }

    function claim(uint256 who) external {
        calls++;
        vm.prank(_actor(who));
        try market.claim() {} catch {}
    }

    function warp(uint256 secs) external {
        calls++;
        vm.warp(block.timestamp + secs % 2 days);
    }

    function jobCount() external view returns (uint256) {
        return jobIds.length;
    }

    function actorCount() external view returns (uint256) {
        return actors.length;
    }
}
