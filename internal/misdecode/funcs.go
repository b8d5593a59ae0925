package misdecode

import (
	"debug/elf"
	"debug/gosym"
	"encoding/binary"
)

// nameFuncs gives each finding the Go function that holds it, from the
// program's pclntab, which Go keeps in stripped programs too.
func nameFuncs(f *elf.File, fs []Finding) {
	if len(fs) == 0 {
		return
	}
	tab := goTable(f)
	if tab == nil {
		return
	}
	for i := range fs {
		if fn := tab.PCToFunc(fs[i].Addr); fn != nil {
			fs[i].Func = fn.Name
		}
	}
}

// goTable reads the pclntab; its functions' addresses count from
// runtime.text, which in a cgo program lies after the C code.
func goTable(f *elf.File) *gosym.Table {
	s := f.Section(".gopclntab")
	if s == nil {
		return nil
	}
	data, err := s.Data()
	if err != nil {
		return nil
	}
	text := textStart(f, data)
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(data, text))
	if err != nil {
		return nil
	}
	return tab
}

func textStart(f *elf.File, pcln []byte) uint64 {
	// Go 1.18 and later write it into the table's header.
	if len(pcln) >= 32 && pcln[7] == 8 && pcln[3] == 0xff && pcln[2] == 0xff && pcln[1] == 0xff && pcln[0]&0xf0 == 0xf0 {
		if v := binary.LittleEndian.Uint64(pcln[24:]); v != 0 {
			return v
		}
	}
	for _, syms := range []func() ([]elf.Symbol, error){f.Symbols, f.DynamicSymbols} {
		all, _ := syms()
		for _, s := range all {
			if s.Name == "runtime.text" {
				return s.Value
			}
		}
	}
	if s := f.Section(".text"); s != nil {
		return s.Addr
	}
	return 0
}
