// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {ProofFixture} from "./utils/Fixture.sol";
import {ArcanumToken} from "../src/ArcanumToken.sol";
import {ComputeMarket} from "../src/ComputeMarket.sol";
import {DataOracle} from "../src/DataOracle.sol";
import {IrisStatsConsumer} from "../src/examples/IrisStatsConsumer.sol";
import {IDataOracleConsumer} from "../src/interfaces/IDataOracleConsumer.sol";
import {SecaggSum4x8Verifier} from "../src/generated/SecaggSum4x8Verifier.sol";

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
        oracle.fulfill(id + 1, v, jobId); // reverts: nonReentrant
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

contract DataOracleTest is ProofFixture {
    ArcanumToken internal token;
    ComputeMarket internal market;
    DataOracle internal oracle;
    IrisStatsConsumer internal consumer;
    address internal node = address(0x0AC1E);
    address internal dapp = address(0xDA99);
    bytes32 internal constant FEED = keccak256("iris/sepal_length/mean");
    uint256 internal completedJob;

    function setUp() public {
        loadFixture();
        token = new ArcanumToken(address(this));
        market = new ComputeMarket(token, 1 days, 1 ether, address(this), address(0x7EA5));
        market.setVerifier(1, 1, new SecaggSum4x8Verifier());
        oracle = new DataOracle(token, market, address(this));
        oracle.setOracle(node, true);
        consumer = new IrisStatsConsumer(oracle);

        // Job 1 completed with the real proof fixture.
        token.mint(address(this), 100 ether);
        token.approve(address(market), type(uint256).max);
        token.mint(fixtureWorker, 10 ether);
        vm.startPrank(fixtureWorker);
        token.approve(address(market), type(uint256).max);
        market.stake(10 ether);
        vm.stopPrank();
        // The fixture's key is unknown: the fixture worker accepts an offer signed by a
        // requester whose key is known.
        uint256 requesterKey = 0xA11CE;
        address requester = vm.addr(requesterKey);
        token.mint(requester, 10 ether);
        vm.startPrank(requester);
        token.approve(address(market), type(uint256).max);
        completedJob =
            market.postJob(1, 1, fixtureInput, 5 ether, uint64(block.timestamp + 1 hours), 1 ether);
        vm.stopPrank();
        uint64 acceptBy = uint64(block.timestamp + 10 minutes);
        bytes memory sig = sign(
            requesterKey, market.assignmentDigest(completedJob, fixtureWorker, 0, 5 ether, acceptBy)
        );
        vm.startPrank(fixtureWorker);
        market.acceptAssignment(completedJob, 5 ether, acceptBy, sig);
        market.submitResult(completedJob, fixtureOutput, fixtureProof);
        vm.stopPrank();

        token.mint(dapp, 100 ether);
        vm.prank(dapp);
        token.approve(address(oracle), type(uint256).max);
        token.mint(address(consumer), 100 ether);
    }

    function _request(address callback, uint32 gasLimit) internal returns (uint256 id) {
        vm.prank(dapp);
        id = oracle.request(FEED, 2 ether, callback, gasLimit, 1 hours);
    }

    function test_exampleConsumerGetsAProofBackedValue() public {
        uint256 id = consumer.ask(FEED, 1 ether);
        vm.prank(node);
        oracle.fulfill(id, 5.843e18, completedJob);
        assertEq(consumer.valueOf(FEED), int256(5.843e18), "callback value");
        assertEq(consumer.jobOf(FEED), completedJob, "callback job");
        DataOracle.Value memory v = oracle.latest(FEED);
        assertEq(v.value, int256(5.843e18), "stored value");
        assertEq(v.jobId, completedJob, "provenance job");
        assertEq(v.worker, fixtureWorker, "provenance worker");
        assertEq(v.blockNumber, block.number, "provenance block");
        assertEq(oracle.credit(node), 1 ether, "fee credited");
        vm.prank(node);
        oracle.claim();
        assertEq(token.balanceOf(node), 1 ether, "fee paid");
    }

    function test_valueNeedsACompletedJob() public {
        uint256 id = _request(address(0), 0);
        uint256 open =
            market.postJob(1, 1, fixtureInput, 5 ether, uint64(block.timestamp + 1 hours), 1 ether);
        vm.startPrank(node);
        vm.expectRevert(abi.encodeWithSelector(DataOracle.JobNotCompleted.selector, open));
        oracle.fulfill(id, 1, open);
        vm.expectRevert(abi.encodeWithSelector(DataOracle.JobNotCompleted.selector, 999));
        oracle.fulfill(id, 1, 999);
        vm.stopPrank();
    }

    function test_onlyOraclesFulfilOnce() public {
        uint256 id = _request(address(0), 0);
        vm.prank(dapp);
        vm.expectRevert(abi.encodeWithSelector(DataOracle.NotOracle.selector, dapp));
        oracle.fulfill(id, 1, completedJob);
        vm.startPrank(node);
        oracle.fulfill(id, 1, completedJob);
        vm.expectRevert(abi.encodeWithSelector(DataOracle.RequestNotOpen.selector, id));
        oracle.fulfill(id, 2, completedJob);
        vm.stopPrank();
        oracle.setOracle(node, false);
        uint256 id2 = _request(address(0), 0);
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(DataOracle.NotOracle.selector, node));
        oracle.fulfill(id2, 1, completedJob);
    }

    function test_failingCallbacksCannotBlockFulfilment() public {
        address[3] memory bad =
            [address(new GasBurner()), address(new Reentrant(oracle)), address(new ReturnBomb())];
        for (uint256 i; i < bad.length; ++i) {
            uint256 id = _request(bad[i], 200_000);
            _request(address(0), 0); // the request a re-entrant callback would target
            vm.prank(node);
            oracle.fulfill{gas: 2_000_000}(id, int256(i), completedJob);
            assertEq(oracle.latest(FEED).value, int256(i), "recorded despite the callback");
        }
        assertTrue(!Reentrant(bad[1]).reentered(), "re-entry blocked");
    }

    function test_fulfillerCannotStarveTheCallback() public {
        uint256 id = _request(address(consumer), 100_000);
        vm.prank(node);
        vm.expectRevert(); // InsufficientGasForCallback: its arguments depend on gasleft()
        oracle.fulfill{gas: 90_000}(id, 1, completedJob);
        vm.prank(node);
        oracle.fulfill{gas: 400_000}(id, 1, completedJob);
        assertEq(consumer.valueOf(FEED), int256(1), "delivered with enough gas");
    }

    function test_expiredRequestsAreRefundedNotFulfilled() public {
        uint256 id = _request(address(0), 0);
        uint64 expiresAt = uint64(block.timestamp + 1 hours);
        vm.prank(dapp);
        vm.expectRevert(
            abi.encodeWithSelector(DataOracle.RequestNotExpired.selector, id, expiresAt)
        );
        oracle.cancel(id);
        vm.warp(block.timestamp + 1 hours + 1);
        vm.prank(node);
        vm.expectRevert(abi.encodeWithSelector(DataOracle.RequestExpired.selector, id, expiresAt));
        oracle.fulfill(id, 1, completedJob);
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
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(DataOracle.UnknownFeed.selector, bytes32("nope")));
        oracle.latest(bytes32("nope"));
        vm.expectRevert(DataOracle.ZeroAmount.selector);
        oracle.claim();
    }
}
