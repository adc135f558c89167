/* error.h: marcpipe error codes.
 *
 * Errors are negative ints. System and libuv errors pass through as UV_E*
 * (negated errno on Unix); project codes live in the X-macro list below,
 * which also generates mp_strerror() and mp_err_name(). 0 is success.
 * Project codes start at -20000 so they never collide with UV_E*. The
 * list's names are only pasted (MP_##name) or quoted (#name), never
 * expanded, so EOF, though stdio.h defines it, names MP_EOF safely.
 */
#ifndef MARCPIPE_ERROR_H
#define MARCPIPE_ERROR_H

#define MP_ERRNO_MAP(XX)                                                       \
  XX(EOF, "end of input")                                                      \
  XX(EUSAGE, "invalid usage")                                                  \
  XX(ENOMEM, "out of memory")                                                  \
  XX(EIO, "input/output error")                                                \
  XX(EFORMAT, "unrecognised input format")                                     \
  XX(ELEADER, "invalid leader")                                                \
  XX(ELENGTH, "invalid record length")                                         \
  XX(EDIRECTORY, "invalid directory")                                          \
  XX(EFIELD, "invalid field")                                                  \
  XX(ETRUNCATED, "truncated record")                                           \
  XX(ETOOBIG, "record too large")                                              \
  XX(EXML, "malformed XML")                                                    \
  XX(EJSON, "malformed JSON")                                                  \
  XX(ECHARSET, "character set conversion failed")                              \
  XX(ETOOMANY, "too many errors")                                              \
  XX(ERULES, "invalid mapping rules")                                          \
  XX(EMAPPING, "record cannot be mapped")                                      \
  XX(ENOTBIB, "not a bibliographic record")                                    \
  XX(EKAFKA, "kafka error")                                                    \
  XX(EPG, "database error")                                                    \
  XX(ETRANSIENT, "transient infrastructure error")                             \
  XX(ECONFIG, "invalid configuration")                                         \
  XX(ENOTFOUND, "not found")                                                   \
  XX(ELOST, "records lost from the log")                                       \
  XX(ECANCELED, "operation canceled")                                          \
  XX(EBACKWARDS, "offset went backwards")

enum {
  MP__ERR_BASE = -20000,
#define XX(name, _) MP_##name,
  MP_ERRNO_MAP(XX)
#undef XX
  MP__ERR_END
};

/* Human-readable message for any error code (project, UV_E* or errno). */
const char *mp_strerror(int err);
/* Symbolic name ("MP_ELEADER", "UV_ENOENT", ...). */
const char *mp_err_name(int err);

#endif
