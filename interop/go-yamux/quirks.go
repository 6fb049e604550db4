package main

// Work-arounds for two gaps in the Debian snapshot of hashicorp/yamux (git 2019-09-23, df201c7).
// Both reach into the library's unexported internals, so they are tied to that snapshot; the build
// fails loudly (linkname) or the program panics at first use (field lookup) if the internals change.
//
// 1. No public way to reset a stream. resetStream sends a WindowUpdate frame with the RST flag
//    through the session's own send queue (Session.sendNoWait, so frames never interleave) and then
//    moves the stream to its reset state locally (Stream.processFlags with RST, exactly what the
//    library does when it receives a RST), which also drops it from the session's stream table.
//
// 2. After our own Close() (FIN sent, state "local close"), Stream.Read returns io.EOF whenever the
//    receive buffer is momentarily empty, even though the peer has not sent its FIN yet. (Fixed
//    upstream in 2024.) readToPeerFin only trusts an EOF that was seen while the stream had already
//    processed the peer's FIN; otherwise it waits on the stream's receive notification and reads on.

import (
	"bytes"
	"encoding/binary"
	"io"
	"reflect"
	"sync"
	"time"
	"unsafe"

	"github.com/hashicorp/yamux"
)

// Values of yamux's unexported streamState enum in this snapshot.
const (
	stLocalClose  = 4 // we sent FIN; the peer has not
	stRemoteClose = 5 // the peer sent FIN; we have not
	stClosed      = 6 // both FINs
	stReset       = 7
)

// Wire constants from the yamux spec.
const (
	frameWindowUpdate = 1
	flagRST           = 8
)

//go:linkname sessionSendNoWait github.com/hashicorp/yamux.(*Session).sendNoWait
func sessionSendNoWait(s *yamux.Session, hdr []byte) error

//go:linkname streamProcessFlags github.com/hashicorp/yamux.(*Stream).processFlags
func streamProcessFlags(s *yamux.Stream, flags uint16) error

// resetStream sends RST for the stream and abandons it locally.
func resetStream(st *yamux.Stream) error {
	hdr := make([]byte, 12)
	hdr[0] = 0 // version
	hdr[1] = frameWindowUpdate
	binary.BigEndian.PutUint16(hdr[2:4], flagRST)
	binary.BigEndian.PutUint32(hdr[4:8], st.StreamID())
	binary.BigEndian.PutUint32(hdr[8:12], 0)
	err := sessionSendNoWait(st.Session(), hdr)
	streamProcessFlags(st, flagRST)
	return err
}

// streamInternals are pointers into a yamux.Stream's unexported fields.
type streamInternals struct {
	stateLock *sync.Mutex
	state     *int
	recvLock  *sync.Mutex
	recvBuf   **bytes.Buffer
	notify    chan struct{}
}

func internalsOf(st *yamux.Stream) streamInternals {
	v := reflect.ValueOf(st).Elem()
	field := func(name string, kind reflect.Kind) unsafe.Pointer {
		f := v.FieldByName(name)
		if !f.IsValid() || f.Kind() != kind {
			panic("hashicorp/yamux internals changed: no field " + name + " of kind " + kind.String())
		}
		return unsafe.Pointer(f.UnsafeAddr())
	}
	return streamInternals{
		stateLock: (*sync.Mutex)(field("stateLock", reflect.Struct)),
		state:     (*int)(field("state", reflect.Int)),
		recvLock:  (*sync.Mutex)(field("recvLock", reflect.Struct)),
		recvBuf:   (**bytes.Buffer)(field("recvBuf", reflect.Ptr)),
		notify:    *(*chan struct{})(field("recvNotifyCh", reflect.Chan)),
	}
}

func (si streamInternals) loadState() int {
	si.stateLock.Lock()
	defer si.stateLock.Unlock()
	return *si.state
}

func (si streamInternals) buffered() int {
	si.recvLock.Lock()
	defer si.recvLock.Unlock()
	if *si.recvBuf == nil {
		return 0
	}
	return (*si.recvBuf).Len()
}

// readToPeerFin copies the stream into w until the peer's FIN (a real EOF) and returns the number
// of bytes read. A reset stream returns yamux.ErrConnectionReset.
func readToPeerFin(st *yamux.Stream, w io.Writer) (int64, error) {
	si := internalsOf(st)
	buf := make([]byte, chunkSize)
	var total int64
	for {
		// The peer's FIN is processed after every data frame that preceded it, so once the state
		// says "closed" the buffer holds everything and the next EOF is real.
		before := si.loadState()
		finSeen := before == stClosed || before == stRemoteClose
		n, err := st.Read(buf)
		if n > 0 {
			total += int64(n)
			if _, werr := w.Write(buf[:n]); werr != nil {
				return total, werr
			}
		}
		switch {
		case err == nil:
			continue
		case err != io.EOF:
			return total, err
		case finSeen:
			return total, nil
		}
		// Possibly the early EOF. Read posted a token on the notify channel on its way out; drop
		// it, then look again: data, the FIN or a RST that arrive from now on post a new token.
		select {
		case <-si.notify:
		default:
		}
		if s := si.loadState(); s != stLocalClose || si.buffered() > 0 {
			continue
		}
		select {
		case <-si.notify:
		case <-time.After(time.Second): // belt and braces; the loop re-checks everything
		}
	}
}
