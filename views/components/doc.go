// Package components holds small view pieces shared by the console's
// pages: severity and health badges, sortable table headers, pagers and
// formatting helpers. They take plain values and do no I/O.
package components
