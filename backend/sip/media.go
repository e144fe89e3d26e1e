package sip

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// G.711 payload types (RFC 3551).
const (
	ptPCMU = 0
	ptPCMA = 8
	ptDTMF = 101 // telephone-event, as we offer it
)

// offerSDP is our session description: G.711 µ-law and A-law (or only pt
// when pt >= 0), 20 ms packets.
func offerSDP(ip string, port int, pt int) []byte {
	ver := strconv.FormatInt(time.Now().UnixNano()&0x7fffffffffff, 10)
	var b strings.Builder
	b.WriteString("v=0\r\no=outpace " + ver + " " + ver + " IN IP4 " + ip + "\r\ns=outpace\r\nc=IN IP4 " + ip + "\r\nt=0 0\r\n")
	switch pt {
	case ptPCMU:
		fmt.Fprintf(&b, "m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n", port)
	case ptPCMA:
		fmt.Fprintf(&b, "m=audio %d RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n", port)
	default:
		fmt.Fprintf(&b, "m=audio %d RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n", port)
	}
	b.WriteString("a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n")
	return []byte(b.String())
}

// answerSDP reads the peer's RTP address and first G.711 payload type from
// its session description.
func answerSDP(body []byte) (netip.AddrPort, int, error) {
	var ip netip.Addr
	port, pt := -1, -1
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "c=IN IP4 "), strings.HasPrefix(line, "c=IN IP6 "):
			if a, err := netip.ParseAddr(strings.Fields(line[9:])[0]); err == nil && (!ip.IsValid() || port < 0) {
				ip = a
			}
		case strings.HasPrefix(line, "m=audio ") && port < 0:
			f := strings.Fields(line[8:])
			if len(f) < 3 {
				continue
			}
			p, err := strconv.Atoi(f[0])
			if err != nil {
				continue
			}
			for _, s := range f[2:] {
				if s == "0" || s == "8" {
					pt, _ = strconv.Atoi(s)
					break
				}
			}
			port = p
		}
	}
	if !ip.IsValid() || port <= 0 || port > 65535 {
		return netip.AddrPort{}, -1, errors.New("no audio address in the SDP")
	}
	if pt < 0 {
		return netip.AddrPort{}, -1, errors.New("no G.711 codec in the SDP")
	}
	return netip.AddrPortFrom(ip, uint16(port)), pt, nil
}

// rtpPort is one leg's RTP socket. What arrives on it goes out of the bridged
// peer's socket to the peer's remote address, as it came (a transparent relay:
// both legs use the same codec); while a message plays, or with no peer, it is
// counted and dropped.
type rtpPort struct {
	conn   *net.UDPConn
	port   int
	remote atomic.Pointer[netip.AddrPort] // from the far end's SDP
	peer   atomic.Pointer[rtpPort]
	pt     atomic.Int32 // negotiated payload type
	played atomic.Bool  // a message plays: what arrives is not relayed
	// symmetric makes remote follow the source of what arrives.
	symmetric bool

	rx      atomic.Uint64 // packets received
	relayed atomic.Uint64 // packets received and sent on to the peer
	sent    atomic.Uint64 // message packets sent
	closed  atomic.Bool
}

// ports hands out RTP ports of a range in turn, skipping those in use; the
// zero value lets the system pick.
type ports struct {
	min, max int
	next     atomic.Int64
}

func (ps *ports) listen(ip net.IP) (*net.UDPConn, error) {
	if ps.min == 0 {
		return net.ListenUDP("udp", &net.UDPAddr{IP: ip})
	}
	n := ps.max - ps.min + 1
	var err error
	for range min(n, 1000) {
		port := ps.min + int((ps.next.Add(1)-1)%int64(n))
		var conn *net.UDPConn
		if conn, err = net.ListenUDP("udp", &net.UDPAddr{IP: ip, Port: port}); err == nil {
			return conn, nil
		}
	}
	return nil, fmt.Errorf("no free RTP port in %d–%d: %w", ps.min, ps.max, err)
}

func openRTP(ip string, ps *ports, symmetric bool) (*rtpPort, error) {
	conn, err := ps.listen(net.ParseIP(ip))
	if err != nil {
		return nil, err
	}
	p := &rtpPort{conn: conn, port: conn.LocalAddr().(*net.UDPAddr).Port, symmetric: symmetric}
	p.pt.Store(-1)
	go p.serve()
	return p, nil
}

func (p *rtpPort) setRemote(ap netip.AddrPort, pt int) {
	p.remote.Store(&ap)
	p.pt.Store(int32(pt))
}

func (p *rtpPort) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := p.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		p.rx.Add(1)
		if p.symmetric {
			if r := p.remote.Load(); r == nil || *r != from {
				latched := from
				p.remote.Store(&latched)
			}
		}
		if n < 12 || p.played.Load() {
			continue
		}
		peer := p.peer.Load()
		if peer == nil {
			continue
		}
		if to := peer.remote.Load(); to != nil {
			if _, err := peer.conn.WriteToUDPAddrPort(buf[:n], *to); err == nil {
				p.relayed.Add(1)
			}
		}
	}
}

func (p *rtpPort) close() {
	if p != nil && p.closed.CompareAndSwap(false, true) {
		p.peer.Store(nil)
		p.conn.Close()
	}
}

// bridge relays a's RTP to b's peer and back.
func bridge(a, b *rtpPort) {
	a.peer.Store(b)
	b.peer.Store(a)
}

// play sends msg to the port's remote address in 20 ms RTP packets of the
// negotiated codec and returns when it is sent or stop is closed.
func (p *rtpPort) play(msg *message, stop <-chan struct{}) {
	to := p.remote.Load()
	if to == nil || msg == nil {
		return
	}
	payload := msg.pcmu
	pt := byte(ptPCMU)
	if p.pt.Load() == ptPCMA {
		payload, pt = msg.pcma, ptPCMA
	}
	p.played.Store(true)
	pkt := make([]byte, 12+frame)
	pkt[0] = 0x80
	ssrc := uint32(time.Now().UnixNano())
	binary.BigEndian.PutUint32(pkt[8:], ssrc)
	seq := uint16(ssrc >> 7)
	ts := ssrc >> 3
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for off := 0; off < len(payload); off += frame {
		pkt[1] = pt
		if off == 0 {
			pkt[1] |= 0x80 // marker: start of a talk spurt
		}
		binary.BigEndian.PutUint16(pkt[2:], seq)
		binary.BigEndian.PutUint32(pkt[4:], ts)
		n := copy(pkt[12:], payload[off:])
		for i := 12 + n; i < len(pkt); i++ {
			pkt[i] = silence(pt)
		}
		if _, err := p.conn.WriteToUDPAddrPort(pkt, *to); err == nil {
			p.sent.Add(1)
		}
		seq++
		ts += frame
		select {
		case <-tick.C:
		case <-stop:
			return
		}
	}
}

// frame is the payload of a 20 ms G.711 packet at 8 kHz.
const frame = 160

func silence(pt byte) byte {
	if pt == ptPCMA {
		return 0xD5
	}
	return 0xFF
}

// message is a recording ready to send in either G.711 law.
type message struct {
	pcmu, pcma []byte
}

// loadWAV reads an 8 kHz mono WAV file of 16-bit linear PCM, A-law or µ-law.
func loadWAV(path string) (*message, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%s: not a WAV file", path)
	}
	var format, channels, bits uint16
	var rate uint32
	var samples []byte
	for off := 12; off+8 <= len(data); {
		id, size := string(data[off:off+4]), int(binary.LittleEndian.Uint32(data[off+4:]))
		body := off + 8
		if size < 0 || body+size > len(data) {
			size = len(data) - body // a truncated last chunk, as some writers leave it
		}
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, fmt.Errorf("%s: short fmt chunk", path)
			}
			format = binary.LittleEndian.Uint16(data[body:])
			channels = binary.LittleEndian.Uint16(data[body+2:])
			rate = binary.LittleEndian.Uint32(data[body+4:])
			bits = binary.LittleEndian.Uint16(data[body+14:])
		case "data":
			samples = data[body : body+size]
		}
		off = body + size + size&1
	}
	if channels != 1 || rate != 8000 {
		return nil, fmt.Errorf("%s: must be 8 kHz mono, is %d Hz with %d channels", path, rate, channels)
	}
	if len(samples) == 0 {
		return nil, fmt.Errorf("%s: no audio", path)
	}
	var pcm []int16
	switch {
	case format == 1 && bits == 16:
		pcm = make([]int16, len(samples)/2)
		for i := range pcm {
			pcm[i] = int16(binary.LittleEndian.Uint16(samples[2*i:]))
		}
	case format == 6 && bits == 8:
		pcm = make([]int16, len(samples))
		for i, a := range samples {
			pcm[i] = alawToLinear(a)
		}
	case format == 7 && bits == 8:
		pcm = make([]int16, len(samples))
		for i, u := range samples {
			pcm[i] = ulawToLinear(u)
		}
	default:
		return nil, fmt.Errorf("%s: must be 16-bit PCM, A-law or µ-law, is format %d with %d bits", path, format, bits)
	}
	m := &message{pcmu: make([]byte, len(pcm)), pcma: make([]byte, len(pcm))}
	for i, s := range pcm {
		m.pcmu[i] = linearToUlaw(s)
		m.pcma[i] = linearToAlaw(s)
	}
	return m, nil
}

// G.711 after the ITU reference (the segment search of Sun's g711.c).

var segAEnd = [8]int{0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF}
var segUEnd = [8]int{0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF}

func segment(v int, end *[8]int) int {
	for i, e := range end {
		if v <= e {
			return i
		}
	}
	return 8
}

func linearToAlaw(s int16) byte {
	v := int(s) >> 3
	mask := 0xD5
	if v < 0 {
		mask = 0x55
		v = -v - 1
	}
	seg := segment(v, &segAEnd)
	if seg >= 8 {
		return byte(0x7F ^ mask)
	}
	a := seg << 4
	if seg < 2 {
		a |= (v >> 1) & 0xF
	} else {
		a |= (v >> seg) & 0xF
	}
	return byte(a ^ mask)
}

func alawToLinear(a byte) int16 {
	v := int(a ^ 0x55)
	t := (v & 0xF) << 4
	switch seg := (v & 0x70) >> 4; seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if v&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}

func linearToUlaw(s int16) byte {
	v := int(s) >> 2
	mask := 0xFF
	if v < 0 {
		v = -v
		mask = 0x7F
	}
	if v > 8159 {
		v = 8159
	}
	v += 0x84 >> 2
	seg := segment(v, &segUEnd)
	if seg >= 8 {
		return byte(0x7F ^ mask)
	}
	return byte(((seg << 4) | ((v >> (seg + 1)) & 0xF)) ^ mask)
}

func ulawToLinear(u byte) int16 {
	v := int(^u)
	t := ((v & 0xF) << 3) + 0x84
	t <<= (v & 0x70) >> 4
	if v&0x80 != 0 {
		return int16(0x84 - t)
	}
	return int16(t - 0x84)
}
