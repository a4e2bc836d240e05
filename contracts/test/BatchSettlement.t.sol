// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {TestBase} from "./utils/TestBase.sol";
import {ArcanumToken} from "../src/ArcanumToken.sol";
import {ComputeMarket} from "../src/ComputeMarket.sol";
import {IGroth16Verifier} from "../src/interfaces/IGroth16Verifier.sol";
import {SecaggSum4x8Verifier} from "../src/generated/SecaggSum4x8Verifier.sol";
import {FlagVerifier} from "./utils/Doubles.sol";

/// @dev Batched settlement (`submitResults`, `verifyBatch`) on sixteen real proofs of the
///      generated verifier (`test/fixtures/secagg_sum_4x8_batch.json`, `make verifiers`):
///      a valid batch settles every job; a single bad proof, a swapped public input, a
///      proof reused for another job or a job repeated fails the whole batch.
contract BatchSettlementTest is TestBase {
    uint256 internal constant Q =
        21888242871839275222246405745257275088696311157297823662689037894645226208583;
    uint256 internal constant N = 16;
    uint256 internal constant REWARD = 5 ether;
    uint256 internal constant STAKE = 1 ether;
    uint256 internal constant REQUESTER_PK = 0xA11CE;

    ArcanumToken internal token;
    ComputeMarket internal market;
    SecaggSum4x8Verifier internal verifier;
    address internal requester = vm.addr(REQUESTER_PK);
    address internal worker;
    uint256[] internal ics;
    uint256[] internal ocs;
    uint256[8][] internal proofs;
    uint256[] internal ids;

    function setUp() public {
        string memory json = vm.readFile("test/fixtures/secagg_sum_4x8_batch.json");
        worker = vm.parseJsonAddress(json, ".worker");
        for (uint256 k; k < N; ++k) {
            string memory at = string.concat(".jobs[", vm.toString(k), "]");
            ics.push(vm.parseJsonUint(json, string.concat(at, ".inputCommitment")));
            ocs.push(vm.parseJsonUint(json, string.concat(at, ".outputCommitment")));
            uint256[] memory p = vm.parseJsonUintArray(json, string.concat(at, ".proof"));
            uint256[8] memory words;
            for (uint256 i; i < 8; ++i) {
                words[i] = p[i];
            }
            proofs.push(words);
        }
        token = new ArcanumToken(address(this));
        verifier = new SecaggSum4x8Verifier();
        market = new ComputeMarket(token, 1 days, STAKE, address(this), address(0x7EA5));
        market.setVerifier(1, 1, verifier);
        market.setVerifier(2, 2, new FlagVerifier());
        token.mint(requester, 1_000 ether);
        vm.prank(requester);
        token.approve(address(market), type(uint256).max);
        token.mint(worker, 100 ether);
        vm.startPrank(worker);
        token.approve(address(market), type(uint256).max);
        market.stake(100 ether);
        vm.stopPrank();
        for (uint256 k; k < N; ++k) {
            ids.push(_postAssigned(1, ics[k]));
            assertEq(ids[k], k + 1, "the fixture's proofs are for jobs 1 to 16");
        }
    }

    function _postAssigned(uint32 shape, uint256 ic) internal returns (uint256 id) {
        vm.prank(requester);
        id = market.postJob(
            uint8(shape), shape, ic, REWARD, uint64(block.timestamp + 1 hours), STAKE
        );
        uint64 acceptBy = uint64(block.timestamp + 10 minutes);
        bytes memory sig =
            sign(REQUESTER_PK, market.assignmentDigest(id, worker, 0, REWARD, acceptBy));
        vm.prank(worker);
        market.acceptAssignment(id, REWARD, acceptBy, sig);
    }

    function _completed(uint256 id) internal view returns (bool) {
        return market.jobs(id).status == ComputeMarket.Status.Completed;
    }

    function test_batchOfSixteenSettlesEveryJob() public {
        vm.prank(worker);
        market.submitResults(ids, ocs, proofs);
        uint256 used = vm.lastCallGas().gasTotalUsed;
        // The whole transaction: the call, its calldata (4 gas a zero byte, 16 otherwise)
        // and the 21,000 base, shared by the sixteen jobs.
        bytes memory data = abi.encodeCall(ComputeMarket.submitResults, (ids, ocs, proofs));
        uint256 calldataGas;
        for (uint256 i; i < data.length; ++i) {
            calldataGas += data[i] == 0 ? 4 : 16;
        }
        uint256 whole = 21_000 + calldataGas + used;
        emit log_named_uint("submit_results_16_call_gas", used);
        emit log_named_uint("submit_results_16_transaction_gas", whole);
        emit log_named_uint("settlement_gas_per_job_batch16", whole / N);
        for (uint256 k; k < N; ++k) {
            assertTrue(_completed(ids[k]), "completed");
        }
        assertEq(market.credit(worker), N * REWARD, "every reward credited once");
        (, uint256 locked,,,) = market.stakeOf(worker);
        assertEq(locked, 0, "every stake unlocked");
        assertTrue(whole / N < 100_000, "under 100,000 gas per job");
    }

    function test_batchVerifierAgreesWithTheSingleOne() public view {
        uint256[4][] memory inputs = new uint256[4][](N);
        for (uint256 k; k < N; ++k) {
            inputs[k] = [ids[k], uint256(uint160(worker)), ics[k], ocs[k]];
            assertTrue(verifier.verifyProof(proofs[k], inputs[k]), "each proof verifies");
        }
        assertTrue(verifier.verifyBatch(proofs, inputs), "the batch verifies");
        uint256[8][] memory one = new uint256[8][](1);
        uint256[4][] memory oneInput = new uint256[4][](1);
        one[0] = proofs[3];
        oneInput[0] = inputs[3];
        assertTrue(verifier.verifyBatch(one, oneInput), "a batch of one");
        assertTrue(!verifier.verifyBatch(new uint256[8][](0), new uint256[4][](0)), "empty");
        assertTrue(!verifier.verifyBatch(one, inputs), "lengths differ");
    }

    function test_oneBadProofFailsTheWholeBatchThenJobsSettleOneByOne() public {
        uint256[8][] memory bad = proofs;
        bad[7][6] = proofs[8][6];
        bad[7][7] = proofs[8][7];
        vm.prank(worker);
        vm.expectRevert(ComputeMarket.InvalidBatch.selector);
        market.submitResults(ids, ocs, bad);
        assertTrue(!_completed(ids[0]), "nothing settled");
        // The worker's fallback: one by one, the bad proof alone refused.
        vm.startPrank(worker);
        for (uint256 k; k < N; ++k) {
            if (k == 7) {
                vm.expectRevert(abi.encodeWithSelector(ComputeMarket.InvalidProof.selector, 8));
                market.submitResult(ids[k], ocs[k], bad[k]);
            } else {
                market.submitResult(ids[k], ocs[k], bad[k]);
            }
        }
        vm.stopPrank();
        assertEq(market.credit(worker), (N - 1) * REWARD, "fifteen rewards");
    }

    function test_aSwappedPublicInputFailsTheBatch() public {
        uint256[] memory swapped = ocs;
        (swapped[2], swapped[3]) = (ocs[3], ocs[2]);
        vm.prank(worker);
        vm.expectRevert(ComputeMarket.InvalidBatch.selector);
        market.submitResults(ids, swapped, proofs);
        // Proofs swapped along with them still belong to other jobs.
        uint256[8][] memory moved = proofs;
        (moved[2], moved[3]) = (proofs[3], proofs[2]);
        vm.prank(worker);
        vm.expectRevert(ComputeMarket.InvalidBatch.selector);
        market.submitResults(ids, swapped, moved);
    }

    function test_aRepeatedProofOrJobFailsTheBatch() public {
        // Job 1's proof (and output) claimed again for job 2.
        uint256[] memory reused = ocs;
        uint256[8][] memory again = proofs;
        reused[1] = ocs[0];
        again[1] = proofs[0];
        vm.prank(worker);
        vm.expectRevert(ComputeMarket.InvalidBatch.selector);
        market.submitResults(ids, reused, again);
        // Job 1 twice with its own valid proof: settled once, the repeat refused.
        uint256[] memory twice = ids;
        twice[1] = ids[0];
        vm.prank(worker);
        vm.expectRevert(
            abi.encodeWithSelector(
                ComputeMarket.WrongStatus.selector, 1, ComputeMarket.Status.Completed
            )
        );
        market.submitResults(twice, reused, again);
    }

    function test_batchRulesAreChecked() public {
        uint256[] memory short = new uint256[](3);
        vm.startPrank(worker);
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.BadBatch.selector, 16));
        market.submitResults(ids, short, proofs);
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.BadBatch.selector, 0));
        market.submitResults(new uint256[](0), new uint256[](0), new uint256[8][](0));
        vm.stopPrank();
        // Jobs pinned to another verifier cannot join the batch.
        uint256 other = _postAssigned(2, 7);
        uint256[] memory mixed = ids;
        mixed[5] = other;
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.MixedVerifiers.selector, other));
        market.submitResults(mixed, ocs, proofs);
        // Another worker's jobs.
        vm.prank(requester);
        vm.expectRevert();
        market.submitResults(ids, ocs, proofs);
    }

    function test_malformedBatchesAreRefusedByTheVerifier() public {
        uint256[4][] memory inputs = new uint256[4][](N);
        for (uint256 k; k < N; ++k) {
            inputs[k] = [ids[k], uint256(uint160(worker)), ics[k], ocs[k]];
        }
        uint256[8][] memory bad = proofs;
        // A proof word at or above the base field modulus (an alias of a valid one).
        bad[4][1] = proofs[4][1] + Q;
        assertTrue(!verifier.verifyBatch(bad, inputs), "non-canonical word");
        // An identity A or C (zero words): its proof's error term does not vanish.
        bad = proofs;
        (bad[9][0], bad[9][1]) = (0, 0);
        assertTrue(!verifier.verifyBatch(bad, inputs), "identity A");
        bad = proofs;
        (bad[9][6], bad[9][7]) = (0, 0);
        assertTrue(!verifier.verifyBatch(bad, inputs), "identity C");
        // An input out of the field names its place in the batch: proof 5, input 3.
        inputs[5][3] = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
        vm.expectRevert(abi.encodeWithSelector(IGroth16Verifier.PublicInputNotInField.selector, 23));
        verifier.verifyBatch(proofs, inputs);
    }

    function testFuzz_aCorruptedProofWordFailsTheBatch(uint256 k, uint256 word, uint256 delta)
        public
    {
        k = bound(k, 0, N - 1);
        word = bound(word, 0, 7);
        delta = bound(delta, 1, Q - 1);
        uint256[8][] memory bad = proofs;
        bad[k][word] = addmod(proofs[k][word], delta, Q);
        vm.prank(worker);
        vm.expectRevert(ComputeMarket.InvalidBatch.selector);
        market.submitResults(ids, ocs, bad);
    }

    function testFuzz_aCorruptedPublicInputFailsTheBatch(uint256 k, uint256 delta) public {
        k = bound(k, 0, N - 1);
        delta = bound(delta, 1, 2 ** 200);
        uint256[] memory bad = ocs;
        bad[k] = addmod(
            ocs[k],
            delta,
            21888242871839275222246405745257275088548364400416034343698204186575808495617
        );
        vm.prank(worker);
        vm.expectRevert(ComputeMarket.InvalidBatch.selector);
        market.submitResults(ids, bad, proofs);
    }
}
