package config

import (
	"context"
	"encoding"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/sethvargo/go-envconfig"
)

// envTag is the struct tag go-envconfig reads.
const envTag = "env"

// tagOpts is the subset of a go-envconfig tag this package needs to name a
// variable and describe it. Everything else (delimiter, noinit, …) is left to
// go-envconfig itself, which sees the original tags; see leaf.decode.
type tagOpts struct {
	key      string
	required bool
	dflt     string
	prefix   string
}

// parseTag mirrors go-envconfig's tag grammar closely enough to name a
// variable: `NAME, opt, opt=value`, options case-insensitive, spaces after
// commas allowed, and `default=` consuming the rest of the tag (commas
// included). It never fails: malformed tags are reported by go-envconfig when
// the field is decoded, so reporting them here as well would duplicate them.
func parseTag(tag string) tagOpts {
	key, rest, hasOpts := strings.Cut(tag, ",")
	o := tagOpts{key: strings.TrimSpace(key)}
	for hasOpts {
		var seg string
		seg, rest, hasOpts = strings.Cut(rest, ",")
		trimmed := strings.TrimLeft(seg, " \t")
		switch {
		case hasPrefixFold(trimmed, "default="):
			// The default is everything after "default=", commas included.
			if hasOpts {
				trimmed = trimmed + "," + rest
			}
			o.dflt = trimmed[len("default="):]
			return o
		case hasPrefixFold(trimmed, "prefix="):
			o.prefix = trimmed[len("prefix="):]
		case strings.EqualFold(strings.TrimSpace(trimmed), "required"):
			o.required = true
		}
	}
	return o
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// step is one struct field on the way from the root struct to a leaf.
type step struct {
	index    int                 // field index in its parent struct
	field    reflect.StructField // the original field, tag included
	ptrDepth int                 // how many pointers wrap the struct (intermediate steps only)
	name     string              // the field's variable name with enclosing prefixes, "" without a key
}

// leaf is one field go-envconfig decodes from one variable.
type leaf struct {
	path     []step
	goPath   string // "Pipeline.Streams"
	name     string // env var name with every prefix= applied, before the lookuper's own prefix
	opts     tagOpts
	required bool // the field's own `required` or one inherited from an enclosing struct

	// synth is a struct type holding only the fields on path, with their
	// original names, types and tags; see decode.
	synth reflect.Type
}

// problem is a configuration problem found while walking the struct type,
// before any variable is read (an env tag on an unexported field, a recursive
// struct type).
type problem struct {
	goPath string
	name   string
	hasKey bool
	err    error
}

// walk lists every leaf of struct type t in declaration order, descending
// into nested structs the way go-envconfig does: a struct-typed field is a
// container unless it has its own key and a decoder (then go-envconfig hands
// the variable to the decoder, so it is a leaf).
func walk(t reflect.Type) ([]leaf, []problem) {
	w := walker{onPath: map[reflect.Type]bool{t: true}}
	w.walk(t, nil, "", "", false)
	return w.leaves, w.problems
}

type walker struct {
	leaves   []leaf
	problems []problem
	onPath   map[reflect.Type]bool
}

func (w *walker) walk(t reflect.Type, path []step, goPrefix, envPrefix string, required bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, hasTag := f.Tag.Lookup(envTag)
		opts := parseTag(tag)
		goPath := goPrefix + f.Name
		if !f.IsExported() {
			// go-envconfig skips unexported fields but rejects a tagged one.
			if hasTag && tag != "" {
				w.problems = append(w.problems, problem{goPath: goPath, name: envPrefix + opts.key, hasKey: opts.key != "", err: envconfig.ErrPrivateField})
			}
			continue
		}
		base, depth, ok := deref(f.Type)
		if !ok {
			w.problems = append(w.problems, problem{goPath: goPath, name: envPrefix + opts.key, hasKey: opts.key != "", err: envconfig.ErrRecursivePointer})
			continue
		}
		st := step{index: i, field: f, ptrDepth: depth}
		if opts.key != "" {
			st.name = envPrefix + opts.key
		}
		here := append(path[:len(path):len(path)], st)
		req := required || opts.required

		if base.Kind() == reflect.Struct && !(opts.key != "" && isDecoder(base)) {
			if w.onPath[base] {
				w.problems = append(w.problems, problem{goPath: goPath, err: fmt.Errorf("%s: %w", base, envconfig.ErrRecursiveStruct)})
				continue
			}
			w.onPath[base] = true
			w.walk(base, here, goPath+".", envPrefix+opts.prefix, req)
			delete(w.onPath, base)
			continue
		}
		if tag == "" {
			continue // go-envconfig ignores untagged non-struct fields
		}
		w.leaves = append(w.leaves, leaf{
			path:     here,
			goPath:   goPath,
			name:     envPrefix + opts.key,
			opts:     opts,
			required: req,
			synth:    synthType(here),
		})
	}
}

// deref strips pointers from t. ok is false for a pointer type that never
// reaches a non-pointer (type P *P).
func deref(t reflect.Type) (base reflect.Type, depth int, ok bool) {
	seen := map[reflect.Type]bool{}
	for t.Kind() == reflect.Pointer {
		if seen[t] {
			return nil, 0, false
		}
		seen[t] = true
		t = t.Elem()
		depth++
	}
	return t, depth, true
}

var (
	decoderCtxType    = reflect.TypeFor[envconfig.DecoderCtx]()
	decoderType       = reflect.TypeFor[envconfig.Decoder]()
	textUnmarshaler   = reflect.TypeFor[encoding.TextUnmarshaler]()
	jsonUnmarshaler   = reflect.TypeFor[json.Unmarshaler]()
	binaryUnmarshaler = reflect.TypeFor[encoding.BinaryUnmarshaler]()
	gobDecoder        = reflect.TypeFor[gob.GobDecoder]()
)

// isDecoder reports whether go-envconfig would decode a value of type t (a
// non-pointer) with a custom decoder rather than field by field.
func isDecoder(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	for _, i := range []reflect.Type{decoderCtxType, decoderType, textUnmarshaler, jsonUnmarshaler, binaryUnmarshaler, gobDecoder} {
		if p.Implements(i) {
			return true
		}
	}
	return false
}

// synthType builds, for the fields on path, nested one-field struct types
// that keep each field's name, tag and pointer depth. go-envconfig processing
// such a struct applies exactly the options (prefix, required, noinit,
// overwrite, delimiter, …) it would apply to the leaf inside the real struct,
// and reports an error for that leaf alone.
func synthType(path []step) reflect.Type {
	last := path[len(path)-1].field
	t := reflect.StructOf([]reflect.StructField{{Name: last.Name, Type: last.Type, Tag: last.Tag}})
	for i := len(path) - 2; i >= 0; i-- {
		s := path[i]
		ft := t
		for range s.ptrDepth {
			ft = reflect.PointerTo(ft)
		}
		t = reflect.StructOf([]reflect.StructField{{Name: s.field.Name, Type: ft, Tag: s.field.Tag}})
	}
	return t
}

// decode runs go-envconfig on a fresh synthetic struct holding only this
// leaf, seeded with the leaf's current value in root (go-envconfig keeps a
// non-zero value unless the variable is set and the field says overwrite).
// It returns the decoded value, and ok=false when go-envconfig left the
// enclosing struct pointer nil (noinit with nothing set), so there is nothing
// to copy back.
func (lf *leaf) decode(ctx context.Context, root reflect.Value, l envconfig.Lookuper) (val reflect.Value, ok bool, err error) {
	synth := reflect.New(lf.synth)

	lf.seed(root, synth.Elem())
	if err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: synth.Interface(), Lookuper: l}); err != nil {
		return reflect.Value{}, false, err
	}

	v := synth.Elem()
	for i, s := range lf.path {
		f := v.Field(0)
		if i == len(lf.path)-1 {
			return f, true, nil
		}
		for range s.ptrDepth {
			if f.IsNil() {
				return reflect.Value{}, false, nil
			}
			f = f.Elem()
		}
		v = f
	}
	panic("unreachable")
}

// seed copies the leaf's current value from root into the synthetic struct
// dst. Intermediate pointers that are set in root are set in dst too, because
// go-envconfig treats a set struct pointer differently from a nil one
// (noinit); a nil one in root ends seeding, leaving the leaf zero.
func (lf *leaf) seed(root, dst reflect.Value) {
	src := root
	for i, s := range lf.path {
		sf, df := src.Field(s.index), dst.Field(0)
		if i == len(lf.path)-1 {
			df.Set(sf)
			return
		}
		for range s.ptrDepth {
			if sf.IsNil() {
				return
			}
			sf = sf.Elem()
			df.Set(reflect.New(df.Type().Elem()))
			df = df.Elem()
		}
		src, dst = sf, df
	}
}

// set stores val into the leaf's field in root, allocating nil struct
// pointers on the way.
func (lf *leaf) set(root reflect.Value, val reflect.Value) {
	v := root
	for i, s := range lf.path {
		f := v.Field(s.index)
		if i == len(lf.path)-1 {
			f.Set(val)
			return
		}
		for range s.ptrDepth {
			if f.IsNil() {
				f.Set(reflect.New(f.Type().Elem()))
			}
			f = f.Elem()
		}
		v = f
	}
}
