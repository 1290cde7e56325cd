#!/bin/busybox sh
# PID 1 of the ipvs-vm guest (copied into the initramfs as /init by tests/vm/ipvs-vm).
#
# Stage 1 (in the initramfs): load the virtio/9p/overlay modules, mount the
#   host's root (9p tag "hostroot", read-only) under an overlay whose upper
#   layer is a tmpfs, mount the per-run exchange dir (9p tag "io") and any
#   --rw shares, then switch_root into it.
#   Under User-Mode Linux (--accel uml: "ipvsvm.io=HOSTPATH" on the kernel
#   command line) the same mounts are hostfs instead of 9p: the host's root
#   read-only ("ro" mount: hostfs itself is read-write), the io dir and the
#   --rw shares read-write by their host paths.  Only overlay is a module.
# Stage 2 (in the overlay root): mount the usual pseudo filesystems, make the
#   cached kernel module tree usable by modprobe, load the preload modules,
#   run io/cmd.sh (written by the host) and store its exit status in io/rc,
#   then power off.  Any failure powers off without io/rc; the host then
#   reports a VM error and shows the console log.
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC1091,SC2154,SC2015,SC2093,SC2086  # sourced configs, eval'd $path, exec+die
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN=/run/ipvs-vm                  # inside the final root
MSIZE=262144
BB=/bin/busybox
[ "$1" = stage2 ] && BB=$RUN/bin/busybox

die() {
    echo "ipvs-vm init: $*" >/dev/console
    $BB poweroff -f
    exit 1
}
trace() {  # phase timestamps on the console with --verbose (ipvsvm.trace on the kernel command line)
    read -r cl </proc/cmdline
    case " $cl " in *" ipvsvm.trace "*) read -r up _ </proc/uptime
        echo "ipvs-vm init: $* at ${up}s" >/dev/console ;; esac
}

if [ "$1" != stage2 ]; then
    /bin/busybox mkdir -p /proc /sys /dev /io /lower /rw /newroot /bin
    /bin/busybox --install -s /bin
    mount -t proc proc /proc
    mount -t sysfs sysfs /sys
    mount -t devtmpfs devtmpfs /dev
    trace "stage 1"
    while read -r m; do
        insmod "/lib/modules/$m" || die "insmod $m failed"
    done </modules.list

    trace "boot modules loaded"
    UMLIO=''
    read -r cl </proc/cmdline
    for w in $cl; do case $w in ipvsvm.io=*) UMLIO=${w#ipvsvm.io=} ;; esac; done
    opt="trans=virtio,version=9p2000.L,msize=$MSIZE"
    if [ -n "$UMLIO" ]; then          # UML: hostfs by host path (no commas/blanks: ipvs-vm checks)
        mount -t hostfs -o "$UMLIO" hostfs /io || die "cannot mount the io dir $UMLIO (hostfs)"
    else
        mount -t 9p -o "$opt,cache=none" io /io || die "cannot mount the io share"
    fi
    . /io/config                      # KVER MODDIR PRELOAD RW_COUNT RW_<n> (see tests/vm/ipvs-vm)
    if [ -n "$UMLIO" ]; then          # "ro" becomes MS_RDONLY; the data left is the host path "/"
        mount -t hostfs -o ro,/ hostfs /lower || die "cannot mount the host root (hostfs)"
        grep -q '^hostfs /lower hostfs ro[, ]' /proc/mounts || die "hostfs root is not read-only"
    else
        mount -t 9p -o "$opt,ro,cache=loose" hostroot /lower || die "cannot mount hostroot"
    fi
    mount -t tmpfs -o mode=0755 tmpfs /rw
    mkdir -p /rw/upper /rw/work
    mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot \
        || die "cannot mount the overlay root"

    mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /newroot/run
    mkdir -p /newroot$RUN/io /newroot$RUN/bin
    mount --move /io /newroot$RUN/io
    cp /bin/busybox /init /newroot$RUN/bin/
    i=0
    while [ "$i" -lt "$RW_COUNT" ]; do   # --rw DIR: 9p tag rwN mounted over DIR
        eval "path=\$RW_$i"
        if [ -n "$UMLIO" ]; then
            mkdir -p "/newroot$path" && mount -t hostfs -o "$path" hostfs "/newroot$path" \
                || die "cannot mount --rw $path (hostfs)"
        else
            mkdir -p "/newroot$path" && mount -t 9p -o "$opt,cache=none" "rw$i" "/newroot$path" \
                || die "cannot mount --rw $path"
        fi
        i=$((i + 1))
    done
    trace "root mounted"
    for d in proc sys dev; do mount --move /$d /newroot/$d; done
    exec switch_root /newroot $RUN/bin/busybox sh $RUN/bin/init stage2
    die "switch_root failed"
fi

# ---- stage 2: / is the overlay of the host's root --------------------------
# Only busybox and (for the command) the host's bash are used from here on.
. $RUN/io/config
$BB mkdir -p /dev/pts /dev/shm
$BB mount -t devpts -o gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts
$BB mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
$BB mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
for f in fd:self/fd stdin:self/fd/0 stdout:self/fd/1 stderr:self/fd/2; do
    [ -e /dev/${f%%:*} ] || $BB ln -s /proc/${f#*:} /dev/${f%%:*}
done
$BB hostname ipvs-vm
$BB ip link set lo up

# The guest kernel's full module tree (in the host's cache dir) for modprobe.
if [ -d "$MODDIR" ]; then
    $BB mkdir -p "/lib/modules/$KVER" && $BB mount --bind "$MODDIR" "/lib/modules/$KVER"
fi
# busybox modprobe understands that tree; the host's kmod (if any) would need
# its binary indexes, so /sbin/modprobe becomes busybox (in the overlay only).
$BB ln -sf $RUN/bin/busybox /sbin/modprobe
echo /sbin/modprobe >/proc/sys/kernel/modprobe
[ -z "$PRELOAD" ] || /sbin/modprobe -a $PRELOAD || die "modprobe $PRELOAD failed"

trace "stage 2 ready, running the command"
cd /
/bin/bash $RUN/io/cmd.sh </dev/null >>$RUN/io/stdout 2>>$RUN/io/stderr
echo $? >$RUN/io/rc
trace "command done"
$BB sync
$BB poweroff -f
