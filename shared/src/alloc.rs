//! The global allocator of the `classify` function and the CLI: mimalloc. The `mimalloc`
//! crate sends every request through mimalloc's aligned entry points; for the alignments
//! plain `mi_malloc` guarantees anyway (as std's `System` reasons), the plain ones are
//! cheaper, and an OCSF event is about a hundred small allocations.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as mi;

/// mimalloc's guaranteed alignment (`MI_MAX_ALIGN_SIZE` on x86_64 and aarch64).
const MIN_ALIGN: usize = 16;

/// Install with `#[global_allocator] static A: ocsfmap::alloc::MiMalloc = ocsfmap::alloc::MiMalloc;`.
pub struct MiMalloc;

fn plain(align: usize, size: usize) -> bool {
    align <= MIN_ALIGN && align <= size
}

// SAFETY: each method forwards to the mimalloc call with the same contract; the plain calls
// are used only when their alignment guarantee covers the layout's.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if plain(l.align(), l.size()) {
            mi::mi_malloc(l.size()).cast()
        } else {
            mi::mi_malloc_aligned(l.size(), l.align()).cast()
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        if plain(l.align(), l.size()) {
            mi::mi_zalloc(l.size()).cast()
        } else {
            mi::mi_zalloc_aligned(l.size(), l.align()).cast()
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _l: Layout) {
        mi::mi_free(ptr.cast::<c_void>());
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, l: Layout, new_size: usize) -> *mut u8 {
        if plain(l.align(), new_size) {
            mi::mi_realloc(ptr.cast::<c_void>(), new_size).cast()
        } else {
            mi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, l.align()).cast()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn honours_alignment_and_size() {
        let a = MiMalloc;
        for (size, align) in [(1, 1), (7, 8), (8, 16), (24, 8), (100, 64), (4096, 4096), (33, 32)] {
            let l = Layout::from_size_align(size, align).unwrap();
            // SAFETY: non-zero sizes; every block is written within its size, then freed once.
            unsafe {
                let p = a.alloc(l);
                assert!(!p.is_null() && (p as usize).is_multiple_of(align), "{size}/{align}");
                p.write_bytes(0xAB, size);
                let q = a.realloc(p, l, size * 3);
                assert!(!q.is_null() && (q as usize).is_multiple_of(align));
                assert_eq!(*q.add(size - 1), 0xAB);
                a.dealloc(q, Layout::from_size_align(size * 3, align).unwrap());
                let z = a.alloc_zeroed(l);
                assert!((0..size).all(|i| *z.add(i) == 0));
                a.dealloc(z, l);
            }
        }
    }
}
