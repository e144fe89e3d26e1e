package api

import (
	"errors"
	"time"

	"github.com/outpace-dev/outpace/store"
)

// Bootstrap makes sure the administrative tenant can log in. A given key
// (from a flag or the environment) becomes app's access key every time. With
// no key, a store without the tenant gets it, with a random key that is
// returned once (created is true) for the server to print; a store that has
// the tenant is left as it is. Logins then take app and the key.
func Bootstrap(st Store, tenant, app, key string, now time.Time) (accessKey string, created bool, err error) {
	_, err = st.GetTenant(tenant)
	missing := errors.Is(err, store.ErrNotFound)
	if err != nil && !missing {
		return "", false, err
	}
	if missing {
		if err := st.PutTenant(store.Tenant{ID: tenant, Name: "administration", Created: now}); err != nil {
			return "", false, err
		}
	}
	if key == "" {
		if !missing {
			return "", false, nil
		}
		key, created = NewAccessKey(), true
	}
	if err := st.SetCredential(tenant, app, key); err != nil {
		return "", false, err
	}
	return key, created, nil
}
