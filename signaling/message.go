package signaling

import (
	"github.com/swarmbridge/swarmbridge/bittorrent"
	"github.com/swarmbridge/swarmbridge/signaling/wire"
)

// Message says what a client message was, for Observer.Handled. It is
// small and passed by value; its labels come from a bounded set.
type Message struct {
	// Action is what the message asked for: ActionAnnounce (answers
	// included) or ActionScrape; ActionUnknown when it is Invalid.
	Action bittorrent.Action
	// Invalid is set for a message that could not be decoded.
	Invalid bool
	// Answer is set for an announce that carried an answer.
	Answer bool
	// Event is an announce's event as Swarms got it. Paused and
	// UnknownEvent say when the client wrote it as "paused" or as an event
	// this tracker does not know; both are EventUpdate to Swarms.
	Event        bittorrent.Event
	Paused       bool
	UnknownEvent bool
}

// ActionLabel names the message for metrics: announce, answer, scrape or
// invalid.
func (m Message) ActionLabel() string {
	switch {
	case m.Invalid:
		return "invalid"
	case m.Action == bittorrent.ActionScrape:
		return "scrape"
	case m.Answer:
		return "answer"
	}
	return "announce"
}

// EventLabel names an announce's event for metrics: started, completed,
// stopped, update, paused or unknown; "" for every other message.
func (m Message) EventLabel() string {
	switch {
	case m.Invalid || m.Answer || m.Action != bittorrent.ActionAnnounce:
		return ""
	case m.UnknownEvent:
		return "unknown"
	case m.Paused:
		return "paused"
	}
	return m.Event.String()
}

// announceMessage describes a decoded announce.
func announceMessage(r *wire.Request) Message {
	return Message{
		Action:       bittorrent.ActionAnnounce,
		Event:        r.Event,
		Paused:       r.EventKnown && string(r.EventName) == "paused",
		UnknownEvent: !r.EventKnown,
	}
}
