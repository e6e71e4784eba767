#!/usr/bin/env bash
# Checks of deploy/ and the Dockerfile, one ctest test per subcommand:
#   render      kubectl kustomize renders the base and every overlay, with the objects
#               the install needs
#   validate    every rendered object validates against the Kubernetes and KEDA schemas,
#               offline (kubernetes-models, @kubernetes-models/keda), and the Deployments
#               keep their hardening (validator/validate.mjs)
#   config      `kedastral check-config` accepts the kedastral.yaml of every rendered
#               ConfigMap
#   image-libs  the Dockerfile's runtime stage installs the Debian package of every
#               shared library `ldd` lists for the built binary
#   dashboard   deploy/grafana/kedastral.json is valid JSON and queries only metrics the
#               source code defines
# Usage: deploy_test.sh SUBCOMMAND SOURCE_DIR BINARY WORK_DIR
# Exit 77 (ctest: skipped) when a tool the check needs is missing, saying which.
set -euo pipefail

cmd=$1 src=$2 bin=$3 work=$4
kustomize_dirs=("$src/deploy/kustomize" "$src"/deploy/kustomize/overlays/*)
mkdir -p "$work"

skip() { echo "SKIPPED: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

need_kubectl() {
  command -v kubectl >/dev/null || skip "kubectl is not installed (needed for kubectl kustomize)"
}

# Renders every kustomization into $work/rendered/<name>.yaml.
render_all() {
  mkdir -p "$work/rendered"
  for d in "${kustomize_dirs[@]}"; do
    local name
    name=$(basename "$d")
    kubectl kustomize "$d" >"$work/rendered/$name.yaml" || fail "kubectl kustomize $d"
  done
}

# The kedastral.yaml data of every ConfigMap in a rendered file, written to $2.N.yaml.
# kubectl kustomize prints `data:` (before `kind:`) with each file as a literal block.
extract_configs() {
  awk -v out="$2" '
    in_data && /^    / { sub(/^    /, ""); print > file; next }
    in_data && /^$/ { print "" > file; next }
    in_data { in_data = 0 }
    /^  kedastral\.yaml: \|/ { n++; file = out "." n ".yaml"; in_data = 1 }
  ' "$1"
}

case "$cmd" in
  render)
    need_kubectl
    render_all
    for f in "$work"/rendered/*.yaml; do
      for kind in Namespace ServiceAccount ConfigMap Deployment Service PodDisruptionBudget NetworkPolicy; do
        grep -q "^kind: $kind\$" "$f" || fail "$(basename "$f"): no $kind"
      done
      grep -q 'name: kedastral-config-[a-z0-9]\{10\}$' "$f" || fail "$(basename "$f"): ConfigMap name has no hash suffix"
      echo "ok: $(basename "$f") ($(grep -c '^kind:' "$f") objects)"
    done
    grep -q '^kind: ScaledObject$' "$work/rendered/example.yaml" || fail "example: no ScaledObject"
    grep -q '^  replicas: 2$' "$work/rendered/ha-redis.yaml" || fail "ha-redis: not two replicas"
    grep -q 'name: kedastral-redis$' "$work/rendered/ha-redis.yaml" || fail "ha-redis: no Redis"
    ;;

  validate)
    need_kubectl
    command -v node >/dev/null || skip "node is not installed"
    v="$work/deploy-validator"
    mkdir -p "$v"
    cp "$src/tests/deploy/validator/package.json" "$src/tests/deploy/validator/package-lock.json" \
      "$src/tests/deploy/validator/validate.mjs" "$v/"
    if ! cmp -s "$v/package-lock.json" "$v/node_modules/.package-lock.json.installed" 2>/dev/null; then
      command -v npm >/dev/null || skip "npm is not installed (needed once to fetch the schema models)"
      (cd "$v" && npm ci --no-audit --no-fund --loglevel=error >npm.log 2>&1) ||
        skip "npm ci failed (no registry?): $(tail -3 "$v/npm.log")"
      cp "$v/package-lock.json" "$v/node_modules/.package-lock.json.installed"
    fi
    render_all
    (cd "$v" && node validate.mjs "$work"/rendered/*.yaml)
    ;;

  config)
    files=()
    if command -v kubectl >/dev/null; then
      render_all
      rm -f "$work"/rendered/*.kedastral.*.yaml
      for f in "$work"/rendered/*.yaml; do
        extract_configs "$f" "${f%.yaml}.kedastral"
      done
      files=("$work"/rendered/*.kedastral.*.yaml)
      [ ${#files[@]} -eq ${#kustomize_dirs[@]} ] ||
        fail "expected one kedastral.yaml per kustomization, found ${#files[@]}"
    else
      echo "kubectl is not installed: checking the kedastral.yaml files the ConfigMaps are made from"
      files=("$src"/deploy/kustomize/base/kedastral.yaml "$src"/deploy/kustomize/overlays/*/kedastral.yaml)
    fi
    for f in "${files[@]}"; do
      out=$("$bin" check-config "$f" 2>&1) || fail "check-config $f: $out"
      echo "$(basename "$f"): $out"
    done
    ;;

  image-libs)
    command -v dpkg >/dev/null || skip "dpkg is not available (not a Debian system)"
    # The runtime stage's `apt-get install` arguments (one package per line).
    wanted=$(awk '
      /^FROM / { runtime = ($0 ~ / AS runtime/) }
      runtime && /apt-get install/ { on = 1; next }
      runtime && on { if ($1 == "&&") { on = 0; next } gsub(/\\/, ""); if ($1 != "" && $1 !~ /^-/) print $1 }
    ' "$src/Dockerfile" | sort -u)
    [ -n "$wanted" ] || fail "no package list found in the Dockerfile's runtime stage"
    missing=0
    while read -r lib; do
      [ -n "$lib" ] || continue
      real=$(readlink -f "$lib")
      pkg=""
      # Debian 12 is usr-merged: dpkg may know the file under /lib or under /usr/lib.
      for p in "$lib" "$real" "${lib#/usr}" "${real#/usr}" "/usr$lib" "/usr$real"; do
        pkg=$(dpkg -S "$p" 2>/dev/null | head -1 | cut -d: -f1) && [ -n "$pkg" ] && break
      done
      [ -n "$pkg" ] || fail "$lib: no Debian package owns it"
      case "$pkg" in
        # Sanitizer runtimes (ASan/TSan builds) never ship in the image.
        libasan* | libtsan* | libubsan* | liblsan*) continue ;;
      esac
      if grep -qx "$pkg" <<<"$wanted"; then
        echo "ok: $(basename "$lib") from $pkg"
      else
        echo "MISSING: $(basename "$lib") comes from $pkg, which the runtime stage does not install"
        missing=1
      fi
    done < <(ldd "$bin" | awk '/=> \// { print $3 }' | sort -u)
    [ "$missing" -eq 0 ] || fail "add the missing packages to the Dockerfile's runtime stage"
    ;;

  dashboard)
    dash="$src/deploy/grafana/kedastral.json"
    py=$(command -v python3) || skip "python3 is not installed"
    "$py" - "$dash" "$src/src" <<'PY'
import json, pathlib, re, sys
dash = json.loads(pathlib.Path(sys.argv[1]).read_text())
code = "\n".join(p.read_text(errors="replace") for p in pathlib.Path(sys.argv[2]).rglob("*.cc"))
defined = set(re.findall(r'"(kedastral_[a-z0-9_]+)"', code))
exprs = []
def walk(panel):
    for t in panel.get("targets", []):
        exprs.append((panel.get("title", "?"), t.get("expr", "")))
    for p in panel.get("panels", []):
        walk(p)
for p in dash["panels"]:
    walk(p)
problems = 0
for title, expr in exprs:
    for m in re.findall(r"kedastral_[a-z0-9_]+", expr):
        base = re.sub(r"_(bucket|sum|count)$", "", m)
        if m not in defined and base not in defined:
            print(f"panel {title!r}: {m} is not a metric the code defines")
            problems += 1
print(f"{len(exprs)} queries in {len(dash['panels'])} panels, {problems} unknown metrics")
sys.exit(1 if problems or not exprs else 0)
PY
    ;;

  *)
    fail "unknown subcommand $cmd"
    ;;
esac
echo "passed: $cmd"
