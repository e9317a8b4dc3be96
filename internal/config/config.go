// Package config loads a binary's configuration from environment variables
// with go-envconfig and reports every problem at once, each naming its
// variable, so that a bad deploy is fixed in one round trip instead of one
// variable per crash loop.
package config

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/sethvargo/go-envconfig"
)

// Validator is implemented by config structs that check relationships between
// fields after decoding. Load calls it on the target and on nested structs. Validate should collect every problem with
// errors.Join rather than stop at the first, and name the variables involved
// in each message.
type Validator interface {
	Validate() error
}

// FieldError is one variable that could not be decoded.
type FieldError struct {
	// Var is the environment variable as the lookuper resolves it (every
	// prefix= and PrefixLookuper prefix applied), or the Go field path when
	// the field has no variable name.
	Var string
	// Field is the Go field path, e.g. "Pipeline.Streams".
	Field string
	// Err is go-envconfig's error. errors.Is works with its sentinels, e.g.
	// envconfig.ErrMissingRequired.
	Err error
}

// Error returns "VAR: reason" on one line, e.g.
// `PUBSUB_STREAMS: strconv.ParseInt: parsing "x": invalid syntax` or
// `PUBSUB_SUBSCRIPTION: missing required value`.
func (e *FieldError) Error() string {
	return e.Var + ": " + e.reason()
}

// Unwrap returns go-envconfig's error.
func (e *FieldError) Unwrap() error { return e.Err }

// reason is go-envconfig's message without the Go field path it prefixes
// ("Pipeline: Streams: …") or, for a missing value, the trailing variable
// name, since Error already starts with the variable.
func (e *FieldError) reason() string {
	if errors.Is(e.Err, envconfig.ErrMissingRequired) {
		return envconfig.ErrMissingRequired.Error()
	}
	msg := e.Err.Error()
	for name := range strings.SplitSeq(e.Field, ".") {
		msg = strings.TrimPrefix(msg, name+": ")
	}
	return msg
}

// keyedLookuper is go-envconfig's unexported extension that PrefixLookuper
// implements: it maps a key to the variable name actually looked up.
type keyedLookuper interface {
	Key(key string) string
}

// Load decodes target, a non-nil pointer to a struct with go-envconfig `env`
// tags, from l (the OS environment when l is nil), then calls the Validate
// method of every nested config struct that has one and finally target's.
//
// Unlike envconfig.ProcessWith, which stops at the first bad field, Load
// decodes every field and returns all problems joined with errors.Join, one
// per line: first every *FieldError in field declaration order, then the
// errors from the Validate methods (a joined error is flattened, one line
// per error). Identical lines are reported once.
//
// On success target holds exactly what envconfig.ProcessWith produces. When
// any field fails, target holds the fields that decoded, and each failed
// field holds what it would with its variable unset (its default, or its
// previous value). The Validate methods still run then, so their errors are
// reported in the same round trip; one may still be a consequence of a
// decode error listed above it (e.g. a required field left empty).
func Load(ctx context.Context, target any, l envconfig.Lookuper) error {
	if l == nil {
		l = envconfig.OsLookuper()
	}
	rv := reflect.ValueOf(target)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("config: %T: %w", target, envconfig.ErrNotPtr)
	}
	root := rv.Elem()
	if root.Kind() != reflect.Struct {
		return fmt.Errorf("config: %T: %w", target, envconfig.ErrNotStruct)
	}

	var errs []error
	seen := map[string]bool{}
	add := func(fe *FieldError) {
		// A bad tag on an enclosing struct fails every leaf below it with
		// the same message; report it once.
		if msg := fe.Error(); !seen[msg] {
			seen[msg] = true
			errs = append(errs, fe)
		}
	}

	leaves, problems := walk(root.Type())
	for _, p := range problems {
		add(&FieldError{Var: varName(p.name, p.hasKey, p.goPath, l), Field: p.goPath, Err: p.err})
	}

	// Decode each leaf on its own (go-envconfig stops at the first error),
	// keeping the values for the failure path below.
	type decoded struct {
		lf  *leaf
		val reflect.Value
	}
	var ok []decoded
	for i := range leaves {
		lf := &leaves[i]
		val, set, err := lf.decode(ctx, root, l)
		if err != nil {
			add(lf.fieldError(err, l))
			// For Validate's sake, decode the field as if its variable
			// were unset: a bad PUBSUB_STREAMS then reads as its default
			// instead of 0, so Validate doesn't add "PUBSUB_STREAMS must
			// be > 0" to the real problem. Required fields stay unset.
			val, set, err = lf.decode(ctx, root, hidingLookuper{l: l, name: lf.name})
			if err != nil {
				continue
			}
		}
		if set {
			ok = append(ok, decoded{lf, val})
		}
	}

	if len(errs) == 0 {
		// The per-field pass is only a diagnostic. Let go-envconfig fill the
		// real target so the success path has its exact semantics (pointer
		// allocation, noinit, overwrite).
		if err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: target, Lookuper: l}); err != nil {
			// Not expected: every field decoded on its own above.
			return fmt.Errorf("config: %w", err)
		}
	} else {
		for _, d := range ok {
			d.lf.set(root, d.val)
		}
	}

	for _, err := range validate(root, map[reflect.Type]bool{}) {
		if msg := err.Error(); !seen[msg] {
			seen[msg] = true
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// validate calls Validate on every nested config struct of v that has it,
// depth first in field order, and then on v itself. Nested structs are
// validated too because a binary's config is composed of per-package
// structs (pipeline.Config, telemetry.Config, …) whose rules must not depend
// on the binary remembering to forward to them. A parent that does forward
// produces the same messages again, which Load drops as duplicates.
func validate(v reflect.Value, onPath map[reflect.Type]bool) []error {
	t := v.Type()
	if onPath[t] {
		return nil
	}
	onPath[t] = true
	defer delete(onPath, t)

	var errs []error
	for i := range t.NumField() {
		f := t.Field(i)
		base, _, ok := deref(f.Type)
		if !f.IsExported() || !ok || base.Kind() != reflect.Struct {
			continue
		}
		if key := parseTag(f.Tag.Get(envTag)).key; key != "" && isDecoder(base) {
			continue // a value decoded from one variable, not a config section
		}
		fv := v.Field(i)
		for fv.Kind() == reflect.Pointer && !fv.IsNil() {
			fv = fv.Elem()
		}
		if fv.Kind() == reflect.Struct {
			errs = append(errs, validate(fv, onPath)...)
		}
	}
	if v.CanAddr() {
		if val, ok := v.Addr().Interface().(Validator); ok {
			errs = append(errs, flatten(val.Validate())...)
		}
	}
	return errs
}

// fieldError attributes err, from decoding lf, to the field it is about.
// go-envconfig prefixes an error with the Go field names from the root down
// to the field that failed; when that stops short of the leaf, the problem is
// in an enclosing struct field's tag (e.g. an unknown option), so it is
// reported once, for that field, rather than once per leaf below it.
func (lf *leaf) fieldError(err error, l envconfig.Lookuper) *FieldError {
	msg := err.Error()
	depth := 0
	for _, s := range lf.path {
		rest, found := strings.CutPrefix(msg, s.field.Name+": ")
		if !found {
			break
		}
		msg = rest
		depth++
	}
	if depth > 0 && depth < len(lf.path) {
		st := lf.path[depth-1]
		goPath := strings.Join(strings.Split(lf.goPath, ".")[:depth], ".")
		return &FieldError{Var: varName(st.name, st.name != "", goPath, l), Field: goPath, Err: err}
	}
	return &FieldError{Var: varName(lf.name, lf.opts.key != "", lf.goPath, l), Field: lf.goPath, Err: err}
}

// hidingLookuper hides one variable (named as the walker names it, before
// the wrapped lookuper's own prefix).
type hidingLookuper struct {
	l    envconfig.Lookuper
	name string
}

func (h hidingLookuper) Lookup(key string) (string, bool) {
	if key == h.name {
		return "", false
	}
	return h.l.Lookup(key)
}

// varName resolves the variable name the way the lookuper will, falling back
// to the Go field path for fields without a key.
func varName(name string, hasKey bool, goPath string, l envconfig.Lookuper) string {
	if !hasKey {
		return goPath
	}
	if k, ok := l.(keyedLookuper); ok {
		return k.Key(name)
	}
	return name
}

// flatten expands errors.Join trees into their leaves so that each problem
// is one line of the final error.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}
