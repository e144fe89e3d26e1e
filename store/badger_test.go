package store_test

import (
	"bytes"
	"testing"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/outpace-dev/outpace/records"
	"github.com/outpace-dev/outpace/store"
	"github.com/outpace-dev/outpace/store/storetest"
)

func openDisk(t *testing.T, dir string) *store.Badger {
	t.Helper()
	st, err := store.Open(store.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestBadgerDisk(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openDisk(t, t.TempDir()) })
}

func TestBadgerMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		st, err := store.Open(store.Config{InMemory: true})
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}

// TestSecretsHashed checks that no key or value holds a secret in clear.
func TestSecretsHashed(t *testing.T) {
	st, err := store.Open(store.Config{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const secret = "correct-horse-battery-staple"
	if err := st.SetCredential("acme", "app", secret); err != nil {
		t.Fatal(err)
	}
	err = st.DB().View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			if bytes.Contains(it.Item().Key(), []byte(secret)) || bytes.Contains(v, []byte(secret)) {
				t.Errorf("key %q holds the secret in clear", it.Item().Key())
			}
			if bytes.HasPrefix(it.Item().Key(), []byte("Aapp")) && !bytes.Contains(v, []byte("$argon2id$")) {
				t.Errorf("credential %s is not an argon2id hash", v)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReopen checks what survives a clean restart on disk.
func TestReopen(t *testing.T) {
	dir := t.TempDir()
	t0 := storetest.T0
	st := openDisk(t, dir)
	task := store.Task{Spec: records.TaskSpec{Tenant: "acme"}, Window: records.AlwaysOpen}
	if err := st.CreateTask(&task); err != nil {
		t.Fatal(err)
	}
	id := task.Spec.ID
	nums := make([]records.Number, 3000)
	for i := range nums {
		nums[i].Phone = "+1415555" + string(rune('0'+i/1000)) + string(rune('0'+i/100%10)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10))
	}
	if res, err := st.ImportNumbers(id, nums); err != nil || res.Stored != len(nums) {
		t.Fatalf("import: %+v %v", res, err)
	}
	got, err := st.NextNumbers(id, t0, 2, nil)
	if err != nil || len(got) != 2 {
		t.Fatalf("fetch %v %v", got, err)
	}
	rd := records.Writes{
		Numbers: []records.NumberUpdate{{At: t0, Task: id, Number: got[0].ID, State: records.NumberDialing, Call: 41, Attempts: 1}},
		Events:  []records.CTIEvent{{Name: records.EventDialing, At: t0, Tenant: "acme", Call: 41}},
	}
	if _, err := st.Commit(rd, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st = openDisk(t, dir)
	defer st.Close()
	rs, err := st.Recover(t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if rs.LastCall != 41 || len(rs.Interrupted) != 1 || rs.Interrupted[0].Number != got[0].ID {
		t.Fatalf("recovered %+v", rs)
	}
	if !rs.Interrupted[0].NextAt.Equal(t0.Add(time.Minute + store.DefaultInterruptedRetry)) {
		t.Fatalf("interrupted number due again at %v", rs.Interrupted[0].NextAt)
	}
	// got[1] was handed out but never dialled: the new engine gets it first.
	next, err := st.NextNumbers(id, t0, 1, nil)
	if err != nil || len(next) != 1 || next[0].ID != got[1].ID {
		t.Fatalf("first number after restart %+v %v", next, err)
	}
	if seq, _ := st.LastSeq("acme"); seq != 1 {
		t.Fatalf("event seq after restart %d", seq)
	}
	// The number IDs of a new import do not collide with the old ones.
	more := []records.Number{{Phone: "+14155559999"}, {Phone: "+14155550000"}}
	res, err := st.ImportNumbers(id, more)
	if err != nil || res.Stored != 1 || len(res.Duplicates) != 1 {
		t.Fatalf("import after restart %+v %v", res, err)
	}
	for _, n := range nums {
		if n.ID == more[0].ID {
			t.Fatalf("ID %d given twice", n.ID)
		}
	}
}
