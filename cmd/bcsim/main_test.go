package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-stores", "2", "-seed", "5", "-quota", "3", "-window", "1m"}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadBytes('\n')
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, pr)
	var got info
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatalf("stdout %s: %v", line, err)
	}
	if len(got.Stores) != 2 || got.Stores[0].Quota != 3 || got.Stores[0].WindowMS != 60_000 || got.B2BBase != got.URL+"/api/v3/io" {
		t.Fatalf("info = %+v", got)
	}
	s := got.Stores[1]
	for i, want := range []int{200, 200, 200, 429} {
		req, _ := http.NewRequest(http.MethodGet, s.APIBase+"/v2/store", nil)
		req.Header.Set("X-Auth-Token", s.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("request %d = %d, want %d", i, resp.StatusCode, want)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not stop")
	}
}

func TestRunFlags(t *testing.T) {
	for _, args := range [][]string{{"-stores", "0"}, {"-window", "0s"}, {"-quota", "0"}, {"extra"}, {"-nope"}} {
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
