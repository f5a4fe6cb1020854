/* The environment of a unikernel: `env.NAME=value` tokens on the kernel command line, parsed once
 * at boot (platform/env.c) into a small table that os_getenv (os.h) reads. The grammar:
 *
 *   command line := word { blanks word }         blanks: space, tab or newline
 *   env token    := "env." NAME "=" VALUE         any other word is left to the platform (netdev.ip=, ...)
 *   NAME         := [A-Za-z_][A-Za-z0-9_]*        1..ENV_MAX_NAME bytes, case-sensitive
 *   VALUE        := bare | '"' quoted '"'         empty allowed: env.A= or env.A=""
 *   bare         := bytes 0x21..0x7e except " and \, up to the next blank
 *   quoted       := bytes 0x20..0x7e, where \" stands for " and \\ for \ (no other escape; a
 *                   lone " or \ is an error); the closing " ends the word (a blank or the end next)
 *
 * A value holds at most ENV_MAX_VALUE bytes (after unescaping), the table ENV_MAX_VARS names.
 * The same name twice: the last one wins (a later word overrides, as a later flag would). Any
 * malformed env token (a bad name, a byte outside printable ASCII, an unterminated quote, a bad
 * escape, an overlong name or value, one name too many) fails the whole parse: the platform
 * halts rather than run with part of its environment. The API refuses an env this cannot carry
 * before it gets here (packages/core/src/policy.ts, unikernelEnvProblem). */
#ifndef BERTH_ENV_H
#define BERTH_ENV_H

#include <stddef.h>

#define ENV_MAX_VARS 256   /* the API's own limit on a deployment's env */
#define ENV_MAX_NAME 128   /* the API's env key: [A-Za-z_][A-Za-z0-9_]{0,127} */
#define ENV_MAX_VALUE 1024 /* bytes, after unescaping */
#define ENV_CMDLINE_MAX 2048 /* the platform's command line buffer, NUL included */

/* Parses cmdline into the table (replacing what an earlier call put there). When rest is not
 * NULL it receives the words that are not env tokens, joined by single spaces: what the rest of
 * the platform parses, so a value holding "netdev.ip=..." is not mistaken for the real one.
 * rest_cap must be at least strlen(cmdline) + 1. Returns the number of variables, or -1 with
 * *why set to a constant reason and *at to the byte offset of the bad token (the table is then
 * empty). */
int env_parse(const char *cmdline, char *rest, size_t rest_cap, const char **why, size_t *at);

/* The table: names in first-seen order. */
int env_count(void);
const char *env_name(int i);

#endif
