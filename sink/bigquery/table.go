package bigquery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"

	bq "cloud.google.com/go/bigquery"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
)

// partitionField is the column the table is partitioned on, by day: the
// webhook's created_at, what queries filter on. Rows without it go to the
// __NULL__ partition.
const partitionField = "event_created_at"

// clusterFields are the table's clustering columns, in order: most
// queries are about one store, then one kind of entity or one scope.
var clusterFields = []string{"store_hash", "entity_type", "scope"}

// tableMetadata is the metadata the sink creates the events table with.
func tableMetadata(cfg Config) *bq.TableMetadata {
	return &bq.TableMetadata{
		Description: "BigCommerce webhook events, one row per event, written by the bcstream worker.",
		Schema:      Schema(),
		TimePartitioning: &bq.TimePartitioning{
			Type:       bq.DayPartitioningType,
			Field:      partitionField,
			Expiration: cfg.PartitionExpiration,
		},
		Clustering: &bq.Clustering{Fields: slices.Clone(clusterFields)},
	}
}

// manageSchema makes sure the dataset, the events table and its views
// exist and that the table can take the sink's rows:
//
//   - a missing dataset is created in cfg.Location;
//   - a missing table is created with Schema, DAY partitioning on
//     event_created_at, clustering on store_hash, entity_type, scope and
//     cfg.PartitionExpiration;
//   - an existing table that lacks some of Schema's columns gets them,
//     as NULLABLE columns; one that conflicts (see reconcile) is refused
//     with ErrIncompatibleSchema and changed in no way;
//   - an existing table whose partitioning or clustering differs is
//     left alone, with a warning: neither affects what the sink writes,
//     and changing partitioning means copying the table;
//   - the views are created, or their SQL replaced when it differs.
func manageSchema(ctx context.Context, cfg Config) error {
	c, err := bqClient(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := ensureDataset(ctx, c, cfg); err != nil {
		return err
	}
	if err := ensureTable(ctx, c, cfg); err != nil {
		return err
	}
	for _, v := range Views(cfg.Project, cfg.Dataset, cfg.Table) {
		if err := ensureView(ctx, c.Dataset(cfg.Dataset).Table(v.Name), v); err != nil {
			return fmt.Errorf("bigquery: view %s.%s: %w", cfg.Dataset, v.Name, err)
		}
	}
	return nil
}

func ensureDataset(ctx context.Context, c *bq.Client, cfg Config) error {
	ds := c.Dataset(cfg.Dataset)
	_, err := ds.Metadata(ctx)
	if err == nil {
		return nil
	}
	if !isStatus(err, http.StatusNotFound) {
		return fmt.Errorf("bigquery: read dataset %s.%s: %w", cfg.Project, cfg.Dataset, err)
	}
	err = ds.Create(ctx, &bq.DatasetMetadata{
		Location:    cfg.Location,
		Description: "bcstream: BigCommerce webhook event history.",
	})
	if isStatus(err, http.StatusConflict) {
		return nil // another replica won the race
	}
	if err != nil {
		return fmt.Errorf("bigquery: create dataset %s.%s: %w", cfg.Project, cfg.Dataset, err)
	}
	logger().InfoContext(ctx, "bigquery: created dataset", "dataset", cfg.Project+"."+cfg.Dataset, "location", cfg.Location)
	return nil
}

func ensureTable(ctx context.Context, c *bq.Client, cfg Config) error {
	name := cfg.Project + "." + cfg.Dataset + "." + cfg.Table
	t := c.Dataset(cfg.Dataset).Table(cfg.Table)
	md, err := t.Metadata(ctx)
	if isStatus(err, http.StatusNotFound) {
		err = t.Create(ctx, tableMetadata(cfg))
		if err == nil {
			logger().InfoContext(ctx, "bigquery: created table", "table", name)
			return nil
		}
		if !isStatus(err, http.StatusConflict) {
			return fmt.Errorf("bigquery: create table %s: %w", name, err)
		}
		md, err = t.Metadata(ctx) // another replica created it: check it
	}
	if err != nil {
		return fmt.Errorf("bigquery: read table %s: %w", name, err)
	}
	if md.Type != "" && md.Type != bq.RegularTable {
		return fmt.Errorf("%w: %s is a %s, not a table", ErrIncompatibleSchema, name, md.Type)
	}

	newSchema, err := reconcile(md.Schema, Schema())
	if err != nil {
		return fmt.Errorf("bigquery: table %s: %w; fix the table or point BIGQUERY_TABLE at a new one", name, err)
	}
	var update bq.TableMetadataToUpdate
	changed := false
	if newSchema != nil {
		update.Schema = newSchema
		changed = true
	}
	tp := md.TimePartitioning
	if tp == nil || tp.Type != bq.DayPartitioningType || tp.Field != partitionField {
		logger().WarnContext(ctx, "bigquery: table is not partitioned by day on event_created_at; queries will scan more",
			"table", name, "partitioning", fmt.Sprintf("%+v", tp))
	} else if cfg.PartitionExpiration > 0 && tp.Expiration != cfg.PartitionExpiration {
		tp := *tp
		tp.Expiration = cfg.PartitionExpiration
		update.TimePartitioning = &tp
		changed = true
	}
	if md.Clustering == nil || !slices.Equal(md.Clustering.Fields, clusterFields) {
		logger().WarnContext(ctx, "bigquery: table clustering differs from the sink's; left as it is",
			"table", name, "want", clusterFields)
	}
	if !changed {
		return nil
	}
	// The ETag makes the update fail rather than overwrite a concurrent
	// change (another replica adding the same columns): then the next
	// start sees the result.
	if _, err := t.Update(ctx, update, md.ETag); err != nil {
		return fmt.Errorf("bigquery: update table %s (add columns %v, partition expiration): %w", name, addedColumns(md.Schema, newSchema), err)
	}
	logger().InfoContext(ctx, "bigquery: updated table", "table", name,
		"added_columns", addedColumns(md.Schema, newSchema), "partition_expiration", cfg.PartitionExpiration.String())
	return nil
}

// addedColumns lists the columns in after that are not in before.
func addedColumns(before, after bq.Schema) []string {
	var out []string
	for _, f := range after[min(len(before), len(after)):] {
		out = append(out, f.Name)
	}
	return out
}

// ensureView creates the view, or replaces its SQL when it differs.
func ensureView(ctx context.Context, t *bq.Table, v View) error {
	md, err := t.Metadata(ctx)
	if isStatus(err, http.StatusNotFound) {
		err = t.Create(ctx, &bq.TableMetadata{ViewQuery: v.SQL})
		if err == nil || isStatus(err, http.StatusConflict) {
			return nil
		}
		return fmt.Errorf("create: %w", err)
	}
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if md.Type != bq.ViewTable {
		return fmt.Errorf("exists and is a %s, not a view: drop it or rename it", md.Type)
	}
	if md.ViewQuery == v.SQL {
		return nil
	}
	if _, err := t.Update(ctx, bq.TableMetadataToUpdate{ViewQuery: v.SQL}, md.ETag); err != nil {
		return fmt.Errorf("update SQL: %w", err)
	}
	return nil
}

// isStatus reports whether err is a REST error with HTTP status code.
func isStatus(err error, code int) bool {
	var e *googleapi.Error
	return errors.As(err, &e) && e.Code == code
}

// restOptions are the REST client's options, likewise.
func restOptions(cfg Config) []option.ClientOption {
	if cfg.Endpoint == "" {
		return nil
	}
	return []option.ClientOption{
		option.WithEndpoint(cfg.Endpoint),
		option.WithoutAuthentication(),
		option.WithTelemetryDisabled(),
	}
}

// bqClient opens the REST client for table management.
func bqClient(ctx context.Context, cfg Config) (*bq.Client, error) {
	c, err := bq.NewClient(ctx, cfg.Project, restOptions(cfg)...)
	if err != nil {
		return nil, fmt.Errorf("bigquery: client: %w", err)
	}
	return c, nil
}

// logger is where the sink reports what it changed in BigQuery at
// startup: the process's default logger, which the worker sets up.
func logger() *slog.Logger { return slog.Default() }
