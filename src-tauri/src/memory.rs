//! How the app gives memory back to the system after large, short-lived buffers (an archive's job list, a preview).

/// Allocations of this size or more get a mapping of their own, returned to the system when freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const OWN_MAPPING_FROM_BYTES: libc::c_int = 256 * 1024;

/// Fixes glibc's threshold for giving an allocation its own mapping. Left to itself, glibc raises the
/// threshold to the size of each large block freed (up to 32 MiB); blocks that size then come from the
/// thread's heap and stay resident once freed. DESaccess's reply listing every job runs to megabytes
/// for a job of thousands of cutouts; read and parsed on one worker thread, then on another, it left
/// about 20 MB resident in the app for good. Call it first thing in `main`, before any thread starts.
pub fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a tunable of the allocator; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, OWN_MAPPING_FROM_BYTES);
    }
}
