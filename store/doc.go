// Package store keeps outpace's durable state: tenants and their app
// credentials, tasks, queues and agents, number lists, blacklists, scheduled
// callbacks and dispositions, call records, the per-tenant event log and the
// webhook outbox. Consumers see small interfaces (Serving for the engine
// runner, which declares its own runner.Store; Admin, Lists, Blacklists,
// Records, EventLog and Outbox for the API server) gathered in Store; Badger implements them on
// github.com/dgraph-io/badger/v4, on disk or in memory, and the suite in
// store/storetest holds every implementation to the same behaviour.
//
// # The contract with the engine
//
// The engine's Ready lists what must be durable before its commands run.
// Commit writes all of it in one Badger transaction, synced before Commit
// returns (group commit: one fsync per Ready, however many numbers, records
// and events it holds). A number is written NumberDialing before its
// Originate goes out, so a crash never dials it twice: after the crash,
// Recover finds it in the in-flight index, writes a call record with
// Disposition "interrupted" for its call and makes it pending again after
// Config.InterruptedRetry (72 h by default, because an interrupted call may
// have been answered and abandoned). The number is never redialled without
// that record. A number that was handed to the engine but not dialled yet was
// never written: it is simply due again. RecoveredState.LastCall goes to
// engine.Config.LastCall so that new calls are numbered above every call the
// store has seen, and call IDs stay unique across restarts.
//
// Recover reads the small tables (tasks, queues, agents) and the in-flight
// index, never the lists, so serving again takes the same time with ten
// numbers or ten million (BenchmarkRestart); Open's replay of Badger's
// write-ahead log after a crash is bounded by the memtable size.
//
// # Key layout
//
// Every key starts with one byte naming its table. Integers are big-endian
// so that byte order is numeric order; times are unix nanoseconds; tenant
// names end with a 0 byte so that one tenant's prefix never covers another's.
//
//	M v                                  schema version
//	M c                                  highest call ID seen
//	S name                               Badger sequences (number, task, queue, agent, webhook IDs)
//	T tenant                             Tenant (JSON)
//	A app                                app credential: tenant and argon2id hash (JSON)
//	t task(8)                            Task: spec, status, calling window (JSON)
//	q queue(4)                           Queue (JSON)
//	a agent(4)                           AgentSpec (JSON)
//	b task(8) bucket(2)                  zone set of a bucket: "America/Chicago,America/New_York"
//	d task(8) bucket(2) class(1) prio(4) due(8) id(8)
//	                                     the due index, value = the whole number
//	i task(8) first(8)                   initial position (bucket..due, 15 bytes) of each of a
//	                                     run of consecutive IDs from first
//	n task(8) id(8)                      the number, once it has left its initial position
//	p task(8) phone                      number ID: duplicate checks and look-up by phone
//	f task(8) id(8)                      in flight: call(8) and dial time(8)
//	L tenant 0 task(8) phone             blacklist entry (task 0: the whole tenant)
//	r tenant 0 call(8)                   call record
//	x tenant 0 kind(1) attr time(8) call(8)
//	                                     call-record indexes (see below)
//	D tenant 0 call(8)                   disposition (JSON)
//	e tenant 0 seq(8)                    event of the log
//	E tenant                             last sequence number of the tenant's log
//	w id(8)                              webhook (JSON)
//	W at(8) id(8)                        webhooks by due time
//
// # Choosing the next numbers without scanning the list
//
// The d keys of one task sort in dialling order within a bucket: class 0
// (scheduled callbacks) before class 1 (list numbers), then priority
// (stored as the complement of its order-preserving encoding, so higher
// comes first), then due time (the later of not-before and the retry time),
// then ID. A bucket is the set of time zones its numbers' called parties may
// live in: a number's own zone, or the zones of its phone prefix (from the
// phonenumbers data; a prefix that spans several zones makes a bucket that
// is open only when every one of them is inside the window). A task has a
// handful of buckets, one prefix each in the index.
//
// NextNumbers asks each bucket whether the task's calling window is open in
// its zones at now (daylight saving included) and does not even open an
// iterator on a closed one: a closed bucket of a million numbers costs
// nothing. Each open bucket gets one iterator; inside it, the first key of a
// (class, priority) group that is not due yet means the rest of the group is
// not due either, so the iterator seeks straight to the next group. The open
// buckets' iterators are merged by their (class, priority, due, ID) suffix.
// Work is proportional to the numbers returned plus the groups skipped.
//
// Numbers leave the index as they are dialled, and an LSM tree keeps the
// tombstones of deleted keys until compaction reaches them: a queue that
// always reads from its head would step over every number dialled so far.
// Each bucket therefore remembers in memory a lower bound of its live keys
// (the first key its last scan met, lowered by every insert) and seeks
// there, and, for each group a scan jumped over because its next number was
// not due, where that jump landed; so the tombstones behind them are read
// once, not on every call. Pulls of call records (below) do the same with
// the head of the "not pulled" index.
//
// A pending number's whole value is the value of its d key, so selection
// reads nothing else. Numbers handed to the engine are leased in memory
// until a Commit updates them; the lease keeps the value, so the Commit that
// marks them NumberDialing reads nothing either. Leases die with the
// process, as does the engine that held the numbers.
//
// # Imports
//
// An import writes two keys per number, its d key and its p key, plus one i
// key per run of consecutive IDs (normally one per chunk of ImportChunk
// numbers): the i keys find a number by ID while it still sits where it was
// imported, and its n key takes over from the first update on. A phone is
// looked up among the p keys only when an in-memory Bloom filter of the
// task's phones says it may be there, so a fresh list costs no reads.
// Chunks are committed one behind the other: the next chunk is built while
// the previous one is written.
//
// # Call records
//
// A record is stored once (r) and indexed by time, task, number, agent,
// called number and "not pulled yet" (x keys with empty values; the agent,
// number and called indexes only when the record has one). Every index key
// ends with time and call ID, so a query scans the most selective index its
// filters allow, in time order, between its From and To, filters the rest,
// and its cursor (searchAfter) is the time and call ID of the last record
// returned. Pulling a record (seed-003 syncflag) marks it and removes its
// "not pulled" key; rewriting it (a disposition) makes it unpulled again.
//
// # The event log
//
// Events are numbered per tenant from 1; the E key keeps the last number so
// that pruning the whole log does not restart it. PruneEvents cuts each log
// from its head up to the first event at or after the retention limit, so a
// log never has holes and a reader that finds a first sequence number above
// the one it asked for knows exactly what it missed.
package store
