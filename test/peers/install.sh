#!/usr/bin/env bash
# Builds the real peers (cosign v3 and v2, notation, oras, regctl, olareg, and go-containerregistry's
# registry with referrers on) with `go install` at the pinned
# versions of tools.tsv into .peers/<folder>/ (git-ignored), and reuses a binary already built at that version.
# Go's module and build caches make a rebuild after `rm -rf .peers` a matter of seconds.
# Usage: test/peers/install.sh [--quiet] [name-or-folder ...]   (default: every tool; --quiet: silent when all are built)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dest=${COUNTERSIGN_PEERS_DIR:-$root/.peers}
command -v go >/dev/null || { echo "test/peers/install.sh: Go is needed to build the peers (https://go.dev/doc/install; Go 1.25 or later)" >&2; exit 1; }
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false
quiet=0
want=()
for arg in "$@"; do
  if [[ $arg == --quiet ]]; then quiet=1; else want+=("$arg"); fi
done

# `go install m@v` also asks the proxy for the module's version list (to report deprecation); the proxy
# here refuses that list for some modules (notation, olareg) while serving the release itself. Then build
# the same release from its own module directory: the same go.mod and go.sum, so the same dependencies.
from_module_dir() {
  local name=$1 version=$2 module=$3 out=$4 extra=$5 path=$3 root dir
  echo "$name: go install refused; building $module@$version from its module directory"
  while [[ -n $path ]]; do
    dir=$(go mod download -json "$path@$version" 2>/dev/null | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p') || true
    if [[ -n $dir ]]; then root=$path; break; fi
    [[ $path == */* ]] || return 1
    path=${path%/*}
  done
  [[ -n ${root:-} ]] || return 1
  (cd "$dir" && env ${extra:+$extra} go build -trimpath -o "$out/$name" "./${module#"$root"/}")
}
status=0
while IFS=$'\t' read -r name version module folder extra; do
  [[ -z $name || $name == \#* ]] && continue
  if ((${#want[@]})); then
    hit=0; for w in "${want[@]}"; do [[ $w == "$name" || $w == "$folder" ]] && hit=1; done
    ((hit)) || continue
  fi
  bin="$dest/$folder/$name"
  stamp="$dest/$folder/VERSION"
  # A module of this repository (./…) is rebuilt when its sources change: the stamp carries their hash.
  id="$module@$version"
  [[ $module == ./* ]] && id="$module@$(cat "$root/$module"/go.mod "$root/$module"/go.sum "$root/$module"/*.go | sha256sum | cut -c1-16)"
  if [[ -x $bin && -f $stamp && $(cat "$stamp") == "$id" ]]; then
    ((quiet)) || echo "$folder: $version already built ($bin)"
    continue
  fi
  [[ $module == ./* ]] && echo "$folder: go build $module" || echo "$folder: go install $module@$version"
  mkdir -p "$dest/$folder"
  start=$SECONDS
  if [[ $module == ./* ]]; then
    built() { (cd "$root/$module" && go build -trimpath -o "$dest/$folder/$name" .); }
  else
    built() { env ${extra:+$extra} GOBIN="$dest/$folder" go install "$module@$version" || from_module_dir "$name" "$version" "$module" "$dest/$folder" "$extra"; }
  fi
  if built; then
    echo "$id" >"$stamp"
    echo "$folder: built in $((SECONDS - start)) s"
  else
    echo "$folder: go install $module@$version failed" >&2
    status=1
  fi
done <"$here/tools.tsv"
exit $status
