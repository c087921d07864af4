#!/usr/bin/env bash
# The whole test suite, as the README documents it (`npm test`): type-check, build the web UI
# (the end-to-end tests run the production server), then every vitest project: unit, the
# integration suite on PGlite, PostgreSQL and the Neon driver, the CLI, and e2e in Chromium.
set -euo pipefail
export NEXT_TELEMETRY_DISABLED=1
cd "$(dirname "$0")/.."

echo "▶ type-check"
npx tsc --noEmit

echo "▶ build the web UI"
npx next build

echo "▶ tests"
npx vitest run "$@"
