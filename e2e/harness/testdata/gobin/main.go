// Command gobin is the program in the scratch test image: a Go binary
// whose build info names a module with known advisories
// (github.com/tidwall/gjson v1.6.0: GO-2021-0059 and others), so that a
// scan of an image holding nothing else finds something.
package main

import (
	"fmt"
	"os"

	"github.com/tidwall/gjson"
)

func main() {
	doc := `{"name":"palisade","kind":"test image"}`
	if len(os.Args) > 1 {
		doc = os.Args[1]
	}
	fmt.Println(gjson.Get(doc, "name").String())
}
