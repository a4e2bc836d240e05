// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {OracleFixture} from "./utils/Fixture.sol";
import {ArcanumToken} from "../src/ArcanumToken.sol";
import {ComputeMarket} from "../src/ComputeMarket.sol";
import {DataOracle} from "../src/DataOracle.sol";
import {IrisStatsConsumer} from "../src/examples/IrisStatsConsumer.sol";
import {SecaggSum4x8Verifier} from "../src/generated/SecaggSum4x8Verifier.sol";
import {HeLinear4x8Verifier} from "../src/generated/HeLinear4x8Verifier.sol";
import {DecryptShareC5Verifier} from "../src/generated/DecryptShareC5Verifier.sol";
import {FinalizeHeLinear4x8T3Verifier} from "../src/generated/FinalizeHeLinear4x8T3Verifier.sol";
import {IGroth16Verifier} from "../src/interfaces/IGroth16Verifier.sol";

/// @dev An he-linear feed end to end on chain, on the real proofs of
///      `oracle_he_linear_4x8.json` (`make verifiers`): three owners' ciphertexts under a
///      3-of-5 committee key (job 2, proven by the fixture worker), members 1, 3 and 5's
///      proofs of their decryption shares, and finalize proofs of the mean for requests 1
///      to 6. Job 1 is the secagg-sum proof fixture (another completed job).
contract DataOracleHeTest is OracleFixture {
    ArcanumToken internal token;
    ComputeMarket internal market;
    DataOracle internal oracle;
    IrisStatsConsumer internal consumer;
    address internal node = address(0x0AC1E);
    address internal dapp = address(0xDA99);
    bytes32 internal constant FEED = keccak256("iris/sepal_length/mean/he");
    uint256 internal constant REQUESTER_KEY = 0xA11CE;
    uint256[3] internal OWNER_KEYS = [uint256(0xB0B1), 0xB0B2, 0xB0B3];
    uint256 internal keyDigest;
    uint256 internal sumDigest;
    uint256 internal outsiderKeyDigest;
    uint256 internal outsiderCommitment;
    uint256[8] internal outsiderProof;
    uint256 internal otherJob;
    uint256 internal heJob;

    function setUp() public {
        loadFixture();
        string memory json = loadOracleFixtureFrom("test/fixtures/oracle_he_linear_4x8.json", 3);
        keyDigest = vm.parseJsonUint(json, ".keyDigest");
        sumDigest = vm.parseJsonUint(json, ".sumDigest");
        outsiderKeyDigest = vm.parseJsonUint(json, ".outsiderKeyDigest");
        outsiderCommitment = vm.parseJsonUint(json, ".outsiderCommitment");
        outsiderProof = _words(json, ".outsiderProof");

        token = new ArcanumToken(address(this));
        market = new ComputeMarket(token, 1 days, 1 ether, address(this), address(0x7EA5));
        market.setVerifier(1, 1, new SecaggSum4x8Verifier());
        market.setVerifier(2, 2, new HeLinear4x8Verifier());
        oracle = new DataOracle(token, market, address(this));
        oracle.setOracle(node, true);
        oracle.setFeed(
            FEED,
            DataOracle.Feed({
                kind: oracle.KIND_HE_LINEAR(),
                queryTag: queryTag,
                params: feedParams,
                shape: 2,
                threshold: 3,
                slots: 4,
                minOwners: 3,
                clerkVerifier: IGroth16Verifier(address(new DecryptShareC5Verifier())),
                finalizeVerifier: address(new FinalizeHeLinear4x8T3Verifier())
            })
        );
        address[] memory owners = new address[](3);
        for (uint256 i; i < 3; ++i) {
            owners[i] = vm.addr(OWNER_KEYS[i]);
        }
        oracle.setFeedOwners(FEED, owners, true);
        consumer = new IrisStatsConsumer(oracle);

        token.mint(fixtureWorker, 10 ether);
        vm.startPrank(fixtureWorker);
        token.approve(address(market), type(uint256).max);
        market.stake(10 ether);
        vm.stopPrank();
        address requester = vm.addr(REQUESTER_KEY);
        token.mint(requester, 20 ether);
        vm.prank(requester);
        token.approve(address(market), type(uint256).max);
        token.mint(dapp, 100 ether);
        vm.prank(dapp);
        token.approve(address(oracle), type(uint256).max);
        token.mint(address(consumer), 100 ether);
    }

    function _settle(
        uint8 kind,
        uint32 shape,
        uint256 input,
        uint256 output,
        uint256[8] memory proof
    ) internal returns (uint256 jobId) {
        address requester = vm.addr(REQUESTER_KEY);
        vm.prank(requester);
        jobId =
            market.postJob(kind, shape, input, 5 ether, uint64(block.timestamp + 1 hours), 1 ether);
        uint64 acceptBy = uint64(block.timestamp + 10 minutes);
        bytes memory sig = sign(
            REQUESTER_KEY, market.assignmentDigest(jobId, fixtureWorker, 0, 5 ether, acceptBy)
        );
        vm.startPrank(fixtureWorker);
        market.acceptAssignment(jobId, 5 ether, acceptBy, sig);
        market.submitResult(jobId, output, proof);
        vm.stopPrank();
    }

    /// @dev Job 1 (secagg-sum, another completed job) and job 2 (the he-linear fixture).
    function _completeJobs() internal {
        otherJob = _settle(1, 1, fixtureInput, fixtureOutput, fixtureProof);
        heJob = _settle(2, 2, oracleInput, oracleOutput, oracleWorkerProof);
        assertEq(heJob, 2, "the fixture's proofs are for job 2");
    }

    function _request() internal returns (uint256 id) {
        vm.prank(dapp);
        id = oracle.request(FEED, 2 ether, address(0), 0, 1 hours);
    }

    function _digest(uint256 id, uint256 anchor) internal view returns (bytes32) {
        return anchorDigestOf(address(oracle), id, anchor);
    }

    function _proof(uint256 id) internal view returns (DataOracle.ValueProof memory p) {
        p.anchors = anchors;
        p.anchorSignatures = new bytes[](anchors.length);
        for (uint256 i; i < 3; ++i) {
            p.anchorSignatures[i] = sign(OWNER_KEYS[i], _digest(id, anchors[i]));
        }
        p.clerkIndices = clerkIndices;
        p.clerkCommitments = clerkCommitments;
        p.clerkProofs = clerkProofs;
        p.keyDigest = keyDigest;
        p.sumDigest = sumDigest;
        p.finalize = finalizeProofs[id - 1];
    }

    function test_heValueIsTheProvenDecryptedMean() public {
        uint256 id = consumer.ask(FEED, 1 ether);
        _completeJobs();
        DataOracle.ValueProof memory p = _proof(id);
        vm.prank(node);
        oracle.fulfill(id, provenValue, heJob, p);
        uint256 used = vm.lastCallGas().gasTotalUsed;
        emit log_named_uint("oracle_fulfil_gas_he_linear", used);
        // Four Groth16 checks (three members, one finalize) and three signatures.
        assertTrue(used > 800_000 && used < 1_300_000, "four proof checks, under 1.3M");
        // (52.5 + 118.3 + 31.0) / 35 at 18 decimals, half up.
        assertEq(provenValue, int256(57_657_142_857_142_857_143), "the fixture's mean");
        assertEq(consumer.valueOf(FEED), provenValue, "callback value");
        DataOracle.Value memory v = oracle.latest(FEED);
        assertEq(v.value, provenValue, "stored value");
        assertEq(v.jobId, heJob, "provenance job");
    }

    function test_heWrongValueIsRejectedWithTheRightProofs() public {
        uint256 id = _request();
        _completeJobs();
        int256[3] memory wrong = [provenValue + 1, provenValue - 1, int256(123456789)];
        vm.startPrank(node);
        for (uint256 i; i < wrong.length; ++i) {
            vm.expectRevert(DataOracle.InvalidFinalizeProof.selector);
            oracle.fulfill(id, wrong[i], heJob, _proof(id));
        }
        oracle.fulfill(id, provenValue, heJob, _proof(id));
        vm.stopPrank();
    }

    function test_heProofsOfAnotherRequestOrJobAreRejected() public {
        uint256 first = _request();
        uint256 second = _request();
        _completeJobs();
        vm.startPrank(node);
        DataOracle.ValueProof memory p = _proof(second);
        p.finalize = finalizeProofs[first - 1];
        vm.expectRevert(DataOracle.InvalidFinalizeProof.selector);
        oracle.fulfill(second, provenValue, heJob, p);
        // Another completed job: of another shape.
        vm.expectRevert(abi.encodeWithSelector(DataOracle.ShapeMismatch.selector, otherJob, 1, 2));
        oracle.fulfill(first, provenValue, otherJob, _proof(first));
        vm.stopPrank();
    }

    function test_aShareFromOutsideTheCommitteeIsRejected() public {
        uint256 id = _request();
        _completeJobs();
        vm.startPrank(node);
        // The outsider's (valid) proof in member 3's place, under the owners' key digest:
        // it does not verify there.
        DataOracle.ValueProof memory p = _proof(id);
        p.clerkCommitments[1] = outsiderCommitment;
        p.clerkProofs[1] = outsiderProof;
        vm.expectRevert(abi.encodeWithSelector(DataOracle.InvalidClerkProof.selector, 1));
        oracle.fulfill(id, provenValue, heJob, p);
        // Under the digest naming its key: the members' proofs are not of that committee.
        p.keyDigest = outsiderKeyDigest;
        vm.expectRevert(abi.encodeWithSelector(DataOracle.InvalidClerkProof.selector, 0));
        oracle.fulfill(id, provenValue, heJob, p);
        // The members' proofs alone under that digest cannot exist; the finalize proof
        // binds the digest the owners anchored.
        p = _proof(id);
        p.keyDigest = outsiderKeyDigest;
        vm.expectRevert(abi.encodeWithSelector(DataOracle.InvalidClerkProof.selector, 0));
        oracle.fulfill(id, provenValue, heJob, p);
        // Another sum: the members decrypted this one.
        p = _proof(id);
        p.sumDigest = sumDigest + 1;
        vm.expectRevert(abi.encodeWithSelector(DataOracle.InvalidClerkProof.selector, 0));
        oracle.fulfill(id, provenValue, heJob, p);
        oracle.fulfill(id, provenValue, heJob, _proof(id));
        vm.stopPrank();
    }

    function test_heMembersAndOwnersAreChecked() public {
        uint256 id = _request();
        _completeJobs();
        vm.startPrank(node);
        // A member repeated (indices must increase strictly).
        DataOracle.ValueProof memory p = _proof(id);
        p.clerkIndices[1] = p.clerkIndices[0];
        vm.expectRevert(abi.encodeWithSelector(DataOracle.BadClerks.selector, 3, 3));
        oracle.fulfill(id, provenValue, heJob, p);
        // Too few members.
        p = _proof(id);
        p.clerkIndices = new uint256[](2);
        vm.expectRevert(abi.encodeWithSelector(DataOracle.BadClerks.selector, 2, 3));
        oracle.fulfill(id, provenValue, heJob, p);
        // An owner dropped.
        p = _proof(id);
        p.anchors[2] = 0;
        vm.expectRevert(abi.encodeWithSelector(DataOracle.TooFewOwners.selector, 2, 3));
        oracle.fulfill(id, provenValue, heJob, p);
        vm.stopPrank();
    }
}

/// @dev The he-linear feed's verifiers stay near the EIP-1108 floor: four pairings
///      (181,000 gas) plus one ecMul and one ecAdd per public input (6,150 gas).
contract OracleHeVerifierGasTest is OracleFixture {
    uint256 internal constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    function _floor(uint256 inputs) internal pure returns (uint256) {
        return 181_000 + 6_150 * inputs;
    }

    function test_heVerifiersWithinThreePercentOfTheFloor() public {
        string memory json = loadOracleFixtureFrom("test/fixtures/oracle_he_linear_4x8.json", 3);
        uint256 keyDigest = vm.parseJsonUint(json, ".keyDigest");
        uint256 sumDigest = vm.parseJsonUint(json, ".sumDigest");
        DecryptShareC5Verifier member = new DecryptShareC5Verifier();
        uint256[4] memory input = [sumDigest, keyDigest, clerkIndices[0], clerkCommitments[0]];
        assertTrue(member.verifyProof(clerkProofs[0], input), "member proof verifies");
        uint256 memberGas = vm.lastCallGas().gasTotalUsed;

        FinalizeHeLinear4x8T3Verifier fin = new FinalizeHeLinear4x8T3Verifier();
        uint256[17] memory public_;
        public_[0] = uint256(keccak256(abi.encode(uint256(1), address(0x0AC1E)))) % R;
        public_[1] = oracleInput;
        public_[2] = feedParams;
        public_[3] = uint256(provenValue);
        for (uint256 k; k < 3; ++k) {
            public_[4 + k] = clerkIndices[k];
            public_[7 + k] = clerkCommitments[k];
        }
        for (uint256 i; i < 4; ++i) {
            public_[10 + i] = anchors[i];
        }
        (public_[14], public_[15], public_[16]) = (queryTag, keyDigest, sumDigest);
        assertTrue(fin.verifyProof(finalizeProofs[0], public_), "finalize proof verifies");
        uint256 finalizeGas = vm.lastCallGas().gasTotalUsed;
        emit log_named_uint("decrypt_share_verifier_gas", memberGas);
        emit log_named_uint("finalize_he_linear_verifier_gas", finalizeGas);

        assertTrue(memberGas >= _floor(4) && memberGas * 100 <= _floor(4) * 103, "member verifier");
        assertTrue(
            finalizeGas >= _floor(17) && finalizeGas * 100 <= _floor(17) * 103, "finalize verifier"
        );
    }
}
