// Package notify owns outgoing webhooks: which events exist, the JSON and
// Slack payloads, the HMAC-SHA256 signature every request carries, the
// policy on where webhooks may point, and the River job that delivers each
// event with retries, logging every attempt. Deliveries are idempotent: a
// delivery keeps one id and one body across attempts, and is never sent
// again once a receiver answered 2xx.
package notify
