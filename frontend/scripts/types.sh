#!/bin/sh
# Generates the TypeScript types of the site's API (`npm run types`) into $1, by default
# src/api/schema.d.ts, from the OpenAPI document the site serves at /api/openapi.json
# (designer/api/openapi.py). tests/test_frontend_types.py fails when the checked-in file is stale.
# Fields with a default stay optional (--default-non-nullable false): the design is also what the
# browser sends, where they may be left out; what the site sends lists its fields as required.
set -eu
out=$(realpath -m "${1:-src/api/schema.d.ts}")
cd "$(dirname "$0")/.."
openapi=$(mktemp --suffix=.json)
trap 'rm -f "$openapi"' EXIT
../.venv/bin/python ../manage.py export_openapi_schema --output "$openapi"
node_modules/.bin/openapi-typescript "$openapi" --default-non-nullable false --output "$out"
