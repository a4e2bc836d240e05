#!/usr/bin/env python3
"""Times Paillier encryption (python-paillier `phe`) of random 32-bit integers.

Peer of compute/benches/elgamal.rs, which spawns this script and compares per-encryption
times. Prints one JSON object on stdout; errors go to stderr with exit status 2.

    python3 tools/bench/phe_bench.py --count 100 --key-bits 2048 --seed 1
"""

import argparse
import json
import random
import statistics
import sys
import time

SETUP = (
    "run: python3 -m venv tools/bench/.venv && "
    "tools/bench/.venv/bin/pip install -r tools/bench/requirements.txt"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100, help="encryptions to time")
    parser.add_argument("--key-bits", type=int, default=2048, help="Paillier modulus bits")
    parser.add_argument("--value-bits", type=int, default=32, help="bits of each plaintext")
    parser.add_argument("--seed", type=int, default=1, help="seed for the plaintexts")
    args = parser.parse_args()
    if args.count < 1:
        print("--count must be at least 1", file=sys.stderr)
        return 2

    try:
        import phe
        from phe import paillier
    except ImportError:
        print(f"python package 'phe' is missing; {SETUP}", file=sys.stderr)
        return 2
    try:
        import gmpy2  # noqa: F401  (phe uses it automatically when present)

        have_gmpy2 = True
    except ImportError:
        have_gmpy2 = False

    t0 = time.perf_counter()
    public_key, private_key = paillier.generate_paillier_keypair(n_length=args.key_bits)
    keygen_s = time.perf_counter() - t0

    rng = random.Random(args.seed)
    values = [rng.randrange(0, 1 << args.value_bits) for _ in range(args.count)]
    times_us = []
    ciphertexts = []
    for v in values:
        start = time.perf_counter_ns()
        c = public_key.encrypt(v)
        times_us.append((time.perf_counter_ns() - start) / 1000.0)
        ciphertexts.append(c)
    # Sanity: the ciphertexts decrypt (outside the timed loop).
    for v, c in list(zip(values, ciphertexts))[:3]:
        if private_key.decrypt(c) != v:
            print("phe decrypted a wrong value; the installation is broken", file=sys.stderr)
            return 2

    print(
        json.dumps(
            {
                "library": "phe",
                "version": getattr(phe, "__version__", "unknown"),
                "gmpy2": have_gmpy2,
                "key_bits": args.key_bits,
                "value_bits": args.value_bits,
                "count": args.count,
                "keygen_seconds": keygen_s,
                "median_us": statistics.median(times_us),
                "mean_us": statistics.fmean(times_us),
                "min_us": min(times_us),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
