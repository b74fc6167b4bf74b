package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Headers every delivery carries.
const (
	// HeaderDelivery is the delivery's id, the same on every attempt:
	// receivers drop a request whose id they have seen.
	HeaderDelivery = "X-Palisade-Delivery"
	HeaderEvent    = "X-Palisade-Event"
	// HeaderTimestamp is the attempt's time in Unix seconds; it is part
	// of the signed content, so receivers can refuse old replays.
	HeaderTimestamp = "X-Palisade-Timestamp"
	// HeaderSignature is "sha256=" and the hex HMAC-SHA256, keyed with
	// the webhook's secret, of the timestamp, a ".", and the raw body.
	HeaderSignature = "X-Palisade-Signature"
)

// jsonPayload is the body of a json-format delivery.
type jsonPayload struct {
	ID        string    `json:"id"`
	Event     string    `json:"event"`
	CreatedAt time.Time `json:"created_at"`
	Data      any       `json:"data"`
}

// slackPayload is what Slack's incoming webhooks (and Mattermost's, and
// others compatible with them) read.
type slackPayload struct {
	Text string `json:"text"`
}

func payload(format, id string, at time.Time, ev Event) ([]byte, error) {
	var v any = jsonPayload{ID: id, Event: ev.Name, CreatedAt: at, Data: ev.Data}
	if format == FormatSlack {
		v = slackPayload{Text: ev.Text}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s payload: %w", ev.Name, err)
	}
	return b, nil
}

// Sign returns the HeaderSignature value for body sent at timestamp
// (Unix seconds).
func Sign(secret string, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(timestamp, 10)))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether signature is the one Sign makes, in constant
// time. Receivers written in Go can use it.
func Verify(secret string, timestamp int64, body []byte, signature string) bool {
	return hmac.Equal([]byte(signature), []byte(Sign(secret, timestamp, body)))
}
