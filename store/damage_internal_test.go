package store

import (
	"errors"
	"fmt"
	"testing"
)

// TestBadgerOpenErrorKinds classifies errors worded as badger.Open words
// them (its y.Wrap formats the cause into text): a full disk, a read-only
// mount or another process is the machine's trouble, not damage. A full
// disk cannot be made for real in a test, hence the worded errors.
func TestBadgerOpenErrorKinds(t *testing.T) {
	for _, c := range []struct {
		msg     string
		damaged bool
	}{
		{`While opening memtable: d/00001.mem err: while truncation err: truncate d/00001.mem: no space left on device`, false},
		{`Error while creating file d/MANIFEST err: open d/MANIFEST: read-only file system`, false},
		{`Cannot acquire directory lock on "d".  Another process is using this Badger database. err: resource temporarily unavailable`, false},
		{`manifest has unsupported version: 9 (we support 8).`, false},
		{`During db.vlog.open err: While opening vlog file 1 err: Invalid datakey id`, true},
		{`Encryption key mismatch`, true},
	} {
		err := badgerOpenError("d", fmt.Errorf("%s", c.msg))
		if got := errors.Is(err, ErrDamaged); got != c.damaged {
			t.Errorf("%q: damaged %v, want %v", c.msg, got, c.damaged)
		}
	}
}
