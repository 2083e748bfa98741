#!/bin/bash
# The soak test for 30 seconds with 4 clients (test/soak/run; `make soak`
# runs it for as long as asked).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec test/soak/run 30 4
