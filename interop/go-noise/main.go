// go-noise-peer: a Noise peer built on github.com/flynn/noise (Debian golang-github-flynn-noise-dev) that speaks
// Weft's noise channel (docs/protocol.md, "Noise"). Weft's interop tests drive it; it shares no code with Weft.
//
//	go-noise-peer server --listen HOST:PORT --seed B64 [--network-key B64] [--allow KEY,KEY|--allow-any]
//	                     [--bytes N] [--message-size N] [--timeout SEC]
//	go-noise-peer client --connect HOST:PORT --seed B64 --server-key KEY [--network-key B64]
//	                     [--bytes N] [--message-size N] [--timeout SEC]
//	go-noise-peer vector --init-seed HEX --resp-seed HEX --init-ephemeral HEX --resp-ephemeral HEX
//	                     [--network-key HEX] [--payloads HEX,HEX,...]
//
// server/client: after the handshake each side sends N bytes of the pattern byte(i*7+3 mod 251) in transport messages
// of at most --message-size bytes, then the close message (an empty transport message), while it reads the peer's
// messages up to the peer's close; it prints one JSON line with the SHA-256 of what it received. The server prints
// "listening HOST:PORT" first, then one line per connection, and exits when stdin closes.
// vector: runs both sides in memory with fixed ephemeral keys and prints the exact bytes on the wire.
//
// Weft keys are Ed25519 (base64, as Weft prints them); this program converts them to X25519 itself: the secret is
// the clamped first half of SHA-512(seed) (RFC 8032 §5.1.5), the public key the Montgomery u = (1+y)/(1-y) of the
// Edwards point (RFC 7748 §4.1).
//
// Built offline in GOPATH mode:
//
//	cd interop/go-noise && GO111MODULE=off GOPATH=/usr/share/gocode go build -o build/go-noise-peer .
package main

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"math/big"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/flynn/noise"
	"golang.org/x/crypto/curve25519"
)

const (
	implName       = "go-noise"
	prologuePrefix = "weft-noise/1"
	msg1Size       = 128
	msg2Size       = 48
	maxPlaintext   = 65535 - 16
	rekeyInterval  = 65536
)

var suite = noise.NewCipherSuite(noise.DH25519, noise.CipherChaChaPoly, noise.HashSHA256)

// ---------------------------------------------------------------------------------------------
// Output

var outMu sync.Mutex

func emit(v interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	outMu.Lock()
	defer outMu.Unlock()
	os.Stdout.Write(append(b, '\n'))
}

func fatalf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "go-noise-peer: "+format+"\n", args...)
	os.Exit(2)
}

// ---------------------------------------------------------------------------------------------
// Keys: Ed25519 identity -> X25519

var fieldP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))

func x25519Secret(seed []byte) []byte {
	h := sha512.Sum512(seed)
	h[0] &= 248
	h[31] &= 127
	h[31] |= 64
	return h[:32]
}

func x25519Public(edPublic []byte) ([]byte, error) {
	if len(edPublic) != 32 {
		return nil, errors.New("an Ed25519 public key is 32 bytes")
	}
	le := make([]byte, 32)
	copy(le, edPublic)
	le[31] &= 0x7f // drop the sign bit of x
	be := make([]byte, 32)
	for i := range le {
		be[31-i] = le[i]
	}
	y := new(big.Int).SetBytes(be)
	one := big.NewInt(1)
	num := new(big.Int).Add(one, y)
	den := new(big.Int).Sub(one, y)
	den.Mod(den, fieldP)
	if den.Sign() == 0 {
		return nil, errors.New("degenerate Ed25519 public key")
	}
	u := new(big.Int).Mul(num, new(big.Int).ModInverse(den, fieldP))
	u.Mod(u, fieldP)
	out := u.FillBytes(make([]byte, 32))
	for i, j := 0, 31; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

type identity struct {
	edPublic []byte
	static   noise.DHKey
}

func identityFromSeed(seed []byte) identity {
	if len(seed) != 32 {
		fatalf("a seed is 32 bytes, got %d", len(seed))
	}
	edPublic := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	secret := x25519Secret(seed)
	public, err := curve25519.X25519(secret, curve25519.Basepoint)
	if err != nil {
		fatalf("x25519: %v", err)
	}
	converted, err := x25519Public(edPublic)
	if err != nil || !bytes.Equal(converted, public) {
		fatalf("internal error: the two Ed25519->X25519 conversions disagree")
	}
	return identity{edPublic: []byte(edPublic), static: noise.DHKey{Private: secret, Public: public}}
}

func prologue(networkKey []byte) []byte {
	return append([]byte(prologuePrefix), networkKey...)
}

// ---------------------------------------------------------------------------------------------
// Handshake (2-byte big-endian length before every message)

type refusedError struct{ code byte }

func (e refusedError) Error() string {
	switch e.code {
	case 1:
		return "refused: the responder could not authenticate msg1 (wrong responder key or network key)"
	case 2:
		return "refused: the responder does not authorise this key"
	}
	return fmt.Sprintf("refused with unknown code %d", e.code)
}

func writeFrame(w io.Writer, msg []byte) error {
	frame := make([]byte, 2+len(msg))
	binary.BigEndian.PutUint16(frame, uint16(len(msg)))
	copy(frame[2:], msg)
	_, err := w.Write(frame)
	return err
}

func readLength(r io.Reader) (int, error) {
	var l [2]byte
	if _, err := io.ReadFull(r, l[:]); err != nil {
		return 0, err
	}
	return int(binary.BigEndian.Uint16(l[:])), nil
}

func initiate(conn io.ReadWriter, id identity, serverEd []byte, networkKey []byte, rng io.Reader) (*noise.CipherState, *noise.CipherState, []byte, error) {
	rs, err := x25519Public(serverEd)
	if err != nil {
		return nil, nil, nil, err
	}
	hs, err := noise.NewHandshakeState(noise.Config{
		CipherSuite: suite, Random: rng, Pattern: noise.HandshakeIK, Initiator: true,
		Prologue: prologue(networkKey), StaticKeypair: id.static, PeerStatic: rs,
	})
	if err != nil {
		return nil, nil, nil, err
	}
	msg1, _, _, err := hs.WriteMessage(nil, id.edPublic)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := writeFrame(conn, msg1); err != nil {
		return nil, nil, nil, err
	}
	n, err := readLength(conn)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("waiting for msg2: %w", err)
	}
	if n == 1 {
		var code [1]byte
		if _, err := io.ReadFull(conn, code[:]); err != nil {
			return nil, nil, nil, err
		}
		return nil, nil, nil, refusedError{code[0]}
	}
	if n != msg2Size {
		return nil, nil, nil, fmt.Errorf("msg2 is %d bytes, not %d", n, msg2Size)
	}
	msg2 := make([]byte, n)
	if _, err := io.ReadFull(conn, msg2); err != nil {
		return nil, nil, nil, err
	}
	payload, send, recv, err := hs.ReadMessage(nil, msg2)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("msg2 does not authenticate: %w", err)
	}
	if len(payload) != 0 {
		return nil, nil, nil, errors.New("msg2 has a payload")
	}
	return send, recv, hs.ChannelBinding(), nil
}

func respond(conn io.ReadWriter, id identity, networkKey []byte, allow func([]byte) bool, rng io.Reader) (*noise.CipherState, *noise.CipherState, []byte, []byte, error) {
	hs, err := noise.NewHandshakeState(noise.Config{
		CipherSuite: suite, Random: rng, Pattern: noise.HandshakeIK, Initiator: false,
		Prologue: prologue(networkKey), StaticKeypair: id.static,
	})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	n, err := readLength(conn)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if n != msg1Size {
		return nil, nil, nil, nil, fmt.Errorf("msg1 is %d bytes, not %d", n, msg1Size)
	}
	msg1 := make([]byte, n)
	if _, err := io.ReadFull(conn, msg1); err != nil {
		return nil, nil, nil, nil, err
	}
	refuse := func(code byte) { conn.Write([]byte{0, 1, code}) }
	payload, _, _, err := hs.ReadMessage(nil, msg1)
	if err != nil {
		refuse(1)
		return nil, nil, nil, nil, fmt.Errorf("msg1 does not decrypt: %w", err)
	}
	claimed, err := x25519Public(payload)
	if err != nil || !bytes.Equal(claimed, hs.PeerStatic()) {
		refuse(1)
		return nil, nil, nil, nil, errors.New("the initiator's Ed25519 key does not match its static key")
	}
	if !allow(payload) {
		refuse(2)
		return nil, nil, nil, nil, fmt.Errorf("not authorised: %s", base64.StdEncoding.EncodeToString(payload))
	}
	msg2, recv, send, err := hs.WriteMessage(nil, nil)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if err := writeFrame(conn, msg2); err != nil {
		return nil, nil, nil, nil, err
	}
	return send, recv, payload, hs.ChannelBinding(), nil
}

// ---------------------------------------------------------------------------------------------
// Transport

func seal(cs *noise.CipherState, plaintext []byte, out []byte) ([]byte, error) {
	if n := cs.Nonce(); n != 0 && n%rekeyInterval == 0 {
		cs.Rekey()
	}
	out = append(out[:0], 0, 0)
	out, err := cs.Encrypt(out, nil, plaintext)
	if err != nil {
		return nil, err
	}
	binary.BigEndian.PutUint16(out, uint16(len(out)-2))
	return out, nil
}

func open(cs *noise.CipherState, ciphertext []byte, out []byte) ([]byte, error) {
	if n := cs.Nonce(); n != 0 && n%rekeyInterval == 0 {
		cs.Rekey()
	}
	return cs.Decrypt(out[:0], nil, ciphertext)
}

func pattern(i int64) byte { return byte((i*7 + 3) % 251) }

// sendPattern writes total bytes of the pattern in messages of at most size bytes, then the close message.
func sendPattern(w io.Writer, cs *noise.CipherState, total int64, size int) error {
	bw := bufio.NewWriterSize(w, 256*1024)
	chunk := make([]byte, size)
	out := make([]byte, 0, 2+size+16)
	var sent int64
	for sent < total {
		n := int64(size)
		if total-sent < n {
			n = total - sent
		}
		for i := int64(0); i < n; i++ {
			chunk[i] = pattern(sent + i)
		}
		frame, err := seal(cs, chunk[:n], out)
		if err != nil {
			return err
		}
		if _, err := bw.Write(frame); err != nil {
			return err
		}
		sent += n
	}
	frame, err := seal(cs, nil, out)
	if err != nil {
		return err
	}
	if _, err := bw.Write(frame); err != nil {
		return err
	}
	return bw.Flush()
}

// receiveAll reads messages up to the peer's close and hashes the plaintext.
func receiveAll(r io.Reader, cs *noise.CipherState) (int64, hash.Hash, error) {
	br := bufio.NewReaderSize(r, 256*1024)
	h := sha256.New()
	body := make([]byte, 65535)
	plain := make([]byte, 0, 65535)
	var total int64
	for {
		n, err := readLength(br)
		if err != nil {
			return total, h, fmt.Errorf("unexpected hangup before the close message: %w", err)
		}
		if n < 16 {
			return total, h, fmt.Errorf("transport message of %d bytes", n)
		}
		if _, err := io.ReadFull(br, body[:n]); err != nil {
			return total, h, fmt.Errorf("truncated message: %w", err)
		}
		p, err := open(cs, body[:n], plain)
		if err != nil {
			return total, h, fmt.Errorf("message %d failed authentication: %w", cs.Nonce(), err)
		}
		if len(p) == 0 {
			return total, h, nil
		}
		h.Write(p)
		total += int64(len(p))
	}
}

type result struct {
	Impl     string  `json:"impl"`
	Op       string  `json:"op"`
	Event    string  `json:"event,omitempty"`
	Ok       bool    `json:"ok"`
	Peer     string  `json:"peer,omitempty"`
	Sent     int64   `json:"sent"`
	Received int64   `json:"received"`
	Sha256   string  `json:"sha256,omitempty"`
	Binding  string  `json:"handshake_hash,omitempty"`
	Refusal  int     `json:"refusal,omitempty"`
	Seconds  float64 `json:"seconds"`
	Error    *string `json:"error"`
}

func exchange(conn net.Conn, send, recv *noise.CipherState, total int64, size int) (int64, string, error) {
	var wg sync.WaitGroup
	var sendErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		sendErr = sendPattern(conn, send, total, size)
	}()
	received, h, recvErr := receiveAll(conn, recv)
	wg.Wait()
	if recvErr != nil {
		return received, "", recvErr
	}
	if sendErr != nil {
		return received, "", sendErr
	}
	return received, hex.EncodeToString(h.Sum(nil)), nil
}

func errText(err error) *string {
	if err == nil {
		return nil
	}
	s := err.Error()
	return &s
}

// ---------------------------------------------------------------------------------------------
// Commands

func decodeB64(name, s string, want int) []byte {
	if s == "" {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || (want > 0 && len(b) != want) {
		fatalf("--%s must be %d bytes in base64", name, want)
	}
	return b
}

func decodeHex(name, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		fatalf("--%s must be hex", name)
	}
	return b
}

func runServer(args []string) {
	fs := flag.NewFlagSet("server", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:0", "HOST:PORT")
	seed := fs.String("seed", "", "this responder's Ed25519 seed (base64)")
	netKey := fs.String("network-key", "", "optional 32-byte network key (base64)")
	allowList := fs.String("allow", "", "comma-separated initiator keys to admit")
	allowAny := fs.Bool("allow-any", false, "admit every initiator")
	total := fs.Int64("bytes", 0, "bytes to send per connection")
	size := fs.Int("message-size", maxPlaintext, "largest plaintext per transport message")
	timeout := fs.Float64("timeout", 120, "per-connection deadline in seconds")
	fs.Parse(args)
	id := identityFromSeed(decodeB64("seed", *seed, 32))
	nk := decodeB64("network-key", *netKey, 32)
	allowed := map[string]bool{}
	for _, k := range strings.Split(*allowList, ",") {
		if k != "" {
			allowed[k] = true
		}
	}
	allow := func(key []byte) bool { return *allowAny || allowed[base64.StdEncoding.EncodeToString(key)] }
	if *size < 1 || *size > maxPlaintext {
		fatalf("--message-size must be 1..%d", maxPlaintext)
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fatalf("listen: %v", err)
	}
	fmt.Printf("listening %s\n", ln.Addr().String())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	for {
		conn, err := ln.Accept()
		if err != nil {
			fatalf("accept: %v", err)
		}
		go func(conn net.Conn) {
			defer conn.Close()
			start := time.Now()
			conn.SetDeadline(start.Add(time.Duration(*timeout * float64(time.Second))))
			r := result{Impl: implName, Op: "server", Event: "conn"}
			send, recv, peer, binding, err := respond(conn, id, nk, allow, nil)
			if err == nil {
				r.Peer = base64.StdEncoding.EncodeToString(peer)
				r.Binding = hex.EncodeToString(binding)
				r.Received, r.Sha256, err = exchange(conn, send, recv, *total, *size)
				r.Sent = *total
			}
			r.Ok = err == nil
			r.Error = errText(err)
			r.Seconds = time.Since(start).Seconds()
			emit(r)
		}(conn)
	}
}

func runClient(args []string) {
	fs := flag.NewFlagSet("client", flag.ExitOnError)
	connect := fs.String("connect", "", "HOST:PORT")
	seed := fs.String("seed", "", "this initiator's Ed25519 seed (base64)")
	serverKey := fs.String("server-key", "", "the responder's Ed25519 public key (base64)")
	netKey := fs.String("network-key", "", "optional 32-byte network key (base64)")
	total := fs.Int64("bytes", 0, "bytes to send")
	size := fs.Int("message-size", maxPlaintext, "largest plaintext per transport message")
	timeout := fs.Float64("timeout", 120, "deadline in seconds")
	fs.Parse(args)
	id := identityFromSeed(decodeB64("seed", *seed, 32))
	server := decodeB64("server-key", *serverKey, 32)
	nk := decodeB64("network-key", *netKey, 32)
	if *size < 1 || *size > maxPlaintext {
		fatalf("--message-size must be 1..%d", maxPlaintext)
	}
	start := time.Now()
	r := result{Impl: implName, Op: "client"}
	conn, err := net.DialTimeout("tcp", *connect, 10*time.Second)
	if err == nil {
		defer conn.Close()
		conn.SetDeadline(start.Add(time.Duration(*timeout * float64(time.Second))))
		var send, recv *noise.CipherState
		var binding []byte
		send, recv, binding, err = initiate(conn, id, server, nk, nil)
		var refused refusedError
		if errors.As(err, &refused) {
			r.Refusal = int(refused.code)
		}
		if err == nil {
			r.Peer = base64.StdEncoding.EncodeToString(server)
			r.Binding = hex.EncodeToString(binding)
			r.Received, r.Sha256, err = exchange(conn, send, recv, *total, *size)
			r.Sent = *total
		}
	}
	r.Ok = err == nil
	r.Error = errText(err)
	r.Seconds = time.Since(start).Seconds()
	emit(r)
	if !r.Ok {
		os.Exit(1)
	}
}

// pipeConn is one end of an in-memory connection that records what it wrote.
type pipeConn struct {
	r       io.Reader
	w       io.Writer
	written *bytes.Buffer
}

func (p pipeConn) Read(b []byte) (int, error) { return p.r.Read(b) }
func (p pipeConn) Write(b []byte) (int, error) {
	p.written.Write(b)
	return p.w.Write(b)
}

func runVector(args []string) {
	fs := flag.NewFlagSet("vector", flag.ExitOnError)
	initSeed := fs.String("init-seed", "", "initiator Ed25519 seed (hex)")
	respSeed := fs.String("resp-seed", "", "responder Ed25519 seed (hex)")
	initEph := fs.String("init-ephemeral", "", "initiator ephemeral X25519 secret (hex)")
	respEph := fs.String("resp-ephemeral", "", "responder ephemeral X25519 secret (hex)")
	netKey := fs.String("network-key", "", "optional network key (hex)")
	payloads := fs.String("payloads", "", "comma-separated transport plaintexts (hex), alternately initiator->responder and back; an empty item is a close message")
	fs.Parse(args)
	initiator := identityFromSeed(decodeHex("init-seed", *initSeed))
	responder := identityFromSeed(decodeHex("resp-seed", *respSeed))
	nk := decodeHex("network-key", *netKey)

	i2r, r2i := newPipe(), newPipe()
	var iWritten, rWritten bytes.Buffer
	iConn := pipeConn{r: r2i, w: i2r, written: &iWritten}
	rConn := pipeConn{r: i2r, w: r2i, written: &rWritten}

	type side struct {
		send, recv *noise.CipherState
		binding    []byte
		err        error
	}
	done := make(chan side)
	go func() {
		s, r, _, b, err := respond(rConn, responder, nk, func([]byte) bool { return true }, bytes.NewReader(decodeHex("resp-ephemeral", *respEph)))
		done <- side{s, r, b, err}
	}()
	is, ir, ib, err := initiate(iConn, initiator, responder.edPublic, nk, bytes.NewReader(decodeHex("init-ephemeral", *initEph)))
	if err != nil {
		fatalf("initiator: %v", err)
	}
	rs := <-done
	if rs.err != nil {
		fatalf("responder: %v", rs.err)
	}
	msg1 := hex.EncodeToString(iWritten.Bytes())
	msg2 := hex.EncodeToString(rWritten.Bytes())

	var transport []string
	if *payloads != "" {
		for k, p := range strings.Split(*payloads, ",") {
			plain := decodeHex("payloads", p)
			sender, receiver := is, rs.recv
			if k%2 == 1 {
				sender, receiver = rs.send, ir
			}
			frame, err := seal(sender, plain, nil)
			if err != nil {
				fatalf("seal: %v", err)
			}
			back, err := open(receiver, frame[2:], nil)
			if err != nil || !bytes.Equal(back, plain) {
				fatalf("round trip of transport message %d failed", k)
			}
			transport = append(transport, hex.EncodeToString(frame))
		}
	}
	if !bytes.Equal(ib, rs.binding) {
		fatalf("handshake hashes differ")
	}
	emit(map[string]interface{}{
		"impl":               implName,
		"op":                 "vector",
		"init_public":        base64.StdEncoding.EncodeToString(initiator.edPublic),
		"resp_public":        base64.StdEncoding.EncodeToString(responder.edPublic),
		"init_x25519_public": hex.EncodeToString(initiator.static.Public),
		"resp_x25519_public": hex.EncodeToString(responder.static.Public),
		"init_x25519_secret": hex.EncodeToString(initiator.static.Private),
		"msg1_frame":         msg1,
		"msg2_frame":         msg2,
		"handshake_hash":     hex.EncodeToString(ib),
		"transport_frames":   transport,
	})
}

// newPipe is an unbounded in-memory byte pipe (io.Pipe would deadlock: a handshake write has no reader yet).
type bytePipe struct {
	mu   sync.Mutex
	cond *sync.Cond
	buf  bytes.Buffer
}

func newPipe() *bytePipe {
	p := &bytePipe{}
	p.cond = sync.NewCond(&p.mu)
	return p
}

func (p *bytePipe) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf.Write(b)
	p.cond.Broadcast()
	return len(b), nil
}

func (p *bytePipe) Read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.buf.Len() == 0 {
		p.cond.Wait()
	}
	return p.buf.Read(b)
}

func main() {
	if len(os.Args) < 2 {
		fatalf("usage: go-noise-peer server|client|vector [flags]")
	}
	switch os.Args[1] {
	case "server":
		runServer(os.Args[2:])
	case "client":
		runClient(os.Args[2:])
	case "vector":
		runVector(os.Args[2:])
	default:
		fatalf("unknown command %q", os.Args[1])
	}
}
