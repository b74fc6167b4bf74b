package store

// Paging selects one page of a list. Every list orders by a unique key
// last, so pages neither overlap nor skip rows.
type Paging struct {
	// Page counts from 1; Size defaults to DefaultPageSize, at most 500.
	Page int
	Size int
}

// DefaultPageSize is the number of rows of a list page.
const DefaultPageSize = 50

func (p Paging) limit() int {
	switch {
	case p.Size <= 0:
		return DefaultPageSize
	case p.Size > 500:
		return 500
	}
	return p.Size
}

func (p Paging) offset() int {
	if p.Page <= 1 {
		return 0
	}
	return (p.Page - 1) * p.limit()
}

// pageClause adds p's LIMIT and OFFSET to c and returns the clause.
func pageClause(c *condList, p Paging) string {
	return "LIMIT " + c.arg(p.limit()) + " OFFSET " + c.arg(p.offset())
}

// SeverityCounts counts findings by severity; Unknown includes the
// findings scored "none", as the images' counts do.
type SeverityCounts struct {
	Critical, High, Medium, Low, Unknown int
}

// Total is the sum of all levels.
func (c SeverityCounts) Total() int {
	return c.Critical + c.High + c.Medium + c.Low + c.Unknown
}

// severityCondition filters findings f by one level; "unknown" includes
// "none".
func severityCondition(c *condList, level string) {
	if level == "unknown" {
		c.add(`f.severity_level IN ('unknown', 'none')`)
		return
	}
	c.add(`f.severity_level = ?`, level)
}

// direction returns the SQL keyword of an order.
func direction(desc bool) string {
	if desc {
		return "DESC"
	}
	return "ASC"
}
