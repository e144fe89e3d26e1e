package ctl

import (
	"context"
	"errors"
	"fmt"

	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

// listName names a blacklist: the tenant's (task 0) or a task's.
func listName(task uint64) string {
	if task == 0 {
		return "the tenant's blacklist"
	}
	return fmt.Sprintf("task %d's blacklist", task)
}

// BlacklistAdd adds phones to a list (task 0 = the tenant's), one call for
// one phone, a bulk call (all or none) for more.
func (a *App) BlacklistAdd(ctx context.Context, task uint64, phones []string, clientToken string) error {
	switch len(phones) {
	case 0:
		return errors.New("no phone to add")
	case 1:
		r, err := call(ctx, a, a.BlacklistService.AddBlacklist, &pb.AddBlacklistRequest{TaskId: task, Phone: phones[0], ClientToken: clientToken})
		if err != nil {
			return err
		}
		return a.done(r, "%s added to %s", r.GetPhone(), listName(task))
	}
	r, err := call(ctx, a, a.BlacklistService.BulkAddBlacklist, &pb.BulkAddBlacklistRequest{TaskId: task, Phones: phones, ClientToken: clientToken})
	if err != nil {
		return err
	}
	return a.done(r, "%d phones added to %s", r.GetAdded(), listName(task))
}

// BlacklistRemove removes phones from a list.
func (a *App) BlacklistRemove(ctx context.Context, task uint64, phones []string, clientToken string) error {
	switch len(phones) {
	case 0:
		return errors.New("no phone to remove")
	case 1:
		r, err := call(ctx, a, a.BlacklistService.DeleteBlacklist, &pb.DeleteBlacklistRequest{TaskId: task, Phone: phones[0], ClientToken: clientToken})
		if err != nil {
			return err
		}
		return a.done(r, "%s removed from %s", phones[0], listName(task))
	}
	r, err := call(ctx, a, a.BlacklistService.BulkDeleteBlacklist, &pb.BulkDeleteBlacklistRequest{TaskId: task, Phones: phones, ClientToken: clientToken})
	if err != nil {
		return err
	}
	return a.done(r, "%d phones removed from %s", r.GetRemoved(), listName(task))
}

// BlacklistCheck says whether a phone may not be called for a task.
func (a *App) BlacklistCheck(ctx context.Context, task uint64, phone string) error {
	r, err := call(ctx, a, a.BlacklistService.CheckBlacklist, &pb.CheckBlacklistRequest{TaskId: task, Phone: phone})
	if err != nil {
		return err
	}
	verdict := "not blacklisted"
	if r.GetBlacklisted() {
		verdict = "BLACKLISTED"
	}
	scope := "for task " + fmt.Sprint(task)
	if task == 0 {
		scope = "on the tenant's list"
	}
	return a.done(r, "%s: %s %s", r.GetPhone(), verdict, scope)
}

// BlacklistList prints a list, one page (or every page with all).
func (a *App) BlacklistList(ctx context.Context, task uint64, after string, pageSize int32, all bool) error {
	for {
		r, err := call(ctx, a, a.BlacklistService.ListBlacklist, &pb.ListBlacklistRequest{TaskId: task, After: after, PageSize: pageSize})
		if err != nil {
			return err
		}
		if a.Opts.JSON {
			if err := a.showLine(r); err != nil {
				return err
			}
		} else {
			for _, p := range r.GetPhones() {
				fmt.Fprintln(a.Out, p)
			}
		}
		after = r.GetNextAfter()
		if after == "" {
			return nil
		}
		if !all {
			if !a.Opts.JSON {
				fmt.Fprintf(a.Err, "more: --after %s\n", after)
			}
			return nil
		}
	}
}
