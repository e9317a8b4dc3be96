package bigquery

import (
	"bytes"
	"embed"
	"fmt"
	"strings"
	"text/template"
)

//go:embed sql/*.sql queries/*.sql
var sqlFiles embed.FS

var (
	sqlTemplates   = template.Must(template.New("").Option("missingkey=error").ParseFS(sqlFiles, "sql/*.sql"))
	queryTemplates = template.Must(template.New("").Option("missingkey=error").ParseFS(sqlFiles, "queries/*.sql"))
)

// latestViews maps each <entity>_latest view to the entity_type it shows.
var latestViews = []struct{ view, entityType string }{
	{"orders_latest", "order"},
	{"products_latest", "product"},
	{"customers_latest", "customer"},
}

// View is a view the sink keeps next to the events table.
type View struct {
	// Name is the view's table ID, in the table's dataset.
	Name string
	// SQL is the view's query, with the table's fully qualified name.
	SQL string
}

// Views returns the views for the events table project.dataset.table:
// events_dedup and the <entity>_latest views. Their SQL lives in the
// sql/ directory of this package. The sink creates them at startup
// (and replaces their SQL when it changed) unless BIGQUERY_MANAGE_SCHEMA
// is false.
//
// The view names do not depend on the table's name, so a second events
// table in the same dataset needs its own dataset.
func Views(project, dataset, table string) []View {
	data := map[string]string{"Project": project, "Dataset": dataset, "Table": table}
	views := []View{{Name: "events_dedup", SQL: render("events_dedup.sql", data)}}
	for _, lv := range latestViews {
		data["EntityType"] = lv.entityType
		views = append(views, View{Name: lv.view, SQL: render("latest.sql", data)})
	}
	return views
}

// Query is an example query over the events table and its views, as the
// README shows it.
type Query struct {
	// Name is the query's file name in queries/, without .sql.
	Name string
	// SQL is the query, with fully qualified table names. Its @name
	// placeholders are query parameters (bq query --parameter=…).
	SQL string
}

// queryNames are the README's example queries, in the README's order.
var queryNames = []string{"events_per_scope_per_day", "order_history", "products_changed_last_hour"}

// Queries returns the README's example queries for the views next to the
// events table in project.dataset. The integration tests run exactly
// these against the emulator.
func Queries(project, dataset string) []Query {
	data := map[string]string{"Project": project, "Dataset": dataset}
	out := make([]Query, len(queryNames))
	for i, name := range queryNames {
		out[i] = Query{Name: name, SQL: renderWith(queryTemplates, name+".sql", data)}
	}
	return out
}

func render(name string, data any) string { return renderWith(sqlTemplates, name, data) }

func renderWith(t *template.Template, name string, data any) string {
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, name, data); err != nil {
		panic(fmt.Sprintf("bigquery: render %s: %v", name, err)) // the templates are ours and tested
	}
	return strings.TrimSpace(b.String())
}
