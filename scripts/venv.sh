# Sourced by ./run and ./test: ensure_venv TARGET installs the project into .venv.
# TARGET is "." (the app) or ".[dev]" (the app and its test tools). The install runs again
# only when pyproject.toml changed since the last one for that target.
ensure_venv() {
  local target=$1 stamp wanted
  if [ ! -x .venv/bin/python ]; then
    if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      echo "Tandem needs Python 3.11 or newer; python3 is $(python3 --version 2>&1)." >&2
      exit 1
    fi
    echo "Creating .venv ..."
    python3 -m venv .venv
  fi
  stamp=".venv/.installed-${target//[^a-z]/_}"
  wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "Installing Tandem ($target) into .venv ..."
    if ! .venv/bin/python -m pip install --disable-pip-version-check -e "$target" \
      >.venv/install.log 2>&1; then
      cat .venv/install.log >&2
      exit 1
    fi
    echo "$wanted" >"$stamp"
  fi
}
