package api

import (
	"context"
	"sync"
	"time"

	"google.golang.org/grpc"

	"github.com/outpace-dev/outpace/apierr"
)

// limiter is a token bucket per tenant: Rate requests a second on average,
// Burst at once. Opening a stream counts as one request.
type limiter struct {
	rate  float64
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(rate float64, burst int, now func() time.Time) *limiter {
	return &limiter{rate: rate, burst: float64(burst), now: now, buckets: make(map[string]*bucket)}
}

// allow takes a token of tenant's bucket.
func (l *limiter) allow(tenant string) error {
	if l.rate < 0 || tenant == "" {
		return nil
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[tenant]
	if b == nil {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[tenant] = b
	}
	if dt := now.Sub(b.at).Seconds(); dt > 0 {
		b.tokens = min(l.burst, b.tokens+dt*l.rate)
		b.at = now
	}
	if b.tokens < 1 {
		return apierr.New(apierr.RequestTooFast, "more than %g requests a second (burst %g): slow down", l.rate, l.burst)
	}
	b.tokens--
	return nil
}

func (l *limiter) unary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := l.allow(TenantFrom(ctx)); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (l *limiter) stream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := l.allow(TenantFrom(ss.Context())); err != nil {
		return err
	}
	return handler(srv, ss)
}
