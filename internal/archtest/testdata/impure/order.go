package impure

import (
	"maps"
	"slices"
)

// Order visits a map in the runtime's random order, and then in order.
func Order(m map[string]int) (n int) {
	for k := range m { // want "random order"
		n += len(k)
	}
	for k := range maps.Keys(m) { // want "random order"
		n += len(k)
	}
	for _, v := range maps.All(m) { // want "random order"
		n += v
	}
	for k, v := range maps.All[map[string]int, string, int](m) { // want "random order"
		n += len(k) + v
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		n += len(k)
	}
	type index map[int]bool
	for i := range (index{}) { // want "random order"
		n += i
	}
	return n
}
