#!/bin/sh
# vswarmu-mage run script for fibonacci-go, container mode (handed to the guest by m5 readfile).
M5="/sbin/m5 --addr"
vswarmu_cpu() { :; }
vswarmu_cpu start
$M5 fail 1
test -S /var/run/docker.sock && kill -0 "$(cat /var/run/docker.pid 2> /dev/null)" 2> /dev/null || docker info > /dev/null 2>&1 || systemctl start docker.service || { tail -n 15 /var/log/containerd.log /var/log/dockerd.log 2> /dev/null; for u in containerd.service docker.service; do echo "$u: $(systemctl show -p ActiveState,Result,ExecMainCode,ExecMainStatus,NRestarts --value $u | tr '\n' ' ')"; done; systemctl --no-pager --lines=5 status containerd.service docker.service; journalctl --no-pager -n 30 -u containerd.service -u docker.service; $M5 fail 7; exit 1; }
cd /root/vswarmu
if curl -fsS --unix-socket /var/run/docker.sock -X POST http://localhost/containers/vswarmu-prepared-fibonacci-go/rename?name=function && curl -fsS --unix-socket /var/run/docker.sock -X POST http://localhost/containers/function/start; then
echo "vswarmu: started vswarmu-prepared-fibonacci-go, the container the install created for fibonacci-go (pinned to core 1 there), as function"
$M5 fail 2
$M5 fail 3
else
{ docker-compose -p vswarmu -f /root/vswarmu/functions.yaml up -d fibonacci-go 2>&1; echo "docker-compose: exit status $?"; } | cat
$M5 fail 2
docker update function --cpuset-cpus 1
$M5 fail 3
fi
( curl -s --unix-socket /var/run/docker.sock -X POST http://localhost/containers/function/wait > /dev/null
echo "VSWARMU-FUNCTION-EXITED the function's container stopped; its last output:"
curl -s --unix-socket /var/run/docker.sock "http://localhost/containers/function/logs?stdout=1&stderr=1&tail=20" | tr -cd '\11\12\40-\176'
$M5 fail 8 ) &
WATCH=$!
vswarmu_cpu client
$M5 fail 10
/usr/local/bin/test-client -function-name fibonacci-go -url localhost -port 50000 -n 100 -w 100 -m5ops -input 10 -timeout 600s
$M5 fail 11
kill $WATCH 2> /dev/null
{ docker-compose -p vswarmu -f /root/vswarmu/functions.yaml down 2>&1; echo "docker-compose: exit status $?"; } | cat
$M5 fail 6
$M5 fail -1
