/* opt.h: the option layer every `marcpipe <command>` parses with (in the
 * manner of git's parse-options).
 *
 * A command describes its options in one array of mp_opt_t, ended by
 * MP_OPT_END(). The array is the whole truth about the command line: the
 * parser reads it, and --help is generated from it, so an option cannot be
 * documented and parsed differently. Options shared by several commands
 * (Kafka, database, window, backlog, input, matching) are not written out
 * in each command: they come from the group macros of cli_groups.h, which
 * expand to entries of this array and store into one mp_cli_t. An option
 * therefore has the same name, meaning and range in every command that has
 * it.
 *
 * Adopting it in a new command:
 *
 *   mp_cli_t c;
 *   mp_cli_init(&c, "cmd");
 *   bool all = false;
 *   mp_opt_t opts[] = {
 *       MP_OPT_GROUP("Kafka:"), MP_CLI_KAFKA(&c),
 *       MP_OPT_GROUP("PostgreSQL:"), MP_CLI_DB(&c),
 *       MP_OPT_GROUP("Output:"),
 *       MP_OPT_FLAG(0, "all", &all, "every row"),
 *       MP_OPT_HELP(), MP_OPT_END()};
 *   const mp_opt_usage_t u = {"marcpipe cmd [options] FILE", "What it does.", NULL};
 *   int rc = mp_cli_parse(&c, opts, &u, argc, argv);   (cli_groups.h)
 *   if (rc >= 0) return rc;      0 after --help, 2 on a usage error
 *   ... c.args[0 .. c.nargs) are the operands ...
 *
 * An option of one command only is an entry of its own table (a FLAG,
 * STRING, COUNT or SIZE writing to the command's variable, or a FN with a
 * handler for anything else: lists, formats, repeatable values). A shared
 * option whose default differs in one command keeps its entry and gets the
 * command's words with mp_opt_find(opts, "name")->help = "...". An old
 * spelling that must keep working is an entry with .deprecated set: it is
 * hidden from --help and says what to use instead when it is used.
 *
 * Parsing rules: long options by their full name only (no abbreviations:
 * a new option can never change what an old command line means),
 * "--name value" or "--name=value"; short options "-b value", "-bvalue",
 * flags bundled ("-qv"); options and operands in any order; "--" ends the
 * options; "-" alone is an operand (stdin). Every refusal is one line
 * "marcpipe CMD: <what>" and a pointer to --help, exit status 2.
 *
 * Values: a count is unsigned decimal, a size a count of bytes with an
 * optional K/M/G (binary) suffix (cli_util.h); both are checked against
 * the entry's [min, max] and stored as int64_t. Strings are stored as
 * pointers into argv. Single-threaded; no allocation.
 */
#ifndef MP_CLI_OPT_H
#define MP_CLI_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
  MP_OPT_KIND_END = 0,
  MP_OPT_KIND_GROUP,  /* a heading in --help */
  MP_OPT_KIND_FLAG,   /* bool *, set to true */
  MP_OPT_KIND_STRING, /* const char **, the argument */
  MP_OPT_KIND_COUNT,  /* int64_t *, a count in [min, max] */
  MP_OPT_KIND_SIZE,   /* int64_t *, a size in [min, max] */
  MP_OPT_KIND_FN,     /* fn(opt, arg, err) decides */
  MP_OPT_KIND_HELP,   /* -h, --help: print the help, exit 0 */
  MP_OPT_KIND_TEXT,   /* a line of text in --help, no option */
} mp_opt_kind_t;

typedef struct mp_opt_s mp_opt_t;

/* A FN option's handler: 0, or -1 with a message in err (exit 2). arg is
 * NULL for a FN option without an argument (argh NULL). */
typedef int (*mp_opt_fn_t)(const mp_opt_t *o, const char *arg, char *err,
                           size_t errlen);

struct mp_opt_s {
  mp_opt_kind_t kind;
  int short_name;         /* 'b', or 0 */
  const char *long_name;  /* "brokers" (without "--"), or NULL */
  const char *argh;       /* the argument's name in --help; NULL: none */
  const char *help;       /* lines separated by '\n' */
  void *value;            /* where the value goes (see the kinds) */
  int64_t min, max;       /* COUNT and SIZE */
  mp_opt_fn_t fn;         /* FN */
  const char *deprecated; /* set: hidden from --help; using it prints
                             "marcpipe CMD: --old is deprecated: <this>" */
};

#define MP_OPT_END() {.kind = MP_OPT_KIND_END}
#define MP_OPT_GROUP(title) {.kind = MP_OPT_KIND_GROUP, .help = (title)}
#define MP_OPT_TEXT(text) {.kind = MP_OPT_KIND_TEXT, .help = (text)}
#define MP_OPT_HELP()                                                          \
  {.kind = MP_OPT_KIND_HELP, .short_name = 'h', .long_name = "help",           \
   .help = "this help"}
#define MP_OPT_FLAG(s, l, v, h)                                                \
  {.kind = MP_OPT_KIND_FLAG, .short_name = (s), .long_name = (l),              \
   .value = (v), .help = (h)}
#define MP_OPT_STRING(s, l, v, a, h)                                           \
  {.kind = MP_OPT_KIND_STRING, .short_name = (s), .long_name = (l),            \
   .argh = (a), .value = (v), .help = (h)}
#define MP_OPT_COUNT(s, l, v, lo, hi, a, h)                                    \
  {.kind = MP_OPT_KIND_COUNT, .short_name = (s), .long_name = (l),             \
   .argh = (a), .value = (v), .min = (lo), .max = (hi), .help = (h)}
#define MP_OPT_SIZE(s, l, v, lo, hi, a, h)                                     \
  {.kind = MP_OPT_KIND_SIZE, .short_name = (s), .long_name = (l),              \
   .argh = (a), .value = (v), .min = (lo), .max = (hi), .help = (h)}
#define MP_OPT_FN(s, l, a, f, ctx, h)                                          \
  {.kind = MP_OPT_KIND_FN, .short_name = (s), .long_name = (l), .argh = (a),   \
   .fn = (f), .value = (ctx), .help = (h)}

/* A repeatable option's values (a FN entry with mp_opt_append and a
 * pointer to this as its value): v[0..n) in command-line order, at most
 * max of them. */
typedef struct mp_opt_list_s {
  const char **v;
  int n, max;
} mp_opt_list_t;
int mp_opt_append(const mp_opt_t *o, const char *arg, char *err, size_t n);

/* The text around the generated option list of --help. */
typedef struct mp_opt_usage_s {
  const char *synopsis;    /* "marcpipe dump [options] FILE..." ('\n' for more) */
  const char *description; /* paragraphs, or NULL */
  const char *footer;      /* after the options (exit codes, ...), or NULL */
} mp_opt_usage_t;

/* Parse argv[1..argc) against opts. Operands are moved, in their order,
 * to argv[1..1 + *nargs). Returns -1 to go on, 0 after printing --help on
 * stdout, 2 after a usage error (printed on stderr). */
int mp_opt_parse(const char *cmd, mp_opt_t *opts, const mp_opt_usage_t *u,
                 int argc, char **argv, int *nargs);

/* Print the help generated from opts. */
void mp_opt_usage(FILE *out, const char *cmd, const mp_opt_t *opts,
                  const mp_opt_usage_t *u);

/* The entry of opts with this long name (to replace a shared option's
 * help with a command's own words, e.g. its default), or NULL. */
mp_opt_t *mp_opt_find(mp_opt_t *opts, const char *long_name);

/* "--name wants 1..64" / "--name wants a count" / "--name wants a size":
 * what a COUNT or SIZE entry accepts, into buf (for messages). */
void mp_opt_describe_range(const mp_opt_t *o, char *buf, size_t n);

#endif
