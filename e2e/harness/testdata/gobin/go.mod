module palisade.test/gobin

go 1.22

require github.com/tidwall/gjson v1.6.0

require (
	github.com/tidwall/match v1.0.1 // indirect
	github.com/tidwall/pretty v1.0.0 // indirect
)
