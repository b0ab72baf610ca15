package db

import (
	"strconv"
	"strings"
)

// insertChunk is how many rows one multi-row INSERT carries: few enough
// to stay far below both databases' limits on bound parameters (32766 on
// SQLite, 65535 on PostgreSQL) with three or four columns a row.
const insertChunk = 300

// valuesInsert builds prefix + "($1, $2, …), (…)" + suffix for rows rows
// of cols columns, and an args slice with room for them.
func valuesInsert(prefix string, rows, cols int, suffix string) (string, []any) {
	var b strings.Builder
	b.WriteString(prefix)
	n := 1
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			n++
		}
		b.WriteByte(')')
	}
	b.WriteString(suffix)
	return b.String(), make([]any, 0, rows*cols)
}
