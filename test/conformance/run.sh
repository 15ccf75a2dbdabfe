#!/usr/bin/env bash
# The official MCP conformance suite against `lunar-hub serve` on the example specs.
# Fails on any scenario that fails and is not in baseline.yml (with its reason), and on
# any baseline entry that passes.
set -euo pipefail
cd "$(dirname "$0")/../.."
log="$(mktemp)"
data="$(mktemp -d)"
# --no-auth: the suite is an anonymous MCP client (the agent-key front door has its own tests).
node bin/lunar-hub.js serve --port 0 --specs specs --data "$data" --no-auth 2>"$log" &
hub=$!
trap 'kill $hub 2>/dev/null || true; rm -rf "$log" "$data"' EXIT
url=""
for _ in $(seq 1 100); do
  url="$(grep -o 'http://127.0.0.1:[0-9]*/mcp' "$log" | head -n1 || true)"
  [ -n "$url" ] && break
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "lunar-hub serve did not start:" >&2
  cat "$log" >&2
  exit 1
fi
node_modules/.bin/conformance server --url "$url" --expected-failures test/conformance/baseline.yml
