package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"bcstream/sink"
)

// table is the name of the table the sink writes.
const table = "events"

// sqlType maps a column type to its SQLite type. Timestamps are TEXT in
// sink.TimeLayout (fixed-width UTC RFC 3339) rather than INTEGER epoch
// nanoseconds: string comparison and ORDER BY are chronological, SQLite's
// date functions read them (datetime(event_created_at),
// unixepoch(received_at, 'subsec')), and they are legible in any client.
// JSON is TEXT, which SQLite's json_* functions and ->> operator read.
func sqlType(t sink.Type) string {
	switch t {
	case sink.TypeInt64:
		return "INTEGER"
	case sink.TypeString, sink.TypeTimestamp, sink.TypeJSON:
		return "TEXT"
	}
	panic(fmt.Sprintf("sqlite: no SQLite type for column type %q", t))
}

// Schema returns the SQL that creates the events table and its indexes if
// they are missing, derived from sink.Columns. The table is STRICT, so
// SQLite enforces the column types; event_id is its primary key, which is
// what makes writes idempotent.
//
// The indexes serve the expected queries: an entity's history
// (store_hash, entity_type, entity_id), events by scope, and time ranges
// on event_created_at. Each index costs insert time, so add more only for
// queries that need them.
func Schema() string { return tableSQL() + indexSQL() }

func tableSQL() string {
	var b strings.Builder
	b.WriteString("CREATE TABLE IF NOT EXISTS " + table + " (\n")
	for i, c := range sink.Columns() {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString("\t" + c.Name + " " + sqlType(c.Type))
		if c.Name == "event_id" {
			b.WriteString(" PRIMARY KEY")
		}
		if !c.Nullable {
			// Also on event_id: a TEXT PRIMARY KEY alone allows NULL in
			// SQLite.
			b.WriteString(" NOT NULL")
		}
	}
	b.WriteString("\n) STRICT;\n")
	return b.String()
}

func indexSQL() string {
	return "CREATE INDEX IF NOT EXISTS " + table + "_store_entity ON " + table + " (store_hash, entity_type, entity_id);\n" +
		"CREATE INDEX IF NOT EXISTS " + table + "_scope ON " + table + " (scope);\n" +
		"CREATE INDEX IF NOT EXISTS " + table + "_event_created_at ON " + table + " (event_created_at);\n"
}

// insertSQL inserts one row, all columns in sink.Columns order. A row
// whose event_id is already stored is skipped: it is a redelivery of an
// event that is already durable, so the first write wins and the second
// is a successful no-op.
func insertSQL() string {
	cols := sink.Columns()
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return "INSERT INTO " + table + " (" + strings.Join(names, ", ") + ") VALUES (?" +
		strings.Repeat(", ?", len(cols)-1) + ") ON CONFLICT (event_id) DO NOTHING"
}

// columnInfo is one row of PRAGMA table_info, the parts that matter.
type columnInfo struct {
	Name    string
	Type    string
	NotNull bool
	PK      bool
}

// wantColumns is what PRAGMA table_info must report for Schema's table.
func wantColumns() []columnInfo {
	cols := sink.Columns()
	out := make([]columnInfo, len(cols))
	for i, c := range cols {
		out[i] = columnInfo{Name: c.Name, Type: sqlType(c.Type), NotNull: !c.Nullable, PK: c.Name == "event_id"}
	}
	return out
}

// tableColumns reads the events table's columns, in order.
func tableColumns(ctx context.Context, db *sql.DB) ([]columnInfo, error) {
	rows, err := db.QueryContext(ctx, "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?)", table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []columnInfo
	for rows.Next() {
		var c columnInfo
		var pk int
		if err := rows.Scan(&c.Name, &c.Type, &c.NotNull, &pk); err != nil {
			return nil, err
		}
		c.PK = pk > 0
		out = append(out, c)
	}
	return out, rows.Err()
}

// migrate creates the table if it is missing and checks that an existing
// one has the expected columns. A file written by an older or newer
// worker fails here, at startup, instead of on the first insert; there
// are no automatic migrations.
func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, tableSQL()); err != nil {
		return fmt.Errorf("create table: %w", err)
	}
	got, err := tableColumns(ctx, db)
	if err != nil {
		return fmt.Errorf("read table columns: %w", err)
	}
	if want := wantColumns(); !slices.Equal(want, got) {
		return fmt.Errorf("table %s has columns %v, want %v: migrate the file or use a new SQLITE_PATH", table, got, want)
	}
	if _, err := db.ExecContext(ctx, indexSQL()); err != nil {
		return fmt.Errorf("create indexes: %w", err)
	}
	return nil
}
