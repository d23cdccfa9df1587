#!/usr/bin/env bash
# Prepares a Debian 12 host for leasewired on a physical NIC: hugepages,
# a NIC bound to vfio-pci (dpdk-devbind.py, package dpdk) and isolated
# worker cores, now and persistently across reboots.
#
#   host-prep.sh [--apply] [--root DIR] [--hugepages N]
#                [--hugepage-size 2M|1G] [--nic PCI]... [--isolate-cpus LIST]
#
# DRY RUN BY DEFAULT: prints every file it would write and every command it
# would run, and changes nothing. --apply does it (as root).
#
#   --hugepages N        reserve N hugepages of --hugepage-size (default 2M)
#   --hugepage-size S    2M: reserved now (sysctl) and at boot (sysctl.d);
#                        1G: on the kernel command line (needs a reboot)
#   --nic PCI            bind this NIC (e.g. 0000:03:00.0) to vfio-pci now
#                        and at boot (/etc/dpdk/interfaces, read by the dpdk
#                        package's dpdk.service); repeatable. Turns the IOMMU
#                        on in passthrough mode on the kernel command line.
#   --isolate-cpus LIST  keep the kernel and other tasks off these CPUs
#                        (isolcpus, nohz_full, rcu_nocbs; e.g. 2-5 or 2,3)
#                        and run leasewired on the first other CPU plus
#                        these (a CPUAffinity= drop-in for its unit)
#   --root DIR           write the files under DIR instead of /, and run no
#                        command (for tests and image builds)
#
# Files it writes (paths under --root when given):
#   /etc/sysctl.d/60-leasewire-hugepages.conf   vm.nr_hugepages (2M pages)
#   /etc/default/grub.d/60-leasewire.cfg        kernel command line
#   /etc/modules-load.d/leasewire-vfio.conf     vfio-pci at boot
#   /etc/dpdk/interfaces                        one "pci ADDR vfio-pci" line
#                                               per NIC (appended once)
#   /etc/systemd/system/leasewired.service.d/60-cpus.conf   CPUAffinity=
# Each run writes the whole kernel command line snippet: give every option
# that needs one (1G pages, --nic, --isolate-cpus) in the same run.
# Commands (--apply without --root): sysctl, modprobe, dpdk-devbind.py,
# update-grub, systemctl daemon-reload. Kernel command line changes take
# effect at the next boot.
#
# Exit status: 0 done (or planned), 1 a step failed, 2 bad arguments.
set -euo pipefail

usage() {
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
}

die_usage() {
  echo "host-prep: $*" >&2
  echo "host-prep: see --help" >&2
  exit 2
}

apply=0
root=""
hugepages=""
hugepage_size=2M
nics=()
isolate=""

while (($# > 0)); do
  case "$1" in
    --apply) apply=1 ;;
    --root)
      (($# > 1)) || die_usage "--root needs a directory"
      root="$2"
      shift
      ;;
    --hugepages)
      (($# > 1)) || die_usage "--hugepages needs a count"
      hugepages="$2"
      shift
      ;;
    --hugepage-size)
      (($# > 1)) || die_usage "--hugepage-size needs 2M or 1G"
      hugepage_size="$2"
      shift
      ;;
    --nic)
      (($# > 1)) || die_usage "--nic needs a PCI address"
      nics+=("$2")
      shift
      ;;
    --isolate-cpus)
      (($# > 1)) || die_usage "--isolate-cpus needs a CPU list"
      isolate="$2"
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die_usage "unknown argument '$1'" ;;
  esac
  shift
done

# --- validation -------------------------------------------------------------

if [[ -n "$hugepages" && ! "$hugepages" =~ ^[1-9][0-9]{0,6}$ ]]; then
  die_usage "--hugepages '$hugepages': expected a count from 1 to 9999999"
fi
case "$hugepage_size" in
  2M | 2m | 2048k | 2048kB) hugepage_size=2M ;;
  1G | 1g | 1048576k | 1048576kB) hugepage_size=1G ;;
  *) die_usage "--hugepage-size '$hugepage_size': expected 2M or 1G" ;;
esac
for nic in "${nics[@]}"; do
  if [[ ! "$nic" =~ ^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$ ]]; then
    die_usage "--nic '$nic': expected a full PCI address such as" \
      "0000:03:00.0 (dpdk-devbind.py --status lists them)"
  fi
done
if [[ -z "$hugepages" && ${#nics[@]} -eq 0 && -z "$isolate" ]]; then
  die_usage "nothing to do: give --hugepages, --nic or --isolate-cpus"
fi
if [[ -n "$root" ]]; then
  [[ -d "$root" ]] || die_usage "--root '$root' is not a directory"
  root="$(cd "$root" && pwd)"
fi
if ((apply)) && [[ -z "$root" ]] && ((EUID != 0)); then
  echo "host-prep: --apply changes the host: run it as root" >&2
  exit 1
fi

# expand_cpus "2-4,7" -> "2 3 4 7"; returns 1 on a malformed list.
expand_cpus() {
  local part lo hi out=()
  local IFS=,
  for part in $1; do
    if [[ "$part" =~ ^([0-9]+)-([0-9]+)$ ]]; then
      lo=${BASH_REMATCH[1]}
      hi=${BASH_REMATCH[2]}
      ((lo <= hi)) || return 1
      for ((c = lo; c <= hi; c++)); do out+=("$c"); done
    elif [[ "$part" =~ ^[0-9]+$ ]]; then
      out+=("$part")
    else
      return 1
    fi
  done
  ((${#out[@]} > 0)) || return 1
  printf '%s\n' "${out[@]}" | sort -n -u | paste -s -d ' '
}

housekeeping=""
if [[ -n "$isolate" ]]; then
  isolated="$(expand_cpus "$isolate")" ||
    die_usage "--isolate-cpus '$isolate': expected a list such as 2-5 or 2,3"
  # The host's online CPUs, even with --root: the list is about the
  # machine this runs on (an image build gives the list it means).
  online="$(expand_cpus "$(cat /sys/devices/system/cpu/online)")"
  for c in $isolated; do
    [[ " $online " == *" $c "* ]] ||
      die_usage "--isolate-cpus: CPU $c is not online (online: $online)"
  done
  for c in $online; do
    if [[ " $isolated " != *" $c "* ]]; then
      housekeeping="$c"
      break
    fi
  done
  [[ -n "$housekeeping" ]] ||
    die_usage "--isolate-cpus '$isolate' leaves no CPU for the kernel," \
      "leasewired's main thread and everything else"
fi

# --- the plan: every step prints itself, and acts only with --apply ---------

if ((apply)); then
  if [[ -n "$root" ]]; then
    echo "host-prep: applying under $root (files only; no command runs)"
  else
    echo "host-prep: applying to this host"
  fi
else
  echo "host-prep: dry run: nothing changes (--apply does it)"
fi

failed=0

# write_file SECTION PATH: the file's content on stdin.
write_file() {
  local section="$1" path="$2" content
  content="$(cat)"
  echo "[$section] write $path:"
  sed 's/^/    /' <<<"$content"
  if ((apply)); then
    mkdir -p "$(dirname "$root$path")"
    printf '%s\n' "$content" >"$root$path"
  fi
}

# append_line SECTION PATH LINE: adds LINE unless the file already has it.
append_line() {
  local section="$1" path="$2" line="$3"
  if [[ -f "$root$path" ]] && grep -qxF "$line" "$root$path"; then
    echo "[$section] $path already has: $line"
    return
  fi
  echo "[$section] append to $path: $line"
  if ((apply)); then
    mkdir -p "$(dirname "$root$path")"
    printf '%s\n' "$line" >>"$root$path"
  fi
}

# run SECTION COMMAND...: runs it with --apply on the real root.
run() {
  local section="$1"
  shift
  echo "[$section] run: $*"
  if ((apply)) && [[ -z "$root" ]]; then
    if ! "$@"; then
      echo "[$section] FAILED: $*" >&2
      failed=1
    fi
  elif ((apply)); then
    echo "[$section] (not run: --root)"
  fi
}

cmdline=()

if [[ -n "$hugepages" ]]; then
  if [[ "$hugepage_size" == 2M ]]; then
    write_file hugepages /etc/sysctl.d/60-leasewire-hugepages.conf <<EOF
# leasewire (deploy/host-prep.sh): 2 MB hugepages for DPDK.
vm.nr_hugepages = $hugepages
EOF
    run hugepages sysctl -w "vm.nr_hugepages=$hugepages"
    if ((apply)) && [[ -z "$root" ]]; then
      got="$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)"
      echo "[hugepages] reserved now: $got of $hugepages (memory too" \
        "fragmented for the rest: they come at the next boot)"
    fi
  else
    cmdline+=("default_hugepagesz=1G" "hugepagesz=1G" "hugepages=$hugepages")
    echo "[hugepages] 1G pages are reserved at boot: kernel command line" \
      "below"
  fi
fi

if ((${#nics[@]} > 0)); then
  write_file vfio /etc/modules-load.d/leasewire-vfio.conf <<EOF
# leasewire (deploy/host-prep.sh): NICs for DPDK are bound to vfio-pci.
vfio-pci
EOF
  run vfio modprobe vfio-pci
  for nic in "${nics[@]}"; do
    append_line vfio /etc/dpdk/interfaces "pci $nic vfio-pci"
    # dpdk-devbind.py refuses a NIC the kernel routes through (an active
    # interface); host-prep never forces it.
    run vfio dpdk-devbind.py --bind=vfio-pci "$nic"
  done
  cmdline+=("intel_iommu=on" "iommu=pt")
  if ((apply)) && [[ -z "$root" ]]; then
    dpdk-devbind.py --status-dev net || true
  fi
fi

if [[ -n "$isolate" ]]; then
  cmdline+=("isolcpus=$isolate" "nohz_full=$isolate" "rcu_nocbs=$isolate")
  # Isolated CPUs are outside every service's default affinity: give
  # leasewired its main CPU (first) and the workers' CPUs (in order).
  write_file cpus /etc/systemd/system/leasewired.service.d/60-cpus.conf <<EOF
# leasewire (deploy/host-prep.sh): main lcore on CPU $housekeeping, workers
# on the isolated CPUs $isolated
[Service]
CPUAffinity=$housekeeping $isolated
EOF
  run cpus systemctl daemon-reload
fi

if ((${#cmdline[@]} > 0)); then
  # Debian's /etc/default/grub reads /etc/default/grub.d/*.cfg.
  write_file kernel /etc/default/grub.d/60-leasewire.cfg <<EOF
# leasewire (deploy/host-prep.sh): takes effect at the next boot.
GRUB_CMDLINE_LINUX_DEFAULT="\$GRUB_CMDLINE_LINUX_DEFAULT ${cmdline[*]}"
EOF
  run kernel update-grub
  echo "[kernel] reboot for: ${cmdline[*]}"
fi

echo "host-prep: next: point interfaces[].device at the PCI address and drop"
echo "  --no-huge/--no-pci from dataplane.eal-args in" \
  "/etc/leasewire/leasewired.json;"
echo "  a vfio NIC needs the root drop-in" \
  "/usr/share/doc/leasewire/examples/leasewired-vfio.conf"
if ((failed)); then
  echo "host-prep: some steps failed (above)" >&2
  exit 1
fi
