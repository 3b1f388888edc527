#!/usr/bin/env bash
# Sets up a fresh Debian machine (as root) for tenantnet: the system packages it drives and its
# tests use, the npm packages (npm ci), and the build. Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  iproute2        # ip: namespaces, links, addresses, routes (the ip -batch coprocess)
  iptables        # iptables-save / iptables-restore (nf_tables backend)
  ipset
  conntrack
  dnsmasq-base    # DHCP per network
  openvswitch-switch  # ovsdb-server, ovs-vswitchd, ovs-vsctl, ovs-ofctl
  busybox         # udhcpc: the DHCP client used in tests
  socat           # TCP/UDP probes in tests
  ethtool         # tx checksum offload off on veths attached to a netdev OVS bridge
  iputils-ping
  procps
  kmod
  etcd-server     # etcd: the store for many hosts; tests start a private one (never the system service)
  etcd-client     # etcdctl: the tests' independent oracle for the store
  chromium        # headless browser for the test of `tenantnet ui` (driven by playwright-core; no browser download)
  fonts-dejavu-core  # a font, so the page's screenshot shows text
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The main job (`tenantnet demo`, backend ovs) needs the system Open vSwitch. On machines without
# systemd the Debian package installs it without starting it: start it when its socket is missing
# (ovs-ctl prints a harmless ulimit warning). tenantnet's tests never use it: they run private ones.
if [ ! -S /var/run/openvswitch/db.sock ] && [ -x /usr/share/openvswitch/scripts/ovs-ctl ]; then
  echo "setup: starting Open vSwitch" >&2
  /usr/share/openvswitch/scripts/ovs-ctl start --system-id=random >&2 || echo "setup: Open vSwitch did not start (the demo needs it; the tests do not)" >&2
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
