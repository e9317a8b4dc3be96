// Package bqfake is an in-process fake of BigQuery's Storage Write API
// (the BigQueryWrite gRPC service), for the tests and benchmarks of code
// that writes through cloud.google.com/go/bigquery/storage/managedwriter.
//
// It serves what a writer on a table's default stream uses —
// GetWriteStream and AppendRows — over plaintext gRPC on a loopback port,
// decodes every appended row with the writer schema the client sent, and
// keeps the rows per table for the test to read. Unlike the emulator it
// can misbehave on demand (see Fault): fail appends with any gRPC code,
// in band or by breaking the stream, answer late, or refuse rows with row
// errors the way BigQuery does. Tables need not be created: the first
// append to a table name creates it.
package bqfake

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/bigquery/storage/apiv1/storagepb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Row is one stored row: column name → value, as the proto field held it
// (string for STRING and JSON, int64 for INT64 and TIMESTAMP
// microseconds). A column the row left out (NULL) is absent.
type Row map[string]any

// Append describes one append request to a Fault function.
type Append struct {
	// Table is the table parent, projects/p/datasets/d/tables/t.
	Table string
	// Seq counts the append requests the server has received, from 1,
	// retries included.
	Seq int
	// Rows are the request's rows, decoded.
	Rows []Row
	// RequestBytes is the request's proto-encoded size.
	RequestBytes int
}

// Fault is what a Fault function decides for one append. The zero value
// lets it succeed.
type Fault struct {
	// Delay holds the answer back this long (the stream's later requests
	// wait behind it, as on a real stream). The rows are still stored
	// unless the fault says otherwise, so a client that gave up on a slow
	// append sees the ambiguous outcome BigQuery can give.
	Delay time.Duration
	// Code, if not codes.OK, fails the append: nothing is stored.
	Code    codes.Code
	Message string
	// BreakStream ends the whole AppendRows stream with Code instead of
	// answering this append in band.
	BreakStream bool
	// RowErrors refuse the rows at these indexes (into Append.Rows) with
	// the given messages. As in BigQuery, then nothing of the request is
	// stored, and the answer is INVALID_ARGUMENT with the row errors.
	RowErrors map[int]string
}

// Stats are counters of what the server has seen.
type Stats struct {
	GetWriteStream int   // GetWriteStream calls: writers opened
	Streams        int   // AppendRows streams (connections) opened
	Appends        int   // append requests received
	RowsStored     int   // rows stored
	RequestBytes   int64 // proto-encoded size of the append requests
	RowBytes       int64 // bytes of the serialized rows in them
}

// Server is a running fake. Create it with Start; Close it when done.
type Server struct {
	// Addr is host:port, for option.WithEndpoint (with plaintext gRPC
	// and no authentication).
	Addr string

	grpc *grpc.Server

	mu      sync.Mutex
	tables  map[string][]Row
	fault   func(Append) Fault
	discard bool
	stats   Stats
}

// Start starts a fake on a free loopback port.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bqfake: listen: %w", err)
	}
	s := &Server{Addr: ln.Addr().String(), grpc: grpc.NewServer(), tables: map[string][]Row{}}
	storagepb.RegisterBigQueryWriteServer(s.grpc, &service{s: s})
	go func() { _ = s.grpc.Serve(ln) }()
	return s, nil
}

// Close stops the server, ending open streams.
func (s *Server) Close() { s.grpc.Stop() }

// SetFault installs f to decide the fate of every append from now on;
// nil lets every append succeed. f runs on the server's goroutines, one
// call at a time.
func (s *Server) SetFault(f func(Append) Fault) {
	s.mu.Lock()
	s.fault = f
	s.mu.Unlock()
}

// SetDiscard makes the server count appended rows without decoding or
// storing them (Rows stays empty, faults see no rows), so that a
// benchmark of the client is not dominated by the fake's decoding.
func (s *Server) SetDiscard(discard bool) {
	s.mu.Lock()
	s.discard = discard
	s.mu.Unlock()
}

// Rows returns a copy of the rows stored in table (a table parent), in
// the order they were appended.
func (s *Server) Rows(table string) []Row {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Row(nil), s.tables[table]...)
}

// Stats returns the counters so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

type service struct {
	storagepb.UnimplementedBigQueryWriteServer
	s *Server
}

// GetWriteStream describes the stream the client asked for; managedwriter
// calls it when a writer is opened, to learn the stream's type and
// location.
func (svc *service) GetWriteStream(_ context.Context, req *storagepb.GetWriteStreamRequest) (*storagepb.WriteStream, error) {
	svc.s.mu.Lock()
	svc.s.stats.GetWriteStream++
	svc.s.mu.Unlock()
	return &storagepb.WriteStream{
		Name:      req.GetName(),
		Type:      storagepb.WriteStream_COMMITTED,
		WriteMode: storagepb.WriteStream_INSERT,
		Location:  "us",
	}, nil
}

// AppendRows serves one bidi stream: the first request names the stream
// and carries the writer schema, later ones may omit both.
func (svc *service) AppendRows(stream storagepb.BigQueryWrite_AppendRowsServer) error {
	s := svc.s
	s.mu.Lock()
	s.stats.Streams++
	s.mu.Unlock()
	var (
		streamName string
		md         protoreflect.MessageDescriptor
	)
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if req.GetWriteStream() != "" {
			streamName = req.GetWriteStream()
		}
		pr := req.GetProtoRows()
		if pr == nil {
			return status.Error(codes.InvalidArgument, "bqfake: only proto rows are supported")
		}
		if ws := pr.GetWriterSchema(); ws != nil {
			if md, err = messageDescriptor(ws.GetProtoDescriptor()); err != nil {
				return status.Errorf(codes.InvalidArgument, "bqfake: writer schema: %v", err)
			}
		}
		if md == nil || streamName == "" {
			return status.Error(codes.InvalidArgument, "bqfake: the first request must name the stream and carry the writer schema")
		}
		resp, breakErr := s.append(stream.Context(), req, streamName, md)
		if breakErr != nil {
			return breakErr
		}
		if err := stream.Send(resp); err != nil {
			return err
		}
	}
}

// append handles one request and returns the response to send, or an
// error to end the stream with.
func (s *Server) append(ctx context.Context, req *storagepb.AppendRowsRequest, streamName string, md protoreflect.MessageDescriptor) (*storagepb.AppendRowsResponse, error) {
	table := tableOf(streamName)
	serialized := req.GetProtoRows().GetRows().GetSerializedRows()
	s.mu.Lock()
	discard := s.discard
	s.mu.Unlock()
	rows := make([]Row, len(serialized))
	rowErrs := map[int]string{}
	var rowBytes int64
	for i, b := range serialized {
		rowBytes += int64(len(b))
		if discard {
			continue
		}
		m := dynamicpb.NewMessage(md)
		if err := proto.Unmarshal(b, m); err != nil { // checks required fields too
			rowErrs[i] = err.Error()
			continue
		}
		rows[i] = toRow(m)
	}

	s.mu.Lock()
	s.stats.Appends++
	reqBytes := proto.Size(req)
	s.stats.RequestBytes += int64(reqBytes)
	s.stats.RowBytes += rowBytes
	a := Append{Table: table, Seq: s.stats.Appends, Rows: rows, RequestBytes: reqBytes}
	var f Fault
	if s.fault != nil {
		f = s.fault(a)
	}
	s.mu.Unlock()

	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	for i, msg := range f.RowErrors {
		rowErrs[i] = msg
	}
	resp := &storagepb.AppendRowsResponse{WriteStream: streamName}
	switch {
	case f.Code != codes.OK && f.BreakStream:
		return nil, status.Error(f.Code, f.Message)
	case f.Code != codes.OK:
		resp.Response = &storagepb.AppendRowsResponse_Error{Error: status.New(f.Code, f.Message).Proto()}
	case len(rowErrs) > 0:
		resp.Response = &storagepb.AppendRowsResponse_Error{Error: status.New(codes.InvalidArgument,
			fmt.Sprintf("bqfake: %d of %d rows refused; nothing appended", len(rowErrs), len(rows))).Proto()}
		for i, msg := range rowErrs {
			resp.RowErrors = append(resp.RowErrors, &storagepb.RowError{
				Index: int64(i), Code: storagepb.RowError_FIELDS_ERROR, Message: msg,
			})
		}
	default:
		s.mu.Lock()
		if !discard {
			s.tables[table] = append(s.tables[table], rows...)
		}
		s.stats.RowsStored += len(rows)
		s.mu.Unlock()
		resp.Response = &storagepb.AppendRowsResponse_AppendResult_{AppendResult: &storagepb.AppendRowsResponse_AppendResult{}}
	}
	return resp, nil
}

// tableOf returns the table parent of a stream name
// (projects/p/datasets/d/tables/t/streams/s).
func tableOf(streamName string) string {
	if i := strings.LastIndex(streamName, "/streams/"); i >= 0 {
		return streamName[:i]
	}
	return streamName
}

// messageDescriptor builds a message descriptor from the self-contained
// DescriptorProto a writer sends.
func messageDescriptor(dp *descriptorpb.DescriptorProto) (protoreflect.MessageDescriptor, error) {
	fd, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name:        proto.String("bqfake_writer_schema.proto"),
		Syntax:      proto.String("proto2"),
		MessageType: []*descriptorpb.DescriptorProto{dp},
	}, nil)
	if err != nil {
		return nil, err
	}
	return fd.Messages().Get(0), nil
}

func toRow(m *dynamicpb.Message) Row {
	r := Row{}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		r[string(fd.Name())] = v.Interface()
		return true
	})
	return r
}
