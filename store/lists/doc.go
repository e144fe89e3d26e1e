// Package lists turns the number lists that integrators send into
// records.Number values: the seed-001 upload format, one number a line,
//
//	campaign;number;k=v:k=v;alt1:alt2;priority;agentphone
//
// read as a stream of any length by Reader (or one line by ParseLine), and
// the seed-003 `telphone` JSON array of TaskCreat / TaskAdd, at most
// MaxEntries a call, by ParseTelphone and ParseEntries.
//
// A bad entry never fails the batch: it is reported (LineError with its line
// number, EntryError with its index, each naming the field at fault) and the
// good ones are kept. Phone numbers are checked against the numbering plan of
// their country and stored in E.164 form (Normalize); Dedupe drops the second
// and later occurrences of a number within a batch.
//
// The package only parses: it reads from the io.Reader it is given and opens
// no files.
package lists
