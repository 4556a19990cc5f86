# shellcheck shell=bash
# Shared by the bench scripts that load a local echo target: sourced, not
# run. The caller sets root (the checkout), out (its output folder) and url
# (http://127.0.0.1:PORT/) first.
# shellcheck disable=SC2154

log() { printf '%s\n' "$*" >&2; }

# apt_install PACKAGE...: installs Debian packages (nothing when none given).
apt_install() {
	[ $# -gt 0 ] || return 0
	log "installing $* (apt-get)"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# go_tool NAME MODULE@VERSION: prints the path of a Go tool, installing it
# with go install at the pinned version when missing.
go_tool() {
	local bin
	bin=$(go env GOPATH)/bin/$1
	if [ ! -x "$bin" ]; then
		log "installing $1 ${2#*@} (go install)"
		(cd /tmp && GOFLAGS='' go install "$2")
	fi
	printf '%s\n' "$bin"
}

# build_scalebench: sets sb to $SCALEBENCH, else to a build of the tree.
build_scalebench() {
	if [ -n "${SCALEBENCH:-}" ]; then
		sb=$SCALEBENCH
		return
	fi
	log "building scalebench"
	(cd "$root" && go build -o "$out/scalebench" ./cmd/scalebench)
	sb=$out/scalebench
}

# start_echo ADDR: starts scalebench's echo target on ADDR (stopped when the
# script exits) and waits until it answers at $url.
start_echo() {
	"$sb" sut echo --addr "$1" >"$out/echo.log" 2>&1 &
	target_pid=$!
	trap 'kill "$target_pid" 2>/dev/null || true; wait "$target_pid" 2>/dev/null || true' EXIT INT TERM
	for _ in $(seq 50); do
		curl -fs "${url}count" >/dev/null 2>&1 && break
		sleep 0.1
	done
	curl -fs "${url}count" >/dev/null || {
		log "echo target did not start: $(cat "$out/echo.log")"
		exit 1
	}
}

# count: the requests the echo target has served so far.
count() { curl -fs "${url}count" | tr -dc '0-9'; }
