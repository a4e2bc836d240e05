// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {TestBase} from "./utils/TestBase.sol";
import {Deploy} from "../script/Deploy.s.sol";
import {ArcanumToken} from "../src/ArcanumToken.sol";
import {ComputeMarket} from "../src/ComputeMarket.sol";
import {DataOracle} from "../src/DataOracle.sol";

/// @dev Cheatcodes this test needs beyond `TestBase`'s.
interface DeployTestVm {
    function setEnv(string calldata name, string calldata value) external;
    function createDir(string calldata path, bool recursive) external;
    function writeFile(string calldata path, string calldata data) external;
    function removeFile(string calldata path) external;
    function parseJsonString(string calldata json, string calldata key)
        external
        pure
        returns (string memory);
    function parseJsonKeys(string calldata json, string calldata key)
        external
        pure
        returns (string[] memory);
    function keyExistsJson(string calldata json, string calldata key) external view returns (bool);
}

/// @dev Exposes the script's internals; being the creator, it owns what it deploys.
contract DeployHarness is Deploy {
    function deploy(Params memory p) external returns (Deployment memory) {
        return _deploy(address(this), p);
    }

    function json(Deployment memory d) external pure returns (string memory) {
        return _json(d);
    }

    function params(address owner) external view returns (Params memory) {
        return _params(owner);
    }
}

contract DeployScriptTest is TestBase {
    DeployTestVm internal constant vm2 = DeployTestVm(address(vm));

    address internal constant ORACLE_A = address(0xA11CE);
    address internal constant ORACLE_B = address(0xB0B);
    address internal constant TREASURY = address(0x7EA5);

    /// @dev Only this contract writes here (`fs_permissions`; the dir is ignored by git).
    string internal constant OUT_DIR = "cache/deploy-test/";

    DeployHarness internal harness;

    function setUp() public {
        harness = new DeployHarness();
    }

    function test_deploy_registers_shapes_oracles_and_owner() public {
        address[] memory oracles = new address[](2);
        oracles[0] = ORACLE_A;
        oracles[1] = ORACLE_B;
        Deploy.Deployment memory d =
            harness.deploy(Deploy.Params(3 days, 250 ether, TREASURY, oracles));
        address owner = address(harness);
        _checkRegistry(d, owner, 3 days, 250 ether, TREASURY);
        DataOracle oracle = DataOracle(d.dataOracle);
        assertTrue(oracle.isOracle(ORACLE_A) && oracle.isOracle(ORACLE_B), "oracles set");
        assertTrue(!oracle.isOracle(owner), "owner is no oracle");
    }

    function test_json_has_every_field_with_its_type() public {
        vm.roll(42);
        Deploy.Deployment memory d =
            harness.deploy(Deploy.Params(7 days, 100 ether, address(harness), new address[](0)));
        assertEq(d.deployBlock, 42, "deploy block");
        string memory path = string.concat(OUT_DIR, "json.json");
        vm2.createDir(OUT_DIR, true);
        vm2.writeFile(path, harness.json(d));
        string memory json = vm.readFile(path);
        vm2.removeFile(path);
        _checkJson(json, d);
    }

    /// @dev The only test touching the `ARCANUM_*` variables (the environment is shared by
    ///      tests running in parallel): defaults, then `run()` end to end as forge runs it.
    function test_run_reads_env_broadcasts_and_writes_the_file() public {
        string[5] memory names = [
            "ARCANUM_UNBONDING_DELAY",
            "ARCANUM_MIN_WORKER_STAKE",
            "ARCANUM_TREASURY",
            "ARCANUM_ORACLES",
            "ARCANUM_DEPLOYMENT_OUT"
        ];
        for (uint256 i; i < names.length; ++i) {
            vm2.setEnv(names[i], "");
        }
        Deploy.Params memory p = harness.params(address(0xABC));
        assertEq(p.unbondingDelay, 604_800, "default delay");
        assertEq(p.minWorkerStake, 100 ether, "default stake");
        assertEq(p.treasury, address(0xABC), "default treasury: owner");
        assertEq(p.oracles.length, 0, "no oracles");

        string memory path = string.concat(OUT_DIR, "run/31337.json");
        vm2.setEnv("ARCANUM_UNBONDING_DELAY", "86400");
        vm2.setEnv("ARCANUM_MIN_WORKER_STAKE", "5000000000000000000");
        vm2.setEnv("ARCANUM_TREASURY", "0x0000000000000000000000000000000000007EA5");
        vm2.setEnv(
            "ARCANUM_ORACLES",
            "0x00000000000000000000000000000000000A11cE, 0x0000000000000000000000000000000000000B0b"
        );
        vm2.setEnv("ARCANUM_DEPLOYMENT_OUT", path);
        vm.roll(7);
        Deploy.Deployment memory d = harness.run();
        for (uint256 i; i < names.length; ++i) {
            vm2.setEnv(names[i], "");
        }

        // Broadcast from forge's default sender, who owns everything (not the harness).
        address owner = IOwned(d.market).owner();
        assertTrue(owner != address(harness) && owner != address(0), "broadcaster owns");
        _checkRegistry(d, owner, 86_400, 5 ether, TREASURY);
        DataOracle oracle = DataOracle(d.dataOracle);
        assertTrue(oracle.isOracle(ORACLE_A) && oracle.isOracle(ORACLE_B), "oracles from env");

        string memory json = vm.readFile(path);
        vm2.removeFile(path);
        assertEq(d.deployBlock, 7, "deploy block: block.number at start");
        _checkJson(json, d);
    }

    function _checkRegistry(
        Deploy.Deployment memory d,
        address owner,
        uint64 delay,
        uint256 minStake,
        address treasury
    ) internal view {
        ComputeMarket market = ComputeMarket(d.market);
        DataOracle oracle = DataOracle(d.dataOracle);
        assertEq(d.chainId, block.chainid, "chain id");
        assertEq(address(market.token()), d.token, "market token");
        assertEq(address(oracle.token()), d.token, "oracle token");
        assertEq(address(oracle.market()), d.market, "oracle market");
        assertEq(IOwned(d.token).owner(), owner, "token owner");
        assertEq(market.owner(), owner, "market owner");
        assertEq(oracle.owner(), owner, "oracle owner");
        assertEq(market.unbondingDelay(), delay, "unbonding delay");
        assertEq(market.minWorkerStake(), minStake, "min worker stake");
        assertEq(market.treasury(), treasury, "treasury");
        assertEq(ArcanumToken(d.token).totalSupply(), 0, "no supply minted");

        assertEq(d.shapes.length, 3, "three shapes");
        uint8[3] memory kinds = [1, 3, 1];
        string[3] memory names = ["secagg-sum-4x8", "he-linear-4x8", "secagg-sum-16x64"];
        for (uint256 i; i < 3; ++i) {
            Deploy.Shape memory s = d.shapes[i];
            assertEq(s.id, i + 1, "shape id");
            assertEq(s.kind, kinds[i], "shape kind");
            assertTrue(_eq(s.name, names[i]), "shape name");
            assertEq(market.kindOf(s.id), kinds[i], "kindOf");
            assertEq(address(market.verifierOf(s.id)), s.verifier, "verifierOf");
            assertTrue(s.verifier.code.length > 0, "verifier has code");
        }
        assertTrue(
            d.shapes[0].verifier != d.shapes[1].verifier
                && d.shapes[1].verifier != d.shapes[2].verifier
                && d.shapes[0].verifier != d.shapes[2].verifier,
            "one verifier per shape"
        );
        assertEq(market.kindOf(4), 0, "no fourth shape");
    }

    function _checkJson(string memory json, Deploy.Deployment memory d) internal view {
        // Exactly these keys, at every level.
        _checkKeys(
            vm2.parseJsonKeys(json, "$"),
            "abi,chain_id,data_oracle,deploy_block,market,oracle_circuits,shapes,token",
            "top-level keys"
        );
        _checkKeys(vm2.parseJsonKeys(json, ".abi"), "ArcanumToken,ComputeMarket,DataOracle", "abi");
        assertTrue(!vm2.keyExistsJson(json, ".shapes[3]"), "three shapes in the file");
        _checkKeys(
            vm2.parseJsonKeys(json, ".oracle_circuits[0]"),
            "clerk_contract,clerk_verifier,clerks,finalize_contract,finalize_verifier,name,shape,threshold",
            "oracle circuit keys"
        );
        assertEq(
            vm.parseJsonAddress(json, ".oracle_circuits[0].finalize_verifier"),
            d.oracleCircuits[0].finalizeVerifier,
            "oracle_circuits[].finalize_verifier"
        );
        assertTrue(d.oracleCircuits[0].clerkVerifier.code.length > 0, "clerk verifier has code");

        assertEq(vm.parseJsonUint(json, ".chain_id"), d.chainId, "chain_id");
        assertEq(vm.parseJsonUint(json, ".deploy_block"), d.deployBlock, "deploy_block");
        assertEq(vm.parseJsonAddress(json, ".token"), d.token, "token");
        assertEq(vm.parseJsonAddress(json, ".market"), d.market, "market");
        assertEq(vm.parseJsonAddress(json, ".data_oracle"), d.dataOracle, "data_oracle");
        // Numbers are JSON numbers, addresses 0x strings.
        _contains(json, string.concat('"chain_id": ', _str(d.chainId), ",\n"));
        _contains(json, string.concat('"deploy_block": ', _str(d.deployBlock), ",\n"));
        _contains(json, '"token": "0x');

        for (uint256 i; i < 3; ++i) {
            string memory at = string.concat(".shapes[", _str(i), "]");
            _checkKeys(vm2.parseJsonKeys(json, at), "id,kind,name,verifier", "shape keys");
            Deploy.Shape memory s = d.shapes[i];
            assertEq(vm.parseJsonUint(json, string.concat(at, ".id")), s.id, "shapes[].id");
            assertEq(vm.parseJsonUint(json, string.concat(at, ".kind")), s.kind, "shapes[].kind");
            assertTrue(
                _eq(vm2.parseJsonString(json, string.concat(at, ".name")), s.name), "shapes[].name"
            );
            assertEq(
                vm.parseJsonAddress(json, string.concat(at, ".verifier")),
                s.verifier,
                "shapes[].verifier"
            );
            _contains(
                json,
                string.concat('{"id": ', _str(s.id), ', "kind": ', _str(s.kind), ', "name": "')
            );
        }

        string[3] memory c = ["ArcanumToken", "ComputeMarket", "DataOracle"];
        for (uint256 i; i < 3; ++i) {
            assertTrue(
                _eq(
                    vm2.parseJsonString(json, string.concat(".abi.", c[i])),
                    string.concat("chain/artifacts/", c[i], ".json")
                ),
                "abi path"
            );
        }
    }

    /// @dev `keys` (in any order) equals the comma-separated sorted list `expected`.
    function _checkKeys(string[] memory keys, string memory expected, string memory what)
        internal
        pure
    {
        // Insertion sort, then join.
        for (uint256 i = 1; i < keys.length; ++i) {
            for (uint256 j = i; j > 0 && _less(keys[j], keys[j - 1]); --j) {
                (keys[j], keys[j - 1]) = (keys[j - 1], keys[j]);
            }
        }
        string memory joined;
        for (uint256 i; i < keys.length; ++i) {
            joined = string.concat(joined, i == 0 ? "" : ",", keys[i]);
        }
        assertTrue(_eq(joined, expected), what);
    }

    function _less(string memory a, string memory b) internal pure returns (bool) {
        bytes memory x = bytes(a);
        bytes memory y = bytes(b);
        uint256 n = x.length < y.length ? x.length : y.length;
        for (uint256 i; i < n; ++i) {
            if (x[i] != y[i]) return x[i] < y[i];
        }
        return x.length < y.length;
    }

    function _contains(string memory hay, string memory needle) internal pure {
        bytes memory h = bytes(hay);
        bytes memory n = bytes(needle);
        for (uint256 i; i + n.length <= h.length; ++i) {
            uint256 j;
            while (j < n.length && h[i + j] == n[j]) {
                ++j;
            }
            if (j == n.length) return;
        }
        revert AssertionFailedBool(string.concat("JSON lacks: ", needle));
    }

    function _eq(string memory a, string memory b) internal pure returns (bool) {
        return keccak256(bytes(a)) == keccak256(bytes(b));
    }

    function _str(uint256 x) internal pure returns (string memory) {
        if (x == 0) return "0";
        bytes memory b;
        while (x != 0) {
            b = abi.encodePacked(bytes1(uint8(48 + x % 10)), b);
            x /= 10;
        }
        return string(b);
    }
}

interface IOwned {
    function owner() external view returns (address);
}
