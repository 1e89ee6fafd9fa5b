/* Stand-in for the C library's header, for type-checking on Linux only. */
#define assert(x) ((void)0)
