package records

import "time"

// CTIName is the seed-002 messageID of a CTI event.
type CTIName uint8

// CTI events, named as in seed 002.
const (
	EventDialing CTIName = iota + 1
	EventRinging
	EventEstablished
	EventHeld
	EventRetrieved
	EventReleased
	EventCallCreated
	EventCallDeleted
	EventAgentLogin
	EventAgentReady
	EventAgentNotReady
	EventAgentLogout
	EventDelayAfterCallWork
	EventPartyError
	EventAgentError
)

var ctiNames = [...]string{
	"", "EventDialing", "EventRinging", "EventEstablished", "EventHeld", "EventRetrieved",
	"EventReleased", "EventCallCreated", "EventCallDeleted", "EventAgentLogin",
	"EventAgentReady", "EventAgentNotReady", "EventAgentLogout", "EventDelayAfterCallWork",
	"EventPartyError", "EventAgentError",
}

// String returns the seed-002 messageID, such as "EventDialing".
func (n CTIName) String() string {
	if int(n) < len(ctiNames) {
		return ctiNames[n]
	}
	return "EventUnknown"
}

// Role is a party's role (seed 002 partyRole).
type Role uint8

// Party roles.
const (
	RoleUnknown  Role = 0
	RoleCustomer Role = 1
	RoleAgent    Role = 2
)

// String returns the seed-002 partyRole: Customer, Agent or Unknown.
func (r Role) String() string {
	switch r {
	case RoleCustomer:
		return "Customer"
	case RoleAgent:
		return "Agent"
	}
	return "Unknown"
}

// CTIEvent is one seed-002 event. Party events carry Call and Role (the party
// ID is the call ID for the customer leg and the call ID with the agent for the
// agent leg); agent events carry Agent, State and Reason. The event log gives
// each one a per-tenant sequence number when it is persisted.
type CTIEvent struct {
	Name    CTIName
	At      time.Time
	Tenant  string
	Task    TaskID
	Call    CallID
	Agent   AgentID
	Role    Role
	ThisDN  string
	OtherDN string
	Reason  int // agent reason code, or NoCallReasonCode on EventCallDeleted
	Code    int // error code on EventPartyError / EventAgentError
	// Record is set on EventReleased of the customer leg and on EventCallDeleted.
	Record *CallRecord
}
