/* strcasecmp and friends live in <string.h> here; this header exists for code that includes
 * the POSIX one. */
#include <string.h>
