#!/usr/bin/env bash
# From an empty daemon to a reminder delivered, with curl: a council, its keys, its
# plugin and settings, a webhook, a schedule, a referral, events, and the review
# reminder that fires, is delivered and is acknowledged.
#
# Run it against a daemon started with a manual clock (the walkthrough moves time on
# four weeks instead of waiting for them):
#
#   WAYMARK_ADMIN_TOKEN=walkthrough-admin-token-0123 \
#     target/release/waymark serve --manual-clock --data /tmp/walkthrough &
#   WAYMARK_ADMIN_TOKEN=walkthrough-admin-token-0123 examples/walkthrough.sh
#
# Environment:
#   WAYMARK_URL          the daemon (default http://127.0.0.1:8080)
#   WAYMARK_ADMIN_TOKEN  the platform admin key (required)
#   WAYMARK_PLUGIN       a built plugin (default target/plugins/stoke-on-trent.wasm,
#                        which `scripts/serve` builds)
#   WEBHOOK_URL          where reminders are pushed (optional: without it they are pulled)
#   WEBHOOK_SECRET       the webhook's signing secret (default: a new one)
#   COUNCIL              the council to create (default walkthrough-borough)
#
# Needs curl and jq. `tests/walkthrough.rs` runs this script against a live daemon,
# so it cannot drift from the API.
set -euo pipefail

URL=${WAYMARK_URL:-http://127.0.0.1:8080}
ADMIN=${WAYMARK_ADMIN_TOKEN:?set WAYMARK_ADMIN_TOKEN to the platform admin key}
PLUGIN=${WAYMARK_PLUGIN:-target/plugins/stoke-on-trent.wasm}
COUNCIL=${COUNCIL:-walkthrough-borough}
C="$URL/v1/councils/$COUNCIL"

for tool in curl jq; do
  command -v "$tool" >/dev/null || { echo "this walkthrough needs $tool" >&2; exit 2; }
done
[ -f "$PLUGIN" ] || { echo "no plugin at $PLUGIN: run scripts/serve once, or set WAYMARK_PLUGIN" >&2; exit 2; }

# One request: METHOD TOKEN URL [JSON body]. Prints the answer; fails on any non-2xx,
# showing the problem details the daemon sent.
call() {
  local method=$1 token=$2 url=$3 body=${4-}
  local args=(-sS --fail-with-body -X "$method" -H "Authorization: Bearer $token")
  if [ -n "$body" ]; then
    args+=(-H 'content-type: application/json' --data "$body")
  fi
  curl "${args[@]}" "$url"
}

step() { printf '\n== %s\n' "$*"; }

step "1. The daemon is up"
curl -sS --fail-with-body "$URL/healthz"; echo

step "2. The clock (a manual clock here): Monday 5 January 2026"
call POST "$ADMIN" "$URL/v1/admin/clock" '{"now":"2026-01-05T10:00:00Z"}' | jq .

step "3. The platform admin creates the council (a tenant)"
call POST "$ADMIN" "$URL/v1/councils" \
  "{\"id\":\"$COUNCIL\",\"name\":\"Walkthrough Borough Council\",\"timezone\":\"Europe/London\"}" | jq .

step "4. Keys: a council admin and a caseworker (each secret is shown once)"
COUNCIL_ADMIN=$(call POST "$ADMIN" "$C/keys" '{"role":"council_admin","name":"Configuration"}' | jq -r .secret)
CASEWORKER=$(call POST "$ADMIN" "$C/keys" '{"role":"caseworker","name":"Key worker team"}' | jq -r .secret)
echo "council admin key: ${COUNCIL_ADMIN:0:7}…   caseworker key: ${CASEWORKER:0:7}…"

step "5. The council admin uploads the council's policy plugin"
curl -sS --fail-with-body -X PUT -H "Authorization: Bearer $COUNCIL_ADMIN" \
  -H 'content-type: application/wasm' --data-binary "@$PLUGIN" "$C/plugin" \
  | jq '{digest, contract_version, golden_cases}'

step "6. ...and sets its settings: reviews every four weeks (validated against the plugin's schema)"
call PUT "$COUNCIL_ADMIN" "$C/settings" '{"review_every_weeks":4,"weekly_in_first_month":false}' \
  | jq '{review_every_weeks: .settings.review_every_weeks}'

if [ -n "${WEBHOOK_URL-}" ]; then
  step "7. A webhook: reminders are pushed, signed, as soon as they fire"
  SECRET=${WEBHOOK_SECRET:-whsec-walkthrough-$(date +%s)-0123456789abcdef}
  call PUT "$COUNCIL_ADMIN" "$C/webhook" \
    "{\"url\":\"$WEBHOOK_URL\",\"secret\":\"$SECRET\",\"timeout_ms\":2000,\"max_attempts\":3}" | jq '{url}'
else
  step "7. No WEBHOOK_URL: reminders wait to be pulled from the action list"
fi

step "8. A schedule: a caseload digest every Monday at 09:00, council time"
call POST "$COUNCIL_ADMIN" "$C/schedules" \
  '{"name":"Monday caseload digest","cron":"0 0 9 * * MON","action":{"type":"caseload_digest"}}' \
  | jq '{id, name, timezone, next_due}'

step "9. The caseworker refers someone; the council's plugin decides eligibility"
REFERRAL=$(call POST "$CASEWORKER" "$C/referrals" \
  '{"route":"jobcentre","date_of_birth":"1990-04-01","postcode":"ST4 1AB"}')
echo "$REFERRAL" | jq '{participant_id, state: .state.state, decision: .decision.outcome, why: [.decision.reasons[].text]}'
PARTICIPANT=$(echo "$REFERRAL" | jq -r .participant_id)

step "10. Events: the participant starts on 5 January"
call POST "$CASEWORKER" "$C/participants/$PARTICIPANT/events" '{"type":"started","at":"2026-01-05"}' \
  | jq '{state: .state, support_ends_on, pending_timers: [.pending_timers[] | "\(.due) \(.kind)"]}'

step "11. Four weeks on: Monday 2 February, 09:00 — the first review falls due"
call POST "$ADMIN" "$URL/v1/admin/clock" '{"now":"2026-02-02T09:30:00Z"}' | jq .

step "12. The review reminder is an action (pushed to the webhook if there is one)"
REVIEW=""
for _ in $(seq 1 100); do
  REVIEW=$(call GET "$CASEWORKER" "$C/actions" \
    | jq -c --arg p "$PARTICIPANT" '[.actions[] | select(.participant == $p and (.kind | tostring | test("review")))][0] // empty')
  if [ -n "$REVIEW" ] && { [ -z "${WEBHOOK_URL-}" ] || [ "$(echo "$REVIEW" | jq -r '.delivery.delivered_at // ""')" != "" ]; }; then
    break
  fi
  sleep 0.1
done
[ -n "$REVIEW" ] || { echo "the review reminder did not fire" >&2; exit 1; }
echo "$REVIEW" | jq '{id, kind, due, idempotency_key, delivered_at: .delivery.delivered_at}'
ACTION=$(echo "$REVIEW" | jq -r .id)

if [ -n "${WEBHOOK_URL-}" ]; then
  step "13. Delivered: the council's system has the reminder (its webhook answered 2xx)"
  call GET "$CASEWORKER" "$C/actions?status=delivered" \
    | jq --arg id "$ACTION" '.actions[] | select(.id == $id) | {id, status, attempts: .delivery.attempts}'
  OUTCOME=delivered
else
  step "13. The key worker has held the review: acknowledge the pulled reminder"
  call POST "$CASEWORKER" "$C/actions/$ACTION/ack" '{}' | jq '{id, status}'
  OUTCOME=acknowledged
fi

step "14. The audit log's first entries: who changed what, never the personal data"
call GET "$ADMIN" "$C/audit?limit=5" | jq -c '.entries[] | {seq, method, route, status}'

printf '\nWalkthrough complete: participant %s, review reminder %s %s.\n' \
  "$PARTICIPANT" "$ACTION" "$OUTCOME"
