package lists

import (
	"bufio"
	"bytes"
	"errors"
	"io"

	"github.com/outpace-dev/outpace/records"
)

// MaxLineLen is the longest list line accepted, in bytes. A longer line is
// reported (FieldLine) and skipped; reading goes on with the next one.
const MaxLineLen = 64 << 10

// Stats counts what a Reader has read so far.
type Stats struct {
	Bytes    int64 // bytes consumed, line ends included
	Lines    int   // lines read, blank and skipped ones included
	Numbers  int   // lines turned into numbers
	Errors   int   // lines rejected
	Warnings int   // parts of kept lines that were dropped
	Blank    int   // blank and comment lines
	Other    int   // lines of another campaign (Options.Campaign)
}

// Reader reads a seed-001 list from an io.Reader, one line at a time, and
// never stops at a bad line. Lines end with LF, CRLF or a lone CR. Use it
// like bufio.Scanner:
//
//	r, err := lists.NewReader(src, opt)
//	for r.Next() {
//		if e := r.LineErr(); e != nil {
//			// report e: e.Line, e.Field, e.Reason
//			continue
//		}
//		n := r.Number()
//		// r.Warnings() holds the dropped alternatives of this line
//	}
//	if err := r.Err(); err != nil { … } // reading failed
//
// A Reader is not safe for concurrent use.
type Reader struct {
	opt Options
	sc  *bufio.Scanner

	// splitter state
	consumed   int64
	long       bool // the token is the start of an over-long line
	discarding bool // skipping the rest of an over-long line
	searched   int  // bytes at the start of the pending data known to hold no line end

	rec   Record
	err   *LineError
	ioErr error
	stats Stats
	ended bool

	every    int
	progress func(Stats)
	lastProg int
}

// NewReader returns a Reader of src. It fails only when opt does not
// Validate.
func NewReader(src io.Reader, opt Options) (*Reader, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	r := &Reader{opt: opt, sc: bufio.NewScanner(src)}
	r.sc.Buffer(make([]byte, 0, 64<<10), MaxLineLen+4096)
	r.sc.Split(r.split)
	return r, nil
}

// OnProgress makes the Reader call fn with its Stats every `every` lines (1
// when every < 1) and once more when the input ends, for a progress bar:
// Stats.Bytes against the size of the input.
func (r *Reader) OnProgress(every int, fn func(Stats)) {
	r.every, r.progress = max(every, 1), fn
}

var bom = []byte("\xEF\xBB\xBF")

// Next advances to the next number or rejected line, skipping blank and
// comment lines and lines of other campaigns. It returns false at the end of
// the input or when reading fails (see Err).
func (r *Reader) Next() bool {
	r.rec, r.err = Record{}, nil
	for r.sc.Scan() {
		r.stats.Lines++
		r.stats.Bytes = r.consumed
		b := r.sc.Bytes()
		if r.stats.Lines == 1 {
			b = bytes.TrimPrefix(b, bom)
		}
		r.report()
		if r.long {
			r.long = false
			r.err = &LineError{Line: r.stats.Lines, Field: FieldLine,
				Reason: "longer than 64 KiB", Text: cutText(string(b[:min(len(b), maxErrorText)]))}
			r.stats.Errors++
			return true
		}
		if t := bytes.TrimSpace(b); len(t) == 0 || t[0] == '#' {
			r.stats.Blank++
			continue
		}
		rec, err := ParseRecord(string(b), r.opt)
		switch {
		case err == nil:
			for i := range rec.Warnings {
				rec.Warnings[i].Line = r.stats.Lines
			}
			r.rec = rec
			r.stats.Numbers++
			r.stats.Warnings += len(rec.Warnings)
			return true
		case errors.Is(err, ErrOtherCampaign):
			r.stats.Other++
		case errors.Is(err, ErrBlank):
			r.stats.Blank++
		default:
			le, ok := err.(*LineError)
			if !ok {
				le = &LineError{Field: FieldLine, Reason: err.Error(), Text: cutText(string(b))}
			}
			le.Line = r.stats.Lines
			r.err = le
			r.stats.Errors++
			return true
		}
	}
	r.stats.Bytes = r.consumed
	if !r.ended {
		r.ended = true
		r.ioErr = r.sc.Err()
		if r.progress != nil {
			r.progress(r.stats)
		}
	}
	return false
}

func (r *Reader) report() {
	if r.progress != nil && r.stats.Lines-r.lastProg >= r.every {
		r.lastProg = r.stats.Lines
		r.progress(r.stats)
	}
}

// Record returns the current line's record (zero when LineErr is not nil).
func (r *Reader) Record() Record { return r.rec }

// Number returns the current line's number (zero when LineErr is not nil).
func (r *Reader) Number() records.Number { return r.rec.Number }

// Campaign returns the current line's campaign ("" when LineErr is not nil).
func (r *Reader) Campaign() string { return r.rec.Campaign }

// Warnings returns the parts dropped from the current line, with their line
// number.
func (r *Reader) Warnings() []LineError { return r.rec.Warnings }

// LineErr returns why the current line was rejected, or nil.
func (r *Reader) LineErr() *LineError { return r.err }

// Line returns the current line number (1-based).
func (r *Reader) Line() int { return r.stats.Lines }

// Stats returns the counts so far.
func (r *Reader) Stats() Stats { return r.stats }

// Err returns the error that stopped reading, if it was not the end of the
// input.
func (r *Reader) Err() error { return r.ioErr }

// split is the bufio.SplitFunc of a Reader: lines end with LF, CRLF or CR;
// a line longer than MaxLineLen yields its start (flagged by r.long) and the
// rest is skipped.
func (r *Reader) split(data []byte, atEOF bool) (int, []byte, error) {
	if r.discarding {
		i := bytes.IndexAny(data, "\r\n")
		if i < 0 {
			r.consumed += int64(len(data))
			if atEOF {
				r.discarding = false
			}
			return len(data), nil, nil
		}
		n, ok := lineEnd(data, i, atEOF)
		if !ok {
			r.consumed += int64(i)
			return i, nil, nil
		}
		r.discarding = false
		r.consumed += int64(n)
		return n, nil, nil
	}
	if atEOF && len(data) == 0 {
		return 0, nil, nil
	}
	i := -1
	if r.searched < len(data) {
		if i = bytes.IndexAny(data[r.searched:], "\r\n"); i >= 0 {
			i += r.searched
		}
	}
	if i >= 0 && i <= MaxLineLen {
		n, ok := lineEnd(data, i, atEOF)
		if !ok {
			r.searched = i
			return 0, nil, nil // a CR at the end of the buffer: is LF next?
		}
		r.searched = 0
		r.consumed += int64(n)
		return n, data[:i], nil
	}
	if len(data) > MaxLineLen {
		r.searched = 0
		r.long, r.discarding = true, true
		r.consumed += MaxLineLen
		return MaxLineLen, data[:MaxLineLen], nil
	}
	if atEOF {
		r.searched = 0
		r.consumed += int64(len(data))
		return len(data), data, nil
	}
	r.searched = len(data)
	return 0, nil, nil
}

// lineEnd returns the length of the line ending at data[i] with its end
// (CR, LF or CRLF); ok is false when data ends in a CR and more may follow.
func lineEnd(data []byte, i int, atEOF bool) (n int, ok bool) {
	if data[i] == '\n' {
		return i + 1, true
	}
	if i+1 < len(data) {
		if data[i+1] == '\n' {
			return i + 2, true
		}
		return i + 1, true
	}
	return i + 1, atEOF
}
