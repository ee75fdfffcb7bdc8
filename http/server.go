// Package http serves the boxoffice REST API with echo: one file per
// resource, one error-to-status map (error.go), JWT auth (auth.go,
// token.go) and the OpenAPI document, openapi.json, that describes every
// route and is the API's contract.
package http

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	nethttp "net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/boxoffice/boxoffice"
)

// APIPrefix is the base path of the REST API.
const APIPrefix = "/api/v1"

// JWTSecretLenMin is the shortest JWT signing secret, in bytes: HS256
// wants a key at least as long as its 32-byte hash. The command line checks
// BOXOFFICE_JWT_SECRET against it before the server is built.
const JWTSecretLenMin = 32

// Bounds of the HTTP server. Every request ends: headers within
// readHeaderTimeout, the body within readTimeout, the answer within
// writeTimeout (the seat event stream extends its own write deadline per
// event) and the handler within Config.RequestTimeout. A kept-alive
// connection with no request closes after idleConnTimeout.
const (
	bodyLimitBytes        = 1 << 20
	requestTimeoutDefault = 10 * time.Second
	readHeaderTimeout     = 5 * time.Second
	readTimeout           = 15 * time.Second
	writeTimeout          = 30 * time.Second
	idleConnTimeout       = 2 * time.Minute
	maxHeaderBytes        = 64 << 10
	accessTTLDefault      = 15 * time.Minute
	refreshTTLDefault     = 30 * 24 * time.Hour
)

// Config is what the server needs: stores, services, secrets and hooks.
type Config struct {
	Addr          string
	Users         boxoffice.UserStore
	Catalog       boxoffice.CatalogStore
	Notifications boxoffice.NotificationStore
	Events        boxoffice.EventStore // GET /api/v1/admin/events; nil answers 404
	Showtimes     boxoffice.ShowtimeService
	Bookings      boxoffice.BookingService

	// JWTSecret signs access tokens (HS256); at least JWTSecretLenMin bytes.
	JWTSecret             []byte
	AccessTTL, RefreshTTL time.Duration // defaults 15m, 30 days

	// Ready reports whether the stores answer and the cluster is joined
	// (GET /readyz). Nil means always ready.
	Ready func(ctx context.Context) error
	// ClusterInfo answers GET /api/v1/cluster. Nil answers 404.
	ClusterInfo func(ctx context.Context) (any, error)
	// Fenced says why this node serves no showtimes now (it fenced
	// itself, or it is rejoining the cluster), "" when it serves them.
	// GET /healthz, which always answers 200 while the process runs,
	// shows it as reason. Nil: never fenced.
	Fenced func() string

	Clock  boxoffice.Clock // default boxoffice.SystemClock
	Logger *slog.Logger    // default slog.Default()

	// Optional knobs; the zero value picks the default.
	RequestTimeout time.Duration // per-request handler deadline, default 10s
	BcryptCost     int           // default bcrypt.DefaultCost; tests use bcrypt.MinCost
	// Registry takes the request series; cmd/boxoffice serves it on the
	// ops listener, never on this server. Nil: series nobody reads.
	Registry prometheus.Registerer

	// RateLimits bounds register, login, refresh and hold requests per
	// client IP and per account; the zero value applies DefaultRateLimits.
	RateLimits RateLimits
	// TrustedProxies are the proxies whose X-Forwarded-For names the
	// client; none (the default) means the socket's peer is the client.
	TrustedProxies []*net.IPNet

	// TLSCertFile and TLSKeyFile, PEM files, make the server answer HTTPS
	// (TLS 1.2 or later) instead of plain HTTP; both or neither. They are
	// read at Open: a new certificate takes a restart.
	TLSCertFile, TLSKeyFile string

	// SeatStreams bounds the live seat feed (streams in total, per client
	// IP, and each one's lifetime); the zero value applies the defaults.
	SeatStreams SeatStreamLimits
}

// Server is the HTTP front of one node.
type Server struct {
	cfg        Config
	log        *slog.Logger
	echo       *echo.Echo
	tokens     *tokenService
	metrics    *metrics
	requestIDs *requestIDs
	limits     limiters // nil when rate limits are off
	streams    *seatStreams
	dummyOnce  sync.Once
	dummy      string // see dummyHash
	// routeSet holds the registered route templates, for metric labels.
	routeSet map[string]bool

	// closing ends long-lived streams when Close starts.
	closing context.Context
	stop    context.CancelFunc

	mu   sync.Mutex
	srv  *nethttp.Server
	ln   net.Listener
	done chan struct{} // closed when Serve returns
}

// NewServer returns a server with every route registered. It panics if a
// store or service is missing or the JWT secret is shorter than
// JWTSecretLenMin bytes: both are wiring mistakes, not runtime conditions.
func NewServer(cfg Config) *Server {
	cfg = withDefaults(cfg)
	if err := checkConfig(cfg); err != nil {
		panic("http.NewServer: " + err.Error())
	}
	s := &Server{cfg: cfg, log: cfg.Logger, requestIDs: newRequestIDs()}
	s.closing, s.stop = context.WithCancel(context.Background())
	s.tokens = newTokenService(cfg.JWTSecret, cfg.AccessTTL, cfg.Clock)
	s.metrics = newMetrics(cfg.Registry)
	s.limits = newLimiters(cfg.RateLimits)
	s.streams = newSeatStreams(cfg.SeatStreams)

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.writeError
	e.IPExtractor = ipExtractor(cfg.TrustedProxies)
	e.Use(s.front)
	s.echo = e
	s.routes()
	s.routeSet = map[string]bool{}
	for _, r := range e.Routes() {
		s.routeSet[r.Path] = true
	}
	return s
}

func withDefaults(cfg Config) Config {
	if cfg.AccessTTL <= 0 {
		cfg.AccessTTL = accessTTLDefault
	}
	if cfg.RefreshTTL <= 0 {
		cfg.RefreshTTL = refreshTTLDefault
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = requestTimeoutDefault
	}
	if cfg.Clock == nil {
		cfg.Clock = boxoffice.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return cfg
}

func checkConfig(cfg Config) error {
	switch {
	case cfg.Users == nil || cfg.Catalog == nil || cfg.Notifications == nil:
		return errors.New("Users, Catalog and Notifications stores are required")
	case cfg.Showtimes == nil || cfg.Bookings == nil:
		return errors.New("Showtimes and Bookings services are required")
	case len(cfg.JWTSecret) < JWTSecretLenMin:
		return fmt.Errorf("JWTSecret must be at least %d bytes", JWTSecretLenMin)
	case (cfg.TLSCertFile == "") != (cfg.TLSKeyFile == ""):
		return errors.New("TLSCertFile and TLSKeyFile go together")
	}
	return nil
}

// routes registers every route of the OpenAPI document (openapi.json).
// Auth is per route (not per group) so that an unknown path answers 404
// rather than 401.
func (s *Server) routes() {
	e := s.echo
	e.GET("/healthz", s.handleHealthz)
	e.GET("/readyz", s.handleReadyz)
	e.GET("/openapi.json", s.handleOpenAPI)

	api := routeGroup{e.Group(APIPrefix)}
	api.GET("/openapi.json", s.handleOpenAPI)
	s.authRoutes(api)
	s.movieRoutes(api)
	s.cinemaRoutes(api)
	s.showtimeRoutes(api)
	s.seatRoutes(api)
	s.holdRoutes(api)
	s.bookingRoutes(api)
	s.notificationRoutes(api)
	s.eventRoutes(api)
	s.clusterRoutes(api)
}

// Handler returns the server's HTTP handler, for tests and for embedding.
func (s *Server) Handler() nethttp.Handler { return s.echo }

// Open listens on Config.Addr (port 0 picks a free port) and serves in the
// background until Close.
func (s *Server) Open() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return errors.New("http: server already open")
	}
	tlsConfig, err := s.tlsConfig()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("http: listen %s: %w", s.cfg.Addr, err)
	}
	s.ln = ln
	s.done = make(chan struct{})
	s.srv = &nethttp.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleConnTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		TLSConfig:         tlsConfig,
	}
	go func(srv *nethttp.Server, done chan struct{}) {
		defer close(done)
		var err error
		if srv.TLSConfig != nil {
			err = srv.ServeTLS(ln, "", "") // the certificate is in TLSConfig
		} else {
			err = srv.Serve(ln)
		}
		if !errors.Is(err, nethttp.ErrServerClosed) {
			s.log.Error("http: serve", "err", err)
		}
	}(s.srv, s.done)
	return nil
}

// URL returns the base URL the server listens on, or "" before Open.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	addr := s.ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	scheme := "http://"
	if s.cfg.TLSCertFile != "" {
		scheme = "https://"
	}
	return scheme + net.JoinHostPort(host, fmt.Sprint(addr.Port))
}

// tlsConfig loads the certificate for HTTPS, or returns nil for plain
// HTTP. A missing or mismatched file fails Open, so a node never starts
// on plain HTTP when it was told to serve HTTPS.
func (s *Server) tlsConfig() (*tls.Config, error) {
	if s.cfg.TLSCertFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(s.cfg.TLSCertFile, s.cfg.TLSKeyFile)
	if err != nil {
		return nil, fmt.Errorf("http: TLS certificate: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// Close ends the seat event streams, stops accepting requests and waits for
// in-flight ones until ctx ends; then it closes the remaining connections.
// It is safe to call more than once and without Open.
func (s *Server) Close(ctx context.Context) error {
	s.stop()
	s.mu.Lock()
	srv, done := s.srv, s.done
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, srv.Close())
	}
	<-done
	return err
}
