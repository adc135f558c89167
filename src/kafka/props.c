/* props.c: which client a librdkafka property belongs to, and
 * configurations that hold only the properties of one client.
 *
 * `-X` and $MARCPIPE_KAFKA_PROPS give one list of properties for every
 * client marcpipe makes (the producer, the workers' consumers, the workers'
 * dead-letter producers, the topic admin). librdkafka warns when a client is
 * given a property of the other kind ("... is a consumer property and will
 * be ignored by this producer instance"), so each client takes only its own
 * and the shared ones.
 *
 * The scope of a property is librdkafka's own: the C/P column of the
 * property table of the linked library (rd_kafka_conf_properties_show),
 * read once. No list is kept here to drift from the library. A name the
 * table lacks is shared: rd_kafka_conf_set then rejects it, naming it.
 * Thread-safe after the first call (pthread_once).
 */
#include "marcpipe/kafka.h"

#include "marcpipe/buf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char *name;
  int scope;
} prop_scope_t;

static prop_scope_t *table;
static size_t ntable;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static char *trim(char *s) {
  while (*s == ' ')
    s++;
  char *e = s + strlen(s);
  while (e > s && (e[-1] == ' ' || e[-1] == '\n'))
    *--e = '\0';
  return s;
}

/* One row: "name | C/P | range | default | importance | description". */
static void add_row(char *line, size_t *cap) {
  char *bar1 = strchr(line, '|');
  if (!bar1)
    return;
  char *bar2 = strchr(bar1 + 1, '|');
  if (!bar2)
    return;
  *bar1 = *bar2 = '\0';
  char *name = trim(line), *cp = trim(bar1 + 1);
  int scope = !strcmp(cp, "C")   ? MP_KAFKA_CONSUMER
              : !strcmp(cp, "P") ? MP_KAFKA_PRODUCER
              : !strcmp(cp, "*") || !strcmp(cp, "C/P") ? MP_KAFKA_BOTH
                                                       : 0;
  if (!scope || !*name)
    return; /* the header and the separator rows */
  for (size_t i = 0; i < ntable; i++)
    if (!strcmp(table[i].name, name))
      return; /* global and topic tables share some names */
  if (mp_array_room(&table, ntable, cap, sizeof *table, 256))
    return;
  if ((table[ntable].name = strdup(name)))
    table[ntable++].scope = scope;
}

static void load_table(void) {
  char *text = NULL;
  size_t len = 0, cap = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f)
    return;
  rd_kafka_conf_properties_show(f);
  fclose(f);
  for (char *line = text, *next; line && *line; line = next) {
    next = strchr(line, '\n');
    if (next)
      *next++ = '\0';
    add_row(line, &cap);
  }
  free(text);
}

int mp_kafka_prop_scope(const char *name) {
  pthread_once(&once, load_table);
  if (!name)
    return MP_KAFKA_BOTH;
  size_t n = strcspn(name, "=");
  for (size_t i = 0; i < ntable; i++)
    if (strlen(table[i].name) == n && !strncmp(table[i].name, name, n))
      return table[i].scope;
  return MP_KAFKA_BOTH;
}

rd_kafka_conf_t *mp_kafka_conf_new_for(int role, const char *brokers,
                                       const char *const *props,
                                       size_t nprops, char *errbuf,
                                       size_t errlen) {
  const char **mine = calloc(nprops ? nprops : 1, sizeof *mine);
  if (!mine) {
    snprintf(errbuf, errlen, "out of memory");
    return NULL;
  }
  size_t n = 0;
  for (size_t i = 0; i < nprops; i++)
    if (!props[i] || (role == MP_KAFKA_ADMIN
                          ? mp_kafka_prop_scope(props[i]) == MP_KAFKA_BOTH
                          : (mp_kafka_prop_scope(props[i]) & role)))
      mine[n++] = props[i]; /* malformed entries go on to be reported */
  rd_kafka_conf_t *conf = mp_kafka_conf_new(brokers, mine, n, errbuf, errlen);
  free(mine);
  return conf;
}
