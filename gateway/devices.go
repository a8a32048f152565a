package gateway

import (
	"context"
	"errors"
	"sync"
	"time"

	"ecowatch/hj212"
)

// Device is what the gateway needs to know of a registered data acquisition
// unit.
type Device struct {
	MN       string
	Password string
	Point    string     // monitoring point code
	Protocol string     // registry's protocol version, e.g. "HJ212-2017"
	Mode     hj212.Mode // quirks this device is allowed; Strict by default
	// Suspended devices are archived and acknowledged but not ingested.
	Suspended bool
	// Timeout and Retries govern platform requests to this device
	// (HJ 212-2017 §6.1 Table 1: 10 s and 3 retries over GPRS/4G, set with
	// CN=1000). Zero takes the server's defaults.
	Timeout time.Duration
	Retries int
}

// ErrUnknownDevice is returned by a Registry for an MN it does not hold.
var ErrUnknownDevice = errors.New("gateway: device not registered")

// ErrInvalidDevice is wrapped by a Registry's Register error when the entry
// itself is wrong (an unknown point, a bad MN); the API answers 400.
var ErrInvalidDevice = errors.New("gateway: invalid device entry")

// Registry is the device registry as the gateway uses it. Implementations
// are safe for concurrent use.
type Registry interface {
	// Device returns the device with the given MN, or an error wrapping
	// ErrUnknownDevice. Any other error means the registry could not be
	// read; the gateway then leaves the frame unacknowledged.
	Device(ctx context.Context, mn string) (Device, error)
	// Register adds the device or replaces its entry.
	Register(ctx context.Context, d Device) error
	// Devices lists every registered device.
	Devices(ctx context.Context) ([]Device, error)
}

// RegistryFuncs is a Registry made of functions, for tests and for wiring
// a store whose method names differ.
type RegistryFuncs struct {
	DeviceFunc   func(ctx context.Context, mn string) (Device, error)
	RegisterFunc func(ctx context.Context, d Device) error
	DevicesFunc  func(ctx context.Context) ([]Device, error)
}

// Device implements Registry.
func (r RegistryFuncs) Device(ctx context.Context, mn string) (Device, error) {
	return r.DeviceFunc(ctx, mn)
}

// Register implements Registry.
func (r RegistryFuncs) Register(ctx context.Context, d Device) error { return r.RegisterFunc(ctx, d) }

// Devices implements Registry.
func (r RegistryFuncs) Devices(ctx context.Context) ([]Device, error) { return r.DevicesFunc(ctx) }

// deviceCache keeps registry answers for a short time, so that a busy
// gateway reads the registry once per device per TTL rather than once per
// frame. Unknown devices are cached too (a device that is not registered
// keeps sending); errors are not.
type deviceCache struct {
	reg Registry
	ttl time.Duration
	mu  sync.RWMutex
	m   map[string]cacheEntry
}

type cacheEntry struct {
	dev     Device
	unknown bool
	until   time.Time
}

func newDeviceCache(reg Registry, ttl time.Duration) *deviceCache {
	return &deviceCache{reg: reg, ttl: ttl, m: make(map[string]cacheEntry)}
}

// cached answers from the cache alone; ok is false on a miss.
func (c *deviceCache) cached(mn string, now time.Time) (Device, error, bool) {
	c.mu.RLock()
	e, ok := c.m[mn]
	c.mu.RUnlock()
	if !ok || !now.Before(e.until) {
		return Device{}, nil, false
	}
	if e.unknown {
		return Device{}, ErrUnknownDevice, true
	}
	return e.dev, nil, true
}

func (c *deviceCache) lookup(ctx context.Context, mn string, now time.Time) (Device, error) {
	c.mu.RLock()
	e, ok := c.m[mn]
	c.mu.RUnlock()
	if ok && now.Before(e.until) {
		if e.unknown {
			return Device{}, ErrUnknownDevice
		}
		return e.dev, nil
	}
	d, err := c.reg.Device(ctx, mn)
	switch {
	case err == nil:
		e = cacheEntry{dev: d, until: now.Add(c.ttl)}
	case errors.Is(err, ErrUnknownDevice):
		e = cacheEntry{unknown: true, until: now.Add(c.ttl)}
	default:
		return Device{}, err
	}
	c.mu.Lock()
	if len(c.m) > 100000 {
		// A flood of invented MNs must not grow the cache without bound.
		clear(c.m)
	}
	c.m[mn] = e
	c.mu.Unlock()
	if e.unknown {
		return Device{}, ErrUnknownDevice
	}
	return d, nil
}

func (c *deviceCache) forget(mn string) {
	c.mu.Lock()
	delete(c.m, mn)
	c.mu.Unlock()
}
