#!/bin/sh
# One pod of the simulator's Indexed Job: runs shard JOB_COMPLETION_INDEX (0-based, set by
# Kubernetes for an Indexed Job) of SHARDS and writes its result where `syncward sim merge`
# finds it. Everything that decides the result (scenario, seed, shard count) must be the same
# in every pod; the pod count does not change it.
set -eu
: "${JOB_COMPLETION_INDEX:?is set by Kubernetes in an Indexed Job}"
: "${SHARDS:?the number of shards (the Job's completions)}"
: "${SCENARIO:?a built-in scenario name or a scenario file}"
RESULTS=${RESULTS:-/results}
SYNCWARD=${SYNCWARD:-syncward}
shard=$((JOB_COMPLETION_INDEX + 1))
# SIM_ARGS: more options (--devices, --seed, --duration …), split on spaces.
# shellcheck disable=SC2086
exec $SYNCWARD sim "$SCENARIO" ${SIM_ARGS:-} --shard "$shard/$SHARDS" --workers 0 --no-progress \
  --out "$RESULTS/shard-$(printf '%05d' "$JOB_COMPLETION_INDEX").json"
