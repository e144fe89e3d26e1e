// Package ctl is the client behind `outpace ctl`: it dials the API of
// proto/outpace/v1 with the token of the user's last login, calls one
// method per command and prints the answer as a table for people or as
// protojson for scripts.
//
// The server address and token come, first found wins, from the command's
// flags (Options.Server, Options.Token), the environment (OUTPACE_SERVER,
// OUTPACE_TOKEN) and the file that Login writes in the user's config
// directory (ConfigPath, mode 0600). An error of the API is printed as its
// message, its stable number (google.rpc.ErrorInfo) and every field
// violation (google.rpc.BadRequest), never as a Go error chain or a stack.
//
// Streams are followed as they come: Import sends a list file in chunks
// with a progress bar, Events prints one line (or one JSON object) per
// event and resumes from the last sequence number after a broken
// connection. The live wallboard is package ctl/top.
package ctl
