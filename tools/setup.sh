#!/usr/bin/env bash
# Installs Arcanum's pinned external tools into tools/node_modules (git-ignored) and links
# them into tools/bin: anvil, forge, cast (Foundry 1.7.1 from npm), solc (npm solc-js behind
# a native-looking wrapper, so forge can compile offline) and OpenZeppelin contracts.
# `npm ci`: installs exactly the committed lock (which lists every platform's optional
# Foundry package, so npm has nothing to add) and never rewrites it.
# Idempotent: a second run only checks versions and costs about a second.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

stamp="node_modules/.arcanum-lock-stamp"
if [[ ! -f "$stamp" ]] || ! cmp -s package-lock.json "$stamp"; then
  echo "tools: installing pinned toolchain from package-lock.json" >&2
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

mkdir -p bin
for tool in anvil forge cast; do
  native="node_modules/@foundry-rs/${tool}-linux-amd64/bin/${tool}"
  if [[ ! -f "$native" ]]; then
    echo "tools: $native is missing; Foundry's npm package ships linux-amd64 only. Remove tools/node_modules and rerun tools/setup.sh" >&2
    exit 1
  fi
  chmod +x "$native"
  ln -sf "../$native" "bin/$tool"
done
ln -sf ../solc-wrapper.js bin/solc
chmod +x solc-wrapper.js

"$here/bin/anvil" --version >/dev/null
"$here/bin/forge" --version >/dev/null
"$here/bin/solc" --version >/dev/null
echo "tools: ready in $here/bin ($("$here/bin/forge" --version | head -1); solc $("$here/bin/solc" --version | tail -1 | awk '{print $2}'))" >&2
