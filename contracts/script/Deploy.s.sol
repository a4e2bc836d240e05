// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {ArcanumToken} from "../src/ArcanumToken.sol";
import {ComputeMarket} from "../src/ComputeMarket.sol";
import {DataOracle} from "../src/DataOracle.sol";
import {IGroth16Verifier} from "../src/interfaces/IGroth16Verifier.sol";
import {SecaggSum4x8Verifier} from "../src/generated/SecaggSum4x8Verifier.sol";
import {HeLinear4x8Verifier} from "../src/generated/HeLinear4x8Verifier.sol";
import {SecaggSum16x64Verifier} from "../src/generated/SecaggSum16x64Verifier.sol";
import {ClerkSum4x8C5Verifier} from "../src/generated/ClerkSum4x8C5Verifier.sol";
import {FinalizeSecaggSum8T2Verifier} from "../src/generated/FinalizeSecaggSum8T2Verifier.sol";
import {DecryptShareC5Verifier} from "../src/generated/DecryptShareC5Verifier.sol";
import {FinalizeHeLinear4x8T3Verifier} from "../src/generated/FinalizeHeLinear4x8T3Verifier.sol";

/// @dev The subset of Foundry's cheatcodes this script uses (no forge-std, as in
///      `test/utils/TestBase.sol`).
interface DeployVm {
    function startBroadcast() external;
    function stopBroadcast() external;
    function readCallers() external returns (uint8 callerMode, address msgSender, address origin);
    function isContext(uint8 context) external view returns (bool);
    function envOr(string calldata name, string calldata defaultValue)
        external
        view
        returns (string memory);
    function parseUint(string calldata) external pure returns (uint256);
    function parseAddress(string calldata) external pure returns (address);
    function split(string calldata, string calldata) external pure returns (string[] memory);
    function trim(string calldata) external pure returns (string memory);
    function toString(address) external pure returns (string memory);
    function toString(uint256) external pure returns (string memory);
    function createDir(string calldata path, bool recursive) external;
    function writeFile(string calldata path, string calldata data) external;
}

/// @title Deploys Arcanum and writes its deployment file
/// @notice Deploys `ArcanumToken`, `ComputeMarket`, `DataOracle`, one generated verifier
///         per shape and the data oracle's clerk-sum and finalize verifiers (feeds name
///         them), owned by the broadcaster; registers the shapes and the oracle nodes;
///         writes the same `deployments/<chain-id>.json` that `arcanum deploy` writes (copy
///         it to `<data-dir>/deployments/<chain-id>.json`).
///
///         cd contracts && ../tools/bin/forge script script/Deploy.s.sol \
///             --rpc-url $RPC --broadcast --private-key $KEY
///
///         Environment (all optional):
///         - `ARCANUM_UNBONDING_DELAY`: seconds (default 604800, 7 days);
///         - `ARCANUM_MIN_WORKER_STAKE`: base units (default 100 ARC);
///         - `ARCANUM_TREASURY`: fee and slash receiver (default the broadcaster);
///         - `ARCANUM_ORACLES`: comma-separated oracle node addresses;
///         - `ARCANUM_DEPLOYMENT_OUT`: output file (default `deployments/<chain-id>.json`,
///           relative to `contracts/`; must be under a `fs_permissions` write path).
contract Deploy {
    DeployVm internal constant vm =
        DeployVm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @dev Forge runs `run()` of a contract marked as a script.
    bool public constant IS_SCRIPT = true;

    /// @dev `ForgeContext.ScriptDryRun`: `forge script` without `--broadcast`.
    uint8 internal constant CONTEXT_SCRIPT_DRY_RUN = 5;

    /// @dev Job kinds (`arcanum-protocol` `JobKind::code`).
    uint8 internal constant KIND_SECAGG_SUM = 1;
    uint8 internal constant KIND_HE_LINEAR = 3;

    /// @notice Market parameters and the oracle set.
    struct Params {
        uint64 unbondingDelay;
        uint256 minWorkerStake;
        address treasury;
        address[] oracles;
    }

    /// @notice A registered shape and its verifier.
    struct Shape {
        uint32 id;
        uint8 kind;
        string name;
        address verifier;
    }

    /// @notice The data oracle's verifiers for a job shape at a threshold.
    struct OracleCircuit {
        string name;
        uint32 shape;
        uint32 clerks;
        uint32 threshold;
        string clerkContract;
        string finalizeContract;
        address clerkVerifier;
        address finalizeVerifier;
    }

    /// @notice What the deployment file records.
    struct Deployment {
        uint256 chainId;
        uint256 deployBlock;
        address token;
        address market;
        address dataOracle;
        Shape[] shapes;
        OracleCircuit[] oracleCircuits;
    }

    error BadParameter(string name);

    /// @notice Broadcasts the deployment and writes the deployment file. A dry run (no
    ///         `--broadcast`) writes no file: nothing it describes exists on chain. forge
    ///         writes it while simulating, before sending: if the broadcast then fails, the
    ///         file names addresses without code (delete it).
    function run() external returns (Deployment memory d) {
        uint256 deployBlock = block.number;
        vm.startBroadcast();
        (, address owner,) = vm.readCallers();
        d = _deploy(owner, _params(owner));
        vm.stopBroadcast();
        d.deployBlock = deployBlock;
        if (vm.isContext(CONTEXT_SCRIPT_DRY_RUN)) return d;
        string memory out = vm.envOr(
            "ARCANUM_DEPLOYMENT_OUT",
            string.concat("deployments/", vm.toString(block.chainid), ".json")
        );
        _write(out, _json(d));
    }

    /// @dev Parameters from the environment; an unset or empty variable takes the default.
    function _params(address owner) internal view returns (Params memory p) {
        string memory s = vm.trim(vm.envOr("ARCANUM_UNBONDING_DELAY", string("")));
        uint256 delay = bytes(s).length == 0 ? 7 days : vm.parseUint(s);
        if (delay > type(uint64).max) revert BadParameter("ARCANUM_UNBONDING_DELAY");
        p.unbondingDelay = uint64(delay);

        s = vm.trim(vm.envOr("ARCANUM_MIN_WORKER_STAKE", string("")));
        p.minWorkerStake = bytes(s).length == 0 ? 100 ether : vm.parseUint(s);

        s = vm.trim(vm.envOr("ARCANUM_TREASURY", string("")));
        p.treasury = bytes(s).length == 0 ? owner : vm.parseAddress(s);
        if (p.treasury == address(0)) revert BadParameter("ARCANUM_TREASURY");

        s = vm.trim(vm.envOr("ARCANUM_ORACLES", string("")));
        if (bytes(s).length != 0) {
            string[] memory parts = vm.split(s, ",");
            p.oracles = new address[](parts.length);
            for (uint256 i; i < parts.length; ++i) {
                p.oracles[i] = vm.parseAddress(vm.trim(parts[i]));
            }
        }
    }

    /// @dev Deploys and configures everything with `owner` as owner. The caller (the
    ///      broadcaster, or the contract itself in tests) must be `owner`: it registers the
    ///      shapes and oracle nodes. Same order as `arcanum deploy`.
    function _deploy(address owner, Params memory p) internal returns (Deployment memory d) {
        d.chainId = block.chainid;
        d.deployBlock = block.number;
        ArcanumToken token = new ArcanumToken(owner);
        ComputeMarket market =
            new ComputeMarket(token, p.unbondingDelay, p.minWorkerStake, owner, p.treasury);
        DataOracle oracle = new DataOracle(token, market, owner);
        d.token = address(token);
        d.market = address(market);
        d.dataOracle = address(oracle);

        d.shapes = new Shape[](3);
        d.shapes[0] =
            Shape(1, KIND_SECAGG_SUM, "secagg-sum-4x8", address(new SecaggSum4x8Verifier()));
        d.shapes[1] = Shape(2, KIND_HE_LINEAR, "he-linear-4x8", address(new HeLinear4x8Verifier()));
        d.shapes[2] =
            Shape(3, KIND_SECAGG_SUM, "secagg-sum-16x64", address(new SecaggSum16x64Verifier()));
        for (uint256 i; i < d.shapes.length; ++i) {
            Shape memory s = d.shapes[i];
            market.setVerifier(s.id, s.kind, IGroth16Verifier(s.verifier));
        }
        d.oracleCircuits = new OracleCircuit[](2);
        d.oracleCircuits[0] = OracleCircuit(
            "secagg-sum-4x8-c5-t2",
            1,
            5,
            2,
            "ClerkSum4x8C5Verifier",
            "FinalizeSecaggSum8T2Verifier",
            address(new ClerkSum4x8C5Verifier()),
            address(new FinalizeSecaggSum8T2Verifier())
        );
        d.oracleCircuits[1] = OracleCircuit(
            "he-linear-4x8-c5-t3",
            2,
            5,
            3,
            "DecryptShareC5Verifier",
            "FinalizeHeLinear4x8T3Verifier",
            address(new DecryptShareC5Verifier()),
            address(new FinalizeHeLinear4x8T3Verifier())
        );
        for (uint256 i; i < p.oracles.length; ++i) {
            oracle.setOracle(p.oracles[i], true);
        }
    }

    /// @dev The deployment file: the JSON `arcanum deploy` writes (numbers as numbers,
    ///      addresses as checksummed 0x strings, ABI paths relative to the repository).
    function _json(Deployment memory d) internal pure returns (string memory) {
        string memory shapes;
        for (uint256 i; i < d.shapes.length; ++i) {
            Shape memory s = d.shapes[i];
            shapes = string.concat(
                shapes,
                i == 0 ? "" : ",\n",
                '    {"id": ',
                vm.toString(uint256(s.id)),
                ', "kind": ',
                vm.toString(uint256(s.kind)),
                ', "name": "',
                s.name,
                '", "verifier": "',
                vm.toString(s.verifier),
                '"}'
            );
        }
        string memory head = string.concat(
            "{\n",
            '  "chain_id": ',
            vm.toString(d.chainId),
            ",\n",
            '  "deploy_block": ',
            vm.toString(d.deployBlock),
            ",\n",
            '  "token": "',
            vm.toString(d.token),
            '",\n',
            '  "market": "',
            vm.toString(d.market),
            '",\n',
            '  "data_oracle": "',
            vm.toString(d.dataOracle),
            '",\n'
        );
        string memory circuits;
        for (uint256 i; i < d.oracleCircuits.length; ++i) {
            OracleCircuit memory c = d.oracleCircuits[i];
            circuits = string.concat(
                circuits,
                i == 0 ? "" : ",\n",
                '    {"name": "',
                c.name,
                '", "shape": ',
                vm.toString(uint256(c.shape)),
                ', "clerks": ',
                vm.toString(uint256(c.clerks)),
                ', "threshold": ',
                vm.toString(uint256(c.threshold)),
                string.concat(
                    ', "clerk_contract": "',
                    c.clerkContract,
                    '", "finalize_contract": "',
                    c.finalizeContract,
                    '", "clerk_verifier": "',
                    vm.toString(c.clerkVerifier),
                    '", "finalize_verifier": "',
                    vm.toString(c.finalizeVerifier),
                    '"}'
                )
            );
        }
        return string.concat(
            head,
            '  "shapes": [\n',
            shapes,
            "\n  ],\n",
            '  "oracle_circuits": [\n',
            circuits,
            "\n  ],\n",
            '  "abi": {\n',
            '    "ArcanumToken": "chain/artifacts/ArcanumToken.json",\n',
            '    "ComputeMarket": "chain/artifacts/ComputeMarket.json",\n',
            '    "DataOracle": "chain/artifacts/DataOracle.json"\n',
            "  }\n",
            "}\n"
        );
    }

    /// @dev Writes `text` to `path`, creating its parent directory.
    function _write(string memory path, string memory text) internal {
        bytes memory b = bytes(path);
        uint256 slash = b.length;
        while (slash > 0 && b[slash - 1] != "/") {
            --slash;
        }
        if (slash > 1) {
            bytes memory dir = new bytes(slash - 1);
            for (uint256 i; i < dir.length; ++i) {
                dir[i] = b[i];
            }
            vm.createDir(string(dir), true);
        }
        vm.writeFile(path, text);
    }
}
