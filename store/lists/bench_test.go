package lists

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
	"github.com/outpace-dev/outpace/records"
)

type phoneInput struct{ raw, region string }

// benchPhones returns n valid phone texts in the usual written forms of the
// US, GB, CN and BR, national and international.
func benchPhones(n int) []phoneInput {
	rng := rand.New(rand.NewPCG(7, 11))
	areas := []int{212, 305, 312, 415, 646, 702, 718, 917}
	out := make([]phoneInput, 0, n)
	for len(out) < n {
		var in phoneInput
		switch rng.IntN(8) {
		case 0:
			in = phoneInput{fmt.Sprintf("+1 %d 555 %04d", areas[rng.IntN(len(areas))], rng.IntN(10000)), ""}
		case 1:
			in = phoneInput{fmt.Sprintf("(%d) 555-%04d", areas[rng.IntN(len(areas))], rng.IntN(10000)), "US"}
		case 2:
			in = phoneInput{fmt.Sprintf("020 7946 %04d", rng.IntN(10000)), "GB"}
		case 3:
			in = phoneInput{fmt.Sprintf("+44 7911 %06d", rng.IntN(1000000)), "GB"}
		case 4:
			in = phoneInput{fmt.Sprintf("1%d%d %04d %04d", 3+rng.IntN(6), rng.IntN(10), rng.IntN(10000), rng.IntN(10000)), "CN"}
		case 5:
			in = phoneInput{fmt.Sprintf("+86 1%d%d%08d", 3+rng.IntN(6), rng.IntN(10), rng.IntN(100000000)), ""}
		case 6:
			in = phoneInput{fmt.Sprintf("(11) 9%04d-%04d", rng.IntN(10000), rng.IntN(10000)), "BR"}
		case 7:
			in = phoneInput{fmt.Sprintf("+55 21 9%08d", rng.IntN(100000000)), "BR"}
		}
		if _, err := Normalize(in.raw, in.region); err == nil {
			out = append(out, in)
		}
	}
	return out
}

func reportRate(b *testing.B, perOp int) {
	b.ReportMetric(float64(b.N)*float64(perOp)/b.Elapsed().Seconds(), "numbers/s")
}

func BenchmarkNormalize(b *testing.B) {
	in := benchPhones(4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := in[i%len(in)]
		if _, err := Normalize(p.raw, p.region); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, 1)
}

// BenchmarkNormalizeLibrary is the same work done with phonenumbers' own
// Parse, IsValidNumber and Format, for comparison.
func BenchmarkNormalizeLibrary(b *testing.B) {
	in := benchPhones(4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := in[i%len(in)]
		n, err := phonenumbers.Parse(p.raw, p.region)
		if err != nil || !phonenumbers.IsValidNumber(n) {
			b.Fatal(p, err)
		}
		_ = phonenumbers.Format(n, phonenumbers.E164)
	}
	reportRate(b, 1)
}

// benchLines returns n list lines of the upload format, about one in ten
// with alternatives and an agent phone.
func benchLines(n int) []string {
	phones := benchPhones(n + 1)
	lines := make([]string, n)
	for i := range lines {
		p := phones[i]
		if p.region != "" && p.region != "US" {
			p.raw, _ = Normalize(p.raw, p.region)
		}
		switch i % 10 {
		case 0:
			alt, _ := Normalize(phones[i+1].raw, phones[i+1].region)
			lines[i] = fmt.Sprintf("camp;%s;id=%d:name=Customer %d:at=10:30;%s;%d;1001", p.raw, i, i, alt, i%5)
		default:
			lines[i] = fmt.Sprintf("camp;%s;id=%d;;%d;", p.raw, i, i%5)
		}
	}
	return lines
}

func BenchmarkParseLine(b *testing.B) {
	lines := benchLines(4096)
	opt := Options{DefaultRegion: "US"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ParseLine(lines[i%len(lines)], opt); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, 1)
}

// BenchmarkReader reads a 100 000-line list from memory.
func BenchmarkReader(b *testing.B) {
	const n = 100000
	input := strings.Join(benchLines(n), "\r\n") + "\r\n"
	opt := Options{DefaultRegion: "US"}
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := NewReader(strings.NewReader(input), opt)
		if err != nil {
			b.Fatal(err)
		}
		for r.Next() {
			if r.LineErr() != nil {
				b.Fatal(r.LineErr())
			}
		}
		if s := r.Stats(); s.Numbers != n {
			b.Fatalf("%+v", s)
		}
	}
	reportRate(b, n)
}

func BenchmarkParseTelphone(b *testing.B) {
	var sb strings.Builder
	sb.WriteByte('[')
	for i, p := range benchPhones(MaxEntries) {
		if i > 0 {
			sb.WriteByte(',')
		}
		e, _ := Normalize(p.raw, p.region)
		fmt.Fprintf(&sb, `{"phone":%q,"time":1500000000,"userid":"u%d","memberid":"","chengshudu":"","customuuid":"c%d"}`, e, i, i)
	}
	sb.WriteByte(']')
	text := []byte(sb.String())
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		nums, bad, err := ParseTelphone(text, Options{})
		if err != nil || len(bad) != 0 || len(nums) != MaxEntries {
			b.Fatal(len(nums), bad, err)
		}
	}
	reportRate(b, MaxEntries)
}

func BenchmarkDedupe(b *testing.B) {
	const n = 100000
	nums := make([]records.Number, n)
	for i := range nums { // one in a hundred is a repeat
		nums[i].Phone = fmt.Sprintf("+1%d555%04d", 200+i/10000, i%10000)
		if i%100 == 99 {
			nums[i].Phone = nums[i/2].Phone
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Dedupe(nums)
	}
	reportRate(b, n)
}
