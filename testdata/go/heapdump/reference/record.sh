#!/usr/bin/env bash
# Records what `go tool pprof` says about each heap profile written at the same moment as a
# heap dump, so the Rust tests compare without needing Go. Rerunnable; gen.sh calls it.
#
#   reference/<scenario>/<name>.sites.tsv   site <TAB> inuse_objects <TAB> inuse_space
#
# From `go tool pprof -raw <name>.pb.gz` (pprof's own decoding of the profile, its values
# scaled by the sampling rate as pprof scales them). A sample's site is heapscope's
# convention: the innermost frame whose function does not start with `runtime.`; when every
# frame does, the outermost one that is not `runtime.goexit`. Rows sorted by site.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$(dirname "$here")"
export PPROF_TMPDIR="${TMPDIR:-/tmp}/heapscope-pprof" PPROF_BINARY_PATH=/nonexistent

go version >"$here/GO_VERSION"
for s in */; do
  s="${s%/}"
  [[ "$s" == bin || "$s" == src || "$s" == reference ]] && continue
  mkdir -p "$here/$s"
  for f in "$s"/*.pb.gz; do
    name="$(basename "$f" .pb.gz)"
    go tool pprof -raw "$f" | awk '
      /^Samples:/ { mode = "s"; getline; next }
      /^Locations/ { mode = "l"; next }
      /^Mappings/ { mode = ""; next }
      mode == "s" && /:/ {
        split($0, parts, ":"); split(parts[1], v, " ")
        n++; obj[n] = v[3]; sp[n] = v[4]; ids[n] = parts[2]; next
      }
      mode == "l" {
        if ($0 ~ /^ *[0-9]+: /) { id = $1; sub(":", "", id); fn = $4; k = 0 } else { fn = $1 }
        nf[id] = ++k; fnat[id, k] = fn; next
      }
      END {
        for (i = 1; i <= n; i++) {
          if (obj[i] == 0 && sp[i] == 0) continue
          c = split(ids[i], l, " "); site = ""; last = ""
          for (j = 1; j <= c && site == ""; j++)
            for (k = 1; k <= nf[l[j]]; k++) {
              f = fnat[l[j], k]
              if (f !~ /^runtime\./) { site = f; break }
              if (f != "runtime.goexit") last = f
            }
          if (site == "") {
            last = ""
            for (j = 1; j <= c; j++) for (k = 1; k <= nf[l[j]]; k++) { f = fnat[l[j], k]; if (f != "runtime.goexit") last = f }
            site = last
          }
          o[site] += obj[i]; b[site] += sp[i]
        }
        for (s in o) printf "%s\t%d\t%d\n", s, o[s], b[s]
      }' | LC_ALL=C sort >"$here/$s/$name.sites.tsv"
  done
done
