"""Schemathesis checks for cadre-health: no server error of any kind, in the status or the body.

Loaded by scripts/fuzz/run.sh through SCHEMATHESIS_HOOKS. Schemathesis's own
`not_a_server_error` sees only 5xx statuses; GraphQL answers most errors with 200, so this
check also reads the body: every error must carry `extensions.code`, and none may be
INTERNAL_SERVER_ERROR. It also counts the requests it saw (one line per request appended to
$FUZZ_COUNT_FILE), so the run can report how many it sent.
"""

import os

import schemathesis


@schemathesis.check
def no_internal_error(ctx, response, case):
    counter = os.environ.get("FUZZ_COUNT_FILE")
    if counter:
        with open(counter, "a", encoding="utf-8") as f:
            f.write(f"{response.status_code}\n")
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:300]}")
    try:
        body = response.json()
    except Exception:
        raise AssertionError(f"not JSON (HTTP {response.status_code}): {response.text[:200]}")
    for answer in body if isinstance(body, list) else [body]:
        for error in (answer or {}).get("errors") or []:
            code = ((error or {}).get("extensions") or {}).get("code")
            if code is None:
                raise AssertionError(f"an error without extensions.code: {error}")
            if code == "INTERNAL_SERVER_ERROR":
                raise AssertionError(f"INTERNAL_SERVER_ERROR: {error.get('message')}")
