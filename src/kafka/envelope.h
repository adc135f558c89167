/* envelope.h: decode a consumed record message (value + headers, schema
 * version 1, see kafka.h) into the sink's record view. Pure function; the
 * record points into the message, valid while the message lives. */
#ifndef MP_KAFKA_ENVELOPE_H
#define MP_KAFKA_ENVELOPE_H

#include "marcpipe/record.h"

#include <librdkafka/rdkafka.h>
#include <stddef.h>

/* 0, or MP_EFORMAT with `why` saying which header is missing or invalid
 * (job-id and seq are required positive decimals; content-type, when
 * present, must be a known one: a MARC type, or application/json for
 * events of another consumer family (circulation-event-v1.md); schema-version, when present, must be 1;
 * the value must not be empty). */
int mp__envelope_decode(const rd_kafka_message_t *m, mp_sink_rec_t *rec,
                        char *why, size_t whylen);

#endif
