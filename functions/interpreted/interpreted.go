// Package interpreted builds the Node.js and Python reference functions'
// images offline: a Debian root file system with the language's runtime
// from Debian's packages (mmdebstrap), the npm modules the project's lock
// file pins (downloaded with their checksums), and the project's servers,
// which speak vSwarm's protos (read from the client's descriptors) and
// answer as vSwarm's servers do.
package interpreted

import (
	"archive/tar"
	"bytes"
	"context"
	"embed"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	aespb "github.com/vswarmu/vswarmu-mage/client/pb/aes"
	authpb "github.com/vswarmu/vswarmu-mage/client/pb/auth"
	fibpb "github.com/vswarmu/vswarmu-mage/client/pb/fibonacci"
	"github.com/vswarmu/vswarmu-mage/functions"
	"github.com/vswarmu/vswarmu-mage/internal/job"
)

//go:embed nodejs/*.js nodejs/package.json nodejs/package-lock.json python/*.py
var sources embed.FS

// Suite is the Debian release the images' root file systems come from
// (Debian 12: Node.js 18, Python 3.11 with grpcio 1.51 and protobuf 4.21).
const Suite = "bookworm"

// Language is how one language's functions are packaged.
type Language struct {
	Name       string   // nodejs or python
	Packages   []string // Debian packages of the runtime and its libraries
	Server     string   // the function's file in /app, as the compose entrypoint names it
	Entrypoint []string // the image's own entrypoint (compose's overrides it)
	NPM        bool     // the app carries the npm modules of nodejs/package-lock.json
}

// Languages are the languages with reference functions, by name.
var Languages = map[string]Language{
	"nodejs": {Name: "nodejs", Packages: []string{"nodejs"}, Server: "server.js",
		Entrypoint: []string{"node", "server.js"}, NPM: true},
	"python": {Name: "python", Packages: []string{"python3-minimal", "python-is-python3", "python3-grpcio",
		"python3-protobuf", "python3-pyaes"}, Server: "server.py", Entrypoint: []string{"python", "/app/server.py"}},
}

// Function is a reference function in an interpreted language.
type Function struct {
	Language string // a key of Languages
	Service  string // fibonacci, aes or auth: its source file and protos
}

// Functions are the interpreted reference functions, by catalogue name.
var Functions = map[string]Function{
	"fibonacci-nodejs": {"nodejs", "fibonacci"}, "aes-nodejs": {"nodejs", "aes"}, "auth-nodejs": {"nodejs", "auth"},
	"fibonacci-python": {"python", "fibonacci"}, "aes-python": {"python", "aes"}, "auth-python": {"python", "auth"},
}

// descriptors are the protos each service's server reads.
var descriptors = map[string]protoreflect.FileDescriptor{
	"fibonacci": fibpb.File_fibonacci_proto,
	"aes":       aespb.File_aes_proto,
	"auth":      authpb.File_auth_proto,
}

// OfLanguage are the catalogue's functions of lang, sorted.
func OfLanguage(lang string) []string {
	var fns []string
	for fn, f := range Functions {
		if f.Language == lang {
			fns = append(fns, fn)
		}
	}
	slices.Sort(fns)
	return fns
}

// DescriptorSet is a service's protos as a serialized FileDescriptorSet.
func DescriptorSet(service string) ([]byte, error) {
	fd, ok := descriptors[service]
	if !ok {
		return nil, fmt.Errorf("no protos for service %q", service)
	}
	return proto.Marshal(&descriptorpb.FileDescriptorSet{File: []*descriptorpb.FileDescriptorProto{protodesc.ToFileDescriptorProto(fd)}})
}

// Build makes docker archives of one language's reference functions.
type Build struct {
	Language string            // a key of Languages
	Arch     string            // the images' architecture (GOARCH names)
	Mirror   string            // the Debian mirror
	Registry string            // the npm registry (DefaultNPMRegistry when empty)
	Cache    string            // where npm tarballs are kept between builds
	Images   map[string]string // function -> image name
	Archives map[string]string // function -> where its docker archive goes
	Dir      string            // a directory for the build's temporary files
}

// Make builds the root file system (and, for Node.js, the npm modules'
// layer) once and writes one image per function, those layers shared and
// the app on top, to j.Out(Archives[fn]).
func (b Build) Make(ctx context.Context, j job.Job) error {
	out := b.Archives
	lang, ok := Languages[b.Language]
	if !ok {
		return fmt.Errorf("no reference functions in %q (nodejs, python)", b.Language)
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("the %s reference images need root (mmdebstrap --mode=root); run as root", lang.Name)
	}
	if err := os.MkdirAll(b.Dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(b.Dir, ".build-"+lang.Name+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	start := time.Now()
	base, err := rootfsLayer(ctx, j, lang, b.Arch, b.Mirror, tmp)
	if err != nil {
		return err
	}
	j.Logf("%s root file system: %s", lang.Name, time.Since(start).Round(time.Second))
	shared := []v1.Layer{base}
	if lang.NPM {
		modules, err := b.modulesLayer(ctx, j)
		if err != nil {
			return err
		}
		shared = append(shared, modules)
	}
	for _, fn := range slices.Sorted(maps.Keys(b.Images)) {
		f := Functions[fn]
		app, err := appLayer(lang, f.Service)
		if err != nil {
			return fmt.Errorf("%s: %w", fn, err)
		}
		if err := b.write(lang, slices.Concat(shared, []v1.Layer{app}), b.Images[fn], j.Out(out[fn])); err != nil {
			return fmt.Errorf("image %s: %w", b.Images[fn], err)
		}
		if fi, err := os.Stat(j.Out(out[fn])); err == nil {
			j.Logf("%s: %s, %d MB", b.Images[fn], out[fn], fi.Size()>>20)
		}
	}
	j.Logf("%s reference images: %s", lang.Name, time.Since(start).Round(time.Second))
	return nil
}

// modulesLayer fetches the npm modules and makes the layer of
// /app/node_modules, once for every image of the language.
func (b Build) modulesLayer(ctx context.Context, j job.Job) (v1.Layer, error) {
	lock, err := sources.ReadFile("nodejs/package-lock.json")
	if err != nil {
		return nil, err
	}
	mods, err := ParseLock(lock)
	if err != nil {
		return nil, err
	}
	reg := b.Registry
	if reg == "" {
		reg = DefaultNPMRegistry
	}
	j.Progress("npm modules: %d from %s", len(mods), reg)
	files, err := FetchModules(ctx, mods, reg, b.Cache)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	d := dirs{}
	for i, m := range mods {
		if err := addModule(tw, files[i], "app/"+m.Path, d); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return memoryLayer(buf.Bytes())
}

// appLayer is /app: the harness, the function's server and its protos.
func appLayer(lang Language, service string) (v1.Layer, error) {
	desc, err := DescriptorSet(service)
	if err != nil {
		return nil, err
	}
	ext := filepath.Ext(lang.Server)
	files := map[string]string{"app/" + lang.Server: lang.Name + "/" + service + ext, "app/serve" + ext: lang.Name + "/serve" + ext}
	if lang.NPM {
		files["app/package.json"] = "nodejs/package.json"
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	d := dirs{}
	for _, dst := range slices.Sorted(maps.Keys(files)) {
		b, err := sources.ReadFile(files[dst])
		if err != nil {
			return nil, err
		}
		if err := d.bytes(tw, dst, b); err != nil {
			return nil, err
		}
	}
	if err := d.bytes(tw, "app/service.desc", desc); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return memoryLayer(buf.Bytes())
}

// write writes the image of layers named ref to out.
func (b Build) write(lang Language, layers []v1.Layer, ref, out string) error {
	return functions.ServerImage{Ref: ref, Arch: b.Arch, Layers: layers, Entrypoint: lang.Entrypoint,
		WorkingDir: "/app", Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		Description: "vswarmu-mage reference function server (" + lang.Name + ", Debian " + Suite + ")"}.Write(out)
}

// Sources are the files the images are made of (for a build's inputs: a
// change to one makes the images stale), relative to this package.
func Sources() []string {
	var out []string
	for _, dir := range []string{"nodejs", "python"} {
		ents, _ := sources.ReadDir(dir)
		for _, e := range ents {
			out = append(out, dir+"/"+e.Name())
		}
	}
	return out
}

func hostArch() string { return runtime.GOARCH }

// Describe is what shapes a language's images (a build's parameters).
func (b Build) Describe() map[string]string {
	lang := Languages[b.Language]
	return map[string]string{"ARCH": b.Arch, "mirror": b.Mirror, "suite": Suite,
		"packages": strings.Join(lang.Packages, " "), "images": fmt.Sprint(b.Images)}
}
