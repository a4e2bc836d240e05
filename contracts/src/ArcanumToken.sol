// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

/// @title Arcanum reward and stake token
/// @notice ERC-20 in which requesters escrow rewards and workers stake. The owner mints
///         (a devnet faucet; a production deployment fixes supply at launch).
contract ArcanumToken is ERC20, Ownable2Step {
    /// @param initialOwner Account allowed to mint.
    constructor(address initialOwner) ERC20("Arcanum", "ARC") Ownable(initialOwner) {}

    /// @notice Mints `amount` to `to`.
    /// @param to Recipient.
    /// @param amount Amount in base units.
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
