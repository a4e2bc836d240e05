// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {TestBase} from "../utils/TestBase.sol";
import {ArcanumToken} from "../../src/ArcanumToken.sol";
import {ComputeMarket} from "../../src/ComputeMarket.sol";
import {MarketHandler, FlagVerifier} from "./MarketHandler.sol";

/// @dev Invariant campaign over the market (runs x depth calls per campaign, see
///      foundry.toml): the tokens the market holds always equal open escrow plus stake
///      (free, locked and unbonding) plus unclaimed credit; no job is paid twice; final states
///      stay final and attempts only grow.
contract MarketInvariants is TestBase {
    ArcanumToken internal token;
    ComputeMarket internal market;
    MarketHandler internal handler;
    address internal constant TREASURY = address(0x7EA5);

    function setUp() public {
        token = new ArcanumToken(address(this));
        market = new ComputeMarket(token, 1 days, 5 ether, address(this), TREASURY);
        market.setVerifier(1, new FlagVerifier());
        market.setParameters(5 ether, 100, 4_000, TREASURY);
        address[] memory actors = new address[](5);
        for (uint256 i; i < actors.length; ++i) {
            actors[i] = address(uint160(0x1000 + i));
            token.mint(actors[i], 1_000_000 ether);
            vm.prank(actors[i]);
            token.approve(address(market), type(uint256).max);
        }
        handler = new MarketHandler(token, market, actors);
    }

    /// @dev Forge fuzzes calls to these contracts only.
    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function _accounted() internal view returns (uint256 total) {
        uint256 n = handler.jobCount();
        for (uint256 i; i < n; ++i) {
            (,,,, ComputeMarket.Status status,,, uint96 reward,,,) = market.jobs(handler.jobIds(i));
            if (status == ComputeMarket.Status.Open || status == ComputeMarket.Status.Assigned) {
                total += reward;
            }
        }
        uint256 m = handler.actorCount();
        for (uint256 i; i <= m; ++i) {
            address a = i == m ? TREASURY : handler.actors(i);
            (uint128 stake, uint128 unbonding,, uint128 credit,) = market.accounts(a);
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
            (,,,, ComputeMarket.Status status, uint16 attempts,,,,,) = market.jobs(id);
            assertTrue(handler.completions(id) <= 1, "job paid twice");
            ComputeMarket.Status fin = handler.finalStatus(id);
            if (fin != ComputeMarket.Status.None) assertTrue(status == fin, "final state changed");
            assertTrue(attempts >= handler.maxAttempts(id), "attempts went back");
            (,,, uint128 locked,) = market.accounts(address(0));
            assertEq(locked, 0, "nothing locked for the zero address");
        }
        for (uint256 i; i < handler.actorCount(); ++i) {
            (uint128 stake,, uint128 locked,,) = market.accounts(handler.actors(i));
            assertTrue(locked <= stake, "locked exceeds stake");
        }
    }
}
