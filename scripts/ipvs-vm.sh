#!/bin/bash
# Boots Debian's own kernel (linux-image-amd64, which ships IPVS) in qemu with a small initramfs and runs one
# scenario script inside it; the console output goes to standard output, framed by
#   === SCENARIO START ===  ...  === SCENARIO EXIT <status> ===
# Usage: scripts/ipvs-vm.sh SCENARIO.sh [SHOAL_BINARY [FILE...]]   (each FILE is copied to / in the VM)
# The initramfs holds busybox, the ip_vs modules (all schedulers, the sip persistence engine), veth and ipip,
# ipvsadm, iproute2's ip (as iproute2-ip, for namespaces) and the shoal binary with the libraries each needs. No network device: nothing leaves the VM.
# Environment: IPVS_VM_KEEP=1 keeps the work directory, IPVS_VM_TIMEOUT (seconds, default 480: a loaded machine slows TCG down a lot),
# IPVS_VM_MODULES (more modules to load, e.g. bridge nf_tables nft_nat), IPVS_VM_TOOLS (more host programs, copied with their
# libraries to the same path), IPVS_VM_MEMORY (MB, default 1024).
set -euo pipefail

scenario=${1:?usage: ipvs-vm.sh SCENARIO.sh [SHOAL_BINARY]}
shoal=${2:-}
shift 2 2>/dev/null || shift $#
extra=("$@")

need() { command -v "$1" >/dev/null 2>&1 || [ -x "$1" ] || { echo "ipvs-vm: $1 is not installed: apt-get install -y --no-install-recommends $2" >&2; exit 3; }; }
need qemu-system-x86_64 qemu-system-x86
need /usr/sbin/ipvsadm ipvsadm
need cpio cpio
busybox=$(command -v busybox || true)
[ -n "$busybox" ] && file -L "$busybox" 2>/dev/null | grep -q 'statically linked' || busybox=/bin/busybox
[ -x "$busybox" ] || { echo "ipvs-vm: busybox is not installed: apt-get install -y --no-install-recommends busybox-static" >&2; exit 3; }
kernel=$(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -1 || true)
[ -n "$kernel" ] || { echo "ipvs-vm: no Debian kernel in /boot: apt-get install -y --no-install-recommends linux-image-amd64" >&2; exit 3; }
kver=${kernel#/boot/vmlinuz-}
moddir=/lib/modules/$kver
[ -f "$moddir/kernel/net/netfilter/ipvs/ip_vs.ko" ] || { echo "ipvs-vm: $moddir has no ip_vs.ko: apt-get install -y --no-install-recommends linux-image-amd64" >&2; exit 3; }

work=$(mktemp -d /tmp/ipvs-vm.XXXXXX)
[ "${IPVS_VM_KEEP:-}" = 1 ] || trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,run,etc,usr/local/bin,usr/sbin,lib64} "$root$moddir"

cp "$busybox" "$root/bin/busybox"
for tool in ip nc kill timeout sh mount umount mkdir cat echo ls insmod modprobe reboot poweroff sleep grep sed tr head tail wc seq printf cut sort diff cmp env true false test \
    httpd wget sysctl; do
    ln -sf busybox "$root/bin/$tool"
done
ln -sf ../bin/busybox "$root/sbin/modprobe"

# Binaries and their libraries, at the paths the loader looks for them.
copy_with_libs() {
    local binary=$1 target=$2
    install -D -m 755 "$binary" "$root$target"
    ldd "$binary" | awk '/=> \//{print $3} /^\t\/lib/{print $1}' | while read -r lib; do
        [ -e "$root$lib" ] || install -D -m 755 "$(readlink -f "$lib")" "$root$lib"
    done
}
copy_with_libs /usr/sbin/ipvsadm /usr/sbin/ipvsadm
for tool in ${IPVS_VM_TOOLS:-}; do
    path=$(command -v "$tool") || { echo "ipvs-vm: $tool is not installed" >&2; exit 3; }
    copy_with_libs "$path" "$path"
done
# iproute2's ip for network namespaces (busybox's has no `netns`), as /usr/sbin/iproute2-ip.
need /usr/sbin/ip iproute2
copy_with_libs /usr/sbin/ip /usr/sbin/iproute2-ip
if [ -n "$shoal" ]; then
    copy_with_libs "$shoal" /usr/local/bin/shoal
    # Debug builds carry hundreds of MB of DWARF: strip the copy so the initramfs loads fast.
    strip --strip-debug "$root/usr/local/bin/shoal" 2>/dev/null || true
fi

# The IPVS modules and what they depend on, loaded in dependency order.
wanted="crc32c_generic dummy veth ipip ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_lblc ip_vs_lblcr ip_vs_dh ip_vs_sh ip_vs_sed ip_vs_nq ip_vs_fo ip_vs_ovf ip_vs_mh ip_vs_pe_sip ${IPVS_VM_MODULES:-}"
order=()
declare -A seen=()
visit() {
    local rel=$1
    [ -n "${seen[$rel]:-}" ] && return
    seen[$rel]=1
    local deps
    deps=$(grep -E "^$rel:" "$moddir/modules.dep" | cut -d: -f2-)
    for dep in $deps; do visit "$dep"; done
    order+=("$rel")
}
for name in $wanted; do
    rel=$(grep -oE "^kernel/[^:]*/$name\.ko(\.xz|\.zst)?:" "$moddir/modules.dep" | head -1 | tr -d :)
    [ -n "$rel" ] || { echo "ipvs-vm: module $name not in $moddir" >&2; exit 3; }
    visit "$rel"
done
for rel in "${order[@]}"; do
    install -D -m 644 "$moddir/$rel" "$root$moddir/$rel"
done
printf '%s\n' "${order[@]}" > "$root/etc/modules.order"
cp "$moddir/modules.dep" "$root$moddir/"

install -m 755 "$scenario" "$root/scenario.sh"
for file in "${extra[@]}"; do cp "$file" "$root/"; done
cat > "$root/init" <<INIT
#!/bin/sh
export PATH=/bin:/sbin:/usr/sbin:/usr/local/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
for m in \$(cat /etc/modules.order); do insmod $moddir/\$m || echo "insmod \$m failed"; done
# Routes for every address through a dummy device (it drops what it is given), so IPVS accepts any
# real server as unicast; nothing leaves the VM, which has no network device.
ip link set lo up
ip link add dummy0 type dummy
ip link set dummy0 up
ip addr add 192.0.2.254/24 dev dummy0
ip route add default via 192.0.2.1 dev dummy0
ip -6 addr add 2001:db8:ffff::254/64 dev dummy0 nodad
ip -6 route add default via 2001:db8:ffff::1 dev dummy0
echo "=== SCENARIO START ==="
cd /tmp
/bin/sh /scenario.sh
echo "=== SCENARIO EXIT \$? ==="
reboot -f
INIT
chmod 755 "$root/init"

(cd "$root" && find . | cpio -o -H newc --quiet) > "$work/initramfs.cpio"

timeout "${IPVS_VM_TIMEOUT:-480}" qemu-system-x86_64 -accel tcg -cpu max -m "${IPVS_VM_MEMORY:-1024}" -smp 1 -nodefaults -no-user-config \
    -display none -no-reboot -nic none -serial "file:$work/console.log" -monitor none \
    -kernel "$kernel" -initrd "$work/initramfs.cpio" \
    -append "console=ttyS0 quiet loglevel=1 panic=-1 rdinit=/init" || { status=$?; cat "$work/console.log" 2>/dev/null; echo "ipvs-vm: qemu exited with $status" >&2; exit 4; }
cat "$work/console.log"
