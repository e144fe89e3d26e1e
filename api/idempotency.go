package api

import (
	"context"
	"crypto/sha256"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/outpace-dev/outpace/apierr"
	"github.com/outpace-dev/outpace/store"
)

// idempotency answers a repeated request with a client token with the first
// answer. Only successful answers are kept: a failed request changed
// nothing, so repeating it is safe. Requests with the same key are
// serialised, so two concurrent repeats do not both run.
type idempotency struct {
	st    store.Sessions
	locks [64]sync.Mutex // striped by key
}

func newIdempotency(st store.Sessions) *idempotency { return &idempotency{st: st} }

// clientToken returns the client_token field of req, if it has one set.
func clientToken(req any) string {
	m, ok := req.(proto.Message)
	if !ok {
		return ""
	}
	r := m.ProtoReflect()
	fd := r.Descriptor().Fields().ByName("client_token")
	if fd == nil || fd.Kind() != protoreflect.StringKind {
		return ""
	}
	return r.Get(fd).String()
}

func (i *idempotency) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	token := clientToken(req)
	if token == "" {
		return handler(ctx, req)
	}
	if len(token) > 128 {
		return nil, apierr.Invalid("client_token", "must be at most 128 bytes")
	}
	tenant := TenantFrom(ctx)
	raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(req.(proto.Message))
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	kh := sha256.Sum256([]byte(tenant + "\x00" + info.FullMethod + "\x00" + token))
	mu := &i.locks[kh[0]%byte(len(i.locks))]
	mu.Lock()
	defer mu.Unlock()

	prev, found, err := i.st.GetIdempotent(tenant, info.FullMethod, token)
	if err != nil {
		return nil, err
	}
	if found {
		if prev.Request != sum {
			return nil, apierr.Invalid("client_token", "was used with a different request")
		}
		var a anypb.Any
		if err := proto.Unmarshal(prev.Response, &a); err != nil {
			return nil, err
		}
		return a.UnmarshalNew()
	}
	resp, err := handler(ctx, req)
	if err != nil {
		return nil, err
	}
	a, err := anypb.New(resp.(proto.Message))
	if err != nil {
		return nil, err
	}
	b, err := proto.Marshal(a)
	if err != nil {
		return nil, err
	}
	// The request took effect: its answer goes back even if it cannot be
	// kept (a repeat would then run again, as it would without a token).
	_ = i.st.PutIdempotent(tenant, info.FullMethod, token, store.Idempotent{Request: sum, Response: b})
	return resp, nil
}

// stream answers a client-streaming call with a client token once: a repeat
// reads its stream to the end without acting on it (skip) and gets the
// first answer (send); a first call runs (run) and its answer is kept. The
// request's hash covers first (the stream's header) only.
func (i *idempotency) stream(ctx context.Context, method, token string, first proto.Message,
	run func() (proto.Message, error), skip func() error, send func(proto.Message) error) error {
	tenant := TenantFrom(ctx)
	raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(first)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(raw)
	kh := sha256.Sum256([]byte(tenant + "\x00" + method + "\x00" + token))
	mu := &i.locks[kh[0]%byte(len(i.locks))]
	mu.Lock()
	defer mu.Unlock()
	prev, found, err := i.st.GetIdempotent(tenant, method, token)
	if err != nil {
		return err
	}
	if found {
		if prev.Request != sum {
			return apierr.Invalid("header.client_token", "was used with a different request")
		}
		var a anypb.Any
		if err := proto.Unmarshal(prev.Response, &a); err != nil {
			return err
		}
		m, err := a.UnmarshalNew()
		if err != nil {
			return err
		}
		if err := skip(); err != nil {
			return err
		}
		return send(m)
	}
	resp, err := run()
	if err != nil {
		return err
	}
	a, err := anypb.New(resp)
	if err != nil {
		return err
	}
	b, err := proto.Marshal(a)
	if err != nil {
		return err
	}
	_ = i.st.PutIdempotent(tenant, method, token, store.Idempotent{Request: sum, Response: b})
	return send(resp)
}
