package lists

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
)

// The numbering-plan patterns (national number, leading digits, national
// prefix) only ever see ASCII digits. Each is compiled once into a
// deterministic automaton over the ten digits, so that matching a number is a
// walk of at most 17 table lookups instead of a backtracking regexp run. A
// pattern that cannot be turned into an automaton (anchors inside it, or too
// many states) keeps using the regexp package.

// maxDFAStates bounds the automaton of one pattern.
const maxDFAStates = 4096

// dfa is a deterministic automaton over the digits '0'…'9'. State 0 is the
// start state; a negative transition is the dead state.
type dfa struct {
	next   []int32 // next[state*10+digit]
	accept []bool
}

// compileDFA builds the automaton of pattern, or returns nil when the pattern
// uses something an automaton over digits cannot express here.
func compileDFA(pattern string) *dfa {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return nil
	}
	for i := range prog.Inst {
		if prog.Inst[i].Op == syntax.InstEmptyWidth {
			return nil
		}
	}

	b := dfaBuilder{prog: prog, index: map[string]int32{}}
	start := b.closure([]uint32{uint32(prog.Start)})
	b.add(start)
	for s := 0; s < len(b.sets); s++ {
		for d := 0; d < 10; d++ {
			var moved []uint32
			for _, pc := range b.sets[s] {
				in := &prog.Inst[pc]
				switch in.Op {
				case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
					if in.MatchRune(rune('0' + d)) {
						moved = append(moved, in.Out)
					}
				}
			}
			if len(moved) == 0 {
				b.d.next[s*10+d] = -1
				continue
			}
			id, ok := b.add(b.closure(moved))
			if !ok {
				return nil
			}
			b.d.next[s*10+d] = id
		}
	}
	return &b.d
}

type dfaBuilder struct {
	prog  *syntax.Prog
	sets  [][]uint32
	index map[string]int32
	d     dfa
}

// closure returns the sorted set of consuming instructions and the match
// instruction reachable from pcs without consuming input.
func (b *dfaBuilder) closure(pcs []uint32) []uint32 {
	seen := map[uint32]bool{}
	var out []uint32
	stack := slices.Clone(pcs)
	for len(stack) > 0 {
		pc := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[pc] {
			continue
		}
		seen[pc] = true
		in := &b.prog.Inst[pc]
		switch in.Op {
		case syntax.InstAlt, syntax.InstAltMatch:
			stack = append(stack, in.Out, in.Arg)
		case syntax.InstCapture, syntax.InstNop:
			stack = append(stack, in.Out)
		case syntax.InstFail:
		default: // runes and match
			out = append(out, pc)
		}
	}
	slices.Sort(out)
	return out
}

// add registers a state set and returns its id; ok is false when the
// automaton grows past maxDFAStates.
func (b *dfaBuilder) add(set []uint32) (id int32, ok bool) {
	var key strings.Builder
	for _, pc := range set {
		key.WriteString(strconv.FormatUint(uint64(pc), 36))
		key.WriteByte(',')
	}
	if id, found := b.index[key.String()]; found {
		return id, true
	}
	if len(b.sets) >= maxDFAStates {
		return 0, false
	}
	id = int32(len(b.sets))
	b.index[key.String()] = id
	b.sets = append(b.sets, set)
	acc := false
	for _, pc := range set {
		if b.prog.Inst[pc].Op == syntax.InstMatch {
			acc = true
		}
	}
	b.d.accept = append(b.d.accept, acc)
	b.d.next = append(b.d.next, make([]int32, 10)...)
	return id, true
}

// full reports whether the whole of s (ASCII digits) is matched.
func (d *dfa) full(s []byte) bool {
	st := int32(0)
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
		st = d.next[int(st)*10+int(c-'0')]
		if st < 0 {
			return false
		}
	}
	return d.accept[st]
}

// prefix reports whether some prefix of s (possibly empty) is matched.
func (d *dfa) prefix(s []byte) bool {
	st := int32(0)
	if d.accept[0] {
		return true
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
		st = d.next[int(st)*10+int(c-'0')]
		if st < 0 {
			return false
		}
		if d.accept[st] {
			return true
		}
	}
	return false
}

// matcher matches one numbering pattern, by automaton when it could be built
// and by regexp otherwise.
type matcher struct {
	d     *dfa
	fullR *regexp.Regexp // ^(?:p)$
	preR  *regexp.Regexp // ^(?:p)
}

// newMatcher compiles pattern. An empty pattern never matches a number, as in
// the numbering metadata where an empty pattern means "no such numbers".
func newMatcher(pattern string) *matcher {
	if pattern == "" {
		return &matcher{d: &dfa{next: []int32{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1}, accept: []bool{false}}}
	}
	if d := compileDFA(pattern); d != nil {
		return &matcher{d: d}
	}
	fullR, err1 := regexp.Compile("^(?:" + pattern + ")$")
	preR, err2 := regexp.Compile("^(?:" + pattern + ")")
	if err1 != nil || err2 != nil {
		return newMatcher("")
	}
	return &matcher{fullR: fullR, preR: preR}
}

func (m *matcher) full(s []byte) bool {
	if m.d != nil {
		return m.d.full(s)
	}
	return m.fullR.Match(s)
}

func (m *matcher) prefix(s []byte) bool {
	if m.d != nil {
		return m.d.prefix(s)
	}
	return m.preR.Match(s)
}
