// go-yamux-peer: a real hashicorp/yamux peer that Weft's interop tests and benchmarks drive.
//
// The CLI is the one every Weft interop peer implements (see interop/README.md):
//
//	go-yamux-peer server    --listen HOST:PORT [--reset-after BYTES] [--window BYTES] [--ignore-stdin]
//	go-yamux-peer client    --connect HOST:PORT --streams N --bytes B [--window BYTES] [--timeout SEC]
//	go-yamux-peer rtt       --connect HOST:PORT --count K --size S [--timeout SEC]
//	go-yamux-peer openclose --connect HOST:PORT --count K [--timeout SEC]
//
// Built offline against the Debian snapshot of github.com/hashicorp/yamux (2019), in GOPATH mode:
//
//	cd interop/go-yamux && GO111MODULE=off GOPATH=/usr/share/gocode go build -o build/go-yamux-peer .
//
// Two things this snapshot lacks are worked around in quirks.go: it has no way to send RST on a
// stream, and a Read after our own Close() (FIN) can report EOF before the peer's FIN arrived.
package main

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/yamux"
)

const implName = "go-yamux"

// ---------------------------------------------------------------------------------------------
// Output: one JSON object per line on stdout, whole lines written atomically.

var outMu sync.Mutex

func emitLine(line string) {
	outMu.Lock()
	defer outMu.Unlock()
	os.Stdout.WriteString(line + "\n")
}

func emitJSON(v interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	emitLine(string(b))
}

func fatalf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "go-yamux-peer: "+format+"\n", args...)
	os.Exit(2)
}

// ---------------------------------------------------------------------------------------------
// Configuration shared by all roles.

type commonFlags struct {
	window  uint
	timeout float64
}

func (c *commonFlags) register(fs *flag.FlagSet) {
	fs.UintVar(&c.window, "window", 0,
		"yamux MaxStreamWindowSize in bytes (0 = library default, 256 KiB; must be >= 256 KiB)")
	fs.Float64Var(&c.timeout, "timeout", 120, "client operations: give up after this many seconds")
}

// yamuxConfig: the library defaults (keepalive on every 30 s, 256 KiB stream window) with a few
// generous limits so that tests fail because of the peer under test, not because of this one.
func (c *commonFlags) yamuxConfig() *yamux.Config {
	cfg := yamux.DefaultConfig()
	cfg.AcceptBacklog = 1024                      // default 256; also bounds our in-flight SYNs
	cfg.EnableKeepAlive = true                    // default
	cfg.KeepAliveInterval = 30 * time.Second      // default
	cfg.ConnectionWriteTimeout = 30 * time.Second // default 10 s; also the Ping timeout
	cfg.LogOutput = os.Stderr
	if c.window != 0 {
		cfg.MaxStreamWindowSize = uint32(c.window)
	}
	if err := yamux.VerifyConfig(cfg); err != nil {
		fatalf("bad yamux config: %v", err)
	}
	return cfg
}

// ---------------------------------------------------------------------------------------------
// The deterministic pattern: byte i of stream k = (i*7 + k*13 + 3) mod 251 (k = 0-based index of
// the stream in the order the client opens them). The pattern repeats every 251 bytes.

type pattern struct {
	buf []byte // pattern bytes for i = 0 .. len-1, len = chunk + 251
}

const chunkSize = 64 * 1024

func newPattern(k int) *pattern {
	p := &pattern{buf: make([]byte, chunkSize+251)}
	for i := range p.buf {
		p.buf[i] = byte((i*7 + k*13 + 3) % 251)
	}
	return p
}

// slice returns the pattern bytes for positions [off, off+n), n <= chunkSize.
func (p *pattern) slice(off int64, n int) []byte {
	s := int(off % 251)
	return p.buf[s : s+n]
}

// ---------------------------------------------------------------------------------------------
// server

func runServer(args []string) {
	fs := flag.NewFlagSet("server", flag.ExitOnError)
	var cf commonFlags
	cf.register(fs)
	listen := fs.String("listen", "127.0.0.1:0", "HOST:PORT to listen on (PORT may be 0)")
	resetAfter := fs.Int64("reset-after", -1,
		"RST every accepted stream once it has received this many bytes (0 = right after accept; -1 = never)")
	ignoreStdin := fs.Bool("ignore-stdin", false, "do not exit when stdin reaches EOF")
	fs.Parse(args)

	cfg := cf.yamuxConfig()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fatalf("listen %s: %v", *listen, err)
	}
	emitLine("listening " + ln.Addr().String())

	if !*ignoreStdin {
		go func() {
			io.Copy(io.Discard, os.Stdin)
			os.Exit(0)
		}()
	}

	for {
		conn, err := ln.Accept()
		if err != nil {
			fatalf("accept: %v", err)
		}
		go serveSession(conn, cfg, *resetAfter)
	}
}

type streamEvent struct {
	Event   string  `json:"event"`
	ID      uint32  `json:"id"`
	Bytes   int64   `json:"bytes"`
	Result  string  `json:"result"`
	Error   *string `json:"error"`
	ResetBy string  `json:"reset_by,omitempty"`
}

type sessionEvent struct {
	Event   string  `json:"event"`
	Remote  string  `json:"remote"`
	Streams int     `json:"streams"`
	Result  string  `json:"result"`
	Error   *string `json:"error"`
}

func strPtr(s string) *string { return &s }

func serveSession(conn net.Conn, cfg *yamux.Config, resetAfter int64) {
	sess, err := yamux.Server(conn, cfg)
	if err != nil {
		conn.Close()
		emitJSON(sessionEvent{Event: "session", Remote: conn.RemoteAddr().String(), Result: "error", Error: strPtr(err.Error())})
		return
	}
	var wg sync.WaitGroup
	n := 0
	for {
		st, err := sess.AcceptStream()
		if err != nil {
			wg.Wait()
			ev := sessionEvent{Event: "session", Remote: conn.RemoteAddr().String(), Streams: n, Result: "eof"}
			if err != io.EOF && err != yamux.ErrSessionShutdown && !errors.Is(err, net.ErrClosed) {
				ev.Result, ev.Error = "error", strPtr(err.Error())
			}
			emitJSON(ev)
			sess.Close()
			return
		}
		n++
		wg.Add(1)
		go func() {
			defer wg.Done()
			emitJSON(echoStream(st, resetAfter))
		}()
	}
}

// echoStream echoes everything until the peer's FIN, then sends our FIN. The server never reads
// after its own Close(), so the early-EOF quirk does not apply here.
func echoStream(st *yamux.Stream, resetAfter int64) streamEvent {
	ev := streamEvent{Event: "stream", ID: st.StreamID()}
	if resetAfter == 0 {
		if err := resetStream(st); err != nil {
			ev.Result, ev.Error = "error", strPtr("sending RST: "+err.Error())
			return ev
		}
		ev.Result, ev.ResetBy = "reset", "local"
		return ev
	}
	buf := make([]byte, chunkSize)
	for {
		n, err := st.Read(buf)
		if n > 0 {
			ev.Bytes += int64(n)
			if _, werr := st.Write(buf[:n]); werr != nil {
				return failStream(st, ev, werr)
			}
			if resetAfter > 0 && ev.Bytes >= resetAfter {
				if rerr := resetStream(st); rerr != nil {
					ev.Result, ev.Error = "error", strPtr("sending RST: "+rerr.Error())
					return ev
				}
				ev.Result, ev.ResetBy = "reset", "local"
				return ev
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return failStream(st, ev, err)
		}
	}
	if err := st.Close(); err != nil {
		return failStream(st, ev, err)
	}
	ev.Result = "eof"
	return ev
}

func failStream(st *yamux.Stream, ev streamEvent, err error) streamEvent {
	if err == yamux.ErrConnectionReset {
		ev.Result, ev.ResetBy = "reset", "remote"
		return ev
	}
	st.Close()
	ev.Result, ev.Error = "error", strPtr(err.Error())
	return ev
}

// ---------------------------------------------------------------------------------------------
// client roles

type clientFlags struct {
	commonFlags
	connect string
}

func (c *clientFlags) register(fs *flag.FlagSet) {
	c.commonFlags.register(fs)
	fs.StringVar(&c.connect, "connect", "", "HOST:PORT of the server")
}

func dialSession(c *clientFlags) (*yamux.Session, error) {
	if c.connect == "" {
		fatalf("--connect is required")
	}
	conn, err := net.DialTimeout("tcp", c.connect, 10*time.Second)
	if err != nil {
		return nil, err
	}
	sess, err := yamux.Client(conn, c.yamuxConfig())
	if err != nil {
		conn.Close()
		return nil, err
	}
	return sess, nil
}

// finish prints the result (adding impl/op/ok/error) and exits 0 iff ok.
func finish(op string, res map[string]interface{}, err error) {
	out := map[string]interface{}{"impl": implName, "op": op, "ok": err == nil, "error": nil}
	for k, v := range res {
		out[k] = v
	}
	if err != nil {
		out["error"] = err.Error()
	}
	emitJSON(out)
	if err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}

// withTimeout runs fn; if it does not return within the timeout, reports failure and exits.
func withTimeout(op string, seconds float64, res map[string]interface{}, fn func() error) {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		finish(op, res, err)
	case <-time.After(time.Duration(seconds * float64(time.Second))):
		finish(op, map[string]interface{}{}, fmt.Errorf("timed out after %gs", seconds))
	}
}

func runClient(args []string) {
	fs := flag.NewFlagSet("client", flag.ExitOnError)
	var cf clientFlags
	cf.register(fs)
	streams := fs.Int("streams", 1, "number of concurrent streams")
	size := fs.Int64("bytes", 1<<20, "bytes to send (and expect back) on each stream")
	fs.Parse(args)

	res := map[string]interface{}{"streams": *streams, "bytes": *size}
	withTimeout("client", cf.timeout, res, func() error {
		sess, err := dialSession(&cf)
		if err != nil {
			return err
		}
		defer sess.Close()
		rtt, err := sess.Ping()
		if err != nil {
			return fmt.Errorf("ping: %w", err)
		}
		res["ping_us"] = float64(rtt.Nanoseconds()) / 1e3

		start := time.Now()
		errs := make([]error, *streams)
		var wg sync.WaitGroup
		for k := 0; k < *streams; k++ {
			wg.Add(1)
			go func(k int) {
				defer wg.Done()
				errs[k] = echoOne(sess, k, *size)
			}(k)
		}
		wg.Wait()
		secs := time.Since(start).Seconds()
		res["seconds"] = secs
		res["mbps"] = float64(*streams) * float64(*size) * 8 / secs / 1e6
		var msgs []string
		for k, e := range errs {
			if e != nil {
				msgs = append(msgs, fmt.Sprintf("stream %d: %v", k, e))
			}
		}
		if len(msgs) > 0 {
			if len(msgs) > 5 {
				msgs = append(msgs[:5], fmt.Sprintf("... and %d more", len(msgs)-5))
			}
			return errors.New(strings.Join(msgs, "; "))
		}
		return nil
	})
}

// echoOne sends `size` pattern bytes on a new stream, half-closes, reads the echo until the peer's
// FIN (concurrently) and compares SHA-256 digests.
func echoOne(sess *yamux.Session, k int, size int64) error {
	st, err := sess.OpenStream()
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	p := newPattern(k)
	sent := sha256.New()
	werr := make(chan error, 1)
	go func() {
		var off int64
		for off < size {
			n := chunkSize
			if rem := size - off; rem < int64(n) {
				n = int(rem)
			}
			b := p.slice(off, n)
			sent.Write(b)
			if _, err := st.Write(b); err != nil {
				werr <- fmt.Errorf("write at %d: %w", off, err)
				return
			}
			off += int64(n)
		}
		werr <- st.Close() // FIN: our half-close
	}()

	recv := sha256.New()
	got, rerr := readToPeerFin(st, recv)
	if err := <-werr; err != nil {
		return err
	}
	if rerr != nil {
		return fmt.Errorf("read after %d bytes: %w", got, rerr)
	}
	if got != size {
		return fmt.Errorf("echo length %d, want %d", got, size)
	}
	if string(sent.Sum(nil)) != string(recv.Sum(nil)) {
		return fmt.Errorf("echo SHA-256 mismatch")
	}
	return nil
}

func runRTT(args []string) {
	fs := flag.NewFlagSet("rtt", flag.ExitOnError)
	var cf clientFlags
	cf.register(fs)
	count := fs.Int("count", 1000, "round trips")
	size := fs.Int("size", 64, "bytes per round trip (at most 65536)")
	fs.Parse(args)
	if *size < 1 || *size > chunkSize {
		fatalf("--size must be between 1 and %d", chunkSize)
	}

	res := map[string]interface{}{"count": *count, "size": *size}
	withTimeout("rtt", cf.timeout, res, func() error {
		sess, err := dialSession(&cf)
		if err != nil {
			return err
		}
		defer sess.Close()
		st, err := sess.OpenStream()
		if err != nil {
			return err
		}
		p := newPattern(0)
		in := make([]byte, *size)
		samples := make([]float64, 0, *count)
		var off int64
		for i := 0; i < *count; i++ {
			out := p.slice(off, *size)
			t0 := time.Now()
			if _, err := st.Write(out); err != nil {
				return fmt.Errorf("round trip %d: write: %w", i, err)
			}
			if _, err := io.ReadFull(st, in); err != nil {
				return fmt.Errorf("round trip %d: read: %w", i, err)
			}
			samples = append(samples, float64(time.Since(t0).Nanoseconds())/1e3)
			if string(in) != string(out) {
				return fmt.Errorf("round trip %d: echo differs", i)
			}
			off += int64(*size)
		}
		st.Close()
		if n, err := readToPeerFin(st, io.Discard); err != nil || n != 0 {
			return fmt.Errorf("closing: extra %d bytes, err %v", n, err)
		}
		sort.Float64s(samples)
		var sum float64
		for _, s := range samples {
			sum += s
		}
		if len(samples) > 0 {
			res["p50_us"] = percentile(samples, 0.50)
			res["p99_us"] = percentile(samples, 0.99)
			res["mean_us"] = sum / float64(len(samples))
		}
		return nil
	})
}

// percentile of sorted samples, nearest-rank method.
func percentile(sorted []float64, q float64) float64 {
	idx := int(q*float64(len(sorted))+0.999999) - 1
	if idx < 0 {
		idx = 0
	}
	if idx >= len(sorted) {
		idx = len(sorted) - 1
	}
	return sorted[idx]
}

func runOpenClose(args []string) {
	fs := flag.NewFlagSet("openclose", flag.ExitOnError)
	var cf clientFlags
	cf.register(fs)
	count := fs.Int("count", 1000, "streams to open and close, one after the other")
	fs.Parse(args)

	res := map[string]interface{}{"count": *count}
	withTimeout("openclose", cf.timeout, res, func() error {
		sess, err := dialSession(&cf)
		if err != nil {
			return err
		}
		defer sess.Close()
		one := []byte{42}
		start := time.Now()
		for i := 0; i < *count; i++ {
			st, err := sess.OpenStream()
			if err != nil {
				return fmt.Errorf("stream %d: open: %w", i, err)
			}
			if _, err := st.Write(one); err != nil {
				return fmt.Errorf("stream %d: write: %w", i, err)
			}
			if err := st.Close(); err != nil {
				return fmt.Errorf("stream %d: close: %w", i, err)
			}
			var got countingWriter
			if _, err := readToPeerFin(st, &got); err != nil {
				return fmt.Errorf("stream %d: read: %w", i, err)
			}
			if got.n != 1 || got.last != 42 {
				return fmt.Errorf("stream %d: echo of %d bytes, want 1", i, got.n)
			}
		}
		secs := time.Since(start).Seconds()
		res["seconds"] = secs
		res["per_second"] = float64(*count) / secs
		return nil
	})
}

type countingWriter struct {
	n    int
	last byte
}

func (c *countingWriter) Write(b []byte) (int, error) {
	c.n += len(b)
	if len(b) > 0 {
		c.last = b[len(b)-1]
	}
	return len(b), nil
}

// ---------------------------------------------------------------------------------------------

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  go-yamux-peer server    --listen HOST:PORT [--reset-after BYTES] [--window BYTES] [--ignore-stdin]
  go-yamux-peer client    --connect HOST:PORT --streams N --bytes B [--window BYTES] [--timeout SEC]
  go-yamux-peer rtt       --connect HOST:PORT --count K --size S [--timeout SEC]
  go-yamux-peer openclose --connect HOST:PORT --count K [--timeout SEC]`)
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "server":
		runServer(os.Args[2:])
	case "client":
		runClient(os.Args[2:])
	case "rtt":
		runRTT(os.Args[2:])
	case "openclose":
		runOpenClose(os.Args[2:])
	default:
		usage()
	}
}
