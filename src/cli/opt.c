/* opt.c: the table-driven command-line parser and its --help generator
 * (see opt.h for the rules). Single-threaded, no allocation: operands are
 * compacted in place at the front of argv. */
#include "cli/opt.h"

#include "cli/cli_util.h"

#include <inttypes.h>
#include <string.h>

#define HELP_COL 26 /* where the help text of an option starts */

static bool is_option(const mp_opt_t *o) {
  return o->kind != MP_OPT_KIND_GROUP && o->kind != MP_OPT_KIND_TEXT &&
         o->kind != MP_OPT_KIND_END;
}

static bool takes_arg(const mp_opt_t *o) {
  return o->kind == MP_OPT_KIND_STRING || o->kind == MP_OPT_KIND_COUNT ||
         o->kind == MP_OPT_KIND_SIZE || (o->kind == MP_OPT_KIND_FN && o->argh);
}

mp_opt_t *mp_opt_find(mp_opt_t *opts, const char *long_name) {
  for (mp_opt_t *o = opts; o->kind != MP_OPT_KIND_END; o++)
    if (is_option(o) && o->long_name && !strcmp(o->long_name, long_name))
      return o;
  return NULL;
}

static mp_opt_t *find_short(mp_opt_t *opts, int c) {
  for (mp_opt_t *o = opts; o->kind != MP_OPT_KIND_END; o++)
    if (is_option(o) && o->short_name == c)
      return o;
  return NULL;
}

static void name_of(const mp_opt_t *o, char *buf, size_t n) {
  if (o->long_name)
    snprintf(buf, n, "--%s", o->long_name);
  else
    snprintf(buf, n, "-%c", o->short_name);
}

void mp_opt_describe_range(const mp_opt_t *o, char *buf, size_t n) {
  char name[64];
  name_of(o, name, sizeof name);
  if (o->kind == MP_OPT_KIND_SIZE)
    snprintf(buf, n, "%s wants a size%s (bytes, or with K, M or G)", name,
             o->min > 0 ? " above 0" : "");
  else if (o->max >= (int64_t)UINT32_MAX && o->min == 0)
    snprintf(buf, n, "%s wants a count", name);
  else if (o->max >= (int64_t)UINT32_MAX)
    snprintf(buf, n, "%s wants a count of at least %" PRId64, name, o->min);
  else
    snprintf(buf, n, "%s wants %" PRId64 "..%" PRId64, name, o->min, o->max);
}

int mp_opt_append(const mp_opt_t *o, const char *arg, char *err, size_t n) {
  mp_opt_list_t *l = o->value;
  if (l->n == l->max) {
    char name[64];
    name_of(o, name, sizeof name);
    snprintf(err, n, "more than %d %s options", l->max, name);
    return -1;
  }
  l->v[l->n++] = arg;
  return 0;
}

/* Store arg into o. 0, or 2 after printing the usage error. */
static int apply(const char *cmd, const mp_opt_t *o, const char *arg) {
  char msg[512], name[64];
  uint64_t v = 0;
  name_of(o, name, sizeof name);
  switch (o->kind) {
  case MP_OPT_KIND_FLAG:
    *(bool *)o->value = true;
    return 0;
  case MP_OPT_KIND_STRING:
    *(const char **)o->value = arg;
    return 0;
  case MP_OPT_KIND_COUNT:
  case MP_OPT_KIND_SIZE: {
    int bad = o->kind == MP_OPT_KIND_SIZE
                  ? mp__cli_size(arg, &v)
                  : mp__cli_count(arg, (uint64_t)INT64_MAX, &v);
    if (bad || v > (uint64_t)o->max || (int64_t)v < o->min) {
      mp_opt_describe_range(o, msg, sizeof msg);
      size_t l = strlen(msg);
      snprintf(msg + l, sizeof msg - l, " (got '%s')", arg);
      return mp__cli_bad_usage(cmd, "%s", msg);
    }
    *(int64_t *)o->value = (int64_t)v;
    return 0;
  }
  case MP_OPT_KIND_FN:
    msg[0] = '\0';
    if (o->fn(o, arg, msg, sizeof msg))
      return mp__cli_bad_usage(cmd, "%s", msg[0] ? msg : "invalid value");
    return 0;
  default:
    return 0;
  }
}

static int use(const char *cmd, const mp_opt_t *o, const char *arg,
               bool *help) {
  if (o->deprecated) {
    char name[64];
    name_of(o, name, sizeof name);
    fprintf(stderr, "marcpipe %s: %s is deprecated: %s\n", cmd, name,
            o->deprecated);
  }
  if (o->kind == MP_OPT_KIND_HELP) {
    *help = true;
    return 0;
  }
  return apply(cmd, o, arg);
}

int mp_opt_parse(const char *cmd, mp_opt_t *opts, const mp_opt_usage_t *u,
                 int argc, char **argv, int *nargs) {
  int n = 0;
  bool help = false, ended = false;
  char word[128];
  for (int i = 1; i < argc; i++) {
    char *a = argv[i];
    if (ended || a[0] != '-' || !a[1]) { /* an operand ("-" is stdin) */
      argv[1 + n++] = a;
      continue;
    }
    if (!strcmp(a, "--")) {
      ended = true;
      continue;
    }
    if (a[1] == '-') { /* --name[=value] */
      const char *eq = strchr(a + 2, '=');
      size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
      snprintf(word, sizeof word, "%.*s", (int)len, a + 2);
      mp_opt_t *o = mp_opt_find(opts, word);
      snprintf(word, sizeof word, "--%.*s", (int)len, a + 2);
      if (!o)
        return mp__cli_bad_usage(cmd, "unknown option '%s'", word);
      const char *arg = NULL;
      if (takes_arg(o)) {
        if (eq)
          arg = eq + 1;
        else if (i + 1 < argc)
          arg = argv[++i];
        else
          return mp__cli_bad_usage(cmd, "option '%s' needs a value", word);
      } else if (eq) {
        return mp__cli_bad_usage(cmd, "option '%s' takes no value", word);
      }
      int rc = use(cmd, o, arg, &help);
      if (rc)
        return rc;
      continue;
    }
    for (char *p = a + 1; *p; p++) { /* -x, -xVALUE, -x VALUE, -qv */
      mp_opt_t *o = find_short(opts, (unsigned char)*p);
      snprintf(word, sizeof word, "-%c", *p);
      if (!o)
        return mp__cli_bad_usage(cmd, "unknown option '%s'", word);
      const char *arg = NULL;
      if (takes_arg(o)) {
        if (p[1])
          arg = p + 1;
        else if (i + 1 < argc)
          arg = argv[++i];
        else
          return mp__cli_bad_usage(cmd, "option '%s' needs a value", word);
      }
      int rc = use(cmd, o, arg, &help);
      if (rc)
        return rc;
      if (arg)
        break;
    }
  }
  if (help) {
    mp_opt_usage(stdout, cmd, opts, u);
    return 0;
  }
  *nargs = n;
  return -1;
}

/* One help text, its lines starting at column `col` after the first. */
static void print_lines(FILE *out, const char *text, int col) {
  const char *line = text;
  while (line && *line) {
    const char *nl = strchr(line, '\n');
    int len = nl ? (int)(nl - line) : (int)strlen(line);
    fprintf(out, "%.*s\n", len, line);
    line = nl ? nl + 1 : NULL;
    if (line && *line)
      fprintf(out, "%*s", col, "");
  }
}

void mp_opt_usage(FILE *out, const char *cmd, const mp_opt_t *opts,
                  const mp_opt_usage_t *u) {
  const char *syn = u && u->synopsis ? u->synopsis : cmd;
  fprintf(out, "usage: ");
  print_lines(out, syn, 7);
  if (u && u->description) {
    fputc('\n', out);
    fputs(u->description, out);
    if (u->description[strlen(u->description) - 1] != '\n')
      fputc('\n', out);
  }
  for (const mp_opt_t *o = opts; o->kind != MP_OPT_KIND_END; o++) {
    if (o->deprecated)
      continue;
    if (o->kind == MP_OPT_KIND_GROUP) {
      fprintf(out, "\n%s\n", o->help);
      continue;
    }
    if (o->kind == MP_OPT_KIND_TEXT) {
      fprintf(out, "%s\n", o->help);
      continue;
    }
    char left[96];
    int l = 0;
    if (o->short_name && o->long_name)
      l = snprintf(left, sizeof left, "  -%c, --%s", o->short_name,
                   o->long_name);
    else if (o->short_name)
      l = snprintf(left, sizeof left, "  -%c", o->short_name);
    else
      l = snprintf(left, sizeof left, "      --%s", o->long_name);
    if (takes_arg(o) && o->argh && l < (int)sizeof left - 2)
      l += snprintf(left + l, sizeof left - (size_t)l, " %s", o->argh);
    if (l >= HELP_COL - 1)
      fprintf(out, "%s\n%*s", left, HELP_COL, "");
    else
      fprintf(out, "%-*s", HELP_COL, left);
    print_lines(out, o->help ? o->help : "", HELP_COL);
  }
  if (u && u->footer) {
    fputc('\n', out);
    fputs(u->footer, out);
    if (u->footer[strlen(u->footer) - 1] != '\n')
      fputc('\n', out);
  }
}
