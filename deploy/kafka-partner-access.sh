#!/bin/sh
# Give a partner its Kafka credentials and keep it on its own topic (compose deployment).
#
#   docker compose exec -T kafka sh /opt/dimm/kafka-partner-access.sh grant <partner_id> < password.txt
#   docker compose exec -T kafka sh /opt/dimm/kafka-partner-access.sh revoke <partner_id>
#
# The password is read from the standard input (never an argument: arguments show in `ps`).
#
# grant: a SCRAM-SHA-512 user named after the partner id; ACLs letting it read and describe
# dimm.partner.<partner_id>.events and use consumer groups whose names start with
# dimm.partner.<partner_id>. — nothing else (the broker allows nothing without an ACL).
# revoke: removes the ACLs and the credentials. The watch service creates the topic itself when the
# partner is registered; suspending the partner (PATCH /assessment/v1/partners/<id>) stops its feed.
set -eu

BOOTSTRAP="${KAFKA_BOOTSTRAP:-localhost:9092}"
BIN="${KAFKA_BIN:-/opt/kafka/bin}"
action="${1:-}"
partner="${2:-}"

case "$partner" in
  ptn_*) ;;
  *) echo "usage: $0 grant <ptn_id> < password | revoke <ptn_id>" >&2; exit 2 ;;
esac
topic="dimm.partner.${partner}.events"
groups="dimm.partner.${partner}."

acls() {
  "$BIN/kafka-acls.sh" --bootstrap-server "$BOOTSTRAP" "$1" --force \
    --allow-principal "User:${partner}" --operation Read --operation Describe --topic "$topic"
  "$BIN/kafka-acls.sh" --bootstrap-server "$BOOTSTRAP" "$1" --force \
    --allow-principal "User:${partner}" --operation Read --operation Describe \
    --group "$groups" --resource-pattern-type prefixed
}

case "$action" in
  grant)
    IFS= read -r password || true
    if [ -z "${password:-}" ]; then echo "give the partner's password on the standard input" >&2; exit 2; fi
    "$BIN/kafka-configs.sh" --bootstrap-server "$BOOTSTRAP" --alter --entity-type users \
      --entity-name "$partner" --add-config "SCRAM-SHA-512=[iterations=8192,password=${password}]"
    acls --add
    echo "${partner} may read ${topic} (groups ${groups}*) on port 9094 with SASL SCRAM-SHA-512"
    ;;
  revoke)
    acls --remove
    "$BIN/kafka-configs.sh" --bootstrap-server "$BOOTSTRAP" --alter --entity-type users \
      --entity-name "$partner" --delete-config SCRAM-SHA-512
    echo "${partner} has no Kafka access any more"
    ;;
  *) echo "usage: $0 grant <ptn_id> < password | revoke <ptn_id>" >&2; exit 2 ;;
esac
