// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {ProofFixture} from "./utils/Fixture.sol";
import {ArcanumToken} from "../src/ArcanumToken.sol";
import {ComputeMarket} from "../src/ComputeMarket.sol";
import {IGroth16Verifier} from "../src/interfaces/IGroth16Verifier.sol";
import {SecaggSum4x8Verifier} from "../src/generated/SecaggSum4x8Verifier.sol";

/// @dev Unit and fuzz tests of ComputeMarket against the real generated verifier and a real
///      proof fixture (test/fixtures, produced by arcanum-zk: `make verifiers`).
contract ComputeMarketTest is ProofFixture {
    uint256 internal constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint32 internal constant SHAPE = 1;
    uint8 internal constant KIND = 1;
    uint256 internal constant REWARD = 25 ether;
    uint256 internal constant STAKE = 100 ether;

    ArcanumToken internal token;
    ComputeMarket internal market;
    SecaggSum4x8Verifier internal verifier;

    uint256 internal constant REQUESTER_PK = 0xA11CE;
    uint256 internal constant INTRUDER_PK = 0xBAD;
    address internal requester = vm.addr(REQUESTER_PK);
    /// Fixed by the proof fixture, key unknown: it takes jobs with `acceptAssignment`, its
    /// own transaction, on an offer the requester signed.
    address internal worker;
    address internal intruder = vm.addr(INTRUDER_PK);
    address internal treasury = address(0x7EA5);
    uint256 internal inputCommitment;
    uint256 internal outputCommitment;
    uint256[8] internal proof;

    function setUp() public {
        loadFixture();
        worker = fixtureWorker;
        inputCommitment = fixtureInput;
        outputCommitment = fixtureOutput;
        proof = fixtureProof;

        token = new ArcanumToken(address(this));
        verifier = new SecaggSum4x8Verifier();
        market = new ComputeMarket(token, 1 days, STAKE, address(this), treasury);
        market.setVerifier(SHAPE, KIND, verifier);

        for (uint256 i; i < 3; ++i) {
            address a = [requester, worker, intruder][i];
            token.mint(a, 10_000 ether);
            vm.prank(a);
            token.approve(address(market), type(uint256).max);
        }
        vm.prank(worker);
        market.stake(500 ether);
        vm.prank(intruder);
        market.stake(500 ether);
    }

    function _post() internal returns (uint256 id) {
        vm.prank(requester);
        id = market.postJob(
            KIND, SHAPE, inputCommitment, REWARD, uint64(block.timestamp + 1 hours), STAKE
        );
    }

    /// The fixture worker accepts the requester's signed offer for job `id` at `ask`.
    function _accept(uint256 id, uint256 ask) internal {
        uint64 acceptBy = uint64(block.timestamp + 10 minutes);
        uint16 attempt = market.jobs(id).attempts;
        bytes memory sig =
            sign(REQUESTER_PK, market.assignmentDigest(id, worker, attempt, ask, acceptBy));
        vm.prank(worker);
        market.acceptAssignment(id, ask, acceptBy, sig);
    }

    function _postAssigned() internal returns (uint256 id) {
        id = _post();
        _accept(id, REWARD);
    }

    /// A bid signed with `pk` for the job's current attempt and terms.
    function _bid(uint256 pk, uint256 id, uint256 ask)
        internal
        view
        returns (ComputeMarket.Bid memory bid, bytes memory sig)
    {
        ComputeMarket.Job memory job = market.jobs(id);
        bid = ComputeMarket.Bid({
            jobId: id,
            worker: vm.addr(pk),
            attempt: job.attempts,
            ask: ask,
            maxLockedStake: job.minStake,
            deadlineAtLeast: job.deadline,
            expiresAt: uint64(block.timestamp + 10 minutes)
        });
        sig = sign(pk, market.bidDigest(bid));
    }

    function _status(uint256 id) internal view returns (ComputeMarket.Status) {
        return market.jobs(id).status;
    }

    function test_realProofSettlesAndPaysExactlyTheReward() public {
        uint256 id = _postAssigned();
        assertEq(id, 1, "fixture proof is for job 1");
        uint256 before = token.balanceOf(worker);
        vm.prank(worker);
        market.submitResult(id, outputCommitment, proof);
        assertTrue(_status(id) == ComputeMarket.Status.Completed, "completed");
        assertEq(market.credit(worker), REWARD, "credited");
        (uint256 stake, uint256 locked,,,) = market.stakeOf(worker);
        assertEq(locked, 0, "stake unlocked");
        assertEq(stake, 500 ether, "stake intact");
        vm.prank(worker);
        market.claim();
        assertEq(token.balanceOf(worker) - before, REWARD, "paid");
        assertEq(market.credit(worker), 0, "credit cleared");
    }

    function test_wrongOutputIsRejected() public {
        uint256 id = _postAssigned();
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.InvalidProof.selector, id));
        market.submitResult(id, outputCommitment + 1, proof);
    }

    function test_proofReplayedForAnotherJobIsRejected() public {
        _postAssigned();
        uint256 other = _postAssigned();
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.InvalidProof.selector, other));
        market.submitResult(other, outputCommitment, proof);
    }

    function test_proofFromAnotherSenderIsRejected() public {
        uint256 id = _postAssigned();
        vm.prank(intruder);
        vm.expectRevert(
            abi.encodeWithSelector(ComputeMarket.NotAssignedWorker.selector, id, intruder)
        );
        market.submitResult(id, outputCommitment, proof);
        // The verifier binds the sender too: the same proof under the intruder's address fails.
        uint256[4] memory input =
            [id, uint256(uint160(intruder)), inputCommitment, outputCommitment];
        assertTrue(!verifier.verifyProof(proof, input), "proof bound to worker");
        input[1] = uint256(uint160(worker));
        assertTrue(verifier.verifyProof(proof, input), "proof valid for worker");
    }

    function test_publicInputAtModulusReverts() public {
        uint256[4] memory input = [uint256(1), uint256(uint160(worker)), inputCommitment, R];
        vm.expectRevert(abi.encodeWithSelector(IGroth16Verifier.PublicInputNotInField.selector, 3));
        verifier.verifyProof(proof, input);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.NotInField.selector, R));
        market.postJob(KIND, SHAPE, R, REWARD, uint64(block.timestamp + 1), STAKE);
    }

    function test_malformedProofReturnsFalse() public view {
        uint256[4] memory input =
            [uint256(1), uint256(uint160(worker)), inputCommitment, outputCommitment];
        uint256[8] memory bad = proof;
        bad[0] = bad[0] + 1; // A off the curve
        assertTrue(!verifier.verifyProof(bad, input), "off-curve A");
        bad = proof;
        bad[7] = type(uint256).max; // coordinate above the base field
        assertTrue(!verifier.verifyProof(bad, input), "non-canonical C");
    }

    function test_secondSubmissionIsRefused() public {
        uint256 id = _postAssigned();
        vm.prank(worker);
        market.submitResult(id, outputCommitment, proof);
        vm.prank(worker);
        vm.expectRevert(
            abi.encodeWithSelector(
                ComputeMarket.WrongStatus.selector, id, ComputeMarket.Status.Completed
            )
        );
        market.submitResult(id, outputCommitment, proof);
    }

    function test_lateSubmissionIsRefusedAndExpirySlashesAndReopens() public {
        uint256 id = _postAssigned();
        vm.warp(block.timestamp + 2 hours);
        vm.prank(worker);
        vm.expectRevert(
            abi.encodeWithSelector(
                ComputeMarket.DeadlinePassed.selector, id, uint64(block.timestamp - 1 hours)
            )
        );
        market.submitResult(id, outputCommitment, proof);
        market.expire(id);
        assertTrue(_status(id) == ComputeMarket.Status.Open, "reopened");
        // No posting fee here, so the requester's share of the slash is capped at zero.
        assertEq(market.credit(requester), 0, "requester's share capped at its fee");
        assertEq(market.credit(treasury), STAKE, "the whole slash to the treasury");
        (uint256 stake, uint256 locked,,,) = market.stakeOf(worker);
        assertEq(stake, 400 ether, "slashed");
        assertEq(locked, 0, "unlocked");
        // The requester either cancels (refund) or reassigns after moving the deadline.
        (ComputeMarket.Bid memory bid, bytes memory sig) = _bid(INTRUDER_PK, id, REWARD);
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(
                ComputeMarket.DeadlinePassed.selector, id, uint64(block.timestamp - 1 hours)
            )
        );
        market.assignWithBid(bid, sig);
        vm.prank(requester);
        market.extendDeadline(id, uint64(block.timestamp + 1 hours));
        (bid, sig) = _bid(INTRUDER_PK, id, REWARD);
        vm.prank(requester);
        market.assignWithBid(bid, sig);
        assertTrue(_status(id) == ComputeMarket.Status.Assigned, "reassigned");
        assertEq(market.jobs(id).worker, intruder, "to the bidder");
    }

    function test_cancelOnlyBeforeAssignment() public {
        uint256 id = _post();
        vm.prank(intruder);
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.NotRequester.selector, id));
        market.cancel(id);
        vm.prank(requester);
        market.cancel(id);
        assertEq(market.credit(requester), REWARD, "refunded");
        uint256 assigned = _postAssigned();
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(
                ComputeMarket.WrongStatus.selector, assigned, ComputeMarket.Status.Assigned
            )
        );
        market.cancel(assigned);
    }

    function test_assignNeedsFreeStake() public {
        uint256 poorKey = 0xF00;
        address poor = vm.addr(poorKey);
        uint256 id = _post();
        (ComputeMarket.Bid memory bid, bytes memory sig) = _bid(poorKey, id, REWARD);
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(ComputeMarket.InsufficientStake.selector, poor, 0, STAKE)
        );
        market.assignWithBid(bid, sig);
        uint64 acceptBy = uint64(block.timestamp + 1);
        sig = sign(REQUESTER_PK, market.assignmentDigest(id, poor, 0, REWARD, acceptBy));
        vm.prank(poor);
        vm.expectRevert(
            abi.encodeWithSelector(ComputeMarket.InsufficientStake.selector, poor, 0, STAKE)
        );
        market.acceptAssignment(id, REWARD, acceptBy, sig);
    }

    function test_unbondingWaitsForTheDelayAndKeepsLockedStake() public {
        _postAssigned(); // locks 100 of the worker's 500
        vm.startPrank(worker);
        vm.expectRevert(
            abi.encodeWithSelector(
                ComputeMarket.InsufficientStake.selector, worker, 400 ether, 450 ether
            )
        );
        market.requestUnbond(450 ether);
        market.requestUnbond(400 ether);
        vm.expectRevert(
            abi.encodeWithSelector(
                ComputeMarket.UnbondingNotReady.selector, uint64(block.timestamp + 1 days)
            )
        );
        market.withdraw();
        vm.warp(block.timestamp + 1 days);
        uint256 before = token.balanceOf(worker);
        market.withdraw();
        vm.stopPrank();
        assertEq(token.balanceOf(worker) - before, 400 ether, "withdrawn");
    }

    function test_unknownShapeAndPastDeadlineAreRefused() public {
        vm.startPrank(requester);
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.UnknownShape.selector, 77));
        market.postJob(KIND, 77, inputCommitment, REWARD, uint64(block.timestamp + 1), STAKE);
        vm.expectRevert(
            abi.encodeWithSelector(ComputeMarket.DeadlineInPast.selector, uint64(block.timestamp))
        );
        market.postJob(KIND, SHAPE, inputCommitment, REWARD, uint64(block.timestamp), STAKE);
        vm.stopPrank();
    }

    /// Escrow accounting holds for any reward and job count.
    function testFuzz_escrowEqualsOpenRewardsPlusStake(uint256 reward, uint8 jobs) public {
        reward = bound(reward, 1, 100 ether);
        uint256 n = bound(jobs, 1, 20);
        for (uint256 i; i < n; ++i) {
            vm.prank(requester);
            market.postJob(
                KIND, SHAPE, inputCommitment, reward, uint64(block.timestamp + 1 hours), STAKE
            );
        }
        assertEq(token.balanceOf(address(market)), n * reward + 1000 ether, "escrow");
    }

    function test_remainingRevertPaths() public {
        vm.startPrank(requester);
        vm.expectRevert(ComputeMarket.ZeroAmount.selector);
        market.postJob(KIND, SHAPE, inputCommitment, 0, uint64(block.timestamp + 1), STAKE);
        uint256 tooMuch = uint256(type(uint96).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.AmountTooLarge.selector, tooMuch));
        market.postJob(KIND, SHAPE, inputCommitment, 1, uint64(block.timestamp + 1), tooMuch);
        vm.stopPrank();
        vm.expectRevert(ComputeMarket.InvalidParameter.selector);
        new ComputeMarket(token, 1 days, STAKE, address(this), address(0));
        // An output commitment at the modulus is refused by the verifier.
        uint256 id = _postAssigned();
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(IGroth16Verifier.PublicInputNotInField.selector, 3));
        market.submitResult(id, R, proof);
    }

    /// Any output commitment but the proven one is refused, and nothing moves.
    function testFuzz_onlyTheProvenOutputIsAccepted(uint256 output) public {
        vm.assume(output != outputCommitment);
        uint256 id = _postAssigned();
        vm.prank(worker);
        if (output >= R) {
            vm.expectRevert(
                abi.encodeWithSelector(IGroth16Verifier.PublicInputNotInField.selector, 3)
            );
        } else {
            vm.expectRevert(abi.encodeWithSelector(ComputeMarket.InvalidProof.selector, id));
        }
        market.submitResult(id, output, proof);
        assertEq(market.credit(worker), 0, "no credit");
    }

    /// The verifier never accepts the fixture proof under other public inputs.
    function testFuzz_verifierBindsEveryPublicInput(uint256 which, uint256 value) public view {
        uint256[4] memory input =
            [uint256(1), uint256(uint160(worker)), inputCommitment, outputCommitment];
        which = which % 4;
        value = value % R;
        vm.assume(value != input[which]);
        input[which] = value;
        assertTrue(!verifier.verifyProof(proof, input), "bound");
    }

    /// Slashing splits exactly: requester share + treasury share = locked stake, and the
    /// requester's share is its configured share capped at the posting fee it paid.
    function testFuzz_slashSplitsExactly(uint256 stakeAmount, uint256 bps, uint256 feeBps) public {
        stakeAmount = bound(stakeAmount, STAKE, 400 ether);
        bps = bound(bps, 0, 10_000);
        feeBps = bound(feeBps, 0, 1_000);
        market.setParameters(STAKE, feeBps, bps, treasury);
        vm.prank(requester);
        uint256 id = market.postJob(
            KIND, SHAPE, inputCommitment, REWARD, uint64(block.timestamp + 1 hours), stakeAmount
        );
        uint256 fee = REWARD * feeBps / 10_000;
        _accept(id, REWARD);
        vm.warp(block.timestamp + 2 hours);
        market.expire(id);
        assertEq(market.credit(requester) + market.credit(treasury), stakeAmount + fee, "split");
        uint256 share = stakeAmount * bps / 10_000;
        assertEq(market.credit(requester), share < fee ? share : fee, "requester share");
        assertEq(market.jobs(id).feeLeft, fee - market.credit(requester), "fee left");
    }

    /// The worker is paid exactly its ask (real proof); the rest of the escrow is credited
    /// back to the requester at assignment; every token is accounted for.
    function testFuzz_workerIsPaidItsAskAndTheRestIsRefunded(uint256 ask) public {
        ask = bound(ask, 1, REWARD);
        market.setParameters(STAKE, 100, 5_000, treasury); // 1 % fee
        uint256 supply = token.balanceOf(requester) + token.balanceOf(worker)
            + token.balanceOf(treasury) + token.balanceOf(address(market));
        uint256 id = _post();
        _accept(id, ask);
        assertEq(market.credit(requester), REWARD - ask, "refund at assignment");
        assertEq(market.jobs(id).reward, ask, "escrow is the ask");
        vm.prank(worker);
        market.submitResult(id, outputCommitment, proof);
        assertEq(market.credit(worker), ask, "worker paid its ask");
        assertEq(market.credit(requester), REWARD - ask, "requester keeps the difference");
        assertEq(market.credit(treasury), REWARD / 100, "fee");
        for (uint256 i; i < 3; ++i) {
            address a = [requester, worker, treasury][i];
            if (market.credit(a) == 0) continue;
            vm.prank(a);
            market.claim();
        }
        assertEq(token.balanceOf(address(market)), 1000 ether, "only the stakes remain");
        assertEq(
            token.balanceOf(requester) + token.balanceOf(worker) + token.balanceOf(treasury)
                + token.balanceOf(address(market)),
            supply,
            "conservation"
        );
        assertEq(token.balanceOf(requester), 10_000 ether - ask - REWARD / 100, "requester");
    }

    function test_kindMustMatchTheShape() public {
        assertEq(market.kindOf(SHAPE), KIND, "registered kind");
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.KindMismatch.selector, SHAPE, 1, 3));
        market.postJob(3, SHAPE, inputCommitment, REWARD, uint64(block.timestamp + 1), STAKE);
    }

    // ---- chunked jobs (fixture: job 2, three chunks of secagg-sum-4x8) ----

    event JobCompleted(
        uint256 indexed jobId, address indexed worker, uint256 outputCommitment, uint256 reward
    );

    struct Chunked {
        uint256 input;
        uint256 output;
        uint256[] ics;
        uint256[] ocs;
        uint256[8][] proofs;
    }

    function _chunked() internal view returns (Chunked memory c) {
        string memory json = vm.readFile("test/fixtures/secagg_sum_4x8_chunked_proof.json");
        c.input = vm.parseJsonUint(json, ".inputCommitment");
        c.output = vm.parseJsonUint(json, ".outputCommitment");
        c.ics = vm.parseJsonUintArray(json, ".chunkInputCommitments");
        c.ocs = vm.parseJsonUintArray(json, ".chunkOutputCommitments");
        c.proofs = new uint256[8][](c.ics.length);
        for (uint256 k; k < c.ics.length; ++k) {
            uint256[] memory p =
                vm.parseJsonUintArray(json, string.concat(".proofs[", _itoa(k), "]"));
            for (uint256 i; i < 8; ++i) {
                c.proofs[k][i] = p[i];
            }
        }
    }

    function _itoa(uint256 v) internal pure returns (string memory) {
        if (v == 0) return "0";
        bytes memory b;
        for (; v > 0; v /= 10) {
            b = abi.encodePacked(bytes1(uint8(48 + v % 10)), b);
        }
        return string(b);
    }

    function _postChunkedAssigned(uint256 commitment) internal returns (uint256 id) {
        _postAssigned(); // job 1: the fixture's proofs are for job 2
        vm.prank(requester);
        id = market.postJob(
            KIND, SHAPE, commitment, REWARD, uint64(block.timestamp + 1 hours), STAKE
        );
        _accept(id, REWARD);
    }

    function test_chunkedJobSettlesWithCombinedCommitments() public {
        Chunked memory c = _chunked();
        assertEq(market.combineCommitments(c.ics), c.input, "Rust and Solidity combine alike");
        uint256 id = _postChunkedAssigned(c.input);
        assertEq(id, 2, "fixture proofs are for job 2");
        vm.expectEmit(true, true, false, true);
        emit JobCompleted(id, worker, c.output, REWARD);
        vm.prank(worker);
        market.submitChunkedResult(id, c.ics, c.ocs, c.proofs);
        assertTrue(_status(id) == ComputeMarket.Status.Completed, "completed");
        assertEq(market.credit(worker), REWARD, "credited once");
    }

    function test_chunksThatDoNotOpenTheCommitmentAreRejected() public {
        Chunked memory c = _chunked();
        uint256 id = _postChunkedAssigned(c.input);
        // Reordered chunks: each proof is valid, but not for the posted combination.
        (c.ics[0], c.ics[1]) = (c.ics[1], c.ics[0]);
        (c.ocs[0], c.ocs[1]) = (c.ocs[1], c.ocs[0]);
        (c.proofs[0], c.proofs[1]) = (c.proofs[1], c.proofs[0]);
        vm.prank(worker);
        vm.expectRevert(
            abi.encodeWithSelector(ComputeMarket.ChunksDoNotOpenInputCommitment.selector, id)
        );
        market.submitChunkedResult(id, c.ics, c.ocs, c.proofs);
    }

    function test_aWrongChunkOutputIsRejected() public {
        Chunked memory c = _chunked();
        uint256 id = _postChunkedAssigned(c.input);
        c.ocs[2] += 1;
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.InvalidProof.selector, id));
        market.submitChunkedResult(id, c.ics, c.ocs, c.proofs);
    }

    function test_chunkCountsMustAgreeAndExceedOne() public {
        Chunked memory c = _chunked();
        uint256 id = _postChunkedAssigned(c.input);
        uint256[] memory one = new uint256[](1);
        uint256[8][] memory oneProof = new uint256[8][](1);
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.BadChunks.selector, id, 1));
        market.submitChunkedResult(id, one, one, oneProof);
        uint256[] memory short = new uint256[](2);
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.BadChunks.selector, id, 3));
        market.submitChunkedResult(id, c.ics, short, c.proofs);
        vm.prank(intruder);
        vm.expectRevert(
            abi.encodeWithSelector(ComputeMarket.NotAssignedWorker.selector, id, intruder)
        );
        market.submitChunkedResult(id, c.ics, c.ocs, c.proofs);
    }
}

/// @dev Settlement gas with the real generated verifier, in a transaction of its own: the
///      job is posted and accepted in `setUp`, so the test's `submitResult` meets the market's
///      storage and the verifier cold, as a worker's settlement transaction does.
contract SettlementGasTest is ProofFixture {
    uint256 internal constant REQUESTER_PK = 0xA11CE;

    ComputeMarket internal market;
    uint256 internal id;

    function setUp() public {
        loadFixture();
        ArcanumToken token = new ArcanumToken(address(this));
        market = new ComputeMarket(token, 1 days, 100 ether, address(this), address(0x7EA5));
        market.setVerifier(1, 1, new SecaggSum4x8Verifier());
        address requester = vm.addr(REQUESTER_PK);
        address[2] memory actors = [requester, fixtureWorker];
        for (uint256 i; i < 2; ++i) {
            token.mint(actors[i], 1_000 ether);
            vm.prank(actors[i]);
            token.approve(address(market), type(uint256).max);
        }
        vm.prank(fixtureWorker);
        market.stake(500 ether);
        vm.prank(requester);
        id = market.postJob(
            1, 1, fixtureInput, 25 ether, uint64(block.timestamp + 1 hours), 100 ether
        );
        uint64 acceptBy = uint64(block.timestamp + 10 minutes);
        bytes memory sig =
            sign(REQUESTER_PK, market.assignmentDigest(id, fixtureWorker, 0, 20 ether, acceptBy));
        vm.prank(fixtureWorker);
        market.acceptAssignment(id, 20 ether, acceptBy, sig);
    }

    /// Within the 260,000-gas settlement budget. Under `forge test --gas-report` (each call
    /// isolated in a transaction of its own) the figure includes the 21,000 base and the
    /// calldata, and equals the report's `submitResult` row; otherwise it is the call alone.
    function test_settlementGasWithTheRealVerifier() public {
        vm.prank(fixtureWorker);
        market.submitResult(id, fixtureOutput, fixtureProof);
        uint256 used = vm.lastCallGas().gasTotalUsed;
        emit log_named_uint("submitResult gas (real verifier, cold)", used);
        assertTrue(used < 260_000, "settlement within 260k gas");
        assertEq(market.credit(fixtureWorker), 20 ether, "paid the ask");
    }
}
