package engine

import "github.com/outpace-dev/outpace/records"

// The record types moved to the records package. These aliases keep code
// written against engine.X compiling while it moves to records.X; new code
// should name records directly.
type (
	TaskID        = records.TaskID
	NumberID      = records.NumberID
	CallID        = records.CallID
	AgentID       = records.AgentID
	QueueID       = records.QueueID
	TaskStatus    = records.TaskStatus
	Number        = records.Number
	NumberState   = records.NumberState
	NumberUpdate  = records.NumberUpdate
	CallResult    = records.CallResult
	EndResult     = records.EndResult
	CallRecord    = records.CallRecord
	Strategy      = records.Strategy
	QueueSpec     = records.QueueSpec
	AgentSpec     = records.AgentSpec
	RetryRule     = records.RetryRule
	RetryPolicy   = records.RetryPolicy
	MachineAction = records.MachineAction
	TaskSpec      = records.TaskSpec
	CTIName       = records.CTIName
	Role          = records.Role
	CTIEvent      = records.CTIEvent
	TaskUpdate    = records.TaskUpdate
)

// Constants of the record types, re-exported for the same reason.
const (
	TaskCreated             = records.TaskCreated
	TaskRunning             = records.TaskRunning
	TaskPaused              = records.TaskPaused
	TaskEnded               = records.TaskEnded
	NumberPending           = records.NumberPending
	NumberDialing           = records.NumberDialing
	NumberDone              = records.NumberDone
	ResultNotConnected      = records.ResultNotConnected
	ResultCustomerOnly      = records.ResultCustomerOnly
	ResultBoth              = records.ResultBoth
	EndNone                 = records.EndNone
	EndCustomer             = records.EndCustomer
	EndAgent                = records.EndAgent
	StrategyLongestIdle     = records.StrategyLongestIdle
	StrategyFewestCalls     = records.StrategyFewestCalls
	StrategyRingAll         = records.StrategyRingAll
	StrategyRoundRobin      = records.StrategyRoundRobin
	StrategySequential      = records.StrategySequential
	StrategyRandom          = records.StrategyRandom
	StrategyLeastAnswered   = records.StrategyLeastAnswered
	StrategyPriority        = records.StrategyPriority
	MachineMessage          = records.MachineMessage
	EventDialing            = records.EventDialing
	EventRinging            = records.EventRinging
	EventEstablished        = records.EventEstablished
	EventHeld               = records.EventHeld
	EventRetrieved          = records.EventRetrieved
	EventReleased           = records.EventReleased
	EventCallCreated        = records.EventCallCreated
	EventCallDeleted        = records.EventCallDeleted
	EventAgentLogin         = records.EventAgentLogin
	EventAgentReady         = records.EventAgentReady
	EventAgentNotReady      = records.EventAgentNotReady
	EventAgentLogout        = records.EventAgentLogout
	EventDelayAfterCallWork = records.EventDelayAfterCallWork
	RoleUnknown             = records.RoleUnknown
	RoleCustomer            = records.RoleCustomer
	RoleAgent               = records.RoleAgent
)
