// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {TestBase} from "./utils/TestBase.sol";
import {FlagVerifier, OwnerWallet} from "./utils/Doubles.sol";
import {ArcanumToken} from "../src/ArcanumToken.sol";
import {ComputeMarket} from "../src/ComputeMarket.sol";

/// @dev A worker's stake is locked only by the worker's own act (its signed bid, or its own
///      `acceptAssignment`), it is paid its ask, a requester cannot profit from a slash it
///      causes by withholding inputs, and a worker that got no inputs releases for free.
///      Settlement goes through a test-double verifier (FlagVerifier: `proof[0] == 1`); the
///      real verifier is exercised by ComputeMarket.t.sol.
contract StakeConsentTest is TestBase {
    uint256 internal constant REQUESTER_PK = 0xA11CE;
    uint256 internal constant VICTIM_PK = 0xB0B;
    uint256 internal constant OTHER_PK = 0xC0C;
    uint256 internal constant OWNER_PK = 0xD0D;
    uint256 internal constant REWARD = 25 ether;
    uint256 internal constant STAKE = 100 ether;
    uint256 internal constant MIN_WORKER_STAKE = 10 ether;

    ArcanumToken internal token;
    ComputeMarket internal market;
    address internal requester = vm.addr(REQUESTER_PK);
    address internal victim = vm.addr(VICTIM_PK);
    address internal other = vm.addr(OTHER_PK);
    address internal treasury = address(0x7EA5);

    event JobAssigned(
        uint256 indexed jobId,
        address indexed worker,
        uint16 attempt,
        uint256 ask,
        uint256 refund,
        uint256 topUp
    );
    event JobReleased(
        uint256 indexed jobId, address indexed worker, uint16 attempt, uint32 releases
    );

    function setUp() public {
        token = new ArcanumToken(address(this));
        market = new ComputeMarket(token, 1 days, MIN_WORKER_STAKE, address(this), treasury);
        market.setVerifier(1, 1, new FlagVerifier());
        address[3] memory actors = [requester, victim, other];
        for (uint256 i; i < actors.length; ++i) {
            token.mint(actors[i], 1_000 ether);
            vm.prank(actors[i]);
            token.approve(address(market), type(uint256).max);
        }
        vm.prank(victim);
        market.stake(STAKE);
        vm.prank(other);
        market.stake(STAKE);
    }

    // ------------------------------------------------------------- helpers

    function _post(uint256 reward, uint256 minStake, uint256 ttl) internal returns (uint256) {
        vm.prank(requester);
        return market.postJob(1, 1, 7, reward, uint64(block.timestamp + ttl), minStake);
    }

    function _post() internal returns (uint256) {
        return _post(REWARD, STAKE, 1 hours);
    }

    /// A bid by `vm.addr(pk)` for the job's current attempt on exactly the job's terms.
    function _bid(uint256 pk, uint256 id, uint256 ask)
        internal
        view
        returns (ComputeMarket.Bid memory bid)
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
    }

    function _signBid(uint256 pk, ComputeMarket.Bid memory bid)
        internal
        view
        returns (bytes memory)
    {
        return sign(pk, market.bidDigest(bid));
    }

    /// The requester submits a bid `vm.addr(pk)` signed.
    function _assign(uint256 pk, uint256 id, uint256 ask) internal {
        ComputeMarket.Bid memory bid = _bid(pk, id, ask);
        bytes memory sig = _signBid(pk, bid);
        vm.prank(requester);
        market.assignWithBid(bid, sig);
    }

    function _settle(address worker, uint256 id) internal {
        uint256[8] memory proof;
        proof[0] = 1;
        vm.prank(worker);
        market.submitResult(id, 42, proof);
    }

    function _stake(address worker) internal view returns (uint256 staked, uint256 locked) {
        (staked, locked,,,) = market.stakeOf(worker);
    }

    // ------------------------------------------------------- the attack

    /// The theft the issue describes: a requester posts a job whose stake equals a victim's
    /// free stake and tries to lock it without the victim's bid, to have it slashed. No
    /// function lets it; the old sequence expire / cancel / claim leaves the stake intact.
    function test_requesterCannotLockAStakeItsWorkerNeverBidFor() public {
        uint256 free = market.freeStake(victim);
        assertEq(free, STAKE, "victim's free stake");
        uint256 id = _post(REWARD, free, 1 hours);
        ComputeMarket.Bid memory bid = _bid(VICTIM_PK, id, REWARD);
        bytes memory badSig = abi.encodeWithSelector(ComputeMarket.BadBidSignature.selector, victim);

        // A bid in the victim's name signed by the requester's own key.
        bytes memory sig = _signBid(REQUESTER_PK, bid);
        vm.prank(requester);
        vm.expectRevert(badSig);
        market.assignWithBid(bid, sig);
        // ... signed by another worker's key.
        sig = _signBid(OTHER_PK, bid);
        vm.prank(requester);
        vm.expectRevert(badSig);
        market.assignWithBid(bid, sig);
        // ... with no signature, or garbage.
        vm.prank(requester);
        vm.expectRevert(badSig);
        market.assignWithBid(bid, "");
        vm.prank(requester);
        vm.expectRevert(badSig);
        market.assignWithBid(
            bid, abi.encodePacked(bytes32(uint256(1)), bytes32(uint256(2)), uint8(27))
        );
        // ... another worker's genuine bid with the worker field rewritten to the victim.
        ComputeMarket.Bid memory others = _bid(OTHER_PK, id, REWARD);
        sig = _signBid(OTHER_PK, others);
        others.worker = victim;
        vm.prank(requester);
        vm.expectRevert(badSig);
        market.assignWithBid(others, sig);

        // An offer naming the victim binds the accepting address: nobody else can use it.
        uint64 acceptBy = uint64(block.timestamp + 1 hours);
        sig = sign(REQUESTER_PK, market.assignmentDigest(id, victim, 0, REWARD, acceptBy));
        vm.prank(requester);
        vm.expectRevert(ComputeMarket.BadAssignmentSignature.selector);
        market.acceptAssignment(id, REWARD, acceptBy, sig);
        vm.prank(other);
        vm.expectRevert(ComputeMarket.BadAssignmentSignature.selector);
        market.acceptAssignment(id, REWARD, acceptBy, sig);

        // The old theft sequence: past the deadline, expire, cancel, claim.
        vm.warp(block.timestamp + 2 hours);
        vm.expectRevert(
            abi.encodeWithSelector(
                ComputeMarket.WrongStatus.selector, id, ComputeMarket.Status.Open
            )
        );
        market.expire(id);
        uint256 before = token.balanceOf(requester);
        vm.startPrank(requester);
        market.cancel(id);
        market.claim();
        vm.stopPrank();
        assertEq(token.balanceOf(requester) - before, REWARD, "the requester gets its reward only");
        (uint256 staked, uint256 locked) = _stake(victim);
        assertEq(staked, STAKE, "victim's stake intact");
        assertEq(locked, 0, "nothing locked");
        assertEq(market.freeStake(victim), STAKE, "victim's free stake intact");
        assertEq(market.credit(treasury), 0, "no slash anywhere");
    }

    /// A requester that withholds inputs from the worker it assigned cannot profit from the
    /// slash: its share is capped at the posting fee it paid, over all attempts.
    function test_withholdingInputsEarnsTheRequesterNothing() public {
        market.setParameters(MIN_WORKER_STAKE, 100, 5_000, treasury); // 1 % fee, 50 % share
        uint256 start = token.balanceOf(requester);
        uint256 id = _post();
        uint256 paid = start - token.balanceOf(requester);
        assertEq(paid, 25.25 ether, "reward + 1 % fee");
        assertEq(market.credit(treasury), 0.25 ether, "fee");

        _assign(VICTIM_PK, id, 20 ether);
        assertEq(market.credit(requester), 5 ether, "escrow above the ask refunded");
        // The requester never sends inputs; the worker cannot prove; the deadline passes.
        vm.warp(block.timestamp + 1 hours + 1);
        market.expire(id);
        // 50 % of 100 would be 50; the requester gets its fee back, no more.
        assertEq(market.credit(requester), 5.25 ether, "slash share capped at the fee");
        assertEq(market.credit(treasury), 100 ether, "fee + the rest of the slash");
        assertEq(market.jobs(id).feeLeft, 0, "fee paid back");
        (uint256 staked,) = _stake(victim);
        assertEq(staked, 0, "the worker lost its stake");

        // Again with a second worker: the cap holds over all attempts.
        vm.prank(requester);
        market.extendDeadline(id, uint64(block.timestamp + 1 hours));
        _assign(OTHER_PK, id, 20 ether);
        vm.warp(block.timestamp + 1 hours + 1);
        market.expire(id);
        assertEq(market.credit(requester), 5.25 ether, "nothing more from the second slash");
        assertEq(market.credit(treasury), 200 ether, "the whole second slash");

        vm.prank(requester);
        market.cancel(id);
        assertEq(market.credit(requester), 25.25 ether, "refund + ask back + fee back");
        assertTrue(market.credit(requester) <= paid, "no profit");
        vm.prank(requester);
        market.claim();
        assertEq(token.balanceOf(requester), start, "the requester ends where it started");
    }

    // -------------------------------------------------------------- release

    /// A worker that did not get inputs opening the commitment gives the job back within
    /// the start window, without slash; the requester can assign it again.
    function test_releaseWithinTheStartWindowCostsTheWorkerNothing() public {
        uint256 id = _post();
        ComputeMarket.Bid memory bid = _bid(VICTIM_PK, id, 20 ether);
        bytes memory sig = _signBid(VICTIM_PK, bid);
        vm.prank(requester);
        market.assignWithBid(bid, sig);
        assertEq(market.freeStake(victim), 0, "locked");
        vm.warp(block.timestamp + 10 minutes); // the last second of the window
        vm.expectEmit(true, true, false, true);
        emit JobReleased(id, victim, 0, 1);
        vm.prank(victim);
        market.release(id);

        (uint256 staked, uint256 locked,,, uint32 releases) = market.stakeOf(victim);
        assertEq(staked, STAKE, "stake unchanged");
        assertEq(locked, 0, "unlocked");
        assertEq(market.freeStake(victim), STAKE, "free stake unchanged");
        assertEq(releases, 1, "release counted");
        ComputeMarket.Job memory job = market.jobs(id);
        assertTrue(job.status == ComputeMarket.Status.Open, "reopened");
        assertEq(job.attempts, 1, "attempt used");
        assertEq(job.worker, address(0), "no worker");
        assertEq(market.credit(treasury), 0, "no slash");

        // The released bid is dead; a fresh bid for attempt 1 takes the job.
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.BidForOtherAttempt.selector, id, 1, 0));
        market.assignWithBid(bid, sig);
        _assign(OTHER_PK, id, 20 ether);
        _settle(other, id);
        assertEq(market.credit(other), 20 ether, "the second worker is paid its ask");
    }

    function test_releaseAfterTheStartWindowReverts() public {
        uint256 id = _post();
        _assign(VICTIM_PK, id, REWARD);
        uint64 closesAt = uint64(block.timestamp + 10 minutes);
        vm.warp(block.timestamp + 10 minutes + 1);
        vm.prank(victim);
        vm.expectRevert(
            abi.encodeWithSelector(ComputeMarket.StartWindowClosed.selector, id, closesAt)
        );
        market.release(id);

        // The window never outlasts the deadline.
        uint256 short = _post(REWARD, STAKE, 5 minutes);
        _assign(OTHER_PK, short, REWARD);
        uint64 deadline = uint64(block.timestamp + 5 minutes);
        vm.warp(block.timestamp + 5 minutes + 1);
        vm.prank(other);
        vm.expectRevert(
            abi.encodeWithSelector(ComputeMarket.StartWindowClosed.selector, short, deadline)
        );
        market.release(short);

        // The owner sets the window (here: none, release only in the assignment's second).
        market.setStartWindow(0);
        vm.prank(other);
        market.stake(STAKE);
        uint256 third = _post();
        _assign(OTHER_PK, third, REWARD);
        vm.warp(block.timestamp + 1);
        vm.prank(other);
        vm.expectRevert(
            abi.encodeWithSelector(
                ComputeMarket.StartWindowClosed.selector, third, uint64(block.timestamp - 1)
            )
        );
        market.release(third);
    }

    function test_onlyTheAssignedWorkerReleases() public {
        uint256 id = _post();
        _assign(VICTIM_PK, id, REWARD);
        address[2] memory notWorker = [other, requester];
        for (uint256 i; i < 2; ++i) {
            vm.prank(notWorker[i]);
            vm.expectRevert(
                abi.encodeWithSelector(ComputeMarket.NotAssignedWorker.selector, id, notWorker[i])
            );
            market.release(id);
        }
        vm.prank(victim);
        market.release(id);
        vm.prank(victim);
        vm.expectRevert(
            abi.encodeWithSelector(
                ComputeMarket.WrongStatus.selector, id, ComputeMarket.Status.Open
            )
        );
        market.release(id);
    }

    // ------------------------------------------------------------ replays

    function test_bidReplayedForAnotherJobReverts() public {
        uint256 a = _post();
        uint256 b = _post();
        ComputeMarket.Bid memory bid = _bid(VICTIM_PK, a, REWARD);
        bytes memory sig = _signBid(VICTIM_PK, bid);
        bid.jobId = b;
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.BadBidSignature.selector, victim));
        market.assignWithBid(bid, sig);
        // Another requester cannot submit it for the job it was made for either.
        bid.jobId = a;
        vm.prank(other);
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.NotRequester.selector, a));
        market.assignWithBid(bid, sig);
        // Nor is it valid on another deployment of the market (EIP-712 domain).
        ComputeMarket second =
            new ComputeMarket(token, 1 days, MIN_WORKER_STAKE, address(this), treasury);
        assertTrue(second.bidDigest(bid) != market.bidDigest(bid), "domain-separated");
    }

    function test_bidDiesWithTheAttemptAfterAnExpiry() public {
        uint256 id = _post();
        ComputeMarket.Bid memory bid = _bid(VICTIM_PK, id, REWARD);
        bid.expiresAt = uint64(block.timestamp + 1 days);
        bytes memory sig = _signBid(VICTIM_PK, bid);
        vm.startPrank(requester);
        market.assignWithBid(bid, sig);
        // Used: the job is no longer open.
        vm.expectRevert(
            abi.encodeWithSelector(
                ComputeMarket.WrongStatus.selector, id, ComputeMarket.Status.Assigned
            )
        );
        market.assignWithBid(bid, sig);
        vm.warp(block.timestamp + 1 hours + 1);
        market.expire(id);
        market.extendDeadline(id, uint64(block.timestamp + 1 hours));
        // Not used twice: the slashed worker is not locked again with its old bid.
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.BidForOtherAttempt.selector, id, 1, 0));
        market.assignWithBid(bid, sig);
        vm.stopPrank();
    }

    function test_expiredBidReverts() public {
        uint256 id = _post();
        ComputeMarket.Bid memory bid = _bid(VICTIM_PK, id, REWARD);
        bytes memory sig = _signBid(VICTIM_PK, bid);
        vm.warp(bid.expiresAt + 1);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.BidExpired.selector, bid.expiresAt));
        market.assignWithBid(bid, sig);
        // Its last second is still good.
        vm.warp(bid.expiresAt);
        vm.prank(requester);
        market.assignWithBid(bid, sig);
    }

    function test_bidRefusesALargerStakeOrAnEarlierDeadline() public {
        uint256 id = _post();
        ComputeMarket.Bid memory bid = _bid(VICTIM_PK, id, REWARD);
        uint64 deadline = bid.deadlineAtLeast;

        // The worker lets the job lock at most STAKE - 1.
        bid.maxLockedStake = STAKE - 1;
        bytes memory sig = _signBid(VICTIM_PK, bid);
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(ComputeMarket.StakeAboveBid.selector, id, STAKE, STAKE - 1)
        );
        market.assignWithBid(bid, sig);
        bid.maxLockedStake = STAKE; // rewritten by the requester
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.BadBidSignature.selector, victim));
        market.assignWithBid(bid, sig);

        // The worker wants one second more than the job gives.
        bid.deadlineAtLeast = deadline + 1;
        sig = _signBid(VICTIM_PK, bid);
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(
                ComputeMarket.DeadlineBeforeBid.selector, id, deadline, deadline + 1
            )
        );
        market.assignWithBid(bid, sig);
        bid.deadlineAtLeast = deadline; // rewritten by the requester
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.BadBidSignature.selector, victim));
        market.assignWithBid(bid, sig);

        // Better terms than asked (less stake, a later deadline) are fine.
        bid.maxLockedStake = STAKE + 1;
        bid.deadlineAtLeast = deadline - 1;
        sig = _signBid(VICTIM_PK, bid);
        vm.prank(requester);
        market.assignWithBid(bid, sig);
        assertEq(market.jobs(id).worker, victim, "assigned");
    }

    /// A requester cannot shorten the deadline under a worker's pending `acceptAssignment`
    /// (the worker's transaction consents to the deadline it read): deadlines only move
    /// later.
    function test_deadlineCannotBeShortenedUnderAnAcceptance() public {
        uint256 id = _post();
        uint64 deadline = market.jobs(id).deadline;
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(
                ComputeMarket.DeadlineNotLater.selector, id, uint64(block.timestamp + 1), deadline
            )
        );
        market.extendDeadline(id, uint64(block.timestamp + 1));
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(ComputeMarket.DeadlineNotLater.selector, id, deadline, deadline)
        );
        market.extendDeadline(id, deadline);
        vm.prank(requester);
        market.extendDeadline(id, deadline + 1);
        assertEq(market.jobs(id).deadline, deadline + 1, "later is fine");
    }

    // -------------------------------------------------------------- prices

    /// The worker is paid its bid's ask; the rest of the escrow is credited back to the
    /// requester when the job is assigned; the fee goes to the treasury; every token is
    /// accounted for.
    function testFuzz_bidPaysTheAskAndRefundsTheRest(uint256 ask, uint256 feeBps) public {
        ask = bound(ask, 1, REWARD);
        feeBps = bound(feeBps, 0, 1_000);
        market.setParameters(MIN_WORKER_STAKE, feeBps, 5_000, treasury);
        uint256 fee = REWARD * feeBps / 10_000;
        uint256 id = _post();
        vm.expectEmit(true, true, false, true);
        emit JobAssigned(id, victim, 0, ask, REWARD - ask, 0);
        _assign(VICTIM_PK, id, ask);
        assertEq(market.jobs(id).reward, ask, "escrow is the ask");
        assertEq(market.credit(requester), REWARD - ask, "refund credited at assignment");
        _settle(victim, id);
        assertEq(market.credit(victim), ask, "worker paid its ask");
        assertEq(market.credit(requester), REWARD - ask, "requester keeps the difference");
        assertEq(market.credit(treasury), fee, "fee");
        assertEq(
            token.balanceOf(address(market)),
            2 * STAKE + ask + (REWARD - ask) + fee,
            "market holds stakes + credits"
        );
        address[3] memory accounts = [requester, victim, treasury];
        for (uint256 i; i < 3; ++i) {
            if (market.credit(accounts[i]) == 0) continue;
            vm.prank(accounts[i]);
            market.claim();
        }
        assertEq(token.balanceOf(address(market)), 2 * STAKE, "only the stakes remain");
        assertEq(token.balanceOf(requester), 1_000 ether - ask - fee, "requester paid ask + fee");
        assertEq(token.balanceOf(victim), 900 ether + ask, "worker got its ask");
        assertEq(token.balanceOf(treasury), fee, "treasury got the fee");
    }

    function test_askAboveTheBudgetReverts() public {
        uint256 id = _post();
        ComputeMarket.Bid memory bid = _bid(VICTIM_PK, id, REWARD + 1);
        bytes memory sig = _signBid(VICTIM_PK, bid);
        vm.prank(requester);
        vm.expectRevert(
            abi.encodeWithSelector(ComputeMarket.AskAboveBudget.selector, id, REWARD + 1, REWARD)
        );
        market.assignWithBid(bid, sig);
        bid.ask = 0;
        sig = _signBid(VICTIM_PK, bid);
        vm.prank(requester);
        vm.expectRevert(ComputeMarket.ZeroAmount.selector);
        market.assignWithBid(bid, sig);
    }

    /// After an attempt at a low ask, a later ask above what is left in escrow (up to the
    /// posted reward) is drawn from the requester: its credit first, then its allowance.
    function test_askAboveTheRemainingEscrowDrawsTheTopUpFromTheRequester() public {
        uint256 id = _post();
        _assign(VICTIM_PK, id, 10 ether);
        assertEq(market.credit(requester), 15 ether, "refund");
        vm.prank(victim);
        market.release(id);

        // Attempt 1 asks 18: 8 above the escrow of 10, all from the requester's credit.
        uint256 balance = token.balanceOf(requester);
        vm.expectEmit(true, true, false, true);
        emit JobAssigned(id, other, 1, 18 ether, 0, 8 ether);
        _assign(OTHER_PK, id, 18 ether);
        assertEq(market.credit(requester), 7 ether, "drawn from credit");
        assertEq(token.balanceOf(requester), balance, "no transfer");
        assertEq(market.jobs(id).reward, 18 ether, "escrow is the new ask");
        vm.prank(other);
        market.release(id);

        // The requester claims its 7 and has 2 of credit left from a cancelled job.
        vm.startPrank(requester);
        market.claim();
        uint256 small = market.postJob(1, 1, 7, 2 ether, uint64(block.timestamp + 1 hours), 0);
        market.cancel(small);
        vm.stopPrank();
        balance = token.balanceOf(requester);
        // Attempt 2 asks the whole budget: 7 above the escrow, 2 from credit, 5 pulled.
        vm.expectEmit(true, true, false, true);
        emit JobAssigned(id, victim, 2, REWARD, 0, 7 ether);
        _assign(VICTIM_PK, id, REWARD);
        assertEq(market.credit(requester), 0, "credit used first");
        assertEq(balance - token.balanceOf(requester), 5 ether, "the rest from the allowance");
        _settle(victim, id);
        assertEq(market.credit(victim), REWARD, "paid the last ask");
        assertEq(token.balanceOf(address(market)), 2 * STAKE + REWARD, "stakes + the pay");
    }

    // ------------------------------------------------------------ contract workers

    /// A contract worker (ERC-1271 wallet owned by an EOA) bids through its owner's
    /// signature, and settles from the wallet's address.
    function test_aContractWorkerCanBid() public {
        OwnerWallet wallet = new OwnerWallet(vm.addr(OWNER_PK));
        address w = address(wallet);
        token.mint(w, STAKE);
        vm.startPrank(w);
        token.approve(address(market), type(uint256).max);
        market.stake(STAKE);
        vm.stopPrank();

        uint256 id = _post();
        ComputeMarket.Bid memory bid = _bid(VICTIM_PK, id, 20 ether);
        bid.worker = w;
        // Signed by anyone but the wallet's owner: refused by the wallet.
        bytes memory sig = _signBid(VICTIM_PK, bid);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.BadBidSignature.selector, w));
        market.assignWithBid(bid, sig);

        sig = _signBid(OWNER_PK, bid);
        vm.prank(requester);
        market.assignWithBid(bid, sig);
        assertEq(market.jobs(id).worker, w, "assigned to the wallet");
        assertEq(market.freeStake(w), 0, "the wallet's stake locked");
        _settle(w, id);
        assertEq(market.credit(w), 20 ether, "the wallet is paid its ask");
    }

    // --------------------------------------------------------------- kinds

    function test_postJobWithAKindNotMatchingTheShapeReverts() public {
        market.setVerifier(2, 3, new FlagVerifier()); // shape 2 proves kind 3 (he-linear)
        assertEq(market.kindOf(2), 3, "kind registered");
        vm.startPrank(requester);
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.KindMismatch.selector, 2, 3, 1));
        market.postJob(1, 2, 7, REWARD, uint64(block.timestamp + 1 hours), 0);
        vm.expectRevert(abi.encodeWithSelector(ComputeMarket.KindMismatch.selector, 1, 1, 3));
        market.postJob(3, 1, 7, REWARD, uint64(block.timestamp + 1 hours), 0);
        market.postJob(3, 2, 7, REWARD, uint64(block.timestamp + 1 hours), 0);
        vm.stopPrank();
    }
}
