/* SPDX-License-Identifier: MIT */
/*
 * store_pg.c — the PostgreSQL backend's connection and statements (libpq),
 * behind the statement layer of store_sql.c: a store opened on a libpq URI
 * ("postgresql://..." or "postgres://...") runs the same store files on a
 * PostgreSQL 15 server instead of an SQLite file. The schema and its
 * migrations are in store_pg_schema.c. Below the statement layer, this file
 * calls no other store file: it answers in SQLite's result codes, which
 * store_sql.c converts.
 *
 * Invariants:
 *  - SQLite's text is PostgreSQL's unless the caller gave both
 *    (store_prepare_dialect()): its ?N and ? parameters become $N, and
 *    IFNULL( becomes COALESCE( (outside string literals).
 *  - A statement is prepared on the server (PQprepare) at its first step,
 *    with the types of the values bound then (bigint, text, bytea, or
 *    unknown for NULL); a later step with other types prepares it again
 *    under a new name. Results are read in text format; a bytea column is
 *    decoded on demand (store_pg_column_blob()).
 *  - Errors come back as SQLite result codes (store_impl.h): unique and
 *    primary-key violations as SQLITE_CONSTRAINT_UNIQUE, foreign keys as
 *    SQLITE_CONSTRAINT_FOREIGNKEY, lock timeouts, serialization failures
 *    and deadlocks as SQLITE_BUSY, a full disk as SQLITE_FULL, a lost
 *    connection as SQLITE_IOERR (and the connection is reset, so that the
 *    next statement runs on a new one: the caller's retry, as for a busy
 *    SQLite file).
 *  - store_begin() takes one transaction-scoped advisory lock
 *    (STORE_PG_WRITE_LOCK) after BEGIN: write transactions run one at a time
 *    across every connection, as SQLite's BEGIN IMMEDIATE does, so that a
 *    transaction may act on what it read. Its wait is bounded by
 *    lock_timeout (store_set_busy_timeout()).
 */
#include "monitor/store/store_impl.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/base/rw_error.h"

/* The advisory lock of write transactions: "rw" and 1. */
#define STORE_PG_WRITE_LOCK 0x72770001

struct store_pg {
	PGconn *conn;
	char err[512];
	int changes;
	unsigned next_name; /* names of prepared statements: rw1, rw2, ... */
	unsigned conn_gen;  /* bumped when the connection is reset */
	int lock_timeout_ms;
	bool readonly;
};

struct store_pg_stmt {
	struct store *st;
	char *sql; /* with $N parameters */
	int nparams;
	char **vals; /* NULL: SQL NULL */
	int *lens;
	int *fmts;
	unsigned *types;          /* Oid of each bound value; 0: unknown */
	unsigned *prepared_types; /* those the server statement was prepared with */
	char name[24];            /* "" until prepared */
	unsigned prepared_gen;
	PGresult *res;
	int row;
	bool done;
	unsigned char **blobs; /* decoded bytea of the current row, per column */
	size_t *blob_lens;
	int nblobs;
};

static void set_err(struct store_pg *pg, const char *msg)
{
	size_t n;

	snprintf(pg->err, sizeof(pg->err), "%s", msg && *msg ? msg : "unknown error");
	n = strlen(pg->err);
	while (n > 0 && (pg->err[n - 1] == '\n' || pg->err[n - 1] == ' '))
		pg->err[--n] = '\0';
}

static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* The SQLite result code for a failed PostgreSQL result (see the file
 * comment). */
static int sqlite_code(struct store_pg *pg, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	set_err(pg, res ? PQresultErrorMessage(res) : PQerrorMessage(pg->conn));
	if (PQstatus(pg->conn) == CONNECTION_BAD)
		return SQLITE_IOERR;
	if (!state)
		return res && PQresultStatus(res) == PGRES_FATAL_ERROR ? SQLITE_ERROR
		                                                       : SQLITE_IOERR;
	if (strcmp(state, "23505") == 0)
		return SQLITE_CONSTRAINT_UNIQUE;
	if (strcmp(state, "23503") == 0)
		return SQLITE_CONSTRAINT_FOREIGNKEY;
	if (strcmp(state, "23502") == 0)
		return SQLITE_CONSTRAINT_NOTNULL;
	if (strcmp(state, "23514") == 0)
		return SQLITE_CONSTRAINT_CHECK;
	if (strncmp(state, "23", 2) == 0)
		return SQLITE_CONSTRAINT;
	if (strcmp(state, "55P03") == 0 || strcmp(state, "40001") == 0 ||
	    strcmp(state, "40P01") == 0 || strcmp(state, "57014") == 0)
		return SQLITE_BUSY;
	if (strcmp(state, "53100") == 0)
		return SQLITE_FULL;
	if (strcmp(state, "53200") == 0)
		return SQLITE_NOMEM;
	if (strcmp(state, "25006") == 0) /* read_only_sql_transaction */
		return SQLITE_READONLY;
	if (strncmp(state, "08", 2) == 0)
		return SQLITE_IOERR;
	return SQLITE_ERROR;
}

static int session_setup(struct store_pg *pg)
{
	char sql[160];
	PGresult *res;
	int rc = SQLITE_OK;

	snprintf(sql, sizeof(sql),
	         "SET lock_timeout = %d; SET TIME ZONE 'UTC'; SET client_min_messages = warning;"
	         " SET default_transaction_read_only = %s",
	         pg->lock_timeout_ms > 0 ? pg->lock_timeout_ms : 1, pg->readonly ? "on" : "off");
	res = PQexec(pg->conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = sqlite_code(pg, res);
	PQclear(res);
	return rc;
}

/* After a failure on a connection that is gone: a new one for the next
 * statement (prepared statements are prepared again: conn_gen). */
static void reset_if_lost(struct store_pg *pg)
{
	if (PQstatus(pg->conn) != CONNECTION_BAD)
		return;
	PQreset(pg->conn);
	pg->conn_gen++;
	if (PQstatus(pg->conn) == CONNECTION_OK)
		session_setup(pg);
}

int store_pg_open(struct store *st, const char *uri, unsigned flags, char *err, size_t errlen)
{
	struct store_pg *pg = calloc(1, sizeof(*pg));
	int rc;

	if (!pg) {
		snprintf(err, errlen, "out of memory");
		return RW_ENOMEM;
	}
	st->backend = STORE_POSTGRES;
	st->pg = pg;
	pg->lock_timeout_ms = STORE_BUSY_MS;
	pg->readonly = (flags & STORE_READONLY) != 0;
	pg->conn = PQconnectdb(uri);
	if (!pg->conn) {
		snprintf(err, errlen, "out of memory");
		return RW_ENOMEM;
	}
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		set_err(pg, PQerrorMessage(pg->conn));
		snprintf(err, errlen, "cannot connect: %s", pg->err);
		/* A database that is not there is a wrong --db (as a missing
		 * file is): the server's message for SQLSTATE 3D000, which a
		 * failed connection does not report as a field. */
		return strstr(pg->err, "does not exist") ? RW_ENOENT : RW_EIO;
	}
	PQsetNoticeProcessor(pg->conn, ignore_notice, NULL);
	rc = session_setup(pg);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot set up the session: %s", pg->err);
		return RW_EIO;
	}
	return 0;
}

void store_pg_close(struct store *st)
{
	if (!st->pg)
		return;
	PQfinish(st->pg->conn);
	free(st->pg);
	st->pg = NULL;
}

const char *store_pg_errmsg(const struct store *st)
{
	return st->pg->err[0] ? st->pg->err : "no error";
}

void store_pg_set_lock_timeout(struct store *st, int ms)
{
	char sql[48];
	PGresult *res;

	/* PostgreSQL's 0 waits for ever; SQLite's 0 does not wait. */
	st->pg->lock_timeout_ms = ms;
	snprintf(sql, sizeof(sql), "SET lock_timeout = %d", ms > 0 ? ms : 1);
	res = PQexec(st->pg->conn, sql);
	PQclear(res);
}

int store_pg_exec(struct store *st, const char *sql)
{
	struct store_pg *pg = st->pg;
	PGresult *res;
	int rc = SQLITE_OK;

	/* The one plain BEGIN of the store files is a read of one snapshot
	 * (store_runner_list()); a write transaction is store_begin()'s. */
	if (strcmp(sql, "BEGIN") == 0)
		sql = "BEGIN ISOLATION LEVEL REPEATABLE READ";
	res = PQexec(pg->conn, sql);
	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY: break;
	default: rc = sqlite_code(pg, res);
	}
	PQclear(res);
	if (rc != SQLITE_OK)
		reset_if_lost(pg);
	return rc;
}

int store_pg_lock(struct store *st)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%d)", STORE_PG_WRITE_LOCK);
	return store_pg_exec(st, sql);
}

bool store_pg_in_transaction(struct store *st)
{
	PGTransactionStatusType t = PQtransactionStatus(st->pg->conn);

	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

int store_pg_changes(struct store *st)
{
	return st->pg->changes;
}

sqlite3_int64 store_pg_last_insert_rowid(struct store *st)
{
	PGresult *res = PQexec(st->pg->conn, "SELECT lastval()");
	sqlite3_int64 id = 0;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return id;
}

/* ---- statements ----------------------------------------------------------- */

/* SQLite's text in PostgreSQL's spelling: ?N and ? as $N (a bare ? is one
 * more than the highest number so far, as in SQLite), IFNULL( as
 * COALESCE(. String literals and quoted names are copied as they are.
 * @return the malloc'd text, or NULL (out of memory); *nparams the highest
 * parameter number. */
static char *translate(const char *sql, int *nparams)
{
	size_t n = strlen(sql);
	char *out = malloc(n * 2 + 16), *o = out;
	int max = 0;

	if (!out)
		return NULL;
	for (const char *p = sql; *p;) {
		if (*p == '\'' || *p == '"') {
			char q = *p;
			*o++ = *p++;
			while (*p && *p != q)
				*o++ = *p++;
			if (*p)
				*o++ = *p++;
		} else if (*p == '?') {
			int k = 0;
			p++;
			if (*p >= '0' && *p <= '9') {
				while (*p >= '0' && *p <= '9')
					k = k * 10 + (*p++ - '0');
			} else {
				k = max + 1;
			}
			if (k > max)
				max = k;
			o += sprintf(o, "$%d", k);
		} else if (strncmp(p, "IFNULL(", 7) == 0 &&
		           (p == sql || !(p[-1] == '_' || (p[-1] >= 'A' && p[-1] <= 'Z') ||
		                          (p[-1] >= 'a' && p[-1] <= 'z')))) {
			memcpy(o, "COALESCE(", 9);
			o += 9;
			p += 7;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	*nparams = max;
	return out;
}

static void clear_row(struct store_pg_stmt *s)
{
	for (int i = 0; i < s->nblobs; i++) {
		PQfreemem(s->blobs[i]);
		s->blobs[i] = NULL;
	}
}

int store_pg_prepare(struct store *st, const char *sql, struct store_pg_stmt **out)
{
	struct store_pg_stmt *s = calloc(1, sizeof(*s));
	int n;

	*out = NULL;
	if (!s)
		return RW_ENOMEM;
	s->st = st;
	s->sql = translate(sql, &s->nparams);
	n = s->nparams > 0 ? s->nparams : 1;
	s->vals = calloc((size_t)n, sizeof(*s->vals));
	s->lens = calloc((size_t)n, sizeof(*s->lens));
	s->fmts = calloc((size_t)n, sizeof(*s->fmts));
	s->types = calloc((size_t)n, sizeof(*s->types));
	s->prepared_types = calloc((size_t)n, sizeof(*s->prepared_types));
	if (!s->sql || !s->vals || !s->lens || !s->fmts || !s->types || !s->prepared_types) {
		store_pg_finalize(s);
		return RW_ENOMEM;
	}
	*out = s;
	return 0;
}

void store_pg_finalize(struct store_pg_stmt *s)
{
	if (!s)
		return;
	PQclear(s->res);
	if (s->name[0] && s->prepared_gen == s->st->pg->conn_gen &&
	    PQstatus(s->st->pg->conn) == CONNECTION_OK) {
		char sql[48];
		PGresult *res;

		snprintf(sql, sizeof(sql), "DEALLOCATE %s", s->name);
		/* Inside a failed transaction the server refuses it; the
		 * statement then lives on until the connection ends. */
		if (PQtransactionStatus(s->st->pg->conn) != PQTRANS_INERROR) {
			res = PQexec(s->st->pg->conn, sql);
			PQclear(res);
		}
	}
	clear_row(s);
	free(s->blobs);
	free(s->blob_lens);
	for (int i = 0; i < s->nparams; i++)
		free(s->vals ? s->vals[i] : NULL);
	free(s->vals);
	free(s->lens);
	free(s->fmts);
	free(s->types);
	free(s->prepared_types);
	free(s->sql);
	free(s);
}

int store_pg_reset(struct store_pg_stmt *s)
{
	clear_row(s);
	PQclear(s->res);
	s->res = NULL;
	s->done = false;
	return SQLITE_OK;
}

int store_pg_bind(struct store_pg_stmt *s, int i, const void *v, int n, unsigned oid, bool binary)
{
	char *copy = NULL;

	if (i < 1 || i > s->nparams)
		return SQLITE_RANGE;
	if (v) {
		copy = malloc((size_t)n + 1);
		if (!copy)
			return SQLITE_NOMEM;
		memcpy(copy, v, (size_t)n);
		copy[n] = '\0';
	}
	free(s->vals[i - 1]);
	s->vals[i - 1] = copy;
	s->lens[i - 1] = n;
	s->fmts[i - 1] = binary ? 1 : 0;
	/* A NULL keeps the type the parameter had, so that it does not
	 * prepare the statement again. */
	if (v || !s->types[i - 1])
		s->types[i - 1] = oid;
	return SQLITE_OK;
}

int store_pg_bind_parameter_count(struct store_pg_stmt *s)
{
	return s->nparams;
}

/* Prepares @p s on the server with the types bound now, unless it is
 * already prepared so on this connection. */
static int prepare_server(struct store_pg_stmt *s)
{
	struct store_pg *pg = s->st->pg;
	PGresult *res;
	int rc = SQLITE_OK;

	if (s->name[0] && s->prepared_gen == pg->conn_gen &&
	    (s->nparams == 0 ||
	     memcmp(s->types, s->prepared_types, sizeof(*s->types) * (size_t)s->nparams) == 0))
		return SQLITE_OK;
	if (s->name[0] && s->prepared_gen == pg->conn_gen &&
	    PQtransactionStatus(pg->conn) != PQTRANS_INERROR) {
		char sql[48];
		snprintf(sql, sizeof(sql), "DEALLOCATE %s", s->name);
		PQclear(PQexec(pg->conn, sql));
	}
	snprintf(s->name, sizeof(s->name), "rw%u", ++pg->next_name);
	res = PQprepare(pg->conn, s->name, s->sql, s->nparams, (const Oid *)s->types);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = sqlite_code(pg, res);
		s->name[0] = '\0';
	} else {
		if (s->nparams > 0)
			memcpy(s->prepared_types, s->types, sizeof(*s->types) * (size_t)s->nparams);
		s->prepared_gen = pg->conn_gen;
	}
	PQclear(res);
	return rc;
}

int store_pg_step(struct store_pg_stmt *s)
{
	struct store_pg *pg = s->st->pg;
	int rc;

	if (s->done) /* SQLite resets a statement stepped after its end */
		store_pg_reset(s);
	if (s->res) {
		clear_row(s);
		if (++s->row < PQntuples(s->res))
			return SQLITE_ROW;
		s->done = true;
		return SQLITE_DONE;
	}
	rc = prepare_server(s);
	if (rc != SQLITE_OK) {
		reset_if_lost(pg);
		return rc;
	}
	s->res = PQexecPrepared(pg->conn, s->name, s->nparams, (const char *const *)s->vals,
	                        s->lens, s->fmts, 0);
	switch (PQresultStatus(s->res)) {
	case PGRES_COMMAND_OK:
		pg->changes = atoi(PQcmdTuples(s->res));
		s->done = true;
		return SQLITE_DONE;
	case PGRES_TUPLES_OK:
		if (PQcmdTuples(s->res)[0] && strncmp(PQcmdStatus(s->res), "SELECT", 6) != 0)
			pg->changes = atoi(PQcmdTuples(s->res));
		s->row = 0;
		if (PQnfields(s->res) > s->nblobs) {
			int nb = PQnfields(s->res);
			unsigned char **b = realloc(s->blobs, sizeof(*b) * (size_t)nb);
			if (!b)
				return SQLITE_NOMEM;
			s->blobs = b;
			for (int i = s->nblobs; i < nb; i++)
				b[i] = NULL;
			size_t *l = realloc(s->blob_lens, sizeof(*l) * (size_t)nb);
			if (!l)
				return SQLITE_NOMEM;
			s->blob_lens = l;
			s->nblobs = nb;
		}
		if (PQntuples(s->res) > 0)
			return SQLITE_ROW;
		s->done = true;
		return SQLITE_DONE;
	default:
		rc = sqlite_code(pg, s->res);
		PQclear(s->res);
		s->res = NULL;
		reset_if_lost(pg);
		return rc;
	}
}

const char *store_pg_column(struct store_pg_stmt *s, int col, int *len, unsigned *oid)
{
	*len = 0;
	*oid = 0;
	if (!s->res || s->done || col < 0 || col >= PQnfields(s->res) ||
	    PQgetisnull(s->res, s->row, col))
		return NULL;
	*len = PQgetlength(s->res, s->row, col);
	*oid = PQftype(s->res, col);
	return PQgetvalue(s->res, s->row, col);
}

const void *store_pg_column_blob(struct store_pg_stmt *s, int col, int *len)
{
	unsigned oid;
	const char *v = store_pg_column(s, col, len, &oid);

	if (!v)
		return NULL;
	if (oid != 17) /* not bytea: the text itself, as SQLite's blob of a text */
		return v;
	if (!s->blobs[col]) {
		s->blobs[col] = PQunescapeBytea((const unsigned char *)v, &s->blob_lens[col]);
		if (!s->blobs[col]) {
			*len = 0;
			return NULL;
		}
	}
	*len = (int)s->blob_lens[col];
	return s->blobs[col];
}
