package store

import (
	"bytes"
	"encoding/json"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// Key tables of the API's state (see keys.go for the others).
const (
	kSession = 'K' // K sha256(token)(32) → Session (JSON), expires with it
	kIdem    = 'I' // I tenant 0 method 0 client token → Idempotent (JSON), expires after IdempotencyTTL
)

// Sessions holds the API's tokens and the answers of idempotent requests.
// Tokens are kept only as their SHA-256 hash: a copy of the store gives no
// usable token. Entries expire by themselves (Badger's TTL).
type Sessions interface {
	// PutSession stores a session under the hash of its token until
	// s.Expires.
	PutSession(tokenHash [32]byte, s Session) error
	// GetSession returns the session of a token hash; a missing or expired
	// one is an error wrapping ErrNotFound.
	GetSession(tokenHash [32]byte) (Session, error)
	// DeleteSession revokes one session (a missing one is no error).
	DeleteSession(tokenHash [32]byte) error
	// DeleteAppSessions revokes every session of app and returns their
	// hashes.
	DeleteAppSessions(app string) ([][32]byte, error)

	// PutIdempotent stores the answer of a request by its tenant, method
	// and client token for IdempotencyTTL.
	PutIdempotent(tenant, method, token string, v Idempotent) error
	// GetIdempotent returns a stored answer; found is false when there is
	// none (never stored, or expired).
	GetIdempotent(tenant, method, token string) (v Idempotent, found bool, err error)
}

// IdempotencyTTL is how long the answer of a request with a client token is
// kept and returned again for a repeat.
const IdempotencyTTL = 7 * 24 * time.Hour

// Session is what a token stands for.
type Session struct {
	Tenant  string    `json:"tenant"`
	App     string    `json:"app"`
	Issued  time.Time `json:"issued"`
	Expires time.Time `json:"expires"`
}

// Idempotent is the first answer to a request with a client token.
type Idempotent struct {
	Request  [32]byte `json:"request"`  // SHA-256 of the request, to refuse a reused token
	Response []byte   `json:"response"` // the answer, as the API encoded it
}

var _ Sessions = (*Badger)(nil)

func sessionKey(h [32]byte) []byte { return append([]byte{kSession}, h[:]...) }

// PutSession implements Sessions.
func (s *Badger) PutSession(h [32]byte, sess Session) error {
	ttl := time.Until(sess.Expires)
	if ttl <= 0 {
		return nil
	}
	v, err := json.Marshal(&sess)
	if err != nil {
		return err
	}
	return s.db.Update(func(txn *badger.Txn) error {
		return txn.SetEntry(badger.NewEntry(sessionKey(h), v).WithTTL(ttl))
	})
}

// GetSession implements Sessions.
func (s *Badger) GetSession(h [32]byte) (Session, error) {
	var sess Session
	var found bool
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		found, err = get(txn, sessionKey(h), func(v []byte) error { return json.Unmarshal(v, &sess) })
		return err
	})
	if err == nil && !found {
		err = ErrNotFound
	}
	return sess, err
}

// DeleteSession implements Sessions.
func (s *Badger) DeleteSession(h [32]byte) error {
	return s.db.Update(func(txn *badger.Txn) error { return txn.Delete(sessionKey(h)) })
}

// DeleteAppSessions implements Sessions.
func (s *Badger) DeleteAppSessions(app string) ([][32]byte, error) {
	var hashes [][32]byte
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{kSession}, PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var sess Session
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &sess) }); err != nil {
				return err
			}
			if sess.App == app {
				var h [32]byte
				copy(h[:], it.Item().Key()[1:])
				hashes = append(hashes, h)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, h := range hashes {
		if err := s.DeleteSession(h); err != nil {
			return nil, err
		}
	}
	return hashes, nil
}

func idemKey(tenant, method, token string) []byte {
	var b bytes.Buffer
	b.WriteByte(kIdem)
	b.WriteString(tenant)
	b.WriteByte(0)
	b.WriteString(method)
	b.WriteByte(0)
	b.WriteString(token)
	return b.Bytes()
}

// PutIdempotent implements Sessions.
func (s *Badger) PutIdempotent(tenant, method, token string, v Idempotent) error {
	b, err := json.Marshal(&v)
	if err != nil {
		return err
	}
	return s.db.Update(func(txn *badger.Txn) error {
		return txn.SetEntry(badger.NewEntry(idemKey(tenant, method, token), b).WithTTL(IdempotencyTTL))
	})
}

// GetIdempotent implements Sessions.
func (s *Badger) GetIdempotent(tenant, method, token string) (Idempotent, bool, error) {
	var v Idempotent
	var found bool
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		found, err = get(txn, idemKey(tenant, method, token), func(b []byte) error { return json.Unmarshal(b, &v) })
		return err
	})
	return v, found, err
}
