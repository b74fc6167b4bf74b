package store

import (
	"strconv"
	"strings"
)

// condList builds the WHERE clause of a query with optional filters,
// numbering placeholders in the order arguments are added, so a filter
// left empty adds neither a condition nor an argument.
type condList struct {
	conds []string
	args  []any
}

// arg adds an argument and returns its placeholder.
func (c *condList) arg(v any) string {
	c.args = append(c.args, v)
	return "$" + strconv.Itoa(len(c.args))
}

// add appends a condition; each "?" in cond is replaced, in order, by the
// placeholder of the next of args.
func (c *condList) add(cond string, args ...any) {
	var b strings.Builder
	for _, a := range args {
		i := strings.IndexByte(cond, '?')
		if i < 0 {
			break
		}
		b.WriteString(cond[:i])
		b.WriteString(c.arg(a))
		cond = cond[i+1:]
	}
	b.WriteString(cond)
	c.conds = append(c.conds, b.String())
}

// where returns "WHERE a AND b", or "" without conditions.
func (c *condList) where() string {
	if len(c.conds) == 0 {
		return ""
	}
	return "WHERE " + strings.Join(c.conds, "\n  AND ")
}

// likeEscape quotes the LIKE wildcards in s, so user input matches
// literally inside a '%' || $n || '%' pattern.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
