#!/usr/bin/env bash
# Build the Pulumi CLI from its Go modules and install it, with what a Python stack needs
# beside it, into ~/.pulumi/bin (where Pulumi's own installer puts the CLI):
#
#   pulumi                          the CLI and engine, github.com/pulumi/pulumi/pkg/v3
#   pulumi-language-python          the Python language host (runs the program)
#   pulumi-language-python-exec     the shim the language host runs next to itself
#   pulumi-resource-pulumi-python   the plugin that hosts dynamic providers
#   pulumi-language-yaml            the YAML language host (runs `runtime: yaml` programs,
#                                   the native provider's YAML tests), github.com/pulumi/pulumi-yaml
#   pulumi-language-nodejs          the Node.js and Go language hosts (run `runtime: nodejs` and
#   pulumi-language-go              `runtime: go` programs: the generated SDKs' tests), from
#                                   github.com/pulumi/pulumi/sdk/v3 at v3.66.0
#
# Use this where Pulumi's installer cannot download a release (this project's machines
# reach only package registries); elsewhere https://www.pulumi.com/docs/install/ is simpler.
#
# Idempotent, in three steps each with its own check: the CLI with the Python host, the YAML
# host, the Node.js and Go hosts. A second run with the same versions checks the installed
# files and builds nothing; a machine whose CLI is installed but lacks a later step's hosts
# (or has older ones) builds only those (the YAML host: about two minutes once Go's build
# cache is warm; the Node.js and Go hosts: see LANGHOSTS_VERSION).
# Needs Go (on PATH or in /usr/local/go/bin) for whatever it builds; the first build of the
# CLI takes 10-20 minutes on two cores, later builds reuse Go's module and build caches.
#
# Environment: PULUMI_INSTALL_DIR (default ~/.pulumi/bin), GO (the go command),
# PULUMI_CLI_VERSION, PULUMI_YAML_VERSION and PULUMI_LANGHOSTS_VERSION (override the pins
# below, for trying another release).
set -euo pipefail

# The one place the CLI version is pinned. v3.274.1: the release nearest to the Python SDK
# this project tests with (3.272.0) whose pkg/v3 module the Go module proxy serves.
PINNED_VERSION=v3.274.1
# The Python language host has been a module of its own since v3.80.0
# (github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3); that module is not
# tagged and the module proxy here serves none of its versions. The newest host the proxy
# does serve is the one inside the sdk/v3 module, up to v3.79.0. It speaks the same
# language-host protocol (the CLI falls back for the RPCs added since), runs the current
# exec shim, and is only the program's launcher: resources, diffs and dynamic providers
# are handled by the CLI and the plugin of ${PINNED_VERSION}.
LANGUAGE_HOST_VERSION=v3.79.0
# The one place the YAML language host's version is pinned (github.com/pulumi/pulumi-yaml,
# cmd/pulumi-language-yaml; its go.mod has no replace directive, so `go install` builds it).
PINNED_YAML_VERSION=v1.25.0
# The Node.js and Go language hosts have been modules of their own since v3.67.0 (Go) and
# v3.69.0 (Node.js), which the module proxy here refuses; v3.66.0 is the last sdk/v3 module
# that holds both (go/pulumi-language-go, nodejs/cmd/pulumi-language-nodejs). Like the Python
# host, each only launches the program: the Go host runs `go build` and the binary, the
# Node.js host runs @pulumi/pulumi's cmd/run from the program's node_modules (forwarding its
# resource monitor calls); the program's SDK (Go module, npm package) talks to the engine.
PINNED_LANGHOSTS_VERSION=v3.66.0

VERSION=${PULUMI_CLI_VERSION:-$PINNED_VERSION}
YAML_VERSION=${PULUMI_YAML_VERSION:-$PINNED_YAML_VERSION}
LANGHOSTS_VERSION=${PULUMI_LANGHOSTS_VERSION:-$PINNED_LANGHOSTS_VERSION}
BIN=${PULUMI_INSTALL_DIR:-$HOME/.pulumi/bin}
STAMP="$BIN/.pulumi-mihu-install"
WANT="pulumi $VERSION language-host $LANGUAGE_HOST_VERSION"
# The YAML host's own stamp: it has no --version flag, so the stamp records what was built.
YAML_STAMP="$BIN/.pulumi-mihu-install-yaml"
YAML_WANT="pulumi-language-yaml $YAML_VERSION"
LANGHOSTS_STAMP="$BIN/.pulumi-mihu-install-langhosts"
LANGHOSTS_WANT="pulumi-language-nodejs pulumi-language-go $LANGHOSTS_VERSION"

installed_ok() {
  [ "$(cat "$STAMP" 2>/dev/null)" = "$WANT" ] || return 1
  local f
  for f in pulumi pulumi-language-python pulumi-language-python-exec \
           pulumi-resource-pulumi-python; do
    [ -x "$BIN/$f" ] || return 1
  done
  [ "$("$BIN/pulumi" version 2>/dev/null)" = "$VERSION" ]
}

yaml_installed_ok() {
  [ "$(cat "$YAML_STAMP" 2>/dev/null)" = "$YAML_WANT" ] && [ -x "$BIN/pulumi-language-yaml" ]
}

langhosts_installed_ok() {
  [ "$(cat "$LANGHOSTS_STAMP" 2>/dev/null)" = "$LANGHOSTS_WANT" ] &&
    [ -x "$BIN/pulumi-language-nodejs" ] && [ -x "$BIN/pulumi-language-go" ]
}

cli_done=false yaml_done=false langhosts_done=false
if installed_ok; then
  echo "Pulumi CLI $VERSION already installed in $BIN"
  cli_done=true
fi
if yaml_installed_ok; then
  echo "YAML language host $YAML_VERSION already installed in $BIN"
  yaml_done=true
fi
if langhosts_installed_ok; then
  echo "Node.js and Go language hosts $LANGHOSTS_VERSION already installed in $BIN"
  langhosts_done=true
fi
if $cli_done && $yaml_done && $langhosts_done; then
  exit 0
fi

GO=${GO:-$(command -v go || true)}
if [ -z "$GO" ] && [ -x /usr/local/go/bin/go ]; then GO=/usr/local/go/bin/go; fi
if [ -z "$GO" ]; then
  echo "install-pulumi-cli: Go is needed to build the Pulumi CLI and its language hosts" \
       "(none on PATH or in /usr/local/go/bin); or install a release:" \
       "https://www.pulumi.com/docs/install/ (its language hosts come with it)" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/pulumi-cli-build.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

# The directory of a module version in Go's module cache, downloading it if needed.
module_dir() {
  local json dir
  echo "Fetching $1@$2" >&2
  json=$(cd "$work" && GOFLAGS=-mod=mod "$GO" mod download -json "$1@$2") || {
    echo "install-pulumi-cli: cannot download $1@$2:" >&2
    echo "$json" >&2
    return 1
  }
  dir=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [ -n "$dir" ] && [ -d "$dir" ] || { echo "$json" >&2; return 1; }
  printf '%s\n' "$dir"
}

# A writable copy of a module (the module cache is read-only).
copy_module() {
  cp -R "$1" "$2"
  chmod -R u+w "$2"
}

wait_building() {  # wait_building <pid> <what>: with a line every 30 s, as `go build`
  local pid=$1 waited=0  # prints nothing for minutes
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    waited=$((waited + 1))
    if [ $((waited % 30)) -eq 0 ]; then
      echo "  ... still building $2 ($((waited / 60)) min $((waited % 60)) s;" \
           "$((SECONDS - started)) s in all)"
    fi
  done
  wait "$pid"
}

build() {  # build <module copy> <package> <version stamped into it> <output>
  echo "Building $(basename "$4") $3"
  (cd "$1" && CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" "$GO" build -trimpath \
     -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$3" \
     -o "$4" "$2") &
  wait_building $! "$(basename "$4")"
}

install_into_bin() {  # install_into_bin <file>...: from $work/out, each replaced atomically
  mkdir -p "$BIN"
  local f
  for f in "$@"; do
    install -m 0755 "$work/out/$f" "$BIN/$f.new"
    mv -f "$BIN/$f.new" "$BIN/$f"
  done
}

started=$SECONDS

install_cli() {
  local cli_started=$SECONDS
  echo "Building the Pulumi CLI $VERSION with $("$GO" version) (first build: 10-20 minutes)"

  # pkg/v3 replaces sdk/v3 with ../sdk (the repository layout), which `go install pkg@v` refuses:
  # build a copy that requires the released sdk/v3 of the same version instead.
  pkg=$(module_dir github.com/pulumi/pulumi/pkg/v3 "$VERSION")
  sdk=$(module_dir github.com/pulumi/pulumi/sdk/v3 "$VERSION")
  copy_module "$pkg" "$work/pkg"
  (cd "$work/pkg" && "$GO" mod edit -dropreplace github.com/pulumi/pulumi/sdk/v3 \
     -require "github.com/pulumi/pulumi/sdk/v3@$VERSION")
  build "$work/pkg" ./cmd/pulumi "$VERSION" "$work/out/pulumi"

  # The language host, from the sdk/v3 module that still contains it. That go.mod has a
  # replace directive too, so it is built from a copy as well.
  lh=$(module_dir github.com/pulumi/pulumi/sdk/v3 "$LANGUAGE_HOST_VERSION")
  copy_module "$lh" "$work/lh"
  build "$work/lh" ./python/cmd/pulumi-language-python "$LANGUAGE_HOST_VERSION" \
    "$work/out/pulumi-language-python"

  # The scripts, from the sdk/v3 module of the CLI's version (module zips drop the exec bit).
  cp "$sdk/python/cmd/pulumi-language-python-exec" "$work/out/"
  cp "$sdk/python/dist/pulumi-resource-pulumi-python" "$work/out/"

  rm -f "$STAMP"
  install_into_bin pulumi-language-python-exec pulumi-resource-pulumi-python \
    pulumi-language-python pulumi
  echo "$WANT" > "$STAMP"
  installed_ok || { echo "install-pulumi-cli: $BIN/pulumi version does not print $VERSION" >&2
                    exit 1; }
  echo "Installed Pulumi CLI $VERSION in $BIN ($((SECONDS - cli_started)) s)."
}

# The YAML language host: `go install` of a released module version, into $work/out.
install_yaml_host() {
  local yaml_started=$SECONDS
  echo "Building pulumi-language-yaml $YAML_VERSION with $("$GO" version) (minutes the first" \
       "time, seconds once Go's build cache has it)"
  (GOBIN="$work/out" CGO_ENABLED=0 GOFLAGS=-buildvcs=false "$GO" install -trimpath \
     -ldflags "-X github.com/pulumi/pulumi-yaml/pkg/version.Version=$YAML_VERSION" \
     "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@$YAML_VERSION") &
  wait_building $! pulumi-language-yaml
  rm -f "$YAML_STAMP"
  install_into_bin pulumi-language-yaml
  echo "$YAML_WANT" > "$YAML_STAMP"
  yaml_installed_ok || { echo "install-pulumi-cli: $BIN/pulumi-language-yaml is missing" >&2
                         exit 1; }
  echo "Installed pulumi-language-yaml $YAML_VERSION in $BIN ($((SECONDS - yaml_started)) s)."
}

# The Node.js and Go language hosts, from the sdk/v3 module that still holds both (a copy: its
# go.mod replaces nothing the build needs, but the module cache is read-only and -mod=mod
# completes its go.sum). One build for both: they share their dependencies.
install_langhosts() {
  local lh_started=$SECONDS dir
  echo "Building pulumi-language-nodejs and pulumi-language-go $LANGHOSTS_VERSION with" \
       "$("$GO" version)"
  dir=$(module_dir github.com/pulumi/pulumi/sdk/v3 "$LANGHOSTS_VERSION")
  copy_module "$dir" "$work/langhosts"
  build "$work/langhosts" ./nodejs/cmd/pulumi-language-nodejs "$LANGHOSTS_VERSION" \
    "$work/out/pulumi-language-nodejs"
  build "$work/langhosts" ./go/pulumi-language-go "$LANGHOSTS_VERSION" \
    "$work/out/pulumi-language-go"
  rm -f "$LANGHOSTS_STAMP"
  install_into_bin pulumi-language-nodejs pulumi-language-go
  echo "$LANGHOSTS_WANT" > "$LANGHOSTS_STAMP"
  langhosts_installed_ok || { echo "install-pulumi-cli: the Node.js or Go host is missing" >&2
                              exit 1; }
  echo "Installed pulumi-language-nodejs and pulumi-language-go $LANGHOSTS_VERSION in $BIN" \
       "($((SECONDS - lh_started)) s)."
}

# (Not `$cli_done || install_cli`: errexit does not apply inside a function run from a list.)
if ! $cli_done; then install_cli; fi
if ! $yaml_done; then install_yaml_host; fi
if ! $langhosts_done; then install_langhosts; fi
case ":$PATH:" in
  *":$BIN:"*) ;;
  *) echo "Add it to PATH: export PATH=\"$BIN:\$PATH\"" ;;
esac
