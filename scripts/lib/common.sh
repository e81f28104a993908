# Shared helpers for scripts/services and scripts/test. Source it; do not run it.
# Paths, logging, a cached-virtualenv installer and PID-file process control.

OCSFMAP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OCSFMAP_CACHE="${OCSFMAP_CACHE:-$HOME/.cache/ocsfmap}"
# Per-checkout state (PID files, logs, chDB data); /.cache is git-ignored.
OCSFMAP_STATE="${OCSFMAP_STATE:-$OCSFMAP_ROOT/.cache/services}"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# find_python MINOR: the newest Python 3.x with x >= MINOR: $OCSFMAP_PYTHON,
# then pyenv's installs, then PATH.
find_python() {
    local minor="$1" cand
    for cand in "${OCSFMAP_PYTHON:-}" \
        $(ls -d "$HOME"/.pyenv/versions/3.*/bin/python3 2>/dev/null | sort -Vr) \
        python3.14 python3.13 python3.12 python3; do
        [ -n "$cand" ] || continue
        command -v "$cand" >/dev/null 2>&1 || continue
        if "$cand" -c "import sys; sys.exit(0 if sys.version_info >= (3, $minor) else 1)" 2>/dev/null; then
            command -v "$cand"
            return 0
        fi
    done
    return 1
}

# ensure_venv NAME MINOR REQUIREMENTS [CONSTRAINTS] -> prints the venv's python
# (built with Python >= 3.MINOR).
# Reuses $OCSFMAP_CACHE/venvs/NAME when its stamp matches the hash of the
# interpreter version and the requirement files; otherwise rebuilds it.
# flock serialises concurrent installers (parallel checkouts, CI + dev).
ensure_venv() {
    local name="$1" minor="$2" req="$3" cons="${4:-}"
    local dir="$OCSFMAP_CACHE/venvs/$name" py stamp want
    py="$(find_python "$minor")" || die "$name needs Python >= 3.$minor (pyenv, or set OCSFMAP_PYTHON)"
    want="$( { "$py" -VV; cat "$req"; [ -z "$cons" ] || cat "$cons"; } | sha256sum | cut -d' ' -f1)"
    mkdir -p "$OCSFMAP_CACHE/venvs"
    (
        flock -w 1800 9 || die "timed out waiting for the $name venv lock"
        stamp="$dir/.ocsfmap-stamp"
        if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$dir/bin/python" ]; then
            exit 0
        fi
        log "installing the $name virtualenv into $dir (logged to $dir.install.log)"
        local t0=$SECONDS
        rm -rf "$dir"
        "$py" -m venv "$dir" || die "venv creation failed for $name"
        local args=(-r "$req")
        [ -z "$cons" ] || args+=(-c "$cons")
        if ! "$dir/bin/python" -m pip install --disable-pip-version-check --no-input \
            --progress-bar off "${args[@]}" >"$dir.install.log" 2>&1; then
            tail -n 30 "$dir.install.log" >&2
            die "pip install failed for $name (full log: $dir.install.log)"
        fi
        echo "$want" >"$stamp"
        log "$name virtualenv ready in $((SECONDS - t0)) s"
    ) 9>"$OCSFMAP_CACHE/venvs/.$name.lock" || return 1
    echo "$dir/bin/python"
}

# --- PID-file process control (never by name) --------------------------------

pidfile() { echo "$OCSFMAP_STATE/$1.pid"; }

# The PID recorded for SERVICE if that process is still ours: alive, and its
# command line still carries the marker we launched it with (guards PID reuse).
owned_pid() {
    local f pid marker
    f="$(pidfile "$1")"
    [ -f "$f" ] || return 1
    read -r pid marker <"$f" || return 1
    [ -n "$pid" ] && alive "$pid" || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker" || return 1
    echo "$pid"
}

# start_detached SERVICE MARKER LOGFILE CMD... : runs CMD in its own session
# (so its PID is also its process-group id) and records "PID MARKER".
start_detached() {
    local svc="$1" marker="$2" logf="$3"
    shift 3
    mkdir -p "$OCSFMAP_STATE"
    setsid "$@" </dev/null >>"$logf" 2>&1 &
    echo "$! $marker" >"$(pidfile "$svc")"
}

# alive PID: running and not a zombie (an unreaped zombie has already exited).
alive() {
    [ -d "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != "Z" ]
}

# stop_owned SERVICE: TERM the recorded process group, KILL after 20 s.
stop_owned() {
    local svc="$1" pid i
    if ! pid="$(owned_pid "$svc")"; then
        rm -f "$(pidfile "$svc")"
        return 1
    fi
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 200; i++)); do
        alive "$pid" || break
        sleep 0.1
    done
    if alive "$pid"; then
        log "$svc (pid $pid) did not stop in 20 s; sending KILL"
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$(pidfile "$svc")"
    return 0
}
