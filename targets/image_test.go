package targets_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vswarmu/vswarmu-mage/internal/magetest"
)

// isoServer serves files like an Ubuntu release mirror, on loopback.
func isoServer(t *testing.T, files map[string]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, p)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func sha256File(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestAutoinstallChecksumMismatch(t *testing.T) {
	if _, err := exec.LookPath("xorriso"); err != nil {
		t.Skip("xorriso not installed (apt-get install xorriso, or IMAGE_BUILDER=autoinstall mage image:depInstall)")
	}
	dir := t.TempDir()
	iso := filepath.Join(dir, "ubuntu-22.04.4-live-server-amd64.iso")
	os.WriteFile(iso, []byte("a tampered installer"), 0o644)
	srv := isoServer(t, map[string]string{"/releases/ubuntu.iso": iso})
	res := filepath.Join(dir, "res")
	env := []string{"WORKING_DIR=" + filepath.Join(dir, "wk"), "RESOURCES=" + res, "IMAGE_BUILDER=autoinstall",
		"ISO_URL=" + srv.URL + "/releases/ubuntu.iso", "ISO_SHA256=" + strings.Repeat("ab", 32), "GEM5=standin"}
	for _, kv := range magetest.Placeholders(t, dir) {
		if strings.HasPrefix(kv, "KERNEL=") || strings.HasPrefix(kv, "CLIENT=") {
			env = append(env, kv)
		}
	}
	r := magetest.Mage(t, dir, env, "image:base")
	if r.Code == 0 || !strings.Contains(r.Output, "checksum mismatch: expected abab") {
		t.Fatalf("exit %d:\n%s", r.Code, r.Output)
	}
	// Nothing is left that looks built or downloaded (RESOURCES/.vswarmu
	// holds the build records, which say the run failed: status, below).
	filepath.Walk(res, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.IsDir() && fi.Name() == ".vswarmu" {
			return filepath.SkipDir
		}
		if err == nil && !fi.IsDir() {
			t.Errorf("left behind: %s", p)
		}
		return nil
	})
	r = magetest.Mage(t, dir, env, "status")
	if r.Code != 1 || !strings.Contains(r.Output, "stale image:base — last run failed") {
		t.Fatalf("status after the mismatch: exit %d\n%s", r.Code, r.Output)
	}
	// The right checksum gets past the download (and the test stops there:
	// the content is no ISO).
	env[len(env)-4] = "ISO_SHA256=" + sha256File(t, iso)
	r = magetest.Mage(t, dir, env, "image:base")
	if r.Code == 0 || !strings.Contains(r.Output, "read the installer kernel and initrd") {
		t.Fatalf("with the right checksum: exit %d\n%s", r.Code, r.Output)
	}
}

// fakeInstaller is the initrd of a fake live-server ISO: like Ubuntu's
// installer it reads the autoinstall data from the ds=nocloud-net URL on its
// command line, installs a system on partition 2 of the disk, runs the
// late-commands' downloads (the gem5init agent), uploads its log and powers
// off. The system it installs is busybox with the shims gem5init and the
// finalize script use (curl, systemctl, apt-get, docker), so the finalize
// boot runs the real gem5init.
const fakeInstaller = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev; mkdir -p /tmp
ip link set lo up; ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0; ip route add default via 10.0.2.2
ds=$(tr ' ' '\n' < /proc/cmdline | sed -n 's/^ds=nocloud-net;s=//p')
log() { echo "installer: $*" | tee -a /tmp/install.log; }
log "autoinstall data from $ds"
wget -q -O /tmp/user-data "${ds}user-data" || { log "no user-data"; poweroff -f; }
grep -q '^autoinstall:' /tmp/user-data || { log "not autoinstall data"; poweroff -f; }
printf 'o\nn\np\n1\n2048\n+1M\nn\np\n2\n4096\n\nw\n' | fdisk /dev/vda > /dev/null 2>&1
mdev -s 2>/dev/null
mke2fs -q /dev/vda2 || { log "mke2fs failed"; poweroff -f; }
mkdir -p /target && mount -t ext2 /dev/vda2 /target
mkdir -p /target/bin /target/sbin /target/usr/bin /target/usr/local/sbin /target/etc/systemd/system /target/proc /target/sys /target/dev /target/tmp /target/root
cp /bin/busybox /target/bin/busybox
for a in sh cat sed grep sleep sync mkdir printf chmod echo tr wget ip mount poweroff uname true; do ln -s busybox /target/bin/$a; done
cp /shims/* /target/usr/bin/ && chmod 755 /target/usr/bin/* && cp /shims/systemctl /target/bin/systemctl
grep -o 'curl -fsS -o /target/[^ ]* [^ ]*' /tmp/user-data | while read -r c f o target url; do
	wget -q -O "$target" "$url" && log "late-command: $target"
done
chmod 755 /target/usr/local/sbin/gem5init
cat > /target/sbin/init <<'EOF'
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
ip link set lo up; ip link set eth0 up; ip addr add 10.0.2.15/24 dev eth0; ip route add default via 10.0.2.2
echo "installed system: running gem5init"
/usr/local/sbin/gem5init
sync; poweroff -f
EOF
chmod 755 /target/sbin/init
umount /target
wget -q -O - --post-file=/tmp/install.log "${ds}upload/install.log" > /dev/null
poweroff -f
`

var installerShims = map[string]string{
	// curl -fsS [--max-time N] [--retry N] -o FILE URL | -T FILE URL
	"curl": `#!/bin/sh
out= up=
while [ $# -gt 1 ]; do case "$1" in -o) out=$2; shift 2;; -T) up=$2; shift 2;; --max-time|--retry) shift 2;; *) shift;; esac; done
if [ -n "$up" ]; then exec wget -q -O /dev/null --post-file="$up" "$1"; fi
exec wget -q -O "${out:--}" "$1"
`,
	"systemctl": "#!/bin/sh\n[ \"$1\" = poweroff ] && { sync; poweroff -f; }\nexit 0\n",
	"apt-get":   "#!/bin/sh\nexit 0\n",
	"docker":    "#!/bin/sh\nexit 1\n",
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// withShims appends a cpio archive with the shims to an initramfs (the
// kernel unpacks concatenated archives in order).
func withShims(t *testing.T, initrd string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755)
		b, _ := os.ReadFile(src)
		os.WriteFile(filepath.Join(dir, name), b, 0o755)
	}
	extra := filepath.Join(t.TempDir(), "shims.cpio.gz")
	cmd := exec.Command("sh", "-c", "find . | cpio -o -H newc 2>/dev/null | gzip > "+extra)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("shims archive: %v\n%s", err, out)
	}
	a, _ := os.ReadFile(initrd)
	b, _ := os.ReadFile(extra)
	out := filepath.Join(t.TempDir(), "initrd.gz")
	os.WriteFile(out, append(a, b...), 0o644)
	return out
}
