/*
 * rop_db: connection life cycle, lazy preparation, transactions.
 *
 * BEGIN is not a round trip of its own: rop_db_begin() only notes it,
 * and the transaction's first statement carries it to the server in
 * one pipeline (BEGIN, the statement, Sync).  Until that statement has
 * been answered nothing of the transaction has reached the server, so
 * a connection found dead then is replaced and the pair resent, as a
 * failed BEGIN was before.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rop_db.h"
#include "rop_err.h"
#include "rop_redact.h"
#include "rop_log.h"
#include "rop_time.h"

#define DB_MAX_PREPARED		256
#define DB_RETRY_AFTER_US	250000	/* after a failed connect */

struct rop_db {
	PGconn			*conn;
	char			 url[512];
	char			 app[64];
	char			 service[32];	/* for its log lines */
	char			 env[16];
	int			 in_tx;
	int			 begin_pending;	/* BEGIN not sent yet */
	char			 lost_why[200];	/* why the pipeline was dropped */
	int64_t			 next_try_us;
	const struct rop_stmt	*prepared[DB_MAX_PREPARED];
	int			 nprepared;
	char			 sqlstate[6];
};

static void	db_notice(void *, const char *);
static int	db_connect(struct rop_db *, struct rop_err *);
static void	db_connect_why(const struct rop_db *, char *, size_t);
static void	db_drop(struct rop_db *);
static int	db_lost(struct rop_db *);
static int	db_prepare(struct rop_db *, struct rop_err *,
		    const struct rop_stmt *);
static int	db_simple(struct rop_db *, struct rop_err *, const char *);
static PGresult	*db_exec_begin(struct rop_db *, const struct rop_stmt *,
		    const char *const *);
static int	db_fail(struct rop_db *, struct rop_err *, PGresult *,
		    const char *);

struct rop_db *
rop_db_new(const char *url, const char *app)
{
	struct rop_db	*db;

	if ((db = calloc(1, sizeof(*db))) == NULL)
		return NULL;
	snprintf(db->url, sizeof(db->url), "%s", url);
	snprintf(db->app, sizeof(db->app), "rop-%s", app);
	snprintf(db->service, sizeof(db->service), "%s", app);
	/* As rop_config reads it (the log's env field). */
	snprintf(db->env, sizeof(db->env), "%s", getenv("ROP_ENV") != NULL &&
	    *getenv("ROP_ENV") != '\0' ? getenv("ROP_ENV") : "prod");
	return db;
}

void
rop_db_log_notice(const char *service, const char *env, const char *msg)
{
	char		 buf[1024];
	const char	*level = "info";
	size_t		 n;

	snprintf(buf, sizeof(buf), "%s", msg);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	if (strncmp(buf, "FATAL", 5) == 0 || strncmp(buf, "PANIC", 5) == 0 ||
	    strncmp(buf, "ERROR", 5) == 0)
		level = "error";
	else if (strncmp(buf, "WARNING", 7) == 0)
		level = "warn";
	rop_log(level, service, env, "postgres: %s", buf);
}

/*
 * libpq's default notice processor prints to stderr in plain text (a
 * server shutting down sends "FATAL: terminating connection ..." to
 * idle connections): every line of ours is one JSON object instead.
 */
static void
db_notice(void *arg, const char *msg)
{
	struct rop_db	*db = arg;

	rop_db_log_notice(db->service, db->env, msg);
}

void
rop_db_free(struct rop_db *db)
{
	if (db == NULL)
		return;
	if (db->conn != NULL)
		PQfinish(db->conn);
	free(db);
}

static void
db_drop(struct rop_db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
	db->nprepared = 0;
	db->in_tx = 0;
	db->begin_pending = 0;
}

static int
db_lost(struct rop_db *db)
{
	return db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK;
}

static int
db_connect(struct rop_db *db, struct rop_err *err)
{
	const char *const keys[] = { "dbname", "connect_timeout",
	    "application_name", "options", NULL };
	const char *const vals[] = { db->url, "2", db->app,
	    "-c statement_timeout=10000 -c lock_timeout=5000", NULL };
	int64_t	 now = rop_time_mono_us();

	if (!db_lost(db))
		return 0;
	db_drop(db);
	if (now < db->next_try_us)
		return rop_err_set(err, ROP_EUNAVAIL, NULL,
		    "database unavailable (retrying shortly)");
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		char	 why[400];

		db_connect_why(db, why, sizeof(why));
		rop_err_set(err, ROP_EUNAVAIL, NULL, "database connect: %s",
		    why);
		db_drop(db);
		db->next_try_us = now + DB_RETRY_AFTER_US;
		return -1;
	}
	PQsetNoticeProcessor(db->conn, db_notice, db);
	return 0;
}

/*
 * Why the connect failed, without the URL's password (SPEC §15): libpq
 * quotes a malformed connection string, or its bad part (which may be
 * the password alone), in its message.
 */
static void
db_connect_why(const struct rop_db *db, char *why, size_t whysz)
{
	PQconninfoOption	*opts = NULL, *o;
	char			*perr = NULL, scrubbed[sizeof(db->url)];
	const char		*pw = NULL;

	rop_redact(scrubbed, sizeof(scrubbed), db->url);
	if (strchr(db->url, '=') != NULL || strstr(db->url, "://") != NULL) {
		if ((opts = PQconninfoParse(db->url, &perr)) == NULL) {
			PQfreemem(perr);
			if (strcmp(scrubbed, db->url) != 0) {
				snprintf(why, whysz, "the connection string "
				    "does not parse (not shown: it holds a "
				    "password)");
				return;
			}
		}
		for (o = opts; o != NULL && o->keyword != NULL; o++)
			if (strcmp(o->keyword, "password") == 0)
				pw = o->val;
	}
	rop_redact_secret(why, whysz, db->conn != NULL ?
	    PQerrorMessage(db->conn) : "no memory", pw);
	PQconninfoFree(opts);
}

static int
db_fail(struct rop_db *db, struct rop_err *err, PGresult *res,
    const char *what)
{
	const char	*st = res != NULL ?
	    PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	char		 msg[200];

	snprintf(db->sqlstate, sizeof(db->sqlstate), "%s", st ? st : "");
	snprintf(msg, sizeof(msg), "%s", db->conn != NULL ?
	    PQerrorMessage(db->conn) : db->lost_why[0] ? db->lost_why :
	    "no connection");
	db->lost_why[0] = '\0';
	msg[strcspn(msg, "\n")] = '\0';
	PQclear(res);
	if (db_lost(db) || strncmp(db->sqlstate, "08", 2) == 0 ||
	    strcmp(db->sqlstate, "57P01") == 0) {
		db_drop(db);
		return rop_err_set(err, ROP_EUNAVAIL, NULL,
		    "database connection lost during %s: %s", what, msg);
	}
	return rop_err_set(err, ROP_EDB, NULL, "%s: %s (%s)", what, msg,
	    db->sqlstate);
}

static int
db_prepare(struct rop_db *db, struct rop_err *err, const struct rop_stmt *s)
{
	PGresult	*res;
	int		 i;

	for (i = 0; i < db->nprepared; i++)
		if (db->prepared[i] == s)
			return 0;
	res = PQprepare(db->conn, s->name, s->sql, s->nparams, NULL);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
		return db_fail(db, err, res, s->name);
	PQclear(res);
	if (db->nprepared < DB_MAX_PREPARED)
		db->prepared[db->nprepared++] = s;
	return 0;
}

/*
 * BEGIN and the first statement of a transaction in one pipeline.
 * Returns the statement's result, or the first failure (BEGIN's, the
 * statement's, or NULL when the connection broke); the connection is
 * out of pipeline mode again unless it is lost.
 */
static PGresult *
db_exec_begin(struct rop_db *db, const struct rop_stmt *s,
    const char *const *params)
{
	PGresult	*res = NULL, *r;
	int		 i, n, st;

	if (PQenterPipelineMode(db->conn) != 1 ||
	    PQsendQueryParams(db->conn, "BEGIN", 0, NULL, NULL, NULL, NULL,
	    0) != 1 || PQsendQueryPrepared(db->conn, s->name, s->nparams,
	    params, NULL, NULL, 0) != 1 || PQpipelineSync(db->conn) != 1)
		goto lost;
	/* Two queries, each ended by a NULL, then the Sync. */
	for (i = 0; i < 2; i++) {
		for (n = 0; n < 4 && (r = PQgetResult(db->conn)) != NULL; n++) {
			st = PQresultStatus(r);
			if (res == NULL || (i == 1 &&
			    PQresultStatus(res) == PGRES_COMMAND_OK &&
			    st != PGRES_PIPELINE_ABORTED)) {
				PQclear(res);
				res = r;	/* BEGIN's, then the statement's */
			} else
				PQclear(r);
		}
		if (PQstatus(db->conn) != CONNECTION_OK)
			goto lost;
	}
	r = PQgetResult(db->conn);
	st = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	PQclear(r);
	if (st != PGRES_PIPELINE_SYNC || PQexitPipelineMode(db->conn) != 1)
		goto lost;
	return res;
lost:
	/*
	 * The connection broke or the pipeline went astray: close it (no
	 * COMMIT was sent, so the server discards the transaction) and
	 * report it lost; the caller may resend the pair on a new one.
	 */
	snprintf(db->lost_why, sizeof(db->lost_why), "%s",
	    PQerrorMessage(db->conn));
	PQclear(res);
	db_drop(db);
	return NULL;
}

PGresult *
rop_db_exec(struct rop_db *db, struct rop_err *err, const struct rop_stmt *s,
    const char *const *params)
{
	PGresult	*res;
	int		 attempt, st, fresh, was_tx;

	/*
	 * Resending is safe only when nothing of this statement's
	 * transaction can have reached the server: a statement outside a
	 * transaction that is read-only, or a transaction's first one.
	 * Decided now, as a failure below drops the connection and with
	 * it the transaction state.
	 */
	fresh = db->in_tx && db->begin_pending;
	was_tx = db->in_tx && !fresh;
	db->sqlstate[0] = '\0';
	for (attempt = 0; attempt < 2; attempt++) {
		if (db_lost(db)) {
			if (was_tx) {
				db_drop(db);
				rop_err_set(err, ROP_EUNAVAIL, NULL,
				    "database connection lost in transaction");
				return NULL;
			}
			if (db_connect(db, err) == -1)
				return NULL;
			if (fresh)
				db->in_tx = db->begin_pending = 1;
		}
		if (db_prepare(db, err, s) == -1) {
			if (err->status == ROP_EUNAVAIL && !was_tx &&
			    attempt == 0)
				continue;
			return NULL;
		}
		if (fresh)
			res = db_exec_begin(db, s, params);
		else
			res = PQexecPrepared(db->conn, s->name, s->nparams,
			    params, NULL, NULL, 0);
		st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
		if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
			db->begin_pending = 0;
			return res;
		}
		db_fail(db, err, res, s->name);
		if (err->status == ROP_EUNAVAIL && (fresh || (s->retry &&
		    !was_tx)) && attempt == 0)
			continue;
		/* A failed first statement leaves the transaction open. */
		if (db->conn != NULL)
			db->begin_pending = 0;
		return NULL;
	}
	return NULL;
}

static int
db_simple(struct rop_db *db, struct rop_err *err, const char *sql)
{
	PGresult	*res;

	res = PQexec(db->conn, sql);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
		return db_fail(db, err, res, sql);
	PQclear(res);
	return 0;
}

int
rop_db_begin(struct rop_db *db, struct rop_err *err)
{
	/* A dead connection is found, and replaced, by the first statement. */
	if (db_connect(db, err) == -1)
		return -1;
	db->in_tx = 1;
	db->begin_pending = 1;
	return 0;
}

int
rop_db_commit(struct rop_db *db, struct rop_err *err)
{
	int	 rc;

	if (db->begin_pending) {
		/* No statement ran: there is nothing to commit. */
		db->in_tx = db->begin_pending = 0;
		return 0;
	}
	if (db_lost(db)) {
		db_drop(db);
		return rop_err_set(err, ROP_EUNAVAIL, NULL,
		    "database connection lost before commit");
	}
	rc = db_simple(db, err, "COMMIT");
	db->in_tx = 0;
	return rc;
}

void
rop_db_rollback(struct rop_db *db)
{
	PGresult	*res;

	if (!db->in_tx)
		return;
	db->in_tx = 0;
	if (db->begin_pending) {
		db->begin_pending = 0;
		return;
	}
	if (db_lost(db)) {
		db_drop(db);
		return;
	}
	res = PQexec(db->conn, "ROLLBACK");
	PQclear(res);
}

int
rop_db_in_tx(const struct rop_db *db)
{
	return db->in_tx;
}

int
rop_db_ping(struct rop_db *db, struct rop_err *err)
{
	static const struct rop_stmt ping = { "db_ping", "SELECT 1", 0, 1 };
	PGresult	*res;

	if ((res = rop_db_exec(db, err, &ping, NULL)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

const char *
rop_db_sqlstate(const struct rop_db *db)
{
	return db->sqlstate;
}

const char *
rop_db_str(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	return PQgetvalue(res, row, col);
}

int64_t
rop_db_int(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return 0;
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

int
rop_db_isnull(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col);
}
