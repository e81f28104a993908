"""The virtualenv a checker script runs in: created on first use (and when its requirements
change) under ${OCSFMAP_CACHE:-$HOME/.cache/ocsfmap}/venvs/NAME, then the script re-runs itself
inside it. Shared by scripts/validate-ocsf-events.py and scripts/check-lake-parquet.py."""

import fcntl
import os
import subprocess
import sys
import venv


def venv_dir(name):
    cache = os.environ.get("OCSFMAP_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "ocsfmap")
    return os.path.join(cache, "venvs", name)


def ensure_venv(name, requirements, script):
    """Re-runs `script` inside the NAME virtualenv, creating it when missing (exit 2 when it
    cannot be set up); returns when already inside it."""
    d = venv_dir(name)
    if os.path.realpath(sys.prefix) == os.path.realpath(d):
        return
    py = os.path.join(d, "bin", "python")
    marker = os.path.join(d, ".ocsfmap-requirements")
    wanted = "\n".join(requirements)
    os.makedirs(os.path.dirname(d), exist_ok=True)
    # Tests run the checkers in parallel: one process sets the venv up while the others wait
    # (two creating it at once fail with "Text file busy" on its interpreter).
    with open(d + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        have = open(marker).read() if os.path.exists(marker) else None
        if not os.path.exists(py) or have != wanted:
            print(f"setting up {d} ({', '.join(requirements)})", file=sys.stderr)
            try:
                venv.EnvBuilder(with_pip=True, clear=not os.path.exists(py)).create(d)
                subprocess.run([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *requirements], check=True)
            except (OSError, subprocess.CalledProcessError) as e:
                print(f"cannot set up the checker environment: {e}", file=sys.stderr)
                sys.exit(2)
            with open(marker, "w") as f:
                f.write(wanted)
    os.execv(py, [py, os.path.abspath(script), *sys.argv[1:]])
