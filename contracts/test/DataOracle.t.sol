// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {OracleFixture} from "./utils/Fixture.sol";
import {ArcanumToken} from "../src/ArcanumToken.sol";
import {ComputeMarket} from "../src/ComputeMarket.sol";
import {DataOracle} from "../src/DataOracle.sol";
import {IrisStatsConsumer} from "../src/examples/IrisStatsConsumer.sol";
import {IDataOracleConsumer} from "../src/interfaces/IDataOracleConsumer.sol";
import {SecaggSum4x8Verifier} from "../src/generated/SecaggSum4x8Verifier.sol";
import {ClerkSum4x8C5Verifier} from "../src/generated/ClerkSum4x8C5Verifier.sol";
import {FinalizeSecaggSum8T2Verifier} from "../src/generated/FinalizeSecaggSum8T2Verifier.sol";
import {IGroth16Verifier} from "../src/interfaces/IGroth16Verifier.sol";

/// @dev A callback that burns all the gas it gets.
contract GasBurner is IDataOracleConsumer {
    function onOracleValue(uint256, bytes32, int256, uint256) external pure {
        while (true) {}
    }
}

/// @dev A callback that tries to re-enter the oracle.
contract Reentrant is IDataOracleConsumer {
    DataOracle internal immutable oracle;
    bool public reentered;

    constructor(DataOracle o) {
        oracle = o;
    }

    function onOracleValue(uint256 id, bytes32, int256 v, uint256 jobId) external {
        DataOracle.ValueProof memory none;
        oracle.fulfill(id + 1, v, jobId, none); // reverts: nonReentrant
        reentered = true;
    }
}

/// @dev A callback that returns a huge blob (return-data bomb).
contract ReturnBomb is IDataOracleConsumer {
    function onOracleValue(uint256, bytes32, int256, uint256) external pure {
        assembly {
            return(0, 1000000)
        }
    }
}

contract DataOracleTest is OracleFixture {
    ArcanumToken internal token;
    ComputeMarket internal market;
    DataOracle internal oracle;
    IrisStatsConsumer internal consumer;
    address internal node = address(0x0AC1E);
    address internal dapp = address(0xDA99);
    bytes32 internal constant FEED = keccak256("iris/sepal_length/mean");
    /// @dev A completed job without anchors (another job's result).
    uint256 internal completedJob;
    /// @dev The anchored job the proofs are for, once `_completeOracleJob` ran.
    uint256 internal oracleJob;
    uint256 internal constant REQUESTER_KEY = 0xA11CE;
    /// @dev The fixture's three data owners (its fourth slot is empty).
    uint256[3] internal OWNER_KEYS = [uint256(0xB0B1), 0xB0B2, 0xB0B3];

    function setUp() public {
        loadFixture();
        loadOracleFixture();
        token = new ArcanumToken(address(this));
        market = new ComputeMarket(token, 1 days, 1 ether, address(this), address(0x7EA5));
        market.setVerifier(1, 1, new SecaggSum4x8Verifier());
        oracle = new DataOracle(token, market, address(this));
        oracle.setOracle(node, true);
        oracle.setFeed(
            FEED,
            DataOracle.Feed({
                kind: 0,
                queryTag: queryTag,
                params: feedParams,
                shape: 1,
                threshold: 2,
                slots: 4,
                minOwners: 3,
                clerkVerifier: IGroth16Verifier(address(new ClerkSum4x8C5Verifier())),
                finalizeVerifier: address(new FinalizeSecaggSum8T2Verifier())
            })
        );
        address[] memory owners = new address[](3);
        for (uint256 i; i < 3; ++i) {
            owners[i] = vm.addr(OWNER_KEYS[i]);
        }
        oracle.setFeedOwners(FEED, owners, true);
        consumer = new IrisStatsConsumer(oracle);

        // The fixture worker stakes; the requester (whose key is known: the fixture
        // worker accepts its signed offers) funds itself. Jobs are posted by the tests,
        // after their requests (`_completeOracleJob`).
        token.mint(address(this), 100 ether);
        token.approve(address(market), type(uint256).max);
        token.mint(fixtureWorker, 10 ether);
        vm.startPrank(fixtureWorker);
        token.approve(address(market), type(uint256).max);
        market.stake(10 ether);
        vm.stopPrank();
        address requester = vm.addr(REQUESTER_KEY);
        token.mint(requester, 10 ether);
        vm.prank(requester);
        token.approve(address(market), type(uint256).max);

        token.mint(dapp, 100 ether);
        vm.prank(dapp);
        token.approve(address(oracle), type(uint256).max);
        token.mint(address(consumer), 100 ether);
    }

    function _request(address callback, uint32 gasLimit) internal returns (uint256 id) {
        vm.prank(dapp);
        id = oracle.request(FEED, 2 ether, callback, gasLimit, 1 hours);
    }

    /// @dev Posts and settles, with the fixture worker's real proofs, job 1 (unanchored:
    ///      another job's result) and job 2 (the fixture's anchored job), after the
    ///      requests: a value must come from a fresher job.
    function _completeOracleJob() internal {
        completedJob = _settle(fixtureInput, fixtureOutput, fixtureProof);
        assertEq(completedJob, 1, "the first fixture's proof is for job 1");
        oracleJob = _settle(oracleInput, oracleOutput, oracleWorkerProof);
        assertEq(oracleJob, 2, "the oracle fixture's proofs are for job 2");
    }

    function _settle(uint256 input, uint256 output, uint256[8] memory proof)
        internal
        returns (uint256 jobId)
    {
        address requester = vm.addr(REQUESTER_KEY);
        vm.prank(requester);
        jobId = market.postJob(1, 1, input, 5 ether, uint64(block.timestamp + 1 hours), 1 ether);
        uint64 acceptBy = uint64(block.timestamp + 10 minutes);
        bytes memory sig = sign(
            REQUESTER_KEY, market.assignmentDigest(jobId, fixtureWorker, 0, 5 ether, acceptBy)
        );
        vm.startPrank(fixtureWorker);
        market.acceptAssignment(jobId, 5 ether, acceptBy, sig);
        market.submitResult(jobId, output, proof);
        vm.stopPrank();
    }

    function _digest(uint256 id, uint256 anchor) internal view returns (bytes32) {
        return anchorDigestOf(address(oracle), id, anchor);
    }

    function test_anchorDigestIsTheDocumentedOne() public view {
        assertTrue(oracle.anchorDigest(7, 11) == _digest(7, 11), "anchor digest");
    }

    /// @dev The real proofs of the fixture's value for request `id`, the owners' anchors
    ///      signed for it.
    function _proof(uint256 id) internal view returns (DataOracle.ValueProof memory p) {
        p.anchors = anchors;
        p.anchorSignatures = new bytes[](anchors.length);
        for (uint256 i; i < 3; ++i) {
            p.anchorSignatures[i] = sign(OWNER_KEYS[i], _digest(id, anchors[i]));
        }
        p.clerkIndices = clerkIndices;
        p.clerkCommitments = clerkCommitments;
        p.clerkProofs = clerkProofs;
        p.finalize = finalizeProofs[id - 1];
    }

    function test_exampleConsumerGetsAProofBackedValue() public {
        uint256 id = consumer.ask(FEED, 1 ether);
        _completeOracleJob();
        vm.prank(node);
        oracle.fulfill(id, provenValue, oracleJob, _proof(id));
        assertEq(consumer.valueOf(FEED), provenValue, "callback value");
        assertEq(consumer.jobOf(FEED), oracleJob, "callback job");
        DataOracle.Value memory v = oracle.latest(FEED);
        assertEq(v.value, provenValue, "stored value");
        assertEq(v.jobId, oracleJob, "provenance job");
        assertEq(v.worker, fixtureWorker, "provenance worker");
        assertEq(v.blockNumber, block.number, "provenance block");
        assertEq(oracle.credit(node), 1 ether, "fee credited");
        vm.prank(node);
        oracle.claim();
        assertEq(token.balanceOf(node), 1 ether, "fee paid");
        // (52.5 + 118.25 + 31) / 35 at 18 decimals, half up.
        assertEq(provenValue, int256(5_764_285_714_285_714_286), "the fixture's mean");
    }

    function test_fulfilGas() public {
        uint256 id = _request(address(0), 0);
        _completeOracleJob();
        DataOracle.ValueProof memory p = _proof(id);
        vm.prank(node);
        oracle.fulfill(id, provenValue, oracleJob, p);
        // Three Groth16 checks (two clerks, one finalize) and the bookkeeping.
        uint256 used = vm.lastCallGas().gasTotalUsed;
        assertTrue(used > 600_000 && used < 900_000, "three proof checks, under 900k");
    }

    function test_aWrongValueIsRejectedWithTheRightProofs() public {
        uint256 id = _request(address(0), 0);
        _completeOracleJob();
        int256[3] memory wrong = [provenValue + 1, provenValue - 1, int256(123456789)];
        vm.startPrank(node);
        for (uint256 i; i < wrong.length; ++i) {
            vm.expectRevert(DataOracle.InvalidFinalizeProof.selector);
            oracle.fulfill(id, wrong[i], oracleJob, _proof(id));
        }
        vm.expectRevert(
            abi.encodeWithSelector(DataOracle.ValueOutOfRange.selector, type(int256).max)
        );
        oracle.fulfill(id, type(int256).max, oracleJob, _proof(id));
        oracle.fulfill(id, provenValue, oracleJob, _proof(id));
        vm.stopPrank();
    }

    function test_proofsOfAnotherRequestOrJobAreRejected() public {
        uint256 first = _request(address(0), 0);
        uint256 second = _request(address(0), 0);
        _completeOracleJob();
        vm.startPrank(node);
        // The finalize proof binds its request (the owners signed for this one).
        DataOracle.ValueProof memory p = _proof(second);
        p.finalize = finalizeProofs[first - 1];
        vm.expectRevert(DataOracle.InvalidFinalizeProof.selector);
        oracle.fulfill(second, provenValue, oracleJob, p);
        // The owners' signatures bind it too.
        vm.expectRevert();
        oracle.fulfill(second, provenValue, oracleJob, _proof(first));
        // Another completed job, as fresh (a different input commitment): the clerks'
        // proofs do not open it.
        vm.expectRevert(abi.encodeWithSelector(DataOracle.InvalidClerkProof.selector, 0));
        oracle.fulfill(first, provenValue, completedJob, _proof(first));
        // Another feed's query: the anchors commit to this one.
        vm.stopPrank();
        DataOracle.Feed memory f = oracle.feeds(FEED);
        f.queryTag = uint256(keccak256("iris/petal_length/mean")) % R;
        oracle.setFeed(keccak256("other"), f);
        vm.prank(dapp);
        uint256 other = oracle.request(keccak256("other"), 0, address(0), 0, 1 hours);
        vm.expectRevert();
        oracle.fulfill(other, provenValue, oracleJob, _proof(other));
        vm.startPrank(node);
        vm.expectRevert(abi.encodeWithSelector(DataOracle.JobBeforeRequest.selector, oracleJob, 3));
        oracle.fulfill(other, provenValue, oracleJob, _proof(first));
        vm.stopPrank();
    }

    uint256 internal constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    function test_clerksOutsideTheAnchoredPositionsAreRejected() public {
        uint256 id = _request(address(0), 0);
        _completeOracleJob();
        DataOracle.ValueProof memory p = _proof(id);
        vm.startPrank(node);
        // Clerk 3's proof claimed for position 2.
        p.clerkIndices[1] = 2;
        vm.expectRevert(abi.encodeWithSelector(DataOracle.InvalidClerkProof.selector, 1));
        oracle.fulfill(id, provenValue, oracleJob, p);
        // Another clerk commitment with a real proof.
        p = _proof(id);
        p.clerkCommitments[1] = p.clerkCommitments[0];
        vm.expectRevert(abi.encodeWithSelector(DataOracle.InvalidClerkProof.selector, 1));
        oracle.fulfill(id, provenValue, oracleJob, p);
        // The same clerk twice, or too few.
        p = _proof(id);
        p.clerkIndices[1] = p.clerkIndices[0];
        vm.expectRevert(abi.encodeWithSelector(DataOracle.BadClerks.selector, 2, 2));
        oracle.fulfill(id, provenValue, oracleJob, p);
        p = _proof(id);
        p.clerkIndices = new uint256[](1);
        vm.expectRevert(abi.encodeWithSelector(DataOracle.BadClerks.selector, 1, 2));
        oracle.fulfill(id, provenValue, oracleJob, p);
        DataOracle.ValueProof memory none;
        vm.expectRevert(abi.encodeWithSelector(DataOracle.BadAnchors.selector, 0, 4));
        oracle.fulfill(id, provenValue, oracleJob, none);
        vm.stopPrank();
    }

    function test_valuesCombineOnlyTheFeedsOwnersSignedForTheRequest() public {
        uint256 id = _request(address(0), 0);
        uint256 other = _request(address(0), 0);
        _completeOracleJob();
        vm.startPrank(node);
        // Signed by someone who is not one of the feed's owners.
        DataOracle.ValueProof memory p = _proof(id);
        p.anchorSignatures[1] = sign(0xBAD, _digest(id, anchors[1]));
        vm.expectRevert(abi.encodeWithSelector(DataOracle.NotFeedOwner.selector, 1, vm.addr(0xBAD)));
        oracle.fulfill(id, provenValue, oracleJob, p);
        // An owner's signature for another request (no replay across requests).
        p = _proof(id);
        p.anchorSignatures[0] = sign(OWNER_KEYS[0], _digest(other, anchors[0]));
        vm.expectRevert();
        oracle.fulfill(id, provenValue, oracleJob, p);
        // One owner signing two slots.
        p = _proof(id);
        p.anchorSignatures[1] = sign(OWNER_KEYS[0], _digest(id, anchors[1]));
        vm.expectRevert(
            abi.encodeWithSelector(DataOracle.NotFeedOwner.selector, 1, vm.addr(OWNER_KEYS[0]))
        );
        oracle.fulfill(id, provenValue, oracleJob, p);
        // An owner's anchor dropped: too few owners (and the proofs would not open the job).
        p = _proof(id);
        p.anchors[2] = 0;
        vm.expectRevert(abi.encodeWithSelector(DataOracle.TooFewOwners.selector, 2, 3));
        oracle.fulfill(id, provenValue, oracleJob, p);
        // An anchor swapped for another value, signed by its owner: the finalize proof does
        // not hold (the job's input commitment binds the real one).
        p = _proof(id);
        p.anchors[2] = anchors[2] ^ 1;
        p.anchorSignatures[2] = sign(OWNER_KEYS[2], _digest(id, p.anchors[2]));
        vm.expectRevert(DataOracle.InvalidFinalizeProof.selector);
        oracle.fulfill(id, provenValue, oracleJob, p);
        // Another authorised node copying this node's proofs.
        vm.stopPrank();
        oracle.setOracle(address(0xC0FFEE), true);
        vm.prank(address(0xC0FFEE));
        vm.expectRevert(DataOracle.InvalidFinalizeProof.selector);
        oracle.fulfill(id, provenValue, oracleJob, _proof(id));
        // An owner removed from the feed no longer counts.
        address[] memory gone = new address[](1);
        gone[0] = vm.addr(OWNER_KEYS[2]);
        oracle.setFeedOwners(FEED, gone, false);
        vm.prank(node);
        vm.expectRevert(
            abi.encodeWithSelector(DataOracle.NotFeedOwner.selector, 2, vm.addr(OWNER_KEYS[2]))
        );
        oracle.fulfill(id, provenValue, oracleJob, _proof(id));
    }

    function test_valueNeedsACompletedFreshJob() public {
        uint256 id = _request(address(0), 0);
        uint256 open =
            market.postJob(1, 1, fixtureInput, 5 ether, uint64(block.timestamp + 1 hours), 1 ether);
        vm.startPrank(node);
        vm.expectRevert(abi.encodeWithSelector(DataOracle.JobNotCompleted.selector, open));
        oracle.fulfill(id, 1, open, _proof(id));
        vm.expectRevert(abi.encodeWithSelector(DataOracle.JobNotCompleted.selector, 999));
        oracle.fulfill(id, 1, 999, _proof(id));
        vm.stopPrank();
        // A request made after the job: its result is stale for it.
        _completeOracleJobAfter(open);
        uint256 late = _request(address(0), 0);
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(DataOracle.JobBeforeRequest.selector, oracleJob, 3));
        oracle.fulfill(late, provenValue, oracleJob, _proof(late));
    }

    /// @dev `_completeOracleJob` when job 1 is already posted (and left open).
    function _completeOracleJobAfter(uint256 open) internal {
        assertEq(open, 1, "job 1 is open");
        oracleJob = _settle(oracleInput, oracleOutput, oracleWorkerProof);
        assertEq(oracleJob, 2, "the oracle fixture's proofs are for job 2");
    }

    function test_onlyOraclesFulfilOnce() public {
        uint256 id = _request(address(0), 0);
        uint256 id2 = _request(address(0), 0);
        _completeOracleJob();
        vm.prank(dapp);
        vm.expectRevert(abi.encodeWithSelector(DataOracle.NotOracle.selector, dapp));
        oracle.fulfill(id, provenValue, oracleJob, _proof(id));
        vm.startPrank(node);
        oracle.fulfill(id, provenValue, oracleJob, _proof(id));
        vm.expectRevert(abi.encodeWithSelector(DataOracle.RequestNotOpen.selector, id));
        oracle.fulfill(id, provenValue, oracleJob, _proof(id));
        vm.stopPrank();
        oracle.setOracle(node, false);
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(DataOracle.NotOracle.selector, node));
        oracle.fulfill(id2, provenValue, oracleJob, _proof(id2));
    }

    function test_failingCallbacksCannotBlockFulfilment() public {
        address[3] memory bad =
            [address(new GasBurner()), address(new Reentrant(oracle)), address(new ReturnBomb())];
        uint256[3] memory ids;
        for (uint256 i; i < bad.length; ++i) {
            ids[i] = _request(bad[i], 200_000);
            _request(address(0), 0); // the request a re-entrant callback would target
        }
        _completeOracleJob();
        for (uint256 i; i < bad.length; ++i) {
            vm.prank(node);
            oracle.fulfill{gas: 3_000_000}(ids[i], provenValue, oracleJob, _proof(ids[i]));
            DataOracle.Value memory v = oracle.latest(FEED);
            assertEq(v.requestId, ids[i], "recorded despite the callback");
        }
        assertTrue(!Reentrant(bad[1]).reentered(), "re-entry blocked");
    }

    function test_fulfillerCannotStarveTheCallback() public {
        uint256 id = _request(address(consumer), 100_000);
        _completeOracleJob();
        DataOracle.ValueProof memory p = _proof(id);
        vm.prank(node);
        vm.expectRevert(); // InsufficientGasForCallback: its arguments depend on gasleft()
        oracle.fulfill{gas: 750_000}(id, provenValue, oracleJob, p);
        vm.prank(node);
        oracle.fulfill{gas: 1_500_000}(id, provenValue, oracleJob, p);
        assertEq(consumer.valueOf(FEED), provenValue, "delivered with enough gas");
    }

    function test_expiredRequestsAreRefundedNotFulfilled() public {
        uint256 id = _request(address(0), 0);
        uint64 expiresAt = uint64(block.timestamp + 1 hours);
        vm.prank(dapp);
        vm.expectRevert(
            abi.encodeWithSelector(DataOracle.RequestNotExpired.selector, id, expiresAt)
        );
        oracle.cancel(id);
        _completeOracleJob();
        vm.warp(block.timestamp + 1 hours + 1);
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(DataOracle.RequestExpired.selector, id, expiresAt));
        oracle.fulfill(id, provenValue, oracleJob, _proof(id));
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(DataOracle.NotRequester.selector, id));
        oracle.cancel(id);
        vm.prank(dapp);
        oracle.cancel(id);
        assertEq(oracle.credit(dapp), 2 ether, "refunded");
        vm.prank(dapp);
        vm.expectRevert(abi.encodeWithSelector(DataOracle.RequestNotOpen.selector, id));
        oracle.cancel(id);
    }

    function test_requestBoundsAndUnknownFeeds() public {
        vm.startPrank(dapp);
        vm.expectRevert(
            abi.encodeWithSelector(DataOracle.CallbackGasTooHigh.selector, uint32(1_000_001))
        );
        oracle.request(FEED, 0, address(1), 1_000_001, 1 hours);
        vm.expectRevert(DataOracle.InvalidTtl.selector);
        oracle.request(FEED, 0, address(0), 0, 0);
        vm.expectRevert(abi.encodeWithSelector(DataOracle.UnknownFeed.selector, bytes32("nope")));
        oracle.request(bytes32("nope"), 0, address(0), 0, 1 hours);
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(DataOracle.UnknownFeed.selector, bytes32("nope")));
        oracle.latest(bytes32("nope"));
        vm.expectRevert(abi.encodeWithSelector(DataOracle.UnknownFeed.selector, bytes32("nope")));
        oracle.feeds(bytes32("nope"));
        vm.expectRevert(DataOracle.ZeroAmount.selector);
        oracle.claim();
    }

    function test_onlyTheOwnerDefinesFeeds() public {
        DataOracle.Feed memory f = oracle.feeds(FEED);
        vm.prank(dapp);
        vm.expectRevert();
        oracle.setFeed(FEED, f);
        f.threshold = 0;
        vm.expectRevert(abi.encodeWithSelector(DataOracle.BadFeed.selector, FEED));
        oracle.setFeed(FEED, f);
        f = oracle.feeds(FEED);
        f.params = f.params | (1 << 21); // decimals past 31
        vm.expectRevert(abi.encodeWithSelector(DataOracle.BadFeed.selector, FEED));
        oracle.setFeed(FEED, f);
        f = oracle.feeds(FEED);
        f.minOwners = 5; // more than the shape's slots
        vm.expectRevert(abi.encodeWithSelector(DataOracle.BadFeed.selector, FEED));
        oracle.setFeed(FEED, f);
    }
}

/// @dev The data oracle's verifiers stay near the EIP-1108 floor: four pairings (181,000
///      gas) plus one ecMul and one ecAdd per public input (6,150 gas).
contract OracleVerifierGasTest is OracleFixture {
    uint256 internal constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    function setUp() public {
        loadOracleFixture();
    }

    function _floor(uint256 inputs) internal pure returns (uint256) {
        return 181_000 + 6_150 * inputs;
    }

    function test_oracleVerifiersWithinThreePercentOfTheFloor() public {
        ClerkSum4x8C5Verifier clerk = new ClerkSum4x8C5Verifier();
        uint256[4] memory input = [oracleInput, queryTag, clerkIndices[0], clerkCommitments[0]];
        assertTrue(clerk.verifyProof(clerkProofs[0], input), "clerk proof verifies");
        uint256 clerkGas = vm.lastCallGas().gasTotalUsed;

        FinalizeSecaggSum8T2Verifier fin = new FinalizeSecaggSum8T2Verifier();
        uint256[12] memory public_ = [
            uint256(keccak256(abi.encode(uint256(1), address(0x0AC1E)))) % R,
            oracleInput,
            feedParams,
            uint256(provenValue),
            clerkIndices[0],
            clerkIndices[1],
            clerkCommitments[0],
            clerkCommitments[1],
            anchors[0],
            anchors[1],
            anchors[2],
            anchors[3]
        ];
        assertTrue(fin.verifyProof(finalizeProofs[0], public_), "finalize proof verifies");
        uint256 finalizeGas = vm.lastCallGas().gasTotalUsed;
        emit log_named_uint("clerk_sum_verifier_gas", clerkGas);
        emit log_named_uint("finalize_secagg_sum_verifier_gas", finalizeGas);

        assertTrue(clerkGas >= _floor(4) && clerkGas * 100 <= _floor(4) * 103, "clerk verifier");
        assertTrue(
            finalizeGas >= _floor(12) && finalizeGas * 100 <= _floor(12) * 103, "finalize verifier"
        );
    }
}
