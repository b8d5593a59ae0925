#!/bin/sh
# Run by hand on the real gem5 v24.0.0.1 (atomic cores, the tinyconfig 6.1 kernel, a busybox
# disk with Debian 12's containerd 1.6.20 and its libc): run_sim.py in setup mode with --script.
# containerd-patched is Debian's binary with the 10 bytes of runtime.gcWriteBarrierR8 at
# 0xcd1540 (49 90 e8 79 fe ff ff 49 90 c3) rewritten as 4c 87 c0 e8 78 fe ff ff 4c 87 c0 c3.
# Debian's containerd, and the same binary with runtime.gcWriteBarrierR8's two
# short XCHGs (49 90, which gem5 runs as NOPs) rewritten in the ModRM form (4c 87 c0).
M5="/sbin/m5 --addr"
cd /exp
t() { echo "=== $*"; timeout 900 "$@" > /tmp/out 2>&1; rc=$?; grep -E '^gc |panic|containerd github|fatal|addr=' /tmp/out | head -8; echo "=== rc=$rc"; }
t ./containerd-debian --version
t env GODEBUG=gctrace=1 ./containerd-patched --version
t ./containerd-patched --version
$M5 fail -1
