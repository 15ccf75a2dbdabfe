#!/usr/bin/env bash
# The official MCP conformance suite against `lunar-hub serve` on the example specs, once per
# protocol era the hub serves on /mcp: 2025-11-25 (initialize, sessions) and 2026-07-28
# (stateless, per-request _meta). Each era has its own baseline of checks that cannot apply to
# a gateway, each with its reason (baseline-<era>.yml); a run fails on any other failing check
# and on any baseline entry that passes. docs/protocol.md ("Conformance") has the counts.
#
# The suite (test/conformance/runner/, installed by `npm ci --prefix test/conformance/runner`)
# needs Node 22 or newer, so it runs on the Node 24 binary that the runner's lockfile pins; the
# hub itself runs on the machine's `node`, as users run it.
set -euo pipefail
cd "$(dirname "$0")/../.."

eras=(2025-11-25 2026-07-28)
bin=test/conformance/runner/node_modules/.bin
if [ ! -x "$bin/node" ] || [ ! -e "$bin/conformance" ]; then
  echo "The conformance suite is not installed: run npm ci --prefix test/conformance/runner --no-audit --no-fund" >&2
  exit 1
fi

log="$(mktemp)"
data="$(mktemp -d)"
# --no-auth: the suite is an anonymous MCP client (the agent-key front door has its own tests).
node bin/lunar-hub.js serve --port 0 --specs specs --data "$data" --no-auth 2>"$log" &
hub=$!
trap 'kill $hub 2>/dev/null || true; wait $hub 2>/dev/null || true; rm -rf "$log" "$data"' EXIT

hub_failed() {
  echo "lunar-hub serve $1; its output:" >&2
  cat "$log" >&2
  exit 1
}

# The hub prints its URL once the specs are loaded and it listens (about a second here).
url=""
for _ in $(seq 1 150); do
  url="$(grep -o 'http://127.0.0.1:[0-9]*/mcp' "$log" | head -n1 || true)"
  [ -n "$url" ] && break
  kill -0 "$hub" 2>/dev/null || hub_failed "exited before it was ready"
  sleep 0.1
done
[ -n "$url" ] || hub_failed "printed no URL within 15 s"

# --suite all: the active scenarios plus those still pending in the suite (its own reference
# server cannot pass them yet; the hub can be held to them). --spec-version picks the era's
# scenarios and wire, and leaves out the optional extensions (tasks, skills).
# Both eras run even when the first fails, so one run shows every regression.
status=0
for era in "${eras[@]}"; do
  echo "=== MCP conformance suite $("$bin/node" "$bin/conformance" --version), protocol $era, against $url"
  "$bin/node" "$bin/conformance" server --url "$url" --suite all --spec-version "$era" \
    --expected-failures "test/conformance/baseline-$era.yml" || status=1
done
kill -0 "$hub" 2>/dev/null || hub_failed "exited during the suite"
# The suite's own summary marks baselined checks as failed too; say plainly what counts.
if [ "$status" -eq 0 ]; then
  echo "MCP conformance: every era (${eras[*]}) matches its baseline: no unexpected failure, no stale entry."
else
  echo "MCP conformance FAILED: see 'Unexpected failures' or 'Stale baseline entries' above." >&2
fi
exit "$status"
