package targets

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"

	"github.com/vswarmu/vswarmu-mage/functions"
	"github.com/vswarmu/vswarmu-mage/functions/interpreted"
	"github.com/vswarmu/vswarmu-mage/image"
	"github.com/vswarmu/vswarmu-mage/internal/engine"
)

// interpretedRules are the rules of the Node.js and Python reference
// images, by language.
var interpretedRules = map[string]string{"nodejs": ruleFunctionsReferenceNodejs, "python": ruleFunctionsReferencePython}

// interpretedImages are lang's reference functions the catalogue defines
// and their images.
func (p *plan) interpretedImages(lang string) map[string]string {
	images := map[string]string{}
	for _, fn := range interpreted.OfLanguage(lang) {
		if s, ok := p.catalog().Project.Services[fn]; ok && s.Image != "" {
			images[fn] = s.Image
		}
	}
	return images
}

// debianMirror is where the interpreted images' packages come from: the
// disk's mirror for a Debian disk, else Debian's own.
func (p *plan) debianMirror() string {
	if p.cfg.Distro == "debian" && p.cfg.Mirror != "" {
		return p.cfg.Mirror
	}
	return image.DefaultMirror("debian", p.cfg.Arch)
}

// interpretedReferences is functions:referenceNodejs or
// functions:referencePython: docker archives of lang's reference
// functions (a Debian root file system with the runtime, the project's
// servers), in the directory of the Go ones.
func (p *plan) interpretedReferences(lang string) artifact {
	images := p.interpretedImages(lang)
	if len(images) == 0 {
		return artifact{}
	}
	return artifact{path: p.referenceDir(), rule: p.rule(interpretedRules[lang], func() (*engine.Rule, error) {
		b := interpreted.Build{Language: lang, Arch: p.cfg.Arch, Mirror: p.debianMirror(),
			Cache: filepath.Join(p.cfg.Resources, "npm"), Images: images, Archives: map[string]string{},
			Dir: p.referenceDir()}
		var inputs, outputs []string
		if dir := sourceRoot(); dir != "" && isCheckout(dir) {
			for _, s := range interpreted.Sources() {
				inputs = append(inputs, filepath.Join(dir, "functions", "interpreted", s))
			}
		}
		for _, fn := range slices.Sorted(maps.Keys(images)) {
			b.Archives[fn] = filepath.Join(p.referenceDir(), functions.ArchiveName(images[fn]))
			outputs = append(outputs, b.Archives[fn])
		}
		return &engine.Rule{
			Doc:     fmt.Sprintf("build docker archives of the %s reference functions (offline images)", lang),
			Outputs: outputs, Inputs: inputs, Params: b.Describe(), Recipe: recipe(b.Make), Space: 1 << 30,
		}, nil
	})}
}

// interpretedFor are the interpreted reference rules the selected
// functions need.
func (p *plan) interpretedFor(fns []string) []artifact {
	var out []artifact
	for _, lang := range slices.Sorted(maps.Keys(interpretedRules)) {
		for _, fn := range fns {
			if f, ok := interpreted.Functions[fn]; ok && f.Language == lang {
				if a := p.interpretedReferences(lang); a.rule != nil {
					out = append(out, a)
				}
				break
			}
		}
	}
	return out
}

// referenceSource says what a reference image is built from: the Go
// sources, or an interpreted language's servers on Debian's runtime.
func (p *plan) referenceSource(image string) string {
	for _, lang := range slices.Sorted(maps.Keys(interpretedRules)) {
		for _, img := range p.interpretedImages(lang) {
			if img == image {
				return "functions/interpreted on Debian " + interpreted.Suite + "'s " + lang
			}
		}
	}
	return "functions/src"
}
