// Command gobin is a tiny program for the inventory tests: a Go binary
// whose build info lists one dependency, golang.org/x/text v0.43.0.
package main

import (
	"fmt"

	"golang.org/x/text/width"
)

func main() {
	fmt.Println(width.Widen.String("palisade"))
}
