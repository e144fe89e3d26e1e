package lists

import (
	"slices"
	"testing"

	"github.com/outpace-dev/outpace/records"
)

func TestDedupe(t *testing.T) {
	phones := []string{"+14155550101", "+14155550102", "+14155550101", "not-e164", "+14155550103",
		"not-e164", "+14155550102", "", "", "+099", "+099"}
	nums := make([]records.Number, len(phones))
	for i, p := range phones {
		nums[i] = records.Number{Phone: p, Priority: i}
	}
	before := slices.Clone(nums)

	kept, dups := Dedupe(nums)
	var got []int
	for _, n := range kept {
		got = append(got, n.Priority)
	}
	if want := []int{0, 1, 3, 4, 7, 9}; !slices.Equal(got, want) {
		t.Errorf("kept %v; want %v", got, want)
	}
	if want := []int{2, 5, 6, 8, 10}; !slices.Equal(dups, want) {
		t.Errorf("dups %v; want %v", dups, want)
	}
	for i := range nums {
		if nums[i].Phone != before[i].Phone || nums[i].Priority != before[i].Priority {
			t.Fatalf("nums changed at %d", i)
		}
	}

	kept, dups = Dedupe(before[:2])
	if dups != nil || len(kept) != 2 || &kept[0] != &before[0] {
		t.Errorf("no duplicates: kept %v dups %v; want nums itself", kept, dups)
	}
	if kept, dups := Dedupe(nil); kept != nil || dups != nil {
		t.Errorf("Dedupe(nil) = %v, %v", kept, dups)
	}
}

func TestPhoneKey(t *testing.T) {
	for _, p := range []string{"+1", "+14155550101", "+8618012345678", "+9999999999999999999"} {
		if _, ok := phoneKey(p); !ok {
			t.Errorf("phoneKey(%q) not ok", p)
		}
	}
	for _, p := range []string{"", "+", "14155550101", "+0123", "+1415x", "+99999999999999999999"} {
		if _, ok := phoneKey(p); ok {
			t.Errorf("phoneKey(%q) ok", p)
		}
	}
	a, _ := phoneKey("+4412")
	b, _ := phoneKey("+44012")
	if a == b {
		t.Error("different numbers, same key")
	}
}
