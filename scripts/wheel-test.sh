#!/usr/bin/env bash
# The package as an IT person gets it (docs/deployment.md): a wheel built from a clean copy of the
# sources (what git holds, no compiled catalogues), installed into a fresh virtual environment
# without the dev extras, then driven from outside the source tree: migrate, every preset of
# `huifang preset list` applied, `huifang serve --demo` and the production `huifang web` each
# answering the Chinese login page with the package's static files. Everything under build/wheel-test.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build/wheel-test
python=${PYTHON:-python3}
rm -rf "$out"
mkdir -p "$out/src" "$out/dist" "$out/data" "$out/run"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
fail() { echo "wheel-test: FAILED: $*" >&2; exit 1; }

echo "wheel-test: building the wheel from a clean copy of the sources"
(cd "$root" && git ls-files -z --cached --others --exclude-standard | xargs -0 tar -c -f - 2>/dev/null) | tar -x -C "$out/src"
"$python" -m pip wheel -q --no-deps -w "$out/dist" "$out/src"
wheel=$(ls "$out"/dist/huifang-*.whl)
contents=$("$python" -m zipfile -l "$wheel")
for member in huifang/locale/zh_Hans/LC_MESSAGES/django.mo huifang/rules/presets/property-management.toml \
  huifang/followups/scripts/brokerage-showing.toml huifang/reports/metrics.toml \
  huifang/reports/static/reports/charts.js huifang/static/vendor/htmx/htmx.min.js; do
  grep -q "$member" <<<"$contents" || fail "$member is not in $wheel"
done

echo "wheel-test: installing $(basename "$wheel") into a fresh virtual environment (no dev extras)"
"$python" -m venv "$out/venv"
"$out/venv/bin/pip" install -q --disable-pip-version-check "$wheel" 2> >(grep -v "^WARNING: Location" >&2)
for dev in pytest mypy ruff playwright; do
  if "$out/venv/bin/python" -c "import $dev" 2>/dev/null; then fail "the dev package $dev came with the wheel"; fi
done

# A service's environment: only what the installer sets, and not the source tree.
cd "$out/run"
service_env=(env -i PATH="$out/venv/bin:/usr/bin:/bin" HOME="$out/run" LANG=C.UTF-8
  HUIFANG_DATA_DIR="$out/data" HUIFANG_SECRET_KEY=wheel-test-only)
run() { "${service_env[@]}" "$@"; }
location=$(run python -c "import huifang; print(huifang.__file__)")
[[ $location == "$out/venv/"* ]] || fail "huifang was imported from $location, not from the virtual environment"

run huifang migrate -v0
presets=$(run huifang preset list 2>/dev/null | tail -n +2 | cut -d, -f1)
[ "$(wc -l <<<"$presets")" -ge 6 ] || fail "preset list shows only: $presets"
for name in $presets; do
  report=$(run huifang preset apply "$name" 2>/dev/null)
  grep -q "^$name: [1-9][0-9]* created" <<<"$report" || fail "preset apply $name: $report"
  echo "wheel-test: preset $name applied: $(tail -n 1 <<<"$report")"
done

free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# Waits for the login page and checks it is the Chinese one, with the package's static files.
answers_in_chinese() {
  local url=$1 log=$2 pid=$3
  for _ in $(seq 1 240); do
    kill -0 "$pid" 2>/dev/null || { cat "$log"; fail "the server exited"; }
    if page=$(curl -sf --noproxy '*' "$url/login/" 2>/dev/null); then
      grep -q '<html lang="zh-hans">' <<<"$page" || fail "$url/login/ is not the Chinese page"
      grep -q "登录" <<<"$page" || fail "$url/login/ has no 登录"
      for file in huifang.css reports/charts.js vendor/htmx/htmx.min.js; do
        curl -sf --noproxy '*' -o /dev/null "$url/static/$file" || fail "$url/static/$file is not served"
      done
      return 0
    fi
    sleep 0.5
  done
  cat "$log"
  fail "$url did not answer within 120 s"
}

port=$(free_port)
# Started without a function or subshell around it, so that $! is the server itself.
# A week of demo history (not the default three months): the proof is the fresh start, within 120 s.
"${service_env[@]}" HUIFANG_DEMO_HISTORY_DAYS=7 huifang serve --demo --addr "127.0.0.1:$port" >"$out/serve.log" 2>&1 &
pids+=($!)
answers_in_chinese "http://127.0.0.1:$port" "$out/serve.log" "${pids[-1]}"
grep -q "agent1" "$out/serve.log" || fail "serve --demo printed no demo logins"
echo "wheel-test: huifang serve --demo answers the Chinese login page"
kill -TERM "${pids[-1]}"
wait "${pids[-1]}" || fail "huifang serve did not stop cleanly"

port=$(free_port)
"${service_env[@]}" huifang web --addr "127.0.0.1:$port" --workers 2 >"$out/web.log" 2>&1 &
pids+=($!)
answers_in_chinese "http://127.0.0.1:$port" "$out/web.log" "${pids[-1]}"
echo "wheel-test: huifang web (2 worker processes) answers the Chinese login page"
kill -TERM "${pids[-1]}"
wait "${pids[-1]}" || fail "huifang web did not stop cleanly"
echo "wheel-test: passed"
