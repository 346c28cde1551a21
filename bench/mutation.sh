#!/usr/bin/env bash
# Mutation testing (mutmut) of the core modules, in a throw-away copy of the project. Not run in CI.
#
#   bench/mutation.sh                 # the tests as they are now ("after")
#   bench/mutation.sh before          # without tests/test_properties.py and tests/test_mutation_kills.py
#   bench/mutation.sh after OUT_DIR   # where the results go [default: bench/results]
#   MUTATION_WORK=/tmp/m bench/mutation.sh after OUT_DIR NAME...
#       keep the copy in /tmp/m; when it already holds a run, refresh its tests and re-run only
#       the named mutants (say, the survivors after adding tests): killed ones stay killed.
#
# Which modules and tests: [tool.mutmut] in pyproject.toml. Runs under `nice -n 15` with two
# workers; the property tests use PERSPECTIVES_PROPERTY_EXAMPLES=60 examples each (500 normally)
# to keep a run near 10 minutes of CPU. Prints the caught share per module (killed or timed out,
# of all mutants) and writes OUT_DIR/<time>-mutation-<label>.json plus mutmut's list of survivors.
# Needs: pip install -e '.[test,mutation]'.
set -euo pipefail
label=${1:-after}
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${2:-$root/bench/results}")
shift $(( $# > 2 ? 2 : $# ))
names=("$@")
if [ -n "${MUTATION_WORK:-}" ]; then
  work=$MUTATION_WORK
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/perspectives-mutation-XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi

# The working copy as it is (committed or not), symlinks kept, nothing from .gitignore.
(cd "$root" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp -P --parents -t "$work" 2>/dev/null || true)
cd "$work"
if [ -d mutants/tests ]; then cp -r tests/. mutants/tests/; fi  # a kept run: mutmut reads the tests from its copy
if [ "$label" = before ]; then
  rm -f tests/test_properties.py tests/test_mutation_kills.py
  sed -i '/"tests\/test_properties.py", "tests\/test_mutation_kills.py",/s/"tests\/test_properties.py", "tests\/test_mutation_kills.py",//' pyproject.toml
fi
export PYTHONPATH="$work" PERSPECTIVES_PROPERTY_EXAMPLES="${PERSPECTIVES_PROPERTY_EXAMPLES:-60}" HF_HUB_OFFLINE=1
start=$(date +%s)
nice -n 15 mutmut run --max-children 2 "${names[@]}" >"$work/run.log" 2>&1 || { tail -40 "$work/run.log"; exit 1; }
mutmut results --all true >"$work/results.txt"
mkdir -p "$out"
python - "$work/results.txt" "$out" "$label" "$(( $(date +%s) - start ))" <<'PY'
import json, re, sys, time
from collections import Counter, defaultdict
results, out, label, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
by_module = defaultdict(Counter)
survivors = defaultdict(list)
for line in open(results, encoding="utf-8"):
    m = re.match(r"(app\.[\w.]*?)\.(x[_\u01c1]\S+__mutmut_\d+): (.+)$", line.strip())  # app.corpus.chunks.x_f__mutmut_3, app.x.xǁClassǁf__mutmut_1
    if not m:
        continue
    module, name, status = m.group(1), m.group(0).split(":")[0], m.group(3).strip()
    by_module[module][status] += 1
    if status not in ("killed", "timeout"):
        survivors[module].append(f"{name}: {status}")
summary = {}
for module, c in sorted(by_module.items()):
    total = sum(c.values())
    caught = c["killed"] + c["timeout"]
    summary[module] = {"mutants": total, "caught": caught, "share": round(caught / total, 3), "statuses": dict(c)}
    print(f"{module:<28} {caught:>4} of {total:<4} caught  {caught / total:6.1%}   {dict(c)}")
path = f"{out}/{time.strftime('%Y%m%d-%H%M%S')}-mutation-{label}.json"
json.dump({"label": label, "seconds": seconds, "modules": summary, "not_caught": survivors}, open(path, "w"), indent=1)
print(f"{seconds} s wall -> {path}")
PY
