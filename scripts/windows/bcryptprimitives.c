/* ProcessPrng for Wine 8, which lacks it: Rust's standard library asks bcryptprimitives.dll
 * for it at start-up, and a test program without it does not start (status c0000135).
 * Copied beside the test programs, this DLL answers with RtlGenRandom (SystemFunction036 in
 * advapi32), which Wine has. Real Windows (10 and later) has its own and never loads this. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
