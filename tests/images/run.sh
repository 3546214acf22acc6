#!/usr/bin/env bash
# npm run test:images: our three images built and run on a real Docker engine (see README, "Image tier").
# Installs docker.io and debootstrap with apt when absent, starts its own dockerd (private socket,
# exec root and pid file; data root under the cache, so base images and layers survive for warm
# runs), builds (tests/images/build.ts), runs the image tests (ava, tests/images/*.test.ts), and
# always stops the engine it started.
set -euo pipefail
cd "$(dirname "$0")/../.."

cache="${DATA_PIPELINE_IMAGES_CACHE:-${DATA_PIPELINE_CACHE:-$HOME/.cache/data-pipeline}/images}"
run_dir=/run/data-pipeline-images
export DATA_PIPELINE_IMAGES_CACHE="$cache"
export DOCKER_HOST="unix://$run_dir/docker.sock"
export IMAGES_DOCKER_CLI=/usr/bin/docker
started=$(date +%s)

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
[ -x /usr/bin/docker ] || missing+=(docker.io)
if [ ${#missing[@]} -gt 0 ]; then
  echo "images: installing ${missing[*]} with apt"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

mkdir -p "$cache/docker" "$run_dir"
dockerd_pid=""
stop_engine() {
  local status=$?
  # The Spark test's egress rule, if a failed run left it behind.
  iptables -D OUTPUT -m owner --uid-owner 185 ! -o lo -j REJECT 2>/dev/null || true
  if [ -n "$dockerd_pid" ] && kill -0 "$dockerd_pid" 2>/dev/null; then
    "$IMAGES_DOCKER_CLI" ps -q | xargs -r "$IMAGES_DOCKER_CLI" rm -f >/dev/null 2>&1 || true
    kill "$dockerd_pid"
    for _ in $(seq 1 30); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 1; done
    kill -9 "$dockerd_pid" 2>/dev/null || true
    echo "images: engine stopped"
  fi
  echo "images: tier took $(( $(date +%s) - started )) s (exit $status)"
  exit $status
}
trap stop_engine EXIT
trap 'exit 130' INT TERM

dockerd --data-root "$cache/docker" --exec-root "$run_dir/exec" --pidfile "$run_dir/docker.pid" \
  --storage-driver overlay2 --host "$DOCKER_HOST" >"$cache/dockerd.log" 2>&1 &
dockerd_pid=$!
for _ in $(seq 1 60); do
  "$IMAGES_DOCKER_CLI" version --format '{{.Server.Version}}' >/dev/null 2>&1 && break
  kill -0 "$dockerd_pid" 2>/dev/null || { echo "images: dockerd exited (log: $cache/dockerd.log)" >&2; exit 1; }
  sleep 1
done
echo "images: engine $("$IMAGES_DOCKER_CLI" version --format '{{.Server.Version}} (API {{.Server.APIVersion}})') at $DOCKER_HOST, data root $cache/docker"

npx tsx --conditions=development tests/images/build.ts "$@"
[ -n "${IMAGES_BUILD_ONLY:-}" ] || npx ava --config ava.images.config.mjs
