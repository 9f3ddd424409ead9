#!/usr/bin/env bash
# The Swift toolchain for ClearchatKit on Linux: Debian trixie's `swiftlang` (Swift 6.0.3 with XCTest and
# Foundation) in a chroot made by debootstrap, since this machine's Debian (bookworm) has no Swift.
#
# The root lives outside the clone, so the next run on the same machine reuses it; a marker file written last
# says it is complete (an interrupted set-up is started again from nothing). Every mount (/proc, /dev, /sys,
# the project) is made in a private mount namespace of this script's own: the mounts are never visible to the
# rest of the machine, are torn down by a trap on exit, failure or Ctrl-C, and vanish with the namespace even
# on kill -9. The project is bind-mounted at its own path, so paths in compiler output are the host's.
#
# Usage (as root; works from any directory):
#   scripts/swift-root.sh                 set up the root if needed, then print its path
#   scripts/swift-root.sh run CMD [ARG]   set up if needed, then run CMD inside the root, in the current directory
#                                         (which must be inside the project)
# Env:
#   CLEARCHAT_SWIFT_ROOT  where the root lives (default /var/cache/clearchat/swift-trixie)
#   DEBIAN_MIRROR         the mirror debootstrap and apt use (default http://deb.debian.org/debian)
set -euo pipefail

PROJECT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${CLEARCHAT_SWIFT_ROOT:-/var/cache/clearchat/swift-trixie}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE=trixie
PACKAGES=(swiftlang libc6-dev)
BOOTSTRAPPED="$DIR/.clearchat-bootstrapped" # debootstrap finished
COMPLETE="$DIR/.clearchat-complete"         # written last: the packages below are installed and swift runs
WANT="suite=$SUITE packages=${PACKAGES[*]}"

say() { echo "swift-root: $*" >&2; }
die() { say "$*"; exit 1; }

# Mount points under $DIR in this namespace, deepest first.
mounts_under() {
    awk -v d="$DIR" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r
}

# ---- inside the private mount namespace (re-executed through unshare) ----

teardown() {
    local m
    for m in $(mounts_under); do umount -l "$m" 2>/dev/null || true; done
}

mount_system() {
    mount -t proc proc "$DIR/proc"
    mount --rbind /dev "$DIR/dev"
    mount --rbind /sys "$DIR/sys"
}

in_root() { chroot "$DIR" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive "$@"; }

inside_setup() {
    trap teardown EXIT
    trap 'exit 130' INT TERM
    if [ ! -e "$BOOTSTRAPPED" ]; then
        say "debootstrap --variant=minbase $SUITE $DIR"
        debootstrap --variant=minbase "$SUITE" "$DIR" "$MIRROR" >"$DIR.debootstrap.log" 2>&1 ||
            die "debootstrap failed; see $DIR.debootstrap.log"
        # Whatever debootstrap mounted itself goes now, before our own mounts.
        teardown
        touch "$BOOTSTRAPPED"
    fi
    cp /etc/resolv.conf "$DIR/etc/resolv.conf"
    # Downloaded packages are not kept: the root is about 3 GB installed, the cache would double it.
    printf 'APT::Install-Recommends "false";\nBinary::apt::APT::Keep-Downloaded-Packages "false";\n' \
        >"$DIR/etc/apt/apt.conf.d/90clearchat"
    mount_system
    say "apt-get install ${PACKAGES[*]} (about 3 GB)"
    in_root apt-get update -qq
    in_root apt-get install -y -qq "${PACKAGES[@]}" >/dev/null
    in_root apt-get clean
    in_root swift --version >&2
    teardown
    echo "$WANT" >"$COMPLETE"
}

inside_run() {
    local cwd="$1"
    shift
    trap teardown EXIT
    trap 'exit 130' INT TERM
    mount_system
    mkdir -p "$DIR$PROJECT"
    mount --bind "$PROJECT" "$DIR$PROJECT"
    chroot "$DIR" /usr/bin/env -i HOME=/root PATH=/usr/bin:/bin LANG=C.UTF-8 TERM="${TERM:-dumb}" \
        /bin/sh -c 'cd "$0" && exec "$@"' "$cwd" "$@"
}

case "${1:-}" in
    __inside-setup) inside_setup; exit ;;
    __inside-run) shift; inside_run "$@"; exit ;;
esac

# ---- on the host ----

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mount)"
for tool in debootstrap unshare chroot flock; do
    command -v "$tool" >/dev/null || die "$tool is missing: apt-get install debootstrap util-linux coreutils"
done

mkdir -p "$(dirname "$DIR")"
# One set-up at a time; runs hold the lock shared, so a set-up never removes a root that is in use.
exec 9>"$DIR.lock"
flock 9

# (swift is an absolute symlink in the root: test it from inside.)
if [ "$(cat "$COMPLETE" 2>/dev/null)" != "$WANT" ] || ! chroot "$DIR" /usr/bin/test -x /usr/bin/swift 2>/dev/null; then
    start=$SECONDS
    if [ -e "$DIR" ] && [ ! -e "$BOOTSTRAPPED" ]; then
        # Left half-made by an interrupted debootstrap: start again. Nothing may be mounted there (ours never
        # is outside our namespace); --one-file-system would not cross into a mount anyway.
        [ -z "$(mounts_under)" ] || die "something is mounted under $DIR; unmount it first: $(mounts_under)"
        say "removing the incomplete root $DIR"
        rm -rf --one-file-system "$DIR"
    fi
    rm -f "$COMPLETE"
    mkdir -p "$DIR"
    unshare --mount --propagation private "$0" __inside-setup
    [ -e "$COMPLETE" ] || die "set-up did not finish"
    say "set up in $((SECONDS - start)) s: $(du -sh --one-file-system "$DIR" | cut -f1) in $DIR"
fi
flock -s 9

case "${1:-}" in
    "") echo "$DIR" ;;
    run)
        shift
        [ $# -gt 0 ] || die "run: which command?"
        case "$PWD/" in "$PROJECT"/*) ;; *) die "run from inside $PROJECT" ;; esac
        exec unshare --mount --propagation private "$0" __inside-run "$PWD" "$@"
        ;;
    *) die "unknown command $1 (none, or run CMD...)" ;;
esac
