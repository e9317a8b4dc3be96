package stores

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The file is walked as a yaml.Node tree rather than decoded into structs:
// that gives every error its line, and lets one pass report every problem
// (Decoder.KnownFields stops at the first unknown key and has no line for
// semantic errors such as a duplicate hash).

// tokenKinds are the keys naming a token source, in the order error
// messages list them. A store has exactly one.
var tokenKinds = []struct {
	key   string
	build func(value string, o *loadOptions) (TokenSource, error)
}{
	{"token_env", newEnvToken},
	{"token_file", newFileToken},
	// Later: {"token_secret", newSecretManagerToken}.
}

// storeKeys are the keys a store entry may have.
var storeKeys = func() []string {
	keys := []string{"hash", "name"}
	for _, k := range tokenKinds {
		keys = append(keys, k.key)
	}
	return keys
}()

// maxHash bounds a store hash; BigCommerce's are about 10 characters.
const maxHash = 64

// parser collects problems with their lines.
type parser struct {
	name string // the file name errors start with
	dir  string // where relative token_file paths are resolved
	o    *loadOptions
	errs []lineError
}

type lineError struct {
	line int
	err  error
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	p.errs = append(p.errs, lineError{n.Line, fmt.Errorf("%s:%d: %s", p.name, n.Line, fmt.Sprintf(format, args...))})
}

// err returns the problems found, in line order, joined.
func (p *parser) err() error {
	slices.SortStableFunc(p.errs, func(a, b lineError) int { return a.line - b.line })
	errs := make([]error, len(p.errs))
	for i, e := range p.errs {
		errs[i] = e.err
	}
	return errors.Join(errs...)
}

// parse reads a registry from data, read from the file called name.
func parse(name string, data []byte, o *loadOptions) (*Registry, error) {
	o.defaults()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: no stores listed", name)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: want one YAML document", name)
	}
	p := &parser{name: name, dir: filepath.Dir(name), o: o}
	stores := p.file(&doc)
	if err := p.err(); err != nil {
		return nil, err
	}
	return newRegistry(stores), nil
}

// file walks the document: a mapping whose only key is "stores".
func (p *parser) file(doc *yaml.Node) []Store {
	root := deref(doc)
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = deref(root.Content[0])
	}
	if root.Kind != yaml.MappingNode {
		p.errorf(root, "want a mapping with a stores list")
		return nil
	}
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], deref(root.Content[i+1])
		switch {
		case k.Value != "stores":
			p.errorf(k, "unknown key %q (want stores)", k.Value)
		case list != nil:
			p.errorf(k, "duplicate key %q", k.Value)
		default:
			list = v
		}
	}
	switch {
	case list == nil:
		p.errorf(root, "missing stores")
		return nil
	case list.Kind != yaml.SequenceNode:
		p.errorf(list, "stores: want a list of stores")
		return nil
	case len(list.Content) == 0:
		p.errorf(list, "no stores listed")
		return nil
	}

	var stores []Store
	firstLine := map[string]int{}
	for _, n := range list.Content {
		n = deref(n)
		s, ok := p.store(n)
		if s.Hash == "" {
			continue
		}
		// Duplicates are checked among faulty entries too: fixing the
		// first fault should not reveal a second.
		if line, dup := firstLine[s.Hash]; dup {
			p.errorf(n, "duplicate store hash %q (first at line %d)", s.Hash, line)
			continue
		}
		firstLine[s.Hash] = n.Line
		if ok {
			stores = append(stores, s)
		}
	}
	return stores
}

// store reads one entry; ok is false when it had problems (recorded).
func (p *parser) store(n *yaml.Node) (s Store, ok bool) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "store: want a mapping with hash and one of %s", strings.Join(tokenKeys(), ", "))
		return Store{}, false
	}
	nerr := len(p.errs)
	vals := map[string]*yaml.Node{} // keys with a usable value
	present := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		switch {
		case !slices.Contains(storeKeys, k.Value):
			p.errorf(k, "unknown key %q (want %s)", k.Value, strings.Join(storeKeys, ", "))
		case present[k.Value] != nil:
			p.errorf(k, "duplicate key %q", k.Value)
		case v.Kind != yaml.ScalarNode || v.Tag == "!!null":
			present[k.Value] = v
			p.errorf(v, "%s: want a string", k.Value)
		default:
			present[k.Value] = v
			vals[k.Value] = v
		}
	}

	label := "(no hash)" // names the store in messages below
	if v := vals["hash"]; v != nil {
		label = strconv.Quote(v.Value)
	}
	if v := vals["hash"]; v == nil {
		p.errorf(n, "store: missing hash")
	} else if !validHash(v.Value) {
		p.errorf(v, "hash %q: want lowercase letters and digits (the x in producer stores/x)", v.Value)
	} else {
		s.Hash = v.Value
	}
	if v := vals["name"]; v != nil {
		s.Name = v.Value
	}

	var sources []string
	for _, k := range tokenKinds {
		if present[k.key] != nil {
			sources = append(sources, k.key)
		}
	}
	switch len(sources) {
	case 0:
		p.errorf(n, "store %s: no token source (want one of %s)", label, strings.Join(tokenKeys(), ", "))
	case 1:
		v := vals[sources[0]]
		if v == nil {
			break // its value was reported above
		}
		value := v.Value
		if sources[0] == "token_file" && value != "" && !filepath.IsAbs(value) {
			value = filepath.Join(p.dir, value)
		}
		for _, k := range tokenKinds {
			if k.key != sources[0] {
				continue
			}
			src, err := k.build(value, p.o)
			if err != nil {
				p.errorf(v, "store %s: %v", label, err)
			} else {
				s.Token = src
			}
		}
	default:
		p.errorf(present[sources[1]], "store %s: more than one token source (%s): keep one", label, strings.Join(sources, ", "))
	}
	return s, len(p.errs) == nerr
}

// deref follows a YAML alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func tokenKeys() []string {
	keys := make([]string, len(tokenKinds))
	for i, k := range tokenKinds {
		keys[i] = k.key
	}
	return keys
}

// validHash reports whether h looks like a store hash.
func validHash(h string) bool {
	if h == "" || len(h) > maxHash {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
