/*
 * conf_load.c - configuration file -> struct config.  The only user of libconfig.
 *
 * Table-driven: each group of the language has a schema (key, type, range,
 * where to store it).  One walk over a group's settings checks every key
 * against the schema, so unknown keys, wrong types, out-of-range values and
 * missing required keys are all reported with the exact file:line of the
 * setting, and loading goes on to report the rest.  Cross-object rules
 * (references, uniqueness, inheritance) belong to conf_validate.c.
 */
#include <errno.h>
#include <libconfig.h>
#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"

struct loader {
	struct config *c;
	struct errlist *el;
	size_t nerr0;
};

enum ftype {
	F_STR,		/* char * */
	F_INT,		/* int, in [min, max] */
	F_U32,		/* uint32_t, in [min, max] */
	F_BOOL,		/* bool */
	F_TBOOL,	/* int: MODEL_UNSET, 0 or 1 */
	F_ENUM,		/* int, from a keyword via `kw` */
	F_ADDR,		/* struct sockaddr_x, address only */
	F_ADDRPORT,	/* struct sockaddr_x, address and port */
	F_FUNC,		/* custom loader */
	F_OWNER,	/* known key, read by the group's owner after the walk */
};

#define F_REQUIRED	0x1

struct field;
typedef void (*field_fn)(struct loader *, config_setting_t *, const char *path, void *obj);

struct field {
	const char *key;
	enum ftype type;
	size_t off;
	long long min, max;
	int flags;
	int (*kw)(const char *);
	const char *kwlist;	/* for the error message */
	field_fn fn;
};

static void	load_group(struct loader *, config_setting_t *, const char *,
		    const struct field *, size_t, void *);
static void	lerr(struct loader *, config_setting_t *, const char *, const char *, ...)
		    PRINTF_LIKE(4, 5);
static const char *src_intern(struct loader *, config_setting_t *);
static void	set_loc(struct loader *, config_setting_t *, int *, const char **);

/* ------------------------------------------------------------ helpers */

static const char *
src_intern(struct loader *ld, config_setting_t *s)
{
	const char *f = s ? config_setting_source_file(s) : NULL;
	size_t i;

	if (f == NULL)
		return ld->c->file;
	for (i = 0; i < ld->c->nsrcfiles; i++)
		if (strcmp(ld->c->srcfiles[i], f) == 0)
			return ld->c->srcfiles[i];
	ld->c->srcfiles = xreallocarray(ld->c->srcfiles, ld->c->nsrcfiles + 1,
	    sizeof(*ld->c->srcfiles));
	ld->c->srcfiles[ld->c->nsrcfiles] = xstrdup(f);
	return ld->c->srcfiles[ld->c->nsrcfiles++];
}

static void
set_loc(struct loader *ld, config_setting_t *s, int *line, const char **src)
{
	*line = (int)config_setting_source_line(s);
	*src = src_intern(ld, s);
}

static void
lerr(struct loader *ld, config_setting_t *s, const char *path, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	errlist_add(ld->el, src_intern(ld, s), s ? (int)config_setting_source_line(s) : 0,
	    path, "%s", msg);
	free(msg);
}

static const char *
type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP:
		return "a group { }";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ]";
	case CONFIG_TYPE_LIST:
		return "a list ( )";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a number with a fraction";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	default:
		return "an unknown type";
	}
}

static char *
path_join(const char *path, const char *key)
{
	return path && *path ? xasprintf("%s.%s", path, key) : xstrdup(key);
}

static char *
path_index(const char *path, unsigned idx)
{
	return xasprintf("%s[%u]", path, idx);
}

static bool
is_int(const config_setting_t *s)
{
	int t = config_setting_type(s);

	return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
}

/* A string setting's value, or NULL after reporting a type error. */
static const char *
get_str(struct loader *ld, config_setting_t *s, const char *path)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		lerr(ld, s, path, "expected a string, got %s", type_name(s));
		return NULL;
	}
	return config_setting_get_string(s);
}

static bool
get_int(struct loader *ld, config_setting_t *s, const char *path, long long min,
    long long max, long long *out)
{
	long long v;

	if (!is_int(s)) {
		lerr(ld, s, path, "expected an integer, got %s", type_name(s));
		return false;
	}
	v = config_setting_get_int64(s);
	if (v < min || v > max) {
		lerr(ld, s, path, "%lld is out of range (%lld..%lld)", v, min, max);
		return false;
	}
	*out = v;
	return true;
}

/* Load a list ( {..}, {..} ) of groups into a growing array; calls `each` per element. */
static void
load_list(struct loader *ld, config_setting_t *s, const char *path, void **arr,
    size_t *n, size_t elemsz, void (*each)(struct loader *, config_setting_t *,
    const char *, void *))
{
	unsigned i, len;
	char *ipath;
	void *elem;

	if (!config_setting_is_list(s)) {
		lerr(ld, s, path, "expected a list ( { ... }, ... ), got %s", type_name(s));
		return;
	}
	len = (unsigned)config_setting_length(s);
	*arr = xcalloc(len ? len : 1, elemsz);
	*n = 0;
	for (i = 0; i < len; i++) {
		config_setting_t *e = config_setting_get_elem(s, i);

		ipath = path_index(path, i);
		if (!config_setting_is_group(e)) {
			lerr(ld, e, ipath, "expected a group { ... }, got %s", type_name(e));
		} else {
			elem = (char *)*arr + (size_t)(*n) * elemsz;
			each(ld, e, ipath, elem);
			(*n)++;
		}
		free(ipath);
	}
}

/* An array [ "a", "b" ] of strings into argv[max+1]; returns the count, or -1 on error. */
static int
load_str_array(struct loader *ld, config_setting_t *s, const char *path, char **argv, int max)
{
	int i, len;

	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		lerr(ld, s, path, "expected an array [ \"...\", ... ], got %s", type_name(s));
		return -1;
	}
	len = config_setting_length(s);
	if (len > max) {
		lerr(ld, s, path, "too many elements (%d, at most %d)", len, max);
		return -1;
	}
	for (i = 0; i < len; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			lerr(ld, e, path, "element %d: expected a string, got %s", i, type_name(e));
			while (--i >= 0)
				FREE_AND_NULL(argv[i]);
			return -1;
		}
		argv[i] = xstrdup(config_setting_get_string(e));
	}
	argv[len] = NULL;
	return len;
}

/* ------------------------------------------------------------ the walker */

static const struct field *
field_find(const struct field *f, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(f[i].key, key) == 0)
			return &f[i];
	return NULL;
}

/* Near-miss suggestion for an unknown key: same length +-1 and at most 2 differences. */
static const char *
field_suggest(const struct field *f, size_t n, const char *key)
{
	size_t i, la = strlen(key);

	for (i = 0; i < n; i++) {
		const char *k = f[i].key;
		size_t lb = strlen(k), a = 0, b = 0;
		int diff = 0;

		if (la + 1 < lb || lb + 1 < la)
			continue;
		while (a < la && b < lb && diff <= 2) {
			if (key[a] == k[b]) {
				a++, b++;
			} else if (a + 1 < la && b + 1 < lb && key[a] == k[b + 1] &&
			    key[a + 1] == k[b]) {
				a += 2, b += 2, diff++;	/* transposition */
			} else if (la > lb) {
				a++, diff++;
			} else if (lb > la) {
				b++, diff++;
			} else {
				a++, b++, diff++;
			}
		}
		diff += (int)(la - a) + (int)(lb - b);
		if (diff <= 2)
			return k;
	}
	return NULL;
}

static void
load_field(struct loader *ld, config_setting_t *s, const char *path, const struct field *f,
    void *obj)
{
	char *p = (char *)obj + f->off;
	const char *str;
	long long v;
	int k;

	switch (f->type) {
	case F_STR:
		if ((str = get_str(ld, s, path)) != NULL) {
			free(*(char **)p);
			*(char **)p = xstrdup(str);
		}
		break;
	case F_INT:
		if (get_int(ld, s, path, f->min, f->max, &v))
			*(int *)p = (int)v;
		break;
	case F_U32:
		if (get_int(ld, s, path, f->min, f->max, &v))
			*(uint32_t *)p = (uint32_t)v;
		break;
	case F_BOOL:
	case F_TBOOL:
		if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
			lerr(ld, s, path, "expected true or false, got %s", type_name(s));
			break;
		}
		if (f->type == F_BOOL)
			*(bool *)p = config_setting_get_bool(s);
		else
			*(int *)p = config_setting_get_bool(s) ? 1 : 0;
		break;
	case F_ENUM:
		if ((str = get_str(ld, s, path)) == NULL)
			break;
		k = f->kw(str);
		if (k == MODEL_UNSET)
			lerr(ld, s, path, "unknown value \"%s\" (expected %s)", str, f->kwlist);
		else
			*(int *)p = k;
		break;
	case F_ADDR:
	case F_ADDRPORT:
		if ((str = get_str(ld, s, path)) == NULL)
			break;
		if (sockaddr_x_parse(str, f->type == F_ADDRPORT, (struct sockaddr_x *)p) < 0)
			lerr(ld, s, path, "\"%s\" is not %s", str, f->type == F_ADDRPORT ?
			    "an ADDRESS:PORT or [IPV6]:PORT" : "an IPv4 or IPv6 address");
		else if (f->type == F_ADDRPORT && ((struct sockaddr_x *)p)->port == 0)
			lerr(ld, s, path, "\"%s\" has no port", str);
		break;
	case F_FUNC:
		f->fn(ld, s, path, obj);
		break;
	case F_OWNER:
		break;
	}
}

static void
load_group(struct loader *ld, config_setting_t *g, const char *path, const struct field *f,
    size_t n, void *obj)
{
	unsigned i, len;
	size_t j;
	char *cpath;

	if (!config_setting_is_group(g)) {
		lerr(ld, g, path, "expected a group { ... }, got %s", type_name(g));
		return;
	}
	len = (unsigned)config_setting_length(g);
	for (i = 0; i < len; i++) {
		config_setting_t *s = config_setting_get_elem(g, i);
		const char *key = config_setting_name(s);
		const struct field *fd = field_find(f, n, key);

		cpath = path_join(path, key);
		if (fd == NULL) {
			const char *sug = field_suggest(f, n, key);

			if (sug != NULL)
				lerr(ld, s, cpath, "unknown setting (did you mean \"%s\"?)", sug);
			else
				lerr(ld, s, cpath, "unknown setting");
		} else {
			load_field(ld, s, cpath, fd, obj);
		}
		free(cpath);
	}
	for (j = 0; j < n; j++) {
		if (!(f[j].flags & F_REQUIRED) || config_setting_get_member(g, f[j].key) != NULL)
			continue;
		cpath = path_join(path, f[j].key);
		lerr(ld, g, cpath, "missing (required)");
		free(cpath);
	}
}

#define FLD(st, k, t, member, lo, hi, fl) \
	{ k, t, offsetof(struct st, member), lo, hi, fl, NULL, NULL, NULL }
#define FENUM(st, k, member, kwfn, list) \
	{ k, F_ENUM, offsetof(struct st, member), 0, 0, 0, kwfn, list, NULL }
#define FFUNC(k, fn, fl) \
	{ k, F_FUNC, 0, 0, 0, fl, NULL, NULL, fn }
#define FOWNER(k) \
	{ k, F_OWNER, 0, 0, 0, 0, NULL, NULL, NULL }

#define MS_MAX		3600000
#define LOAD_GROUP(ld, s, path, tbl, obj) load_group(ld, s, path, tbl, ARRAY_SIZE(tbl), obj)

/* ------------------------------------------------------------ checks */

static void
ld_expect(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct check *ck = obj;
	int i, len;

	if (!config_setting_is_array(s)) {
		lerr(ld, s, path, "expected an array of statuses like [ 200 ] or [ \"200-299\" ], got %s",
		    type_name(s));
		return;
	}
	len = config_setting_length(s);
	if (len == 0 || len > CHECK_EXPECT_MAX) {
		lerr(ld, s, path, "expected 1 to %d statuses, got %d", CHECK_EXPECT_MAX, len);
		return;
	}
	for (i = 0; i < len; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		long long lo, hi;

		if (is_int(e)) {
			lo = hi = config_setting_get_int64(e);
		} else {
			const char *str = config_setting_get_string(e);
			char buf[32], *dash;

			if (str == NULL || strlen(str) >= sizeof(buf))
				goto bad;
			snprintf(buf, sizeof(buf), "%s", str);
			dash = strchr(buf, '-');
			if (dash != NULL)
				*dash = '\0';
			if (parse_int(buf, 0, 999, &lo) < 0)
				goto bad;
			hi = lo;
			if (dash != NULL && parse_int(dash + 1, 0, 999, &hi) < 0)
				goto bad;
		}
		if (lo < 100 || hi > 599 || lo > hi) {
			lerr(ld, e, path, "status range %lld-%lld is not within 100..599", lo, hi);
			return;
		}
		ck->expect[i].lo = (int)lo;
		ck->expect[i].hi = (int)hi;
		continue;
bad:
		lerr(ld, e, path, "element %d: expected a status (200) or a range (\"200-299\")", i);
		return;
	}
	ck->nexpect = len;
}

static void
ld_command(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct check *ck = obj;
	int n = load_str_array(ld, s, path, ck->argv, CHECK_ARGV_MAX);

	if (n == 0)
		lerr(ld, s, path, "must not be empty");
	if (n > 0)
		ck->argc = n;
}

static const struct field check_fields[] = {
	FENUM(check, "type", type, check_type_from_str, "tcp, http, https, exec or none"),
	FLD(check, "port", F_INT, port, 1, 65535, 0),
	FLD(check, "interval_ms", F_INT, interval_ms, 10, MS_MAX, 0),
	FLD(check, "timeout_ms", F_INT, timeout_ms, 10, 600000, 0),
	FLD(check, "rise", F_INT, rise, 1, 100, 0),
	FLD(check, "fall", F_INT, fall, 1, 100, 0),
	FLD(check, "method", F_STR, method, 0, 0, 0),
	FLD(check, "path", F_STR, path, 0, 0, 0),
	FLD(check, "host", F_STR, host, 0, 0, 0),
	FFUNC("expect", ld_expect, 0),
	FLD(check, "body", F_STR, body, 0, 0, 0),
	FLD(check, "verify", F_TBOOL, verify, 0, 0, 0),
	FLD(check, "sni", F_STR, sni, 0, 0, 0),
	FLD(check, "ca_file", F_STR, ca_file, 0, 0, 0),
	FLD(check, "client_cert", F_STR, client_cert, 0, 0, 0),
	FLD(check, "client_key", F_STR, client_key, 0, 0, 0),
	FFUNC("command", ld_command, 0),
};

static void
load_check(struct loader *ld, config_setting_t *s, const char *path, struct check *ck)
{
	check_release(ck);
	set_loc(ld, s, &ck->line, &ck->src);
	LOAD_GROUP(ld, s, path, check_fields, ck);
}

/* ------------------------------------------------------------ pools */

static void
ld_server_check(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	load_check(ld, s, path, &((struct server *)obj)->check_override);
}

static const struct field server_fields[] = {
	FLD(server, "address", F_ADDR, addr, 0, 0, F_REQUIRED),
	FOWNER("port"),
	FLD(server, "weight", F_INT, weight, 0, 65535, 0),
	FLD(server, "upper_threshold", F_INT, upper_threshold, 0, 65535, 0),
	FLD(server, "lower_threshold", F_INT, lower_threshold, 0, 65535, 0),
	FLD(server, "drain", F_BOOL, drain, 0, 0, 0),
	FFUNC("check", ld_server_check, 0),
};

static void
each_server(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct server *sv = obj;
	config_setting_t *p;
	char *ppath;
	long long v;

	memset(sv, 0, sizeof(*sv));
	sv->weight = MODEL_UNSET;
	check_init(&sv->check_override);
	check_init(&sv->check);
	set_loc(ld, s, &sv->line, &sv->src);
	LOAD_GROUP(ld, s, path, server_fields, sv);
	/* The port lives inside addr; read it after the address. */
	if ((p = config_setting_get_member(s, "port")) != NULL) {
		ppath = path_join(path, "port");
		if (get_int(ld, p, ppath, 0, 65535, &v))
			sv->addr.port = (uint16_t)v;
		free(ppath);
	}
}

static void
ld_pool_check(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	load_check(ld, s, path, &((struct pool *)obj)->check);
}

static void
ld_servers(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct pool *p = obj;

	load_list(ld, s, path, (void **)&p->servers, &p->nservers, sizeof(*p->servers),
	    each_server);
}

static const struct field pool_fields[] = {
	FLD(pool, "name", F_STR, name, 0, 0, F_REQUIRED),
	FLD(pool, "port", F_INT, port, 0, 65535, 0),
	FLD(pool, "weight", F_INT, weight, 0, 65535, 0),
	FLD(pool, "min_servers", F_INT, min_servers, 0, 100000, 0),
	FLD(pool, "remove_failed", F_BOOL, remove_failed, 0, 0, 0),
	FENUM(pool, "initial_state", initial_state, init_state_from_str, "down or up"),
	FFUNC("check", ld_pool_check, 0),
	FFUNC("servers", ld_servers, 0),
	FLD(pool, "endpoints_file", F_STR, endpoints_file, 0, 0, 0),
	FLD(pool, "endpoints_required", F_BOOL, endpoints_required, 0, 0, 0),
	FLD(pool, "max_drop_percent", F_INT, max_drop_percent, 0, 100, 0),
	FLD(pool, "allow_empty", F_BOOL, allow_empty, 0, 0, 0),
	FLD(pool, "drain_grace_ms", F_INT, drain_grace_ms, 0, 86400000, 0),
};

static void
each_pool(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct pool *p = obj;

	memset(p, 0, sizeof(*p));
	p->port = 0;
	p->weight = MODEL_UNSET;
	p->min_servers = MODEL_UNSET;
	p->max_drop_percent = MODEL_UNSET;
	p->drain_grace_ms = MODEL_UNSET;
	check_init(&p->check);
	set_loc(ld, s, &p->line, &p->src);
	LOAD_GROUP(ld, s, path, pool_fields, p);
}

/* ------------------------------------------------------------ vips */

static void
ld_tunnel(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	static const struct field tunnel_fields[] = {
		FENUM(service, "type", tun_type, tun_type_from_str, "ipip, gue or gre"),
		FLD(service, "port", F_INT, tun_port, 1, 65535, 0),
		FOWNER("checksum"),
	};
	struct service *sv = obj;
	config_setting_t *c;
	char *cpath;

	LOAD_GROUP(ld, s, path, tunnel_fields, sv);
	if (config_setting_is_group(s) && (c = config_setting_get_member(s, "checksum")) != NULL) {
		cpath = path_join(path, "checksum");
		if (config_setting_type(c) != CONFIG_TYPE_BOOL)
			lerr(ld, c, cpath, "expected true or false, got %s", type_name(c));
		else
			sv->tun_nocsum = !config_setting_get_bool(c);
		free(cpath);
	}
}

static const struct field service_fields[] = {
	FENUM(service, "protocol", protocol, proto_from_str, "tcp, udp or sctp"),
	FLD(service, "port", F_INT, port, 1, 65535, 0),
	FLD(service, "fwmark", F_U32, fwmark, 1, 4294967295LL, 0),
	FLD(service, "pool", F_STR, pool_name, 0, 0, F_REQUIRED),
	FLD(service, "scheduler", F_STR, scheduler, 0, 0, 0),
	FOWNER("scheduler_flags"),
	FENUM(service, "method", method, fwd_method_from_str, "dr, tun or nat"),
	FFUNC("tunnel", ld_tunnel, 0),
	FLD(service, "persistence_timeout_s", F_INT, persistence_timeout_s, 0, 2678400, 0),
	FLD(service, "persistence_prefix", F_INT, persistence_prefix, 0, 128, 0),
};

static void
each_service(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct service *sv = obj;
	config_setting_t *fl;
	char *fpath, *flags[4];
	int i, n, f;

	memset(sv, 0, sizeof(*sv));
	sv->protocol = MODEL_UNSET;
	sv->method = MODEL_UNSET;
	sv->tun_type = MODEL_UNSET;
	sv->tun_nocsum = true;
	sv->persistence_prefix = MODEL_UNSET;
	set_loc(ld, s, &sv->line, &sv->src);
	LOAD_GROUP(ld, s, path, service_fields, sv);
	if ((fl = config_setting_get_member(s, "scheduler_flags")) == NULL)
		return;
	/* Flags depend on the scheduler, which may come after them in the group. */
	fpath = path_join(path, "scheduler_flags");
	n = load_str_array(ld, fl, fpath, flags, 3);
	for (i = 0; i < n; i++) {
		f = sched_flag_from_str(sv->scheduler ? sv->scheduler : "wlc", flags[i]);
		if (f == MODEL_UNSET)
			lerr(ld, fl, fpath, "\"%s\" is not a flag of scheduler \"%s\" "
			    "(sh: sh-fallback sh-port; mh: mh-fallback mh-port; any: ops)",
			    flags[i], sv->scheduler ? sv->scheduler : "wlc");
		else
			sv->sched_flags |= (unsigned)f;
		free(flags[i]);
	}
	free(fpath);
}

static void
ld_services(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct vip *v = obj;

	load_list(ld, s, path, (void **)&v->services, &v->nservices, sizeof(*v->services),
	    each_service);
}

/* A group { router-a = 200; ... } of per-router values. */
static void
ld_priority(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct vip *v = obj;
	unsigned i, len;
	char *cpath;
	long long pr;

	if (!config_setting_is_group(s)) {
		lerr(ld, s, path, "expected a group { ROUTER = PRIORITY; ... }, got %s",
		    type_name(s));
		return;
	}
	len = (unsigned)config_setting_length(s);
	v->prios = xcalloc(len ? len : 1, sizeof(*v->prios));
	for (i = 0; i < len; i++) {
		config_setting_t *e = config_setting_get_elem(s, i);

		cpath = path_join(path, config_setting_name(e));
		if (get_int(ld, e, cpath, 1, 254, &pr)) {
			v->prios[v->nprios].router = xstrdup(config_setting_name(e));
			v->prios[v->nprios].priority = (int)pr;
			v->nprios++;
		}
		free(cpath);
	}
}

static void
ld_private_ip(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct eip *e = obj;
	unsigned i, len;
	const char *str;
	char *cpath;

	if (!config_setting_is_group(s)) {
		lerr(ld, s, path, "expected a group { ROUTER = \"ADDRESS\"; ... }, got %s",
		    type_name(s));
		return;
	}
	len = (unsigned)config_setting_length(s);
	e->private_ips = xcalloc(len ? len : 1, sizeof(*e->private_ips));
	for (i = 0; i < len; i++) {
		config_setting_t *m = config_setting_get_elem(s, i);
		struct router_addr *ra = &e->private_ips[e->nprivate_ips];

		cpath = path_join(path, config_setting_name(m));
		if ((str = get_str(ld, m, cpath)) != NULL) {
			if (sockaddr_x_parse(str, false, &ra->addr) < 0) {
				lerr(ld, m, cpath, "\"%s\" is not an IPv4 or IPv6 address", str);
			} else {
				ra->router = xstrdup(config_setting_name(m));
				e->nprivate_ips++;
			}
		}
		free(cpath);
	}
}

static void
ld_eip(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	static const struct field eip_fields[] = {
		FLD(eip, "allocation_id", F_STR, allocation_id, 0, 0, F_REQUIRED),
		FFUNC("private_ip", ld_private_ip, 0),
	};
	struct vip *v = obj;

	LOAD_GROUP(ld, s, path, eip_fields, &v->eip);
}

static void
ld_garp(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	static const struct field garp_fields[] = {
		FLD(garp, "enabled", F_BOOL, enabled, 0, 0, 0),
		FLD(garp, "count", F_INT, count, 1, 100, 0),
		FLD(garp, "interval_ms", F_INT, interval_ms, 10, 10000, 0),
		FLD(garp, "refresh_ms", F_INT, refresh_ms, 0, MS_MAX, 0),
	};
	struct vip *v = obj;

	LOAD_GROUP(ld, s, path, garp_fields, &v->garp);
}

static const struct field vip_fields[] = {
	FLD(vip, "name", F_STR, name, 0, 0, F_REQUIRED),
	FLD(vip, "address", F_ADDR, addr, 0, 0, F_REQUIRED),
	FLD(vip, "vrid", F_INT, vrid, 1, 255, 0),
	FLD(vip, "interface", F_STR, interface, 0, 0, 0),
	FOWNER("manage_address"),
	FFUNC("priority", ld_priority, 0),
	FLD(vip, "advert_interval_ms", F_INT, advert_interval_ms, 10, 40950, 0),
	FLD(vip, "preempt", F_TBOOL, preempt, 0, 0, 0),
	FLD(vip, "preempt_delay_ms", F_INT, preempt_delay_ms, 0, MS_MAX, 0),
	FENUM(vip, "on_pool_failure", on_pool_failure, track_action_from_str,
	    "fault, lower-priority or ignore"),
	FLD(vip, "priority_decrement", F_INT, priority_decrement, 1, 254, 0),
	FFUNC("garp", ld_garp, 0),
	FFUNC("eip", ld_eip, 0),
	FLD(vip, "move_private_ip", F_BOOL, move_private_ip, 0, 0, 0),
	FFUNC("services", ld_services, F_REQUIRED),
};

static void
each_vip(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct vip *v = obj;
	config_setting_t *m;
	char *mpath;

	memset(v, 0, sizeof(*v));
	v->vrid = MODEL_UNSET;
	v->advert_interval_ms = MODEL_UNSET;
	v->preempt = MODEL_UNSET;
	v->preempt_delay_ms = MODEL_UNSET;
	v->priority_decrement = MODEL_UNSET;
	v->manage_address = true;
	v->garp.enabled = true;
	v->garp.count = MODEL_UNSET;
	v->garp.interval_ms = MODEL_UNSET;
	v->garp.refresh_ms = MODEL_UNSET;
	set_loc(ld, s, &v->line, &v->src);
	LOAD_GROUP(ld, s, path, vip_fields, v);
	if ((m = config_setting_get_member(s, "manage_address")) != NULL) {
		mpath = path_join(path, "manage_address");
		if (config_setting_type(m) != CONFIG_TYPE_BOOL)
			lerr(ld, m, mpath, "expected true or false, got %s", type_name(m));
		else
			v->manage_address = config_setting_get_bool(m);
		free(mpath);
	}
}

/* ------------------------------------------------------------ election */

static const struct field peer_fields[] = {
	FLD(peer, "name", F_STR, name, 0, 0, F_REQUIRED),
	FLD(peer, "address", F_ADDR, addr, 0, 0, F_REQUIRED),
};

static void
each_peer(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct peer *p = obj;

	memset(p, 0, sizeof(*p));
	set_loc(ld, s, &p->line, &p->src);
	LOAD_GROUP(ld, s, path, peer_fields, p);
}

static void
ld_peers(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct election *e = obj;

	load_list(ld, s, path, (void **)&e->peers, &e->npeers, sizeof(*e->peers), each_peer);
}

static void
ld_notify_cmd(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct election *e = obj;
	int n = load_str_array(ld, s, path, e->notify_argv, CHECK_ARGV_MAX - 2);

	if (n == 0)
		lerr(ld, s, path, "must not be empty");
	if (n > 0)
		e->notify_argc = n;
}

static void
ld_notify(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	static const struct field notify_fields[] = {
		FFUNC("command", ld_notify_cmd, F_REQUIRED),
		FLD(election, "timeout_ms", F_INT, notify_timeout_ms, 100, 600000, 0),
	};

	LOAD_GROUP(ld, s, path, notify_fields, obj);
}

static const struct field election_fields[] = {
	FLD(election, "advert_interval_ms", F_INT, advert_interval_ms, 10, 40950, 0),
	FENUM(election, "auth", auth, auth_mode_from_str, "none or hmac-sha256"),
	FLD(election, "auth_key_file", F_STR, auth_key_file, 0, 0, 0),
	FOWNER("preempt"),
	FLD(election, "preempt_delay_ms", F_INT, preempt_delay_ms, 0, MS_MAX, 0),
	FOWNER("track_interface"),
	FLD(election, "check_ttl", F_TBOOL, ttl_check, 0, 0, 0),
	FFUNC("notify", ld_notify, 0),
	FFUNC("peers", ld_peers, F_REQUIRED),
};

/* Booleans that default to true are read by their owner (the zeroed struct says false). */
static void
owner_bool(struct loader *ld, config_setting_t *g, const char *path, const char *key, bool *out)
{
	config_setting_t *m;
	char *mpath;

	if (!config_setting_is_group(g) || (m = config_setting_get_member(g, key)) == NULL)
		return;
	mpath = path_join(path, key);
	if (config_setting_type(m) != CONFIG_TYPE_BOOL)
		lerr(ld, m, mpath, "expected true or false, got %s", type_name(m));
	else
		*out = config_setting_get_bool(m);
	free(mpath);
}

/* ------------------------------------------------------------ top level */

static const struct field router_fields[] = {
	FLD(router_conf, "name", F_STR, name, 0, 0, 0),
	FLD(router_conf, "interface", F_STR, interface, 0, 0, 0),
	FLD(router_conf, "endpoints_dir", F_STR, endpoints_dir, 0, 0, 0),
	FLD(router_conf, "syslog_facility", F_STR, syslog_facility, 0, 0, 0),
};

static const struct field ipvs_fields[] = {
	FLD(ipvs_conf, "reconcile_interval_ms", F_INT, reconcile_interval_ms, 0, MS_MAX, 0),
	FLD(ipvs_conf, "flush_on_exit", F_BOOL, flush_on_exit, 0, 0, 0),
	FLD(ipvs_conf, "sloppy_tcp", F_BOOL, sloppy_tcp, 0, 0, 0),
	FLD(ipvs_conf, "sloppy_sctp", F_BOOL, sloppy_sctp, 0, 0, 0),
};

static const struct field checks_fields[] = {
	FLD(checks_conf, "allow_exec", F_BOOL, allow_exec, 0, 0, 0),
	FLD(checks_conf, "jitter_percent", F_INT, jitter_percent, 0, 50, 0),
};

static const struct field aws_fields[] = {
	FLD(aws, "region", F_STR, region, 0, 0, 0),
	FLD(aws, "ec2_endpoint", F_STR, ec2_endpoint, 0, 0, 0),
	FLD(aws, "imds_endpoint", F_STR, imds_endpoint, 0, 0, 0),
	FLD(aws, "ca_file", F_STR, ca_file, 0, 0, 0),
	FLD(aws, "network_interface_id", F_STR, network_interface_id, 0, 0, 0),
	FLD(aws, "disable_source_dest_check", F_BOOL, disable_source_dest_check, 0, 0, 0),
	FLD(aws, "verify_interval_ms", F_INT, verify_interval_ms, 1000, MS_MAX, 0),
	FLD(aws, "api_timeout_ms", F_INT, api_timeout_ms, 100, 60000, 0),
	FOWNER("dry_run_check"),
};

static void
ld_mode(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct control_conf *cc = obj;
	const char *str = get_str(ld, s, path);
	char *end;
	long m;

	if (str == NULL)
		return;
	m = strtol(str, &end, 8);
	if (*str == '\0' || *end != '\0' || m < 0 || m > 0777)
		lerr(ld, s, path, "\"%s\" is not an octal file mode like \"0660\"", str);
	else
		cc->mode = (int)m;
}

static const struct field control_fields[] = {
	FLD(control_conf, "socket", F_STR, socket, 0, 0, 0),
	FLD(control_conf, "group", F_STR, group, 0, 0, 0),
	FFUNC("mode", ld_mode, 0),
};

static const struct field metrics_fields[] = {
	FOWNER("enabled"),
	FLD(metrics_conf, "listen", F_ADDRPORT, listen, 0, 0, 0),
};

static void
ld_router(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct config *c = obj;

	set_loc(ld, s, &c->router.line, &c->router.src);
	LOAD_GROUP(ld, s, path, router_fields, &c->router);
}

static void
ld_ipvs(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct config *c = obj;

	set_loc(ld, s, &c->ipvs.line, &c->ipvs.src);
	LOAD_GROUP(ld, s, path, ipvs_fields, &c->ipvs);
}

static void
ld_checks(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct config *c = obj;

	set_loc(ld, s, &c->checks.line, &c->checks.src);
	LOAD_GROUP(ld, s, path, checks_fields, &c->checks);
}

static void
ld_election(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct election *e = &((struct config *)obj)->election;

	e->present = true;
	set_loc(ld, s, &e->line, &e->src);
	LOAD_GROUP(ld, s, path, election_fields, e);
	owner_bool(ld, s, path, "preempt", &e->preempt);
	owner_bool(ld, s, path, "track_interface", &e->track_interface);
}

static void
ld_aws(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct aws *a = &((struct config *)obj)->aws;

	a->present = true;
	set_loc(ld, s, &a->line, &a->src);
	LOAD_GROUP(ld, s, path, aws_fields, a);
	owner_bool(ld, s, path, "dry_run_check", &a->dry_run_check);
}

static void
ld_control(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct config *c = obj;

	set_loc(ld, s, &c->control.line, &c->control.src);
	LOAD_GROUP(ld, s, path, control_fields, &c->control);
}

static void
ld_metrics(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct config *c = obj;

	set_loc(ld, s, &c->metrics.line, &c->metrics.src);
	LOAD_GROUP(ld, s, path, metrics_fields, &c->metrics);
	owner_bool(ld, s, path, "enabled", &c->metrics.enabled);
}

static void
ld_vips(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct config *c = obj;

	load_list(ld, s, path, (void **)&c->vips, &c->nvips, sizeof(*c->vips), each_vip);
}

static void
ld_pools(struct loader *ld, config_setting_t *s, const char *path, void *obj)
{
	struct config *c = obj;

	load_list(ld, s, path, (void **)&c->pools, &c->npools, sizeof(*c->pools), each_pool);
}

static const struct field top_fields[] = {
	FFUNC("router", ld_router, 0),
	FFUNC("ipvs", ld_ipvs, 0),
	FFUNC("checks", ld_checks, 0),
	FFUNC("election", ld_election, 0),
	FFUNC("aws", ld_aws, 0),
	FFUNC("control", ld_control, 0),
	FFUNC("metrics", ld_metrics, 0),
	FFUNC("vips", ld_vips, 0),
	FFUNC("pools", ld_pools, 0),
};

/* Defaults of booleans that are true unless the file says otherwise. */
static void
config_bool_defaults(struct config *c)
{
	c->election.preempt = true;
	c->election.track_interface = true;
	c->aws.dry_run_check = true;
	c->metrics.enabled = true;
}

/*
 * Walk the parsed file.  *out receives the config even when it has errors
 * (so that conf_read can go on to report semantic errors too); the return
 * value says whether it is complete.
 */
static int
load_common(config_t *cfg, int rd_ok, const char *label, struct config **out,
    struct errlist *el)
{
	struct loader ld;
	struct config *c;

	*out = NULL;
	if (!rd_ok) {
		const char *f = config_error_file(cfg);

		errlist_add(el, f ? f : label, config_error_line(cfg), NULL, "%s",
		    config_error_text(cfg));
		return -EINVAL;
	}
	c = config_new(label);
	config_bool_defaults(c);
	ld.c = c;
	ld.el = el;
	ld.nerr0 = el->n;
	LOAD_GROUP(&ld, config_root_setting(cfg), "", top_fields, c);
	*out = c;
	return el->n > ld.nerr0 ? -EINVAL : 0;
}

static int
load_file(const char *path, struct config **out, struct errlist *el)
{
	struct stat st;
	config_t cfg;
	FILE *f;
	char *dir;
	int r, err;

	*out = NULL;
	if ((f = fopen(path, "r")) == NULL) {
		err = errno;
		errlist_add(el, path, 0, NULL, "cannot open: %s", strerror(err));
		return -err;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		errlist_add(el, path, 0, NULL, "cannot read: it is a directory");
		fclose(f);
		return -EISDIR;
	}
	config_init(&cfg);
	dir = xstrdup(path);
	config_set_include_dir(&cfg, dirname(dir));
	r = config_read(&cfg, f);
	if (!r && config_error_type(&cfg) == CONFIG_ERR_FILE_IO && config_error_file(&cfg) == NULL) {
		err = ferror(f) ? EIO : EINVAL;
		errlist_add(el, path, 0, NULL, "cannot read: %s", strerror(err));
		r = -err;
	} else {
		/* Settings of the main stream carry no file name: they get the path. */
		r = load_common(&cfg, r, path, out, el);
	}
	fclose(f);
	free(dir);
	config_destroy(&cfg);
	return r;
}

int
conf_load_file(const char *path, struct config **out, struct errlist *el)
{
	int r = load_file(path, out, el);

	if (r < 0) {
		config_free(*out);
		*out = NULL;
	}
	return r;
}

int
conf_load_string(const char *text, const char *label, struct config **out, struct errlist *el)
{
	config_t cfg;
	int r;

	config_init(&cfg);
	r = config_read_string(&cfg, text);
	r = load_common(&cfg, r, label ? label : "(string)", out, el);
	config_destroy(&cfg);
	if (r < 0) {
		config_free(*out);
		*out = NULL;
	}
	return r;
}

int
conf_read(const char *path, const char *router_name, struct config **out, struct errlist *el)
{
	struct config *c;
	char host[256];
	int r, rv;

	*out = NULL;
	r = load_file(path, &c, el);
	if (c == NULL)
		return r;
	/* The router's name: -n, else router.name, else the host name. */
	if (router_name == NULL && c->router.name == NULL &&
	    gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		c->router.name = xstrdup(host);
	}
	/* Semantic checks run even after load errors, so that -t shows every problem. */
	rv = conf_validate(c, router_name, el);
	if (r < 0 || rv < 0) {
		config_free(c);
		return -EINVAL;
	}
	*out = c;
	return 0;
}
