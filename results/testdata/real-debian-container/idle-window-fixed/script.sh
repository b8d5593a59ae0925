#!/bin/sh
# The container runtime's own work when no function runs: the boot
# checkpoint (containerd and dockerd started, no container), 0.1 guest
# seconds; each process's CPU ticks (USER_HZ) over the window.
M5="/sbin/m5 --addr"
snap() { cat /proc/[0-9]*/stat 2> /dev/null | awk '{print $1, $2, $14 + $15, $39}' | sort; }
snap > /tmp/a
$M5 resetstats
sleep 0.1
$M5 dumpstats
snap > /tmp/b
echo "idle window dumped; CPU ticks per process over it (pid comm ticks last-cpu):"
join /tmp/a /tmp/b | awk '{ d = $6 - $3; if (d > 0) print $1, $2, d, $7 }'
echo "processes:"
awk '{print $2}' /tmp/b | sort | uniq -c | sort -rn | head -20
$M5 fail -1
