package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/table"
	"github.com/dgraph-io/ristretto/v2/z"
)

// ErrDamaged is matched (errors.Is) by the error of Open when the data
// directory's files are damaged: a table, the MANIFEST or a log that Badger
// cannot read back.
var ErrDamaged = errors.New("damaged data directory")

// DamagedError says which data directory is damaged, what Badger reported,
// and what the operator can do about it.
type DamagedError struct {
	Dir string
	// Cause is Badger's report, on one line.
	Cause string
}

// Error names the directory and the damage on the first line and the ways
// out on the second.
func (e *DamagedError) Error() string {
	return fmt.Sprintf("store: the data directory %s is damaged: %s\n"+
		"Restore it from a backup, or move it away (mv %s %s.damaged) to start afresh with an empty store: "+
		"the campaigns, numbers and records it holds are then lost to outpace, as they would be with rm -rf.",
		e.Dir, e.Cause, e.Dir, e.Dir)
}

// Is reports whether target is ErrDamaged.
func (e *DamagedError) Is(target error) bool { return target == ErrDamaged }

// damaged returns a *DamagedError for dir, cause squeezed onto one line.
func damaged(dir, cause string) error {
	cause = strings.Join(strings.Fields(cause), " ")
	if len(cause) > 300 {
		cause = cause[:300] + "…"
	}
	return &DamagedError{Dir: dir, Cause: cause}
}

// notDamage are the messages of errors, of badger.Open or of reading a
// table back, that come from the machine or the build, not from the
// directory's files. Badger formats the
// errors it wraps into text, so they are recognised by their text.
var notDamage = []string{
	"directory lock", "unsupported version", "permission denied", "read-only file system",
	"no space left on device", "disk quota exceeded", "too many open files", "cannot allocate memory",
}

// badgerOpenError classifies an error of badger.Open: an unreadable file is
// damage; a directory Badger may not open or write (permissions, a full
// disk, a newer format, another process) is not.
func badgerOpenError(dir string, err error) error {
	if machineTrouble(err) {
		return fmt.Errorf("store: open %s: %w", dir, err)
	}
	return damaged(dir, "Badger cannot open it: "+err.Error())
}

// machineTrouble reports whether err is one of notDamage.
func machineTrouble(err error) bool {
	if errors.Is(err, fs.ErrPermission) {
		return true
	}
	msg := err.Error()
	for _, m := range notDamage {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}

// checkTables reads back, before Badger opens dir, every table its MANIFEST
// lists, and refuses the directory when Badger would lose data opening it.
// Badger opens its tables on goroutines of its own, where a table with a
// broken footer makes it panic beyond any recover; it also deletes every
// table its MANIFEST does not list, so a MANIFEST that is missing or cut
// short would silently empty the store. opt are the options Badger will
// open with.
func checkTables(dir string, opt badger.Options) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	onDisk := map[uint64]string{}
	for _, e := range entries {
		if id, ok := table.ParseFileID(e.Name()); ok && strings.HasSuffix(e.Name(), ".sst") {
			onDisk[id] = e.Name()
		}
	}
	fp, err := os.Open(filepath.Join(dir, badger.ManifestFilename))
	if errors.Is(err, fs.ErrNotExist) {
		if len(onDisk) > 0 {
			return damaged(dir, fmt.Sprintf("its MANIFEST is missing but it holds %d tables (%s); Badger would delete them", len(onDisk), firstNames(onDisk)))
		}
		return nil
	} else if err != nil {
		return err
	}
	defer fp.Close()
	info, err := fp.Stat()
	if err != nil {
		return err
	}
	var mf badger.Manifest
	var end int64
	if err := safely(func() error {
		var err error
		mf, end, err = badger.ReplayManifestFile(fp, opt.ExternalMagicVersion, opt)
		return err
	}); err != nil {
		if strings.Contains(err.Error(), "unsupported version") {
			return fmt.Errorf("store: open %s: %w", dir, err)
		}
		return damaged(dir, "its MANIFEST cannot be read: "+err.Error())
	}
	if end < info.Size() {
		orphans := map[uint64]string{}
		for id, name := range onDisk {
			if _, ok := mf.Tables[id]; !ok {
				orphans[id] = name
			}
		}
		if len(orphans) > 0 {
			return damaged(dir, fmt.Sprintf("its MANIFEST is cut short (%d of %d bytes readable) and no longer lists %d tables (%s); Badger would delete them",
				end, info.Size(), len(orphans), firstNames(orphans)))
		}
	}
	ids := make([]uint64, 0, len(mf.Tables))
	for id := range mf.Tables {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		tm := mf.Tables[id]
		name := table.NewFilename(id, dir)
		if _, ok := onDisk[id]; !ok {
			return damaged(dir, fmt.Sprintf("table %s, listed in its MANIFEST, is missing", filepath.Base(name)))
		}
		if tm.KeyID != 0 {
			continue // encrypted: Badger checks it against its key registry
		}
		if err := checkTable(name, table.Options{
			BlockSize: opt.BlockSize, BloomFalsePositive: opt.BloomFalsePositive,
			ChkMode: opt.ChecksumVerificationMode, Compression: tm.Compression,
			ZSTDCompressionLevel: opt.ZSTDCompressionLevel, ReadOnly: true,
		}); err != nil {
			if machineTrouble(err) {
				return fmt.Errorf("store: open %s: %w", name, err)
			}
			var p *panicked
			if errors.As(err, &p) {
				// Badger's report of a broken footer comes framed in "== … ==" banners.
				msg := strings.NewReplacer("== Recovering from initIndex crash ==", "", "== Recovered ==", "").Replace(p.Error())
				return damaged(dir, fmt.Sprintf("table %s cannot be read: its footer is broken (Badger: %s)", filepath.Base(name), strings.TrimSpace(msg)))
			}
			return damaged(dir, fmt.Sprintf("table %s cannot be read: %v", filepath.Base(name), err))
		}
	}
	return nil
}

// checkTable opens one table read-only as Badger does (footer, index and
// its checksum, last block) and closes it again.
func checkTable(name string, topt table.Options) error {
	mf, err := z.OpenMmapFile(name, os.O_RDONLY, 0)
	if err != nil && !errors.Is(err, z.NewFile) {
		return err
	}
	var t *table.Table
	err = safely(func() error {
		var err error
		t, err = table.OpenTable(mf, topt)
		return err
	})
	if t != nil {
		// Close, not DecrRef: the last reference's release deletes the file.
		return errors.Join(err, t.MmapFile.Close(-1))
	}
	_ = mf.Close(-1)
	return err
}

// panicked is a panic that safely turned into an error.
type panicked struct{ value any }

func (p *panicked) Error() string { return fmt.Sprint(p.value) }

// safely runs f and turns a panic in it into a *panicked error: Badger
// panics, rather than failing, on some files it cannot read.
func safely(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicked{r}
		}
	}()
	return f()
}

// firstNames lists up to three of names, in file order.
func firstNames(names map[uint64]string) string {
	ids := make([]uint64, 0, len(names))
	for id := range names {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var out []string
	for i, id := range ids {
		if i == 3 {
			out = append(out, "…")
			break
		}
		out = append(out, names[id])
	}
	return strings.Join(out, ", ")
}
