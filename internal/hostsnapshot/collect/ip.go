package collect

import "net/netip"

type ip16 struct{ b []byte }

func (i *ip16) String() string {
	var a [16]byte
	copy(a[:], i.b)
	return netip.AddrFrom16(a).String()
}
