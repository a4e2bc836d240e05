// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {TestBase} from "./utils/TestBase.sol";
import {ArcanumToken} from "../src/ArcanumToken.sol";
import {ComputeMarket} from "../src/ComputeMarket.sol";
import {IGroth16Verifier} from "../src/interfaces/IGroth16Verifier.sol";
import {SecaggSum4x8Verifier} from "../src/generated/SecaggSum4x8Verifier.sol";
import {FlagVerifier} from "./utils/Doubles.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @dev EIP-712 assignments, fees, parameters and two-step ownership.
contract MarketAdminTest is TestBase {
    ArcanumToken internal token;
    ComputeMarket internal market;
    uint256 internal requesterKey = 0xA11CE;
    address internal requester;
    address internal worker = address(0xB0B);
    address internal other = address(0xC0C);
    address internal treasury = address(0x7EA5);
    uint256 internal constant ASK = 8 ether;

    function setUp() public {
        requester = vm.addr(requesterKey);
        token = new ArcanumToken(address(this));
        market = new ComputeMarket(token, 1 days, 10 ether, address(this), treasury);
        market.setVerifier(1, 1, new SecaggSum4x8Verifier());
        address[3] memory actors = [requester, worker, other];
        for (uint256 i; i < 3; ++i) {
            token.mint(actors[i], 1_000 ether);
            vm.prank(actors[i]);
            token.approve(address(market), type(uint256).max);
        }
        vm.prank(worker);
        market.stake(100 ether);
        vm.prank(other);
        market.stake(100 ether);
    }

    function _post() internal returns (uint256) {
        vm.prank(requester);
        return market.postJob(1, 1, 123, 10 ether, uint64(block.timestamp + 1 hours), 10 ether);
    }

    function _sign(uint256 jobId, address w, uint16 attempt, uint64 acceptBy)
        internal
        view
        returns (bytes memory)
    {
        return sign(requesterKey, market.assignmentDigest(jobId, w, attempt, ASK, acceptBy));
    }

    function test_workerAcceptsASignedAssignment() public {
        uint256 id = _post();
        uint64 acceptBy = uint64(block.timestamp + 10 minutes);
        bytes memory sig = _sign(id, worker, 0, acceptBy);
        // Only the named worker can use it.
        vm.prank(other);
        vm.expectRevert(ComputeMarket.BadAssignmentSignature.selector);
        market.acceptAssignment(id, ASK, acceptBy, sig);
        vm.prank(worker);
        market.acceptAssignment(id, ASK, acceptBy, sig);
        ComputeMarket.Job memory job = market.jobs(id);
        assertTrue(job.status == ComputeMarket.Status.Assigned, "assigned");
        assertEq(job.worker, worker, "worker");
        assertEq(job.reward, ASK, "escrow is the signed price");
        assertEq(market.credit(requester), 10 ether - ASK, "the rest refunded");
        // The price is signed: the worker cannot take the job at another one.
        uint256 id2 = _post();
        bytes memory sig2 = _sign(id2, worker, 0, acceptBy);
        vm.prank(worker);
        vm.expectRevert(ComputeMarket.BadAssignmentSignature.selector);
        market.acceptAssignment(id2, ASK + 1, acceptBy, sig2);
        // Used once: the job is no longer open.
        vm.prank(worker);
        vm.expectRevert(
            abi.encodeWithSelector(
                ComputeMarket.WrongStatus.selector, id, ComputeMarket.Status.Assigned
            )
        );
        market.acceptAssignment(id, ASK, acceptBy, sig);
    }

    function test_signedAssignmentDiesWithExpiryAndReopening() public {
        uint256 id = _post();
        uint64 acceptBy = uint64(block.timestamp + 10 minutes);
        bytes memory sig = _sign(id, worker, 0, acceptBy);
        vm.warp(block.timestamp + 11 minutes);
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.AssignmentExpired.selector, acceptBy));
        market.acceptAssignment(id, ASK, acceptBy, sig);

        // Assigned, missed, expired: the old signature (attempt 0) cannot retake the job.
        uint64 later = uint64(block.timestamp + 2 hours);
        bytes memory sig0 = _sign(id, worker, 0, later);
        vm.prank(worker);
        market.acceptAssignment(id, ASK, later, sig0);
        vm.warp(block.timestamp + 2 hours);
        market.expire(id);
        vm.prank(requester);
        market.extendDeadline(id, uint64(block.timestamp + 1 hours));
        uint64 by = uint64(block.timestamp + 1 hours);
        bytes memory stale = _sign(id, worker, 0, by);
        bytes memory fresh = _sign(id, worker, 1, by);
        vm.prank(worker);
        vm.expectRevert(ComputeMarket.BadAssignmentSignature.selector);
        market.acceptAssignment(id, ASK, by, stale);
        vm.prank(worker);
        market.acceptAssignment(id, ASK, by, fresh);
    }

    function test_verifierIsPinnedWhenTheJobIsPosted() public {
        uint256 id = _post();
        IGroth16Verifier before = market.verifierOf(1);
        market.setVerifier(1, 1, new FlagVerifier());
        IGroth16Verifier pinned = market.jobs(id).verifier;
        assertEq(address(pinned), address(before), "in-flight job keeps its verifier");
        market.setVerifier(1, 1, IGroth16Verifier(address(0)));
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.UnknownShape.selector, 1));
        market.postJob(1, 1, 123, 10 ether, uint64(block.timestamp + 1 hours), 10 ether);
    }

    function test_postingFeeGoesToTheTreasury() public {
        market.setParameters(10 ether, 250, 5_000, treasury); // 2.5 %
        uint256 before = token.balanceOf(requester);
        _post();
        assertEq(before - token.balanceOf(requester), 10.25 ether, "reward plus fee");
        assertEq(market.credit(treasury), 0.25 ether, "fee credited");
    }

    function test_onlyTheOwnerAdministers() public {
        vm.startPrank(other);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, other));
        market.setVerifier(2, 1, IGroth16Verifier(address(1)));
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, other));
        market.setParameters(0, 0, 0, other);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, other));
        market.setStartWindow(1 minutes);
        vm.stopPrank();
        vm.expectRevert(ComputeMarket.InvalidParameter.selector);
        market.setVerifier(2, 0, IGroth16Verifier(address(1))); // kind 0 is no kind
        // A verifier must answer verifyBatch: no code, or a contract without it, is refused.
        vm.expectRevert(ComputeMarket.InvalidParameter.selector);
        market.setVerifier(2, 1, IGroth16Verifier(address(0xDEAD)));
        vm.expectRevert(ComputeMarket.InvalidParameter.selector);
        market.setVerifier(2, 1, IGroth16Verifier(address(token)));
        vm.expectRevert(ComputeMarket.InvalidParameter.selector);
        market.setStartWindow(1 days + 1);
        market.setStartWindow(1 days);
        assertEq(market.startWindow(), 1 days, "start window set");
        vm.expectRevert(ComputeMarket.InvalidParameter.selector);
        market.setParameters(0, 1_001, 0, treasury);
        vm.expectRevert(ComputeMarket.InvalidParameter.selector);
        market.setParameters(0, 0, 10_001, treasury);
        vm.expectRevert(ComputeMarket.InvalidParameter.selector);
        market.setParameters(0, 0, 0, address(0));
    }

    function test_ownershipMovesInTwoSteps() public {
        market.transferOwnership(other);
        assertEq(market.owner(), address(this), "not yet");
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, worker));
        market.acceptOwnership();
        vm.prank(other);
        market.acceptOwnership();
        assertEq(market.owner(), other, "moved");
    }

    function test_amountsBeyondStorageWidthAreRefused() public {
        token.mint(requester, type(uint128).max);
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(
                ComputeMarket.AmountTooLarge.selector, uint256(type(uint96).max) + 1
            )
        );
        market.postJob(1, 1, 1, uint256(type(uint96).max) + 1, uint64(block.timestamp + 1), 0);
    }

    function test_zeroAndRestrictedCallsRevert() public {
        vm.expectRevert(ComputeMarket.ZeroAmount.selector);
        market.stake(0);
        vm.expectRevert(ComputeMarket.ZeroAmount.selector);
        market.claim();
        vm.expectRevert(ComputeMarket.ZeroAmount.selector);
        market.requestUnbond(0);
        vm.expectRevert(ComputeMarket.ZeroAmount.selector);
        market.withdraw();
        uint256 id = _post();
        ComputeMarket.Bid memory bid = ComputeMarket.Bid({
            jobId: id,
            worker: worker,
            attempt: 0,
            ask: ASK,
            maxLockedStake: 10 ether,
            deadlineAtLeast: 0,
            expiresAt: uint64(block.timestamp)
        });
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.NotRequester.selector, id));
        market.assignWithBid(bid, "");
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.NotRequester.selector, id));
        market.extendDeadline(id, uint64(block.timestamp + 2 hours));
        vm.expectRevert(
            abi.encodeWithSelector(
                ComputeMarket.WrongStatus.selector, id, ComputeMarket.Status.Open
            )
        );
        market.release(id);
        vm.expectRevert(
            abi.encodeWithSelector(
                ComputeMarket.WrongStatus.selector, id, ComputeMarket.Status.Open
            )
        );
        market.expire(id);
        uint64 acceptBy = uint64(block.timestamp);
        bytes memory sig = _sign(id, worker, 0, acceptBy);
        vm.prank(worker);
        market.acceptAssignment(id, ASK, acceptBy, sig);
        vm.expectRevert(
            abi.encodeWithSelector(
                ComputeMarket.DeadlineNotPassed.selector, id, uint64(block.timestamp + 1 hours)
            )
        );
        market.expire(id);
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(
                ComputeMarket.WrongStatus.selector, id, ComputeMarket.Status.Assigned
            )
        );
        market.extendDeadline(id, uint64(block.timestamp + 2 hours));
    }
}
