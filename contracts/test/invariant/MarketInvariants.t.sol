// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {TestBase} from "../utils/TestBase.sol";
import {FlagVerifier} from "../utils/Doubles.sol";
import {ArcanumToken} from "../../src/ArcanumToken.sol";
import {ComputeMarket} from "../../src/ComputeMarket.sol";
import {MarketHandler} from "./MarketHandler.sol";

/// @dev Invariant campaign over the market (runs x depth calls per campaign, see
///      foundry.toml): the tokens the market holds always equal open escrow plus stake
///      (free, locked and unbonding) plus unclaimed credit; no job is paid twice; final states
///      stay final and attempts only grow; a worker's stake only decreases by its own
///      `requestUnbond` or by a slash on an attempt it bid for, however a malicious
///      requester plays (see MarketHandler.attack); a requester never gets more from slashes
///      than the posting fee it paid.
contract MarketInvariants is TestBase {
    ArcanumToken internal token;
    ComputeMarket internal market;
    MarketHandler internal handler;
    address internal constant TREASURY = address(0x7EA5);

    function setUp() public {
        token = new ArcanumToken(address(this));
        market = new ComputeMarket(token, 1 days, 5 ether, address(this), TREASURY);
        market.setVerifier(1, 1, new FlagVerifier());
        market.setParameters(5 ether, 100, 4_000, TREASURY);
        uint256[] memory keys = new uint256[](5);
        for (uint256 i; i < keys.length; ++i) {
            keys[i] = 0xA0 + i;
            address a = vm.addr(keys[i]);
            token.mint(a, 1_000_000 ether);
            vm.prank(a);
            token.approve(address(market), type(uint256).max);
        }
        handler = new MarketHandler(token, market, keys);
    }

    /// @dev Forge fuzzes calls to these contracts only.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function _accounted() internal view returns (uint256 total) {
        uint256 n = handler.jobCount();
        for (uint256 i; i < n; ++i) {
            ComputeMarket.Job memory job = market.jobs(handler.jobIds(i));
            if (
                job.status == ComputeMarket.Status.Open
                    || job.status == ComputeMarket.Status.Assigned
            ) {
                total += job.reward;
            }
        }
        uint256 m = handler.actorCount();
        for (uint256 i; i <= m; ++i) {
            address a = i == m ? TREASURY : handler.actors(i);
            (uint128 stake, uint128 unbonding,, uint128 credit,,) = market.accounts(a);
            total += uint256(stake) + unbonding + credit;
        }
    }

    function invariant_escrowPaymentsAndStates() public view {
        assertEq(
            token.balanceOf(address(market)),
            _accounted(),
            "escrow != open rewards + stake + unbonding + credit"
        );
        uint256 n = handler.jobCount();
        for (uint256 i; i < n; ++i) {
            uint256 id = handler.jobIds(i);
            ComputeMarket.Job memory job = market.jobs(id);
            assertTrue(handler.completions(id) <= 1, "job paid twice");
            ComputeMarket.Status fin = handler.finalStatus(id);
            if (fin != ComputeMarket.Status.None) {
                assertTrue(job.status == fin, "final state changed");
            }
            assertTrue(job.attempts >= handler.maxAttempts(id), "attempts went back");
        }
        (,, uint128 zeroLocked,,,) = market.accounts(address(0));
        assertEq(zeroLocked, 0, "nothing locked for the zero address");
        for (uint256 i; i < handler.actorCount(); ++i) {
            (uint128 stake,, uint128 locked,,,) = market.accounts(handler.actors(i));
            assertTrue(locked <= stake, "locked exceeds stake");
        }
    }

    /// A worker's stake moves only by its own acts: no job is assigned to a worker for an
    /// attempt it did not bid for (or accept itself), no attack lands, every stake equals
    /// its ghost (deposits - own unbonding - slashes of consented attempts), and a
    /// requester's share of slashes never exceeds its posting fee.
    function invariant_stakeMovesOnlyByItsOwnersActs() public view {
        assertEq(handler.attacksLanded(), 0, "a malicious assignment went through");
        assertEq(handler.badSplits(), 0, "slash split differs from min(share, fee left)");
        uint256 n = handler.jobCount();
        for (uint256 i; i < n; ++i) {
            uint256 id = handler.jobIds(i);
            ComputeMarket.Job memory job = market.jobs(id);
            if (job.status == ComputeMarket.Status.Assigned) {
                assertTrue(
                    handler.consented(job.worker, id, job.attempts),
                    "assigned to a worker that did not bid"
                );
            }
            assertTrue(handler.slashToRequester(id) <= handler.feeOf(id), "slash above fee");
            assertEq(
                uint256(job.feeLeft) + handler.slashToRequester(id), handler.feeOf(id), "fee left"
            );
        }
        for (uint256 i; i < handler.actorCount(); ++i) {
            address a = handler.actors(i);
            (uint128 stake,,,,,) = market.accounts(a);
            assertEq(stake, handler.expectedStake(a), "stake moved without its owner's act");
        }
    }
}
