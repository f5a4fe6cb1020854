/* <ctype.h> for the "C" locale, as inline functions (no tables to link). */
#ifndef BERTH_CTYPE_H
#define BERTH_CTYPE_H

static inline int isdigit(int c) { return c >= '0' && c <= '9'; }
static inline int isxdigit(int c) { return isdigit(c) || ((unsigned)(c | 32) - 'a' < 6u); }
static inline int isalpha(int c) { return (unsigned)(c | 32) - 'a' < 26u; }
static inline int isalnum(int c) { return isalpha(c) || isdigit(c); }
static inline int isupper(int c) { return (unsigned)c - 'A' < 26u; }
static inline int islower(int c) { return (unsigned)c - 'a' < 26u; }
static inline int isspace(int c) { return c == ' ' || (unsigned)c - '\t' < 5u; }
static inline int isprint(int c) { return (unsigned)c - 0x20 < 0x5fu; }
static inline int iscntrl(int c) { return (unsigned)c < 0x20u || c == 0x7f; }
static inline int ispunct(int c) { return isprint(c) && !isalnum(c) && c != ' '; }
static inline int tolower(int c) { return isupper(c) ? c | 32 : c; }
static inline int toupper(int c) { return islower(c) ? c & ~32 : c; }

#endif
