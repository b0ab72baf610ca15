package db

import (
	"context"
	"database/sql"
	"slices"
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

// insertNewRows inserts one (value, note, at) row per value into table,
// whose columns are cols and whose unique column is unique, in chunks
// of insertChunk; values already stored are left as they are. It returns
// how many rows were new.
func insertNewRows(ctx context.Context, tx *sql.Tx, table, cols, unique string, values []string, note string, at int64) (int, error) {
	added := 0
	for chunk := range slices.Chunk(values, insertChunk) {
		q, args := valuesInsert("INSERT INTO "+table+" ("+cols+") VALUES ", len(chunk), 3, " ON CONFLICT ("+unique+") DO NOTHING")
		for _, v := range chunk {
			args = append(args, v, note, at)
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return added, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return added, err
		}
		added += int(n)
	}
	return added, nil
}
