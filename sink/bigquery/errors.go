package bigquery

import (
	"context"
	"errors"
	"fmt"
	"io"

	"cloud.google.com/go/bigquery/storage/apiv1/storagepb"
	"github.com/googleapis/gax-go/v2/apierror"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// transient reports whether an append error is the kind that goes away on
// its own (the service is unavailable or overloaded, a connection broke,
// a deadline passed), as opposed to one that needs an operator (no
// permission, no table, a bad request). Both kinds fail the batch so that
// its messages are redelivered — nothing is dead-lettered for a failure
// that is not about the record — but only transient ones count towards
// recreating the writer, and the others say what to fix.
func transient(err error) bool {
	if errors.Is(err, io.EOF) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.ResourceExhausted, codes.DeadlineExceeded, codes.Aborted, codes.Internal:
		return true
	}
	// The table gained columns that the stream's backend has not seen
	// yet; BigQuery documents that this resolves within minutes.
	return storageErrorCode(err) == storagepb.StorageError_SCHEMA_MISMATCH_EXTRA_FIELDS
}

// storageErrorCode returns the StorageError code carried in err's
// details, or STORAGE_ERROR_CODE_UNSPECIFIED.
func storageErrorCode(err error) storagepb.StorageError_StorageErrorCode {
	var ae *apierror.APIError
	if !errors.As(err, &ae) {
		var ok bool
		if ae, ok = apierror.FromError(err); !ok {
			return storagepb.StorageError_STORAGE_ERROR_CODE_UNSPECIFIED
		}
	}
	var se storagepb.StorageError
	if ae.Details().ExtractProtoMessage(&se) != nil {
		return storagepb.StorageError_STORAGE_ERROR_CODE_UNSPECIFIED
	}
	return se.GetCode()
}

// describe wraps an append error with what it means for the operator.
// The messages name the likely fix for errors that will not go away by
// themselves; the records are redelivered either way.
func describe(table string, rows int, err error) error {
	hint := ""
	switch {
	case transient(err):
		hint = "transient; the messages are redelivered"
	case status.Code(err) == codes.PermissionDenied || status.Code(err) == codes.Unauthenticated:
		hint = "grant the worker's service account roles/bigquery.dataEditor on the dataset"
	case status.Code(err) == codes.NotFound || storageErrorCode(err) == storagepb.StorageError_TABLE_NOT_FOUND:
		hint = "the table is missing: restart the worker with BIGQUERY_MANAGE_SCHEMA=true or create it"
	case status.Code(err) == codes.InvalidArgument:
		hint = "BigQuery refused the request; check that the table's schema matches this worker's"
	default:
		hint = "not known to be transient; the messages are redelivered"
	}
	return fmt.Errorf("bigquery: append %d rows to %s (%s): %w", rows, table, hint, err)
}

func isEOF(err error) bool { return errors.Is(err, io.EOF) }
