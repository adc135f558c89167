/* cmd_circ_gen.c: `marcpipe circ gen`: a realistic circulation event
 * stream (NDJSON) and, beside it, the summary every patron must have once
 * every event is applied (mp_circ_gen, circ.h). Options: the shared
 * option layer (cli_groups.h: --tenant). */
#include "cli/cmd_circ.h"
#include "cli/cli_util.h"

#include "marcpipe/circ.h"
#include "marcpipe/kafka.h"

#include <stdio.h>
#include <string.h>

static const char description[] =
"Write M circulation events (NDJSON) of N patrons over about six months:\n"
"check-outs of free items (three-week loans), renewals and recalls\n"
"(due-date changes), returns (late ones fined), items declared lost or aged\n"
"to lost (a replacement fee), claimed returns, payments (a lost item's loan\n"
"closes when its fee is paid). --duplicates PCT writes that share of events\n"
"a second time a few lines later (same eventId: consumers must apply it once).\n"
"STATE is the oracle: {\"events\", \"unique_events\", \"as_of\", \"patrons\": [the\n"
"summary of each patron, as `marcpipe circ summary` prints it]}.\n"
"The same options give the same bytes.\n";

/* --seed: any unsigned 64-bit number (wider than a COUNT entry) */
static int opt_seed(const mp_opt_t *o, const char *arg, char *err, size_t n) {
  if (mp__cli_count(arg, UINT64_MAX, o->value)) {
    snprintf(err, n, "--seed wants a count (got '%s')", arg);
    return -1;
  }
  return 0;
}

int circ_gen(int argc, char **argv) {
  mp_circ_gen_opts_t o = {.seed = 1};
  mp_cli_t c;
  const char *out = NULL, *oracle = NULL;
  int64_t events = MP_CLI_UNSET, patrons = 100, dup = 0;
  mp_cli_init(&c, "circ gen");
  mp_opt_t opts[] = {
      MP_OPT_GROUP("Events:"),
      MP_OPT_COUNT(0, "events", &events, 0, INT64_C(1) << 40, "M",
                   "events to write, duplicates included (required)"),
      MP_OPT_COUNT(0, "patrons", &patrons, 1, 10000000, "N",
                   "patrons (default 100)"),
      MP_OPT_FN(0, "seed", "S", opt_seed, &o.seed,
                "random seed (default 1)"),
      MP_OPT_COUNT(0, "duplicates", &dup, 0, 50, "PCT",
                   "share of events written twice (default 0)"),
      MP_CLI_TENANT(&c),
      MP_OPT_GROUP("Output:"),
      MP_OPT_STRING('o', NULL, &out, "FILE", "events file (- = stdout; required)"),
      MP_OPT_STRING(0, "oracle", &oracle, "STATE",
                    "the final state every patron must have"),
      MP_OPT_HELP(), MP_OPT_END()};
  mp_opt_find(opts, "tenant")->help =
      "the events' tenant, [a-z][a-z0-9_]{0,30} (default\n"
      MP_DEFAULT_TENANT ")";
  const mp_opt_usage_t u = {
      "marcpipe circ gen --events M -o EVENTS [--oracle STATE] [options]",
      description, "exit status: 0 written, 1 failure (a file), 2 usage\n"};
  int rc = mp_cli_parse(&c, opts, &u, argc, argv);
  if (rc >= 0)
    return rc;
  if (c.nargs)
    return mp__cli_bad_usage(c.cmd, "unexpected argument '%s'", c.args[0]);
  if (events == MP_CLI_UNSET || !out)
    return mp__cli_bad_usage(c.cmd, "%s", "--events and -o are required");
  o.events = (uint64_t)events;
  o.patrons = (unsigned)patrons;
  o.duplicate_pct = (unsigned)dup;
  o.tenant = c.tenant;
  FILE *ef = strcmp(out, "-") ? fopen(out, "wb") : stdout;
  FILE *of = oracle ? fopen(oracle, "wb") : NULL;
  if (!ef || (oracle && !of)) {
    fprintf(stderr, "marcpipe circ gen: cannot write %s\n",
            !ef ? out : oracle);
    if (ef && ef != stdout)
      fclose(ef);
    return 1;
  }
  char err[256];
  rc = mp_circ_gen(&o, ef, of, err, sizeof err);
  if (ef != stdout && fclose(ef) && !rc)
    snprintf(err, sizeof err, "%s: write failed", out), rc = -1;
  if (of && fclose(of) && !rc)
    snprintf(err, sizeof err, "%s: write failed", oracle), rc = -1;
  if (rc) {
    fprintf(stderr, "marcpipe circ gen: %s\n", err);
    return 1;
  }
  return 0;
}
