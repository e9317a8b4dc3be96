package config

import "reflect"

// Var describes one environment variable a config struct declares.
type Var struct {
	// Name is the variable name with every prefix= of enclosing struct
	// fields applied. A PrefixLookuper the caller wraps around the
	// environment is not known here and so not applied.
	Name string
	// Field is the Go field path, e.g. "Pipeline.Streams".
	Field string
	// Type is the field's Go type as reflect prints it, e.g.
	// "time.Duration" or "logging.Level".
	Type string
	// Default is the tag's raw default ("" when there is none), before
	// $VAR expansion.
	Default string
	// Required is true when the field or an enclosing struct field is tagged
	// required.
	Required bool
}

// Vars lists every variable that target (a config struct or a pointer to
// one) declares, in field declaration order. It reads only types and tags, so
// a zero value is enough: Vars(&worker.Config{}).
//
// It exists so that tests can check deploy manifests and the README's
// variable table against the code: a variable renamed in Go but not in the
// manifest fails a test instead of a deploy. Fields go-envconfig would reject
// (an env tag on an unexported field) are left out; Load reports them.
// Vars panics if target is not a struct or a pointer to one, which is a
// programming error.
func Vars(target any) []Var {
	t := reflect.TypeOf(target)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		panic("config.Vars: target must be a struct or a pointer to a struct")
	}
	leaves, _ := walk(t)
	vars := make([]Var, 0, len(leaves))
	for _, lf := range leaves {
		if lf.opts.key == "" {
			continue // `env:",required"` without a name: Load reports it
		}
		vars = append(vars, Var{
			Name:     lf.name,
			Field:    lf.goPath,
			Type:     lf.path[len(lf.path)-1].field.Type.String(),
			Default:  lf.opts.dflt,
			Required: lf.required,
		})
	}
	return vars
}
