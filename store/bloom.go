package store

import (
	"hash/maphash"
	"math/bits"
)

// phoneFilter is a growing Bloom filter of the phones of one task. Imports
// look a phone up in the store only when the filter says it may be there, so
// checking a fresh list for duplicates costs no disk read. It lives in memory
// and is rebuilt from the p keys on the first import after a start.
type phoneFilter struct {
	seed  maphash.Seed
	parts []*bloomPart
}

type bloomPart struct {
	bits []uint64
	mask uint64
	n    int // phones added
	cap  int // phones before the next part is started
}

const (
	bloomFirstCap = 1 << 16
	bloomBits     = 12 // bits per phone: about 0.3 % false positives
	bloomHashes   = 8
)

func newPhoneFilter() *phoneFilter {
	return &phoneFilter{seed: maphash.MakeSeed()}
}

func newBloomPart(capacity int) *bloomPart {
	m := uint64(1) << bits.Len64(uint64(capacity*bloomBits-1))
	return &bloomPart{bits: make([]uint64, m/64), mask: m - 1, cap: capacity}
}

func (f *phoneFilter) hash(phone string) uint64 { return maphash.String(f.seed, phone) }

func (f *phoneFilter) add(h uint64) {
	var p *bloomPart
	if n := len(f.parts); n > 0 && f.parts[n-1].n < f.parts[n-1].cap {
		p = f.parts[n-1]
	} else {
		c := bloomFirstCap
		if n > 0 {
			c = f.parts[n-1].cap * 2
		}
		p = newBloomPart(c)
		f.parts = append(f.parts, p)
	}
	h1, h2 := h, h>>32|1
	for i := range uint64(bloomHashes) {
		x := (h1 + i*h2) & p.mask
		p.bits[x/64] |= 1 << (x % 64)
	}
	p.n++
}

func (f *phoneFilter) mayContain(h uint64) bool {
	h1, h2 := h, h>>32|1
	for _, p := range f.parts {
		hit := true
		for i := range uint64(bloomHashes) {
			x := (h1 + i*h2) & p.mask
			if p.bits[x/64]&(1<<(x%64)) == 0 {
				hit = false
				break
			}
		}
		if hit {
			return true
		}
	}
	return false
}
