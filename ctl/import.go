package ctl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	pb "github.com/outpace-dev/outpace/proto/outpace/v1"
)

// ImportOptions say what Import sends.
type ImportOptions struct {
	// Task is the task to import into.
	Task uint64
	// Format is "lines" (campaign;number;k=v:k=v;alt1:alt2;priority;
	// agentphone), "telphone" (a JSON array of telphone entries) or ""
	// (telphone when the file starts with '[', else lines).
	Format string
	// TZ is the upload's time zone, for entries that name none.
	TZ string
	// ClientToken makes a repeat of the import change nothing.
	ClientToken string
	// Chunk is the size of each data message (0 = 1 MiB; the server takes
	// up to 4 MiB).
	Chunk int
	// NoProgress hides the progress bar.
	NoProgress bool
}

// ImportChunk is the default size of Import's data messages.
const ImportChunk = 1 << 20

// Import streams a list file (path "-" = in) into a task with a progress
// bar, then prints what was stored and the refused lines with their line
// number and reason. It fails when the list gave the task nothing.
func (a *App) Import(ctx context.Context, o ImportOptions, path string, in io.Reader) error {
	if o.Task == 0 {
		return errors.New("--task: the task to import into is required")
	}
	if o.Chunk <= 0 {
		o.Chunk = ImportChunk
	}
	if o.Chunk > 4<<20 {
		return fmt.Errorf("--chunk: at most 4 MiB, got %d bytes", o.Chunk)
	}
	size := int64(-1)
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil {
			size = fi.Size()
		}
		in = f
	}
	br := bufio.NewReaderSize(in, o.Chunk)
	format, err := listFormat(o.Format, br)
	if err != nil {
		return err
	}
	res, err := a.importStream(ctx, o, format, br, size)
	if err != nil {
		return err
	}
	if err := a.show(res, func(w io.Writer) { resultTable(w, res.GetResult(), true) }); err != nil {
		return err
	}
	if r := res.GetResult(); r.GetStored() == 0 && r.GetDuplicateCount() == 0 {
		return fmt.Errorf("no number imported into task %d: %d invalid entries", o.Task, r.GetInvalidCount())
	}
	return nil
}

// listFormat resolves the format name, peeking at the text for "".
func listFormat(name string, br *bufio.Reader) (pb.ListFormat, error) {
	switch name {
	case "lines":
		return pb.ListFormat_LIST_FORMAT_LINES, nil
	case "telphone", "json":
		return pb.ListFormat_LIST_FORMAT_TELPHONE_JSON, nil
	case "":
		for {
			b, err := br.Peek(1)
			if err != nil {
				return pb.ListFormat_LIST_FORMAT_LINES, nil
			}
			switch b[0] {
			case ' ', '\t', '\r', '\n', 0xEF, 0xBB, 0xBF: // blanks and a UTF-8 byte order mark
				_, _ = br.ReadByte()
				continue
			case '[':
				return pb.ListFormat_LIST_FORMAT_TELPHONE_JSON, nil
			}
			return pb.ListFormat_LIST_FORMAT_LINES, nil
		}
	}
	return 0, fmt.Errorf("--format: unknown list format %q (lines or telphone)", name)
}

// importStream sends the header and the text in chunks and returns the
// server's answer.
func (a *App) importStream(ctx context.Context, o ImportOptions, format pb.ListFormat, r io.Reader, size int64) (*pb.ImportNumbersResponse, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := a.TaskService.ImportNumbers(ctx)
	if err != nil {
		return nil, a.apiError(err)
	}
	hdr := &pb.ImportNumbersRequest{Part: &pb.ImportNumbersRequest_Header{Header: &pb.ImportHeader{
		TaskId: o.Task, Format: format, Tz: o.TZ, ClientToken: o.ClientToken}}}
	if err := stream.Send(hdr); err != nil {
		return nil, a.streamError(stream, err)
	}
	var bar *progressbar.ProgressBar
	if !o.NoProgress {
		bar = progressbar.NewOptions64(size, progressbar.OptionSetWriter(a.Err),
			progressbar.OptionSetDescription("importing"), progressbar.OptionShowBytes(true),
			progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond))
	}
	for {
		// A fresh buffer per message: Send may keep it until it is written.
		buf := make([]byte, o.Chunk)
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			if err := stream.Send(&pb.ImportNumbersRequest{Part: &pb.ImportNumbersRequest_Data{Data: buf[:n]}}); err != nil {
				return nil, a.streamError(stream, err)
			}
			if bar != nil {
				_ = bar.Add(n)
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return nil, rerr
		}
	}
	if bar != nil {
		_ = bar.Finish()
	}
	res, err := stream.CloseAndRecv()
	if err != nil {
		return nil, a.apiError(err)
	}
	return res, nil
}

// streamError is the server's reason for a failed Send: io.EOF from Send
// means the server ended the stream, and its status comes with Recv.
func (a *App) streamError(stream pb.TaskService_ImportNumbersClient, err error) error {
	if errors.Is(err, io.EOF) {
		_, err = stream.CloseAndRecv()
	}
	return a.apiError(err)
}
