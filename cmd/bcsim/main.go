// Command bcsim serves the BigCommerce store simulator (bctest.Simulator)
// over HTTP, for local runs, scripts and load tests of the worker.
//
// It prints one JSON object to stdout once it is listening:
//
//	{"url":"http://127.0.0.1:40123","b2b_base":"http://127.0.0.1:40123/api/v3/io",
//	 "stores":[{"hash":"k2x8v4n1","id":"1025646","token":"…","api_base":"http://…/stores/k2x8v4n1",
//	            "quota":150,"window_ms":30000}, …]}
//
// Point the API client's base URL at url (REST calls go to
// {url}/stores/{hash}/v2|v3/…) and its B2B base URL at b2b_base; send each
// store's token as X-Auth-Token. Stores, entities and tokens depend only on
// -seed and -stores. It stops gracefully on SIGINT or SIGTERM.
//
// Usage:
//
//	bcsim [-addr 127.0.0.1:0] [-stores 3] [-seed 1] [-quota 150] [-window 30s] [-scale 1]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"bcstream/bigcommerce/bctest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "bcsim:", err)
		}
		os.Exit(2)
	}
}

// info is what bcsim prints once listening.
type info struct {
	URL     string      `json:"url"`
	B2BBase string      `json:"b2b_base"`
	Stores  []storeInfo `json:"stores"`
}

type storeInfo struct {
	Hash     string `json:"hash"`
	ID       string `json:"id"`
	Token    string `json:"token"`
	APIBase  string `json:"api_base"`
	Quota    int    `json:"quota"`
	WindowMS int64  `json:"window_ms"`
}

// run serves until ctx is done, then shuts down, giving requests in flight
// up to 5 s.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bcsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address (port 0: any free port)")
	stores := fs.Int("stores", 3, "number of stores (bctest.DefaultStores)")
	seed := fs.Int64("seed", 1, "seed of stores, tokens and entities")
	quota := fs.Int("quota", bctest.DefaultQuota, "REST requests per window per store; -1: unlimited")
	window := fs.Duration("window", bctest.DefaultWindow, "rate-limit window")
	scale := fs.Int("scale", 1, "entity count multiplier")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *stores < 1 || *window <= 0 || *scale < 1 || *quota == 0 {
		return errors.New("-stores and -scale must be ≥ 1, -window > 0, -quota non-zero")
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	var cfgs []bctest.StoreConfig
	for _, s := range bctest.DefaultStores(*stores) {
		cfgs = append(cfgs, bctest.StoreConfig{Store: s, Quota: *quota, Window: *window, Scale: *scale})
	}
	sim := bctest.NewSimulator(bctest.Options{Seed: *seed, Stores: cfgs})

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	out := info{URL: url, B2BBase: bctest.B2BBase(url)}
	for _, s := range sim.Stores() {
		out.Stores = append(out.Stores, storeInfo{Hash: s.Hash, ID: s.ID, Token: s.Token,
			APIBase: bctest.APIBase(url, s.Hash), Quota: s.Quota, WindowMS: s.Window.Milliseconds()})
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if err := json.NewEncoder(stdout).Encode(out); err != nil {
		srv.Close()
		return err
	}
	log.Info("bcsim listening", "url", url, "stores", len(out.Stores), "quota", *quota, "window", *window)

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("bcsim shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	for _, s := range sim.Stores() {
		st := sim.Stats(s.Hash)
		log.Info("store stats", "hash", s.Hash, "requests", st.Requests, "rate_limited", st.REST.RateLimited,
			"max_per_window", st.REST.MaxPerWindow)
	}
	return nil
}
