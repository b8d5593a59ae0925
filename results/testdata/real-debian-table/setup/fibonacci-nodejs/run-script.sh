#!/bin/sh
# vswarmu-mage run script for fibonacci-nodejs, container mode (handed to the guest by m5 readfile).
M5="/sbin/m5 --addr"
$M5 fail 1
test -S /var/run/docker.sock && kill -0 "$(cat /var/run/docker.pid 2> /dev/null)" 2> /dev/null || docker info > /dev/null 2>&1 || systemctl start docker.service || { tail -n 15 /var/log/containerd.log /var/log/dockerd.log 2> /dev/null; for u in containerd.service docker.service; do echo "$u: $(systemctl show -p ActiveState,Result,ExecMainCode,ExecMainStatus,NRestarts --value $u | tr '\n' ' ')"; done; systemctl --no-pager --lines=5 status containerd.service docker.service; journalctl --no-pager -n 30 -u containerd.service -u docker.service; $M5 fail 7; exit 1; }
cd /root/vswarmu
{ docker-compose -p vswarmu -f /root/vswarmu/functions.yaml up -d fibonacci-nodejs 2>&1; echo "docker-compose: exit status $?"; } | cat
$M5 fail 2
docker update function --cpuset-cpus 1
$M5 fail 3
$M5 fail 10
/usr/local/bin/test-client -function-name fibonacci-nodejs -url localhost -port 50000 -n 100 -w 100 -m5ops -input 10 -timeout 600s
$M5 fail 11
{ docker-compose -p vswarmu -f /root/vswarmu/functions.yaml down 2>&1; echo "docker-compose: exit status $?"; } | cat
$M5 fail 6
$M5 fail -1
