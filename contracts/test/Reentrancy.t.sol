// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {TestBase} from "./utils/TestBase.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ComputeMarket} from "../src/ComputeMarket.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {SecaggSum4x8Verifier} from "../src/generated/SecaggSum4x8Verifier.sol";

/// @dev A token that calls back into the market on every transfer out of it.
contract HookToken is ERC20 {
    ComputeMarket public market;
    bool public reentrySucceeded;
    bool public reentryAttempted;
    bytes4 public lastRevert;

    constructor() ERC20("Hook", "HOOK") {}

    function setMarket(ComputeMarket m) external {
        market = m;
        _approve(address(this), address(m), type(uint256).max);
    }

    /// The token itself is the victim account: it posts and cancels two jobs (credit 20),
    /// then claims; the hook re-enters while the first payout is being transferred.
    function post(uint256 reward) external returns (uint256) {
        return market.postJob(1, 1, 1, reward, uint64(block.timestamp + 1 hours), 0);
    }

    function cancel(uint256 id) external {
        market.cancel(id);
    }

    function attack() external {
        market.claim();
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (from == address(market) && to == address(this) && !reentryAttempted) {
            reentryAttempted = true;
            // Claim again while the first payout is in flight.
            try market.claim() {
                reentrySucceeded = true;
            } catch (bytes memory reason) {
                lastRevert = bytes4(reason);
            }
        }
    }
}

/// @dev Re-entry through a malicious token: the market's guards and effects-before-
///      interactions order mean a payout can be taken only once.
contract ReentrancyTest is TestBase {
    HookToken internal token;
    ComputeMarket internal market;
    address internal requester = address(0xA11CE);

    function setUp() public {
        token = new HookToken();
        market = new ComputeMarket(
            IERC20(address(token)), 1 days, 1 ether, address(this), address(0x7EA5)
        );
        market.setVerifier(1, 1, new SecaggSum4x8Verifier());
        token.mint(requester, 100 ether);
        vm.prank(requester);
        token.approve(address(market), type(uint256).max);
    }

    function test_claimCannotBeReentered() public {
        token.setMarket(market);
        token.mint(address(token), 20 ether);
        uint256 a = token.post(10 ether);
        uint256 b = token.post(10 ether);
        token.cancel(a);
        token.cancel(b);
        assertEq(market.credit(address(token)), 20 ether, "credit");
        token.attack();
        assertTrue(token.reentryAttempted(), "hook ran");
        assertTrue(!token.reentrySucceeded(), "re-entry refused");
        assertTrue(
            token.lastRevert() == ReentrancyGuard.ReentrancyGuardReentrantCall.selector,
            "refused by the guard"
        );
        assertEq(token.balanceOf(address(token)), 20 ether, "paid exactly once");
        assertEq(token.balanceOf(address(market)), 0, "nothing left, nothing double-paid");
    }
}
