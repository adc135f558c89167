/* isbn.c: ISBN-10 and ISBN-13 check digits (see marcpipe/gen.h).
 *
 * ISBN-10: weights 10..2 over the first nine digits, check = (11 - sum
 * mod 11) mod 11, 10 written 'X'. ISBN-13: weights 1,3,1,3... over twelve
 * digits, check = (10 - sum mod 10) mod 10. Pure functions.
 */
#include "marcpipe/gen.h"

char mp_isbn_check10(const char d[9]) {
  unsigned sum = 0;
  for (int i = 0; i < 9; i++)
    sum += (unsigned)(d[i] - '0') * (unsigned)(10 - i);
  unsigned c = (11 - sum % 11) % 11;
  return c == 10 ? 'X' : (char)('0' + c);
}

char mp_isbn_check13(const char d[12]) {
  unsigned sum = 0;
  for (int i = 0; i < 12; i++)
    sum += (unsigned)(d[i] - '0') * (i % 2 ? 3u : 1u);
  return (char)('0' + (10 - sum % 10) % 10);
}

bool mp_isbn_valid(const char *s, size_t n) {
  char d[13];
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '-' || c == ' ')
      continue;
    bool digit = c >= '0' && c <= '9';
    bool last_x = (c == 'X' || c == 'x') && k == 9;
    if (k == 13 || (!digit && !last_x))
      return false;
    d[k++] = c == 'x' ? 'X' : c;
  }
  if (k == 10)
    return mp_isbn_check10(d) == d[9];
  if (k == 13)
    return d[9] != 'X' && mp_isbn_check13(d) == d[12];
  return false;
}
