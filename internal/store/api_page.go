package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ErrBadCursor is returned for a page key that does not fit the list it
// is used with.
var ErrBadCursor = errors.New("malformed cursor")

// KeyPage selects one page of an API list in keyset order: the rows
// after After, the sort key of the last row of the previous page. Unlike
// offsets, keys never skip or repeat a row when rows are added or removed
// between two pages.
type KeyPage struct {
	// After holds the key as it came back from JSON (json.Number or
	// string values); nil for the first page.
	After []any
	// Limit is 1 to MaxKeyPageLimit; 0 means DefaultPageSize.
	Limit int
}

// MaxKeyPageLimit is the largest page an API list returns.
const MaxKeyPageLimit = 200

func (p KeyPage) limit() int {
	switch {
	case p.Limit <= 0:
		return DefaultPageSize
	case p.Limit > MaxKeyPageLimit:
		return MaxKeyPageLimit
	}
	return p.Limit
}

// keyset is the ascending sort key of a list: SQL expressions whose last
// one is unique, and the kind of each value ('i' integer, 's' string).
type keyset struct {
	exprs []string
	kinds string
}

// condBuilder is the condition list keyPage adds to.
type condBuilder interface {
	add(cond string, args ...any)
	where() string
	argList() []any
	arg(v any) string
}

func (c *condList) argList() []any { return c.args }

// after adds the condition "row comes after the key" to b.
func (k keyset) after(b condBuilder, after []any) error {
	if after == nil {
		return nil
	}
	if len(after) != len(k.kinds) {
		return ErrBadCursor
	}
	vals := make([]any, len(after))
	for i, v := range after {
		var err error
		if vals[i], err = keyValue(v, k.kinds[i]); err != nil {
			return err
		}
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(vals)), ", ")
	b.add("("+strings.Join(k.exprs, ", ")+") > ("+marks+")", vals...)
	return nil
}

func keyValue(v any, kind byte) (any, error) {
	switch kind {
	case 'i':
		var n int64
		var err error
		switch x := v.(type) {
		case json.Number:
			n, err = x.Int64()
		case int64:
			n = x
		case int:
			n = int64(x)
		case float64:
			n = int64(x)
		default:
			err = ErrBadCursor
		}
		if err != nil {
			return nil, ErrBadCursor
		}
		return n, nil
	case 's':
		if s, ok := v.(string); ok {
			return s, nil
		}
	}
	return nil, ErrBadCursor
}

func (k keyset) orderBy() string {
	return "ORDER BY " + strings.Join(k.exprs, ", ")
}

// keyPage runs selectFrom (a SELECT ... FROM ... without WHERE) with b's
// conditions in key order and returns one page and the key of its last
// row when more follow.
func keyPage[T any](ctx context.Context, s *Store, selectFrom string, b condBuilder, k keyset, p KeyPage,
	scan func(pgx.Row) (T, error), key func(T) []any) ([]T, []any, error) {
	if err := k.after(b, p.After); err != nil {
		return nil, nil, err
	}
	limit := p.limit()
	q := selectFrom + " " + b.where() + " " + k.orderBy() + " LIMIT " + b.arg(limit+1)
	rows, err := s.pool.Query(ctx, q, b.argList()...)
	if err != nil {
		return nil, nil, err
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (T, error) { return scan(row) })
	if err != nil {
		return nil, nil, err
	}
	if len(list) <= limit {
		return list, nil, nil
	}
	list = list[:limit]
	return list, key(list[limit-1]), nil
}

// severityRankOf mirrors severityRankSQL for keys computed from a row.
func severityRankOf(level string) int64 {
	switch level {
	case "critical":
		return 5
	case "high":
		return 4
	case "medium":
		return 3
	case "low":
		return 2
	case "unknown":
		return 1
	}
	return 0
}

// checkLevel refuses what is not a severity level, so filters never
// silently match nothing.
func checkLevel(level string) error {
	switch level {
	case "critical", "high", "medium", "low", "unknown":
		return nil
	}
	return fmt.Errorf("%w: severity %q (critical, high, medium, low, unknown)", ErrBadFilter, level)
}

// ErrBadFilter is returned for a filter value a list does not know.
var ErrBadFilter = errors.New("unknown filter value")

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
