// Command vswarmu-seed credits the disk's random seed to the guest
// kernel's entropy pool, so that getrandom(2) is ready at once.
//
// A simulated guest has almost no entropy: on gem5's atomic cores the
// kernel's random number generator was initialised 40 minutes of host time
// into the container runtime's start, and containerd and dockerd (whose
// crypto/rand blocks until then) waited for it. gem5init runs this first
// at every simulated boot. The seed is written once per disk, when image:build
// makes it, so every boot of the same disk draws the same random numbers:
// reproducible simulations, no secrets (the guest is a measurement
// instrument, not a server).
//
//	vswarmu-seed [-check] SEED-FILE
package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// MinSeed is the fewest seed bytes accepted: the kernel's pool is ready
// once 256 bits are credited.
const MinSeed = 32

// maxSeed bounds the credit request (the kernel's pool takes no more).
const maxSeed = 512

// Request is the rand_pool_info an RNDADDENTROPY ioctl takes for seed:
// entropy_count (bits credited), buf_size (bytes), then the bytes.
func Request(seed []byte) ([]byte, error) {
	if len(seed) < MinSeed {
		return nil, fmt.Errorf("seed has %d bytes, want at least %d", len(seed), MinSeed)
	}
	seed = seed[:min(len(seed), maxSeed)]
	req := make([]byte, 8, 8+len(seed))
	binary.NativeEndian.PutUint32(req[0:], uint32(8*len(seed)))
	binary.NativeEndian.PutUint32(req[4:], uint32(len(seed)))
	return append(req, seed...), nil
}

// credit adds req to the pool behind /dev/urandom.
func credit(req []byte) error {
	f, err := os.OpenFile("/dev/urandom", os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), unix.RNDADDENTROPY, uintptr(unsafe.Pointer(&req[0])))
	if errno != 0 {
		return fmt.Errorf("ioctl RNDADDENTROPY on /dev/urandom: %w", errno)
	}
	return nil
}

// ready says whether getrandom(2) returns without blocking.
func ready() bool {
	var b [1]byte
	_, err := unix.Getrandom(b[:], unix.GRND_NONBLOCK)
	return !errors.Is(err, unix.EAGAIN)
}

func run(args []string) error {
	fs := flag.NewFlagSet("vswarmu-seed", flag.ContinueOnError)
	check := fs.Bool("check", false, "only say whether the kernel's random number generator is ready")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *check {
		fmt.Printf("random number generator ready: %t\n", ready())
		return nil
	}
	if fs.NArg() != 1 {
		return errors.New("usage: vswarmu-seed [-check] SEED-FILE")
	}
	seed, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	req, err := Request(seed)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	if ready() {
		fmt.Println("random number generator already ready: seed not needed")
		return nil
	}
	if err := credit(req); err != nil {
		return err
	}
	fmt.Printf("credited %d bits from %s; random number generator ready: %t\n", 8*(len(req)-8), fs.Arg(0), ready())
	return nil
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "vswarmu-seed:", err)
		os.Exit(1)
	}
}
