package jsonl

import (
	"context"
	"errors"
	"fmt"

	"github.com/sethvargo/go-envconfig"
)

// Config is the sink's configuration, read from JSONL_* variables.
type Config struct {
	// Path is the file to append to, created (mode 0644) if missing, or
	// "-" for standard output.
	Path string `env:"PATH, default=-"`
}

// LoadConfig reads Config from l, under the JSONL_ prefix, and validates
// it.
func LoadConfig(ctx context.Context, l envconfig.Lookuper) (Config, error) {
	var cfg Config
	if err := envconfig.ProcessWith(ctx, &envconfig.Config{
		Target:   &cfg,
		Lookuper: envconfig.PrefixLookuper("JSONL_", l),
	}); err != nil {
		return Config{}, fmt.Errorf("jsonl: config: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("jsonl: config: %w", err)
	}
	return cfg, nil
}

// Validate reports every problem with c.
func (c *Config) Validate() error {
	if c.Path == "" {
		return errors.New(`JSONL_PATH is empty (use "-" for standard output)`)
	}
	return nil
}
