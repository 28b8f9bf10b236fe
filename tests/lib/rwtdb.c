/* SPDX-License-Identifier: MIT */
/*
 * rwtdb.c — the database a test runs the store on (rwtest.h): an SQLite file
 * in the test's folder, or, when the tests run on PostgreSQL
 * ($RW_TEST_PG_URI, or the file named by $RW_TEST_PG_URI_FILE, holds a libpq
 * URI with the placeholder {db}: tests/lib/pg_server.sh writes it), a fresh
 * database on that server for each call of rwt_db(). And plain SQL on it
 * through a connection of the test's own, to check what the store wrote.
 */
#include "rwtest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The URI template, read once; "" when the tests run on SQLite. */
static const char *pg_template(void)
{
	static char tmpl[1024];
	static int done;
	const char *v, *file;

	if (done)
		return tmpl;
	done = 1;
	v = getenv("RW_TEST_PG_URI");
	file = getenv("RW_TEST_PG_URI_FILE");
	if (v && *v) {
		snprintf(tmpl, sizeof(tmpl), "%s", v);
	} else if (file && *file) {
		char *t = rwt_slurp(file, NULL);
		if (!t)
			fail_msg("RW_TEST_PG_URI_FILE=%s: cannot read it (did the fixture "
			         "pg_server.sh start?)",
			         file);
		snprintf(tmpl, sizeof(tmpl), "%s", t);
		free(t);
		tmpl[strcspn(tmpl, "\r\n")] = '\0';
	}
	if (tmpl[0] && !strstr(tmpl, "{db}"))
		fail_msg("the PostgreSQL URI of the tests has no {db}: %s", tmpl);
	return tmpl;
}

bool rwt_pg(void)
{
	return pg_template()[0] != '\0';
}

/* The template with {db} replaced by @p db. */
static void pg_uri(char *out, size_t len, const char *db)
{
	const char *t = pg_template(), *at = strstr(t, "{db}");

	snprintf(out, len, "%.*s%s%s", (int)(at - t), t, db, at + 4);
}

static void no_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static PGconn *pg_connect(const char *uri)
{
	PGconn *c = PQconnectdb(uri);

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("%s: %s", uri, PQerrorMessage(c));
	PQsetNoticeProcessor(c, no_notice, NULL);
	return c;
}

static void pg_admin(const char *sql)
{
	char uri[1200];
	PGconn *c;
	PGresult *r;

	pg_uri(uri, sizeof(uri), "postgres");
	c = pg_connect(uri);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

void rwt_db(char *out, size_t len, const char *dir, const char *name)
{
	static unsigned seq;
	char db[64], sql[128];

	if (!rwt_pg()) {
		snprintf(out, len, "%s/%s", dir, name);
		return;
	}
	snprintf(db, sizeof(db), "rwt_%ld_%u", (long)getpid(), ++seq);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db);
	pg_admin(sql);
	pg_uri(out, len, db);
}

void rwt_db_drop(const char *db)
{
	char sql[160];
	const char *name, *end;

	if (!db || strncmp(db, "postgresql://", 13) != 0)
		return;
	/* The name between the URI's last '/' before '?' and the '?'. */
	end = strchr(db, '?');
	if (!end)
		end = db + strlen(db);
	for (name = end; name > db && name[-1] != '/'; name--)
		;
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %.*s WITH (FORCE)", (int)(end - name),
	         name);
	pg_admin(sql);
}

bool rwt_db_is_pg(const char *db)
{
	return db && strncmp(db, "postgresql://", 13) == 0;
}

/* ---- plain SQL ------------------------------------------------------------ */

static int sql_row(const char *db, const char *sql, char *out, size_t outlen)
{
	int got = 0;

	out[0] = '\0';
	if (rwt_db_is_pg(db)) {
		PGconn *c = pg_connect(db);
		PGresult *r = PQexec(c, sql);
		ExecStatusType t = PQresultStatus(r);
		if (t != PGRES_TUPLES_OK && t != PGRES_COMMAND_OK)
			fail_msg("%s: %s", sql, PQerrorMessage(c));
		if (t == PGRES_TUPLES_OK && PQntuples(r) > 0 && PQnfields(r) > 0 &&
		    !PQgetisnull(r, 0, 0)) {
			const char *v = PQgetvalue(r, 0, 0);
			/* A boolean reads as SQLite's 1 and 0. */
			if (PQftype(r, 0) == 16)
				v = v[0] == 't' ? "1" : "0";
			snprintf(out, outlen, "%s", v);
			got = 1;
		} else if (t == PGRES_TUPLES_OK && PQntuples(r) > 0) {
			got = 2; /* a row, NULL */
		}
		PQclear(r);
		PQfinish(c);
		return got;
	}
	sqlite3 *s = NULL;
	sqlite3_stmt *st = NULL;

	if (sqlite3_open_v2(db, &s, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		fail_msg("%s: cannot open", db);
	sqlite3_busy_timeout(s, 5000);
	if (sqlite3_prepare_v2(s, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(s));
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(st, 0);
		got = v ? 1 : 2;
		if (v)
			snprintf(out, outlen, "%s", (const char *)v);
	}
	sqlite3_finalize(st);
	sqlite3_close(s);
	return got;
}

int64_t rwt_sql_int(const char *db, const char *sql)
{
	char v[64];

	if (!sql_row(db, sql, v, sizeof(v)))
		return -999;
	return strtoll(v, NULL, 10);
}

void rwt_sql_text(const char *db, const char *sql, char *out, size_t outlen)
{
	sql_row(db, sql, out, outlen);
}

int rwt_sql_exec(const char *db, const char *sql)
{
	int rc = 0;

	if (rwt_db_is_pg(db)) {
		PGconn *c = pg_connect(db);
		PGresult *r = PQexec(c, sql);
		ExecStatusType t = PQresultStatus(r);
		if (t != PGRES_TUPLES_OK && t != PGRES_COMMAND_OK)
			rc = -1;
		PQclear(r);
		PQfinish(c);
		return rc;
	}
	sqlite3 *s = NULL;
	if (sqlite3_open_v2(db, &s, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		fail_msg("%s: cannot open", db);
	rc = sqlite3_exec(s, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
	sqlite3_close(s);
	return rc;
}

int64_t rwt_sql_int_args(const char *db, const char *sql, int64_t a, int64_t b)
{
	int64_t v = -999;

	if (rwt_db_is_pg(db)) {
		/* SQLite's ?N as PostgreSQL's $N. */
		char pgsql[4096], *o = pgsql, va[24], vb[24];
		const char *vals[2] = {va, vb};
		int n = 0;
		for (const char *p = sql; *p && o < pgsql + sizeof(pgsql) - 8; p++) {
			if (*p == '?') {
				int k = p[1] >= '1' && p[1] <= '9' ? p[1] - '0' : n + 1;
				if (p[1] >= '1' && p[1] <= '9')
					p++;
				if (k > 2)
					fail_msg("%s: at most two parameters", sql);
				if (k > n)
					n = k;
				o += sprintf(o, "$%d", k);
			} else {
				*o++ = *p;
			}
		}
		*o = '\0';
		snprintf(va, sizeof(va), "%lld", (long long)a);
		snprintf(vb, sizeof(vb), "%lld", (long long)b);
		PGconn *c = pg_connect(db);
		const unsigned types[2] = {20, 20};
		PGresult *r = PQexecParams(c, pgsql, n, (const Oid *)types, vals, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			fail_msg("%s: %s", pgsql, PQerrorMessage(c));
		if (PQntuples(r) < 1)
			fail_msg("%s: no row", pgsql);
		v = PQgetisnull(r, 0, 0) ? 0 : strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		PQfinish(c);
		return v;
	}
	sqlite3 *s = NULL;
	sqlite3_stmt *st = NULL;

	if (sqlite3_open_v2(db, &s, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		fail_msg("%s: %s", db, s ? sqlite3_errmsg(s) : "cannot open");
	sqlite3_busy_timeout(s, 5000);
	if (sqlite3_prepare_v2(s, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(s));
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_int64(st, 1, a);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, b);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		fail_msg("%s: no row: %s", sql, sqlite3_errmsg(s));
	}
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(s);
	return v;
}

void rwt_sql_check_integrity(const char *db)
{
	char ok[64];

	if (rwt_db_is_pg(db)) {
		/* The server keeps its pages whole; the schema is there. */
		if (rwt_sql_int(db, "SELECT count(*) FROM runwarden_schema") != 1)
			fail_msg("%s: no runwarden_schema row", db);
		return;
	}
	rwt_sql_text(db, "PRAGMA integrity_check", ok, sizeof(ok));
	if (strcmp(ok, "ok") != 0)
		fail_msg("%s: integrity_check: %s", db, ok);
}

int64_t rwt_sql_write_mark(const char *db)
{
	char tables[4096], sql[16384], *o = sql;
	const char *t;

	if (!rwt_db_is_pg(db))
		fail_msg("rwt_sql_write_mark() is for PostgreSQL; stat() a file");
	rwt_sql_text(db,
	             "SELECT string_agg(table_name, ' ' ORDER BY table_name) FROM"
	             " information_schema.tables WHERE table_schema = 'public'",
	             tables, sizeof(tables));
	o += sprintf(o, "SELECT sum(x) FROM (SELECT 0::bigint AS x");
	for (t = strtok(tables, " "); t; t = strtok(NULL, " "))
		o += snprintf(o, sizeof(sql) - (size_t)(o - sql) - 1,
		              " UNION ALL SELECT COALESCE(sum(xmin::text::bigint), 0) + count(*)"
		              " * 1000000000000 FROM %s",
		              t);
	snprintf(o, sizeof(sql) - (size_t)(o - sql), ") s");
	return rwt_sql_int(db, sql);
}
