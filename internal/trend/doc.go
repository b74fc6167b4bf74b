// Package trend keeps the history of open findings that the overview
// draws: a periodic job writes each day's counts by severity, summed from
// the images' own counts, into finding_counts_daily.
package trend
