# Sourced by the ci-deps.sh scripts: installs that are safe when .ci/run runs those scripts at
# the same time. dpkg and Python's site-packages are one per machine, so apt and pip each take a
# lock (flock on a file in $TMPDIR), and apt's package lists are refreshed once for all of the
# scripts (at most once an hour), not once per script. apt also waits for a dpkg lock held by
# anything else on the machine instead of failing.

CI_DEPS_LOCKS="${TMPDIR:-/tmp}"

# Run as root: directly, or through sudo when there is one.
as_root() {
  if [ "$(id -u)" = 0 ] || ! command -v sudo >/dev/null 2>&1; then "$@"; else sudo "$@"; fi
}

# apt_install PKG…: Debian packages, without their recommends, quietly.
apt_install() {
  (
    flock 9
    export DEBIAN_FRONTEND=noninteractive
    local updated="$CI_DEPS_LOCKS/heapscope-ci-apt-updated"
    if [ -z "$(find "$updated" -mmin -60 2>/dev/null)" ]; then
      as_root apt-get -o DPkg::Lock::Timeout=600 update -qq
      touch "$updated"
    fi
    as_root apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" >/dev/null
  ) 9>"$CI_DEPS_LOCKS/heapscope-ci-apt.lock"
}

# pip_install SPEC…: Python packages from PyPI into the python3 on PATH.
pip_install() {
  (
    flock 9
    PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check "$@"
  ) 9>"$CI_DEPS_LOCKS/heapscope-ci-pip.lock"
}
