package bctest

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Defaults of a simulated store's API quota. BigCommerce's Standard and
// Plus plans allow 150 requests per 30 s window (Pro: 450), shared by every
// client of the store. B2B Edition has its own limit of 150 per minute.
const (
	DefaultQuota     = 150
	DefaultWindow    = 30 * time.Second
	DefaultB2BQuota  = 150
	DefaultB2BWindow = time.Minute
)

// StoreConfig describes one simulated store. Zero fields take defaults
// (from Options, else the package defaults above).
type StoreConfig struct {
	// Store is the store hash and numeric ID, as in the webhook envelope.
	Store
	// Token is the API token the store accepts in X-Auth-Token; "" derives
	// a 31-character token from the simulator seed and the hash.
	Token string
	// Quota is the number of REST requests allowed per Window; 0 means the
	// default, a negative value means unlimited (no 429s and no rate-limit
	// headers, like BigCommerce's Unlimited plan minus its caps).
	Quota int
	// Window is the rate-limit window (BigCommerce: 30 s); shorten it for
	// fast tests.
	Window time.Duration
	// B2BQuota and B2BWindow are the B2B Edition API's limit (150 per
	// minute), counted apart from the REST quota.
	B2BQuota  int
	B2BWindow time.Duration
	// Scale multiplies the number of entities seeded (default 1: tens of
	// orders, products and customers, a few of everything else).
	Scale int
}

// Options configure a Simulator.
type Options struct {
	// Seed makes stores, tokens and entities deterministic: the same seed
	// and store hashes give the same data.
	Seed int64
	// Stores are the stores to simulate; empty means DefaultStores(1).
	Stores []StoreConfig
	// Quota and Window are the defaults for stores that leave theirs zero.
	Quota  int
	Window time.Duration
	// Now is the clock for rate-limit windows, entity timestamps and
	// created_at; nil means time.Now. Tests inject a fake clock to step
	// through windows without sleeping.
	Now func() time.Time
	// UniqueHashes makes every envelope the change generator returns
	// distinct. By default, like BigCommerce, two identical events for one
	// entity within a second (cart/updated twice) share their hash, so a
	// deduplicating consumer keeps one — and may then miss the second
	// state. With UniqueHashes, such a repeat gets created_at one second
	// later instead (repeatedly if need be), so tests that compare final
	// states are not defeated by dedupe.
	UniqueHashes bool
}

// Simulator is an in-process BigCommerce: a set of stores with seeded
// entities, served over HTTP by ServeHTTP the way the BigCommerce REST API
// (https://api.bigcommerce.com/stores/{hash}/v2|v3/…) and the B2B Edition
// API (https://api-b2b.bigcommerce.com/api/v3/io/…) serve them, with
// per-store authentication, rate limits, statistics and injectable faults;
// and a change generator (Mutate and friends) that changes entities and
// returns the webhook envelopes BigCommerce would publish for the changes.
//
// Mount it on an httptest.Server (or cmd/bcsim) and point an API client's
// base URLs at APIBase and B2BBase. All methods are safe for concurrent
// use.
//
// Webhook management — the GraphQL Admin Pub/Sub webhook operations and
// REST /v3/hooks — is in webhooks.go and webhooks_api.go; Deliver
// publishes change envelopes only through active Pub/Sub webhooks (opt-in;
// Publish stays unconditional).
type Simulator struct {
	seed   int64
	now    func() time.Time
	table  []*route // served endpoints, see api_routes.go
	routes []string // their templates, sorted, for Routes

	mu     sync.RWMutex
	stores map[string]*simStore
	hashes []string // in the order added
	defs   Options  // defaults for AddStore

	hookCfg webhookSettings // webhook management, see webhooks.go
}

// simStore is one store: its configuration, entities and API state.
type simStore struct {
	sim *Simulator

	// mu guards cfg.Token, d and rng.
	mu  sync.RWMutex
	cfg StoreConfig
	d   *storeData
	rng *rand.Rand // for changes

	// ctl guards the API-side state below, apart from d so that faults
	// and statistics never wait for a long change.
	ctl    sync.Mutex
	faults Faults
	frng   *rand.Rand // fault draws
	rest   limiter
	b2b    limiter
	stats  counters

	// issued are the hashes of recent change envelopes, by created_at
	// second, for Options.UniqueHashes; guarded by mu.
	issued map[int64]map[string]bool

	// wh is the webhook management state (webhooks.go); guarded by mu.
	wh webhookState
}

// NewSimulator returns a simulator with the stores of opts, their entities
// seeded from opts.Seed. It panics if two stores share a hash or a hash is
// not lowercase letters and digits (a programming error in a test).
func NewSimulator(opts Options) *Simulator {
	sim := &Simulator{
		seed:   opts.Seed,
		now:    opts.Now,
		stores: map[string]*simStore{},
		defs:   opts,
	}
	if sim.now == nil {
		sim.now = time.Now
	}
	sim.registerRoutes()
	cfgs := opts.Stores
	if len(cfgs) == 0 {
		for _, s := range DefaultStores(1) {
			cfgs = append(cfgs, StoreConfig{Store: s})
		}
	}
	for _, c := range cfgs {
		if err := sim.AddStore(c); err != nil {
			panic("bctest.NewSimulator: " + err.Error())
		}
	}
	return sim
}

// NewSimulatorN is shorthand for a simulator of the first n DefaultStores
// with the given quota per window (0: the defaults).
func NewSimulatorN(seed int64, n, quota int, window time.Duration) *Simulator {
	var cfgs []StoreConfig
	for _, s := range DefaultStores(n) {
		cfgs = append(cfgs, StoreConfig{Store: s})
	}
	return NewSimulator(Options{Seed: seed, Stores: cfgs, Quota: quota, Window: window})
}

// AddStore adds a store at run time (seeding its entities) and returns an
// error if the hash is taken or malformed.
func (sim *Simulator) AddStore(c StoreConfig) error {
	if !validHash(c.Hash) {
		return fmt.Errorf("store hash %q: want lowercase letters and digits", c.Hash)
	}
	if c.ID == "" {
		h := fnv.New32a()
		h.Write([]byte(c.Hash))
		c.ID = fmt.Sprint(1_000_000 + h.Sum32()%9_000_000)
	}
	c = sim.resolve(c)
	st := &simStore{
		sim:  sim,
		cfg:  c,
		rng:  rand.New(rand.NewPCG(uint64(sim.seed), hashSeed(c.Hash, 1))),
		frng: rand.New(rand.NewPCG(uint64(sim.seed), hashSeed(c.Hash, 2))),
		rest: limiter{quota: c.Quota, window: c.Window},
		b2b:  limiter{quota: c.B2BQuota, window: c.B2BWindow},
	}
	st.d = seedStore(c, sim.seed)
	st.stats.reset()
	sim.mu.Lock()
	defer sim.mu.Unlock()
	if _, dup := sim.stores[c.Hash]; dup {
		return fmt.Errorf("store %q already exists", c.Hash)
	}
	sim.stores[c.Hash] = st
	sim.hashes = append(sim.hashes, c.Hash)
	return nil
}

// resolve fills c's zero fields with defaults.
func (sim *Simulator) resolve(c StoreConfig) StoreConfig {
	if c.Token == "" {
		c.Token = deriveToken(sim.seed, c.Hash)
	}
	if c.Quota == 0 {
		c.Quota = orDefault(sim.defs.Quota, DefaultQuota)
	}
	if c.Window <= 0 {
		c.Window = orDefault(sim.defs.Window, DefaultWindow)
	}
	if c.B2BQuota == 0 {
		c.B2BQuota = DefaultB2BQuota
	}
	if c.B2BWindow <= 0 {
		c.B2BWindow = DefaultB2BWindow
	}
	if c.Scale <= 0 {
		c.Scale = 1
	}
	return c
}

// orDefault returns v unless it is zero, else def.
func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Stores returns the stores' configurations, defaults and tokens filled
// in, in the order they were added.
func (sim *Simulator) Stores() []StoreConfig {
	sim.mu.RLock()
	defer sim.mu.RUnlock()
	out := make([]StoreConfig, 0, len(sim.hashes))
	for _, h := range sim.hashes {
		out = append(out, sim.stores[h].config())
	}
	return out
}

// Store returns the configuration of the store with the given hash.
func (sim *Simulator) Store(hash string) (StoreConfig, bool) {
	st := sim.store(hash)
	if st == nil {
		return StoreConfig{}, false
	}
	return st.config(), true
}

// Routes returns the path templates the simulator serves, sorted: REST
// templates relative to /stores/{hash} ("/v3/catalog/products/{id}") and
// B2B Edition templates under /api/v3/io. Stats.ByPath uses the same keys.
func (sim *Simulator) Routes() []string { return slices.Clone(sim.routes) }

// APIBase returns the REST API root of store hash on a server serving sim
// at serverURL: serverURL+"/stores/"+hash, the counterpart of
// https://api.bigcommerce.com/stores/{hash}.
func APIBase(serverURL, hash string) string { return serverURL + "/stores/" + hash }

// B2BBase returns the B2B Edition API root on a server serving a
// simulator at serverURL, the counterpart of
// https://api-b2b.bigcommerce.com/api/v3/io. Requests name the store in
// the X-Store-Hash header.
func B2BBase(serverURL string) string { return serverURL + b2bPrefix }

// ErrUnknownStore is returned for a store hash the simulator does not have.
var ErrUnknownStore = errors.New("bctest: unknown store")

func (sim *Simulator) store(hash string) *simStore {
	sim.mu.RLock()
	defer sim.mu.RUnlock()
	return sim.stores[hash]
}

func (sim *Simulator) mustStore(hash string) (*simStore, error) {
	st := sim.store(hash)
	if st == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownStore, hash)
	}
	return st, nil
}

func (st *simStore) config() StoreConfig {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.cfg
}

// SetToken replaces the token store hash accepts (a rotated API account):
// requests with the old one get 401 from then on.
func (sim *Simulator) SetToken(hash, token string) error {
	st, err := sim.mustStore(hash)
	if err != nil {
		return err
	}
	st.mu.Lock()
	st.cfg.Token = token
	st.mu.Unlock()
	return nil
}

// validHash reports whether h looks like a store hash.
func validHash(h string) bool {
	if h == "" || len(h) > 64 {
		return false
	}
	for i := range len(h) {
		if c := h[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// hashSeed mixes a store hash and a stream number into a PCG seed word.
func hashSeed(hash string, stream uint64) uint64 {
	h := fnv.New64a()
	h.Write([]byte(hash))
	return h.Sum64() ^ stream*0x9e3779b97f4a7c15
}

// deriveToken makes a BigCommerce-looking API token (31 lowercase
// alphanumerics) from the seed and store hash.
func deriveToken(seed int64, hash string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	rng := rand.New(rand.NewPCG(uint64(seed), hashSeed(hash, 3)))
	b := make([]byte, 31)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}
