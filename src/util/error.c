/* error.c: messages and names for marcpipe error codes (see error.h).
 * Project codes come from MP_ERRNO_MAP; anything else is handed to libuv,
 * which knows every UV_E* / negated errno. Thread-safe: returns constants. */
#include "marcpipe/error.h"

#include <uv.h>

const char *mp_strerror(int err) {
  switch (err) {
  case 0:
    return "success";
#define XX(name, msg)                                                          \
  case MP_##name:                                                              \
    return msg;
    MP_ERRNO_MAP(XX)
#undef XX
  default:
    return uv_strerror(err);
  }
}

const char *mp_err_name(int err) {
  switch (err) {
  case 0:
    return "OK";
#define XX(name, _)                                                            \
  case MP_##name:                                                              \
    return "MP_" #name;
    MP_ERRNO_MAP(XX)
#undef XX
  default:
    return uv_err_name(err);
  }
}
