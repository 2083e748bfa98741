#!/bin/bash
# The benchmark at a tiny scale, so that it cannot rot: it must generate,
# agree with its plain-SQL references and print its table.  No timing is
# judged here.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(bench/measure 300 1 2>&1) || { echo "$out"; exit 1; }
echo "$out" | tail -12
echo "$out" | grep -q "fifo_lettering: same allocations" || { echo "$out"; exit 1; }
echo "$out" | grep -q "aged_balance: same results" || { echo "$out"; exit 1; }
echo "$out" | grep -q "proposal: letters agree with their items" || { echo "$out"; exit 1; }
echo "$out" | grep -q "entry counters equal the recount" || { echo "$out"; exit 1; }
echo "$out" | grep -q "item_status: same verdicts" || { echo "$out"; exit 1; }
echo "$out" | grep -q "followup_schedule: same schedule" || { echo "$out"; exit 1; }
echo "$out" | grep -q "^proposal_after_run " || { echo "$out"; exit 1; }
# the lettering-memory mode too (at 100 and 400 customers)
out=$(bench/measure 100 1 lettering_memory 2>&1) || { echo "$out"; exit 1; }
echo "$out" | tail -1
echo "$out" | grep -q "lettering memory at 4x the entries" || { echo "$out"; exit 1; }
