#!/bin/sh
# Make this machine able to run the compose deployment with rootful podman, with no image registry:
#  1. podman, runc and debootstrap from Debian's archive (if missing);
#  2. /etc/containers/containers.conf: runc + cgroupfs + ulimits (crun fails on hybrid cgroups here);
#  3. a Debian 12 base image built from Debian's archive (debootstrap + podman import), tagged
#     localhost/debian:bookworm, unless it exists already.
# Idempotent; each step says what it did. Needs root.
set -eu
[ "$(id -u)" = 0 ] || { echo "prepare-host: needs root (rootful podman)"; exit 2; }
BASE_IMAGE=${EDU_DEBIAN_BASE_IMAGE:-localhost/debian:bookworm}

if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v debootstrap >/dev/null; then
  echo "prepare-host: installing podman, runc, debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap >/dev/null
fi

CONF=/etc/containers/containers.conf
if ! grep -q 'cgroup_manager *= *"cgroupfs"' "$CONF" 2>/dev/null; then
  echo "prepare-host: writing $CONF (runc, cgroupfs, ulimits)"
  mkdir -p /etc/containers
  [ -f "$CONF" ] && cp "$CONF" "$CONF.before-edu-platform"
  cat > "$CONF" <<'CONFEOF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONFEOF
fi

if podman image exists "$BASE_IMAGE"; then
  echo "prepare-host: base image $BASE_IMAGE present"
else
  # the mirror apt already reaches (first URIs: line of its deb822 sources, else sources.list)
  MIRROR=$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1)
  [ -n "$MIRROR" ] || MIRROR=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null)
  MIRROR=${MIRROR:-http://deb.debian.org/debian}
  ROOTFS=$(mktemp -d /tmp/edu-debian-rootfs.XXXXXX)
  # never follow a mount debootstrap left behind (proc, sys) while removing the tree
  trap 'for m in $(awk -v r="$ROOTFS" "index(\$2, r) == 1 {print \$2}" /proc/mounts | sort -r); do umount -l "$m"; done; rm -rf --one-file-system "$ROOTFS"' EXIT
  echo "prepare-host: building $BASE_IMAGE from $MIRROR (debootstrap, ~80 s)"
  debootstrap --variant=minbase bookworm "$ROOTFS" "$MIRROR" >/dev/null
  tar -C "$ROOTFS" -c . | podman import - "$BASE_IMAGE" >/dev/null
  echo "prepare-host: $BASE_IMAGE imported"
fi
