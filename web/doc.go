// Package web is Palisade's HTTP layer: the echo server, its middleware,
// the route table and one handler per file. Handlers load, check, act and
// render views; they never contain SQL.
package web
