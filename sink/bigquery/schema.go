package bigquery

import (
	"errors"
	"fmt"
	"strings"

	bq "cloud.google.com/go/bigquery"
	"cloud.google.com/go/bigquery/storage/managedwriter/adapt"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"bcstream/sink"
)

// fieldType maps a column type to its BigQuery type. Timestamps are
// TIMESTAMP (microsecond precision; the Storage Write API takes them as
// int64 microseconds since the epoch) and JSON columns are JSON (sent as a
// string holding the JSON text), so that queries can use JSON functions
// and dot access without parsing.
func fieldType(t sink.Type) bq.FieldType {
	switch t {
	case sink.TypeString:
		return bq.StringFieldType
	case sink.TypeInt64:
		return bq.IntegerFieldType
	case sink.TypeTimestamp:
		return bq.TimestampFieldType
	case sink.TypeJSON:
		return bq.JSONFieldType
	}
	panic(fmt.Sprintf("bigquery: no BigQuery type for column type %q", t))
}

// Schema returns the events table's schema, derived from sink.Columns: the
// same names, order, types and nullability as every other sink, with each
// column's description. It is the single definition both the table and
// the rows' proto descriptor are built from.
func Schema() bq.Schema {
	cols := sink.Columns()
	s := make(bq.Schema, len(cols))
	for i, c := range cols {
		s[i] = &bq.FieldSchema{
			Name:        c.Name,
			Type:        fieldType(c.Type),
			Required:    !c.Nullable,
			Description: c.Description,
		}
	}
	return s
}

// descriptor returns the proto2 descriptor of one row of Schema, as the
// Storage Write API wants it (self-contained, normalized), through the
// client library's own conversion (adapt), so that the mapping of types
// and modes is BigQuery's, not ours.
func descriptor() (*descriptorpb.DescriptorProto, protoreflect.MessageDescriptor, error) {
	ts, err := adapt.BQSchemaToStorageTableSchema(Schema())
	if err != nil {
		return nil, nil, fmt.Errorf("convert schema: %w", err)
	}
	d, err := adapt.StorageSchemaToProto2Descriptor(ts, "root")
	if err != nil {
		return nil, nil, fmt.Errorf("schema to proto descriptor: %w", err)
	}
	md, ok := d.(protoreflect.MessageDescriptor)
	if !ok {
		return nil, nil, fmt.Errorf("schema converted to a %T, not a message descriptor", d)
	}
	dp, err := adapt.NormalizeDescriptor(md)
	if err != nil {
		return nil, nil, fmt.Errorf("normalize descriptor: %w", err)
	}
	return dp, md, nil
}

// ErrIncompatibleSchema is returned (wrapped) by New when the existing
// table's schema cannot take the sink's rows and BigQuery cannot be made
// to by adding columns: a column with another type, a column the sink
// leaves NULL that the table requires, or a required column the sink does
// not know.
var ErrIncompatibleSchema = errors.New("bigquery: existing table schema is incompatible")

// reconcile compares an existing table's schema with want (Schema()). It
// returns the schema to update the table to when want has columns the
// table lacks (they are added as NULLABLE, the only mode BigQuery can add
// to a table with rows; the sink always sends a value for the required
// ones, so that is safe), nil when nothing is missing, and an error
// wrapping ErrIncompatibleSchema listing every conflict.
//
// Columns the table has and want does not are left alone when they are
// nullable: a newer worker may have added them, and rows from this one
// leave them NULL.
func reconcile(have, want bq.Schema) (bq.Schema, error) {
	byName := make(map[string]*bq.FieldSchema, len(have))
	for _, f := range have {
		byName[strings.ToLower(f.Name)] = f
	}
	var problems []string
	var missing []*bq.FieldSchema
	known := make(map[string]bool, len(want))
	for _, w := range want {
		known[strings.ToLower(w.Name)] = true
		h, ok := byName[strings.ToLower(w.Name)]
		if !ok {
			add := *w
			add.Required = false
			missing = append(missing, &add)
			continue
		}
		if h.Type != w.Type {
			problems = append(problems, fmt.Sprintf("column %s is %s, want %s", w.Name, h.Type, w.Type))
		}
		if h.Repeated {
			problems = append(problems, fmt.Sprintf("column %s is REPEATED, want a single value", w.Name))
		}
		if h.Required && !w.Required {
			problems = append(problems, fmt.Sprintf("column %s is REQUIRED but the sink writes NULL to it "+
				"(ALTER TABLE … ALTER COLUMN %s DROP NOT NULL)", w.Name, w.Name))
		}
	}
	for _, h := range have {
		if !known[strings.ToLower(h.Name)] && h.Required {
			problems = append(problems, fmt.Sprintf("column %s is REQUIRED but unknown to this worker, which cannot fill it", h.Name))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrIncompatibleSchema, strings.Join(problems, "; "))
	}
	if len(missing) == 0 {
		return nil, nil
	}
	return append(append(bq.Schema{}, have...), missing...), nil
}
