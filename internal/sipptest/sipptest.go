// Package sipptest runs SIPp (Debian's sip-tester) as the real SIP peer of
// tests: the trunk, the customers and the agent phones on loopback. It is
// shared by the tests of backend/sip and of the packages that run that
// backend.
package sipptest

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outpace-dev/outpace/records"
)

// Need skips the test when SIPp is not installed.
func Need(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("sipp"); err != nil {
		t.Skip("sipp is not installed (apt-get install -y sip-tester): these tests need a real SIP peer")
	}
}

// FreePort returns a port free on 127.0.0.1 for both UDP and TCP.
func FreePort(t testing.TB) int {
	t.Helper()
	for range 50 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		pc.Close()
		if err == nil {
			ln.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// SIPp is one SIPp process.
type SIPp struct {
	Port  int // its SIP port
	MPort int // its RTP port

	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan error
}

// Output returns what SIPp printed so far.
func (s *SIPp) Output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

func (s *SIPp) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.Write(p)
}

// Start runs the scenario file as a server on a free port (TCP when tcp),
// with extra arguments; the test kills it when it ends. SIPp runs in the
// parent of the scenario's directory (a package directory, the scenario
// being in its testdata), so a scenario names its files "testdata/...".
// Unless extra sets the key "amd", it is "live". A port taken by someone
// else between its choice and SIPp's start is replaced by another.
func Start(t testing.TB, scenario string, tcp bool, extra ...string) *SIPp {
	t.Helper()
	for try := 0; ; try++ {
		s := &SIPp{Port: FreePort(t), MPort: FreePort(t)}
		err := s.start(t, scenario, tcp, extra...)
		if err == nil {
			return s
		}
		if try == 2 {
			t.Fatal(err)
		}
	}
}

// StartOn runs scenario as Start does, on the given SIP and RTP ports; it
// fails when SIPp exits with an error before it holds its SIP port (the
// port was taken, say), and the caller may start over on others.
func StartOn(t testing.TB, port, mport int, scenario string, tcp bool, extra ...string) (*SIPp, error) {
	t.Helper()
	s := &SIPp{Port: port, MPort: mport}
	return s, s.start(t, scenario, tcp, extra...)
}

func (s *SIPp) start(t testing.TB, scenario string, tcp bool, extra ...string) error {
	t.Helper()
	abs, err := filepath.Abs(scenario)
	if err != nil {
		t.Fatal(err)
	}
	tr := "u1"
	if tcp {
		tr = "t1"
	}
	args := append([]string{"-sf", abs, "-i", "127.0.0.1",
		"-p", strconv.Itoa(s.Port), "-mp", strconv.Itoa(s.MPort), "-t", tr, "-nostdin",
	}, extra...)
	if !slices.Contains(extra, "amd") {
		args = append(args, "-key", "amd", "live")
	}
	s.mu.Lock()
	s.out.Reset()
	s.mu.Unlock()
	s.cmd = exec.Command("sipp", args...)
	s.cmd.Stdout, s.cmd.Stderr = s, s
	s.cmd.Dir = filepath.Dir(filepath.Dir(abs))
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	s.done = done
	go func() { done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		<-done
	})
	// Wait until SIPp holds its SIP port: until we can no longer bind it
	// while SIPp still runs.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		select {
		case err := <-done:
			done <- err
			if err == nil {
				return nil // a client scenario that is already done
			}
			return fmt.Errorf("sipp exited before it served port %d: %v\n%s", s.Port, err, s.Output())
		default:
		}
		if !Bindable(s.Port, tcp) {
			return nil
		}
	}
	return fmt.Errorf("sipp did not bind port %d\n%s", s.Port, s.Output())
}

// Wait waits for SIPp to exit (it does with -m) and fails on an error exit.
func (s *SIPp) Wait(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case err := <-s.done:
		s.done <- err
		if err != nil {
			t.Fatalf("sipp: %v\n%s", err, s.Output())
		}
	case <-time.After(d):
		t.Fatalf("sipp did not finish in %v\n%s", d, s.Output())
	}
}

// URI is a trunk URI template that reaches this SIPp.
func (s *SIPp) URI(tcp bool) string {
	u := "sip:{number}@127.0.0.1:" + strconv.Itoa(s.Port)
	if tcp {
		u += ";transport=tcp"
	}
	return u
}

// Bindable says whether port is free on 127.0.0.1 (TCP when tcp, else UDP).
func Bindable(port int, tcp bool) bool {
	addr := "127.0.0.1:" + strconv.Itoa(port)
	if tcp {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			ln.Close()
		}
		return err == nil
	}
	pc, err := net.ListenPacket("udp", addr)
	if err == nil {
		pc.Close()
	}
	return err == nil
}

// WriteTone writes a WAV of d of a 440 Hz tone, 8 kHz 16-bit mono, in the
// test's temp dir and returns its path.
func WriteTone(t testing.TB, d time.Duration) string {
	t.Helper()
	n := int(d / (time.Second / 8000))
	var data bytes.Buffer
	for i := range n {
		s := int16(8000 * math.Sin(2*math.Pi*440*float64(i)/8000))
		binary.Write(&data, binary.LittleEndian, s)
	}
	var f bytes.Buffer
	f.WriteString("RIFF")
	binary.Write(&f, binary.LittleEndian, uint32(36+data.Len()))
	f.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(8000), uint32(16000), uint16(2), uint16(16)} {
		binary.Write(&f, binary.LittleEndian, v)
	}
	f.WriteString("data")
	binary.Write(&f, binary.LittleEndian, uint32(data.Len()))
	f.Write(data.Bytes())
	path := filepath.Join(t.TempDir(), "tone.wav")
	if err := os.WriteFile(path, f.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// ReadLog reads the "<Call-ID> <what>" lines a scenario logged with
// -log_file, by the backend's call id (the Call-ID of its legs starts with
// "op<call id>-"); a call logged twice fails the test.
func ReadLog(t testing.TB, path string) map[records.CallID]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("SIPp log: %v", err)
	}
	defer f.Close()
	re := regexp.MustCompile(`op(\d+)-[ca]-\S+ (\w+)`)
	out := map[records.CallID]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := re.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		id, _ := strconv.ParseUint(m[1], 10, 64)
		if prev, ok := out[records.CallID(id)]; ok {
			t.Errorf("call %d logged twice by SIPp: %s and %s", id, prev, strings.TrimSpace(m[2]))
		}
		out[records.CallID(id)] = m[2]
	}
	return out
}
