//! A MIP watched while HiGHS solves it: every improving solution goes to a
//! Rust closure, and once the closure says so the branch and bound stops
//! with that solution. HiGHS's C callback is set up and torn down here; the
//! closure never sees a raw pointer, and a panic in it never crosses into
//! HiGHS.

use ::highs::{Model as Live, SolvedModel as Solved};

/// What a watched solve ended with.
pub struct Watched {
    /// The solved model (HiGHS's own status and solution).
    pub solved: Solved,
    /// The solution the closure stopped at (columns), with HiGHS's
    /// objective value for it.
    pub stopped_at: Option<(Vec<f64>, f64)>,
    /// The closure panicked; the MIP was interrupted.
    pub panicked: bool,
}

/// The closure and what it decided, as HiGHS's callback sees it.
struct Watch<'a> {
    check: &'a mut dyn FnMut(&[f64]) -> bool,
    /// Columns passed to `check`.
    n: usize,
    stopped_at: Option<(Vec<f64>, f64)>,
    panicked: bool,
}

/// HiGHS's callback for a [`Watch`] (`data`): improving solutions are
/// checked, and the next interrupt check after one is taken stops the MIP.
unsafe extern "C" fn watch_callback(
    kind: std::os::raw::c_int,
    _message: *const std::os::raw::c_char,
    out: *const highs_sys::HighsCallbackDataOut,
    input: *mut highs_sys::HighsCallbackDataIn,
    data: *mut std::os::raw::c_void,
) {
    // SAFETY: `data` is the `Watch` given with this callback by
    // `solve_watched`, alive until the solve returns; HiGHS's pointers are
    // valid for the duration of the call.
    let watch = unsafe { &mut *(data as *mut Watch) };
    if kind == highs_sys::kHighsCallbackMipImprovingSolution as std::os::raw::c_int {
        if watch.stopped_at.is_some() || watch.panicked || out.is_null() {
            return;
        }
        // SAFETY: non-null, valid for this call (above).
        let out = unsafe { &*out };
        if out.mip_solution.is_null() || (out.mip_solution_size as usize) < watch.n {
            return;
        }
        // SAFETY: HiGHS's solution array holds at least `n` values (checked).
        let cols = unsafe { std::slice::from_raw_parts(out.mip_solution, watch.n) };
        // A panic must not cross into HiGHS (it would abort the process):
        // it stops the watch, and `solve_watched` reports it.
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (watch.check)(cols))) {
            Ok(true) => watch.stopped_at = Some((cols.to_vec(), out.objective_function_value)),
            Ok(false) => {}
            Err(_) => watch.panicked = true,
        }
    } else if kind == highs_sys::kHighsCallbackMipInterrupt as std::os::raw::c_int
        && (watch.stopped_at.is_some() || watch.panicked)
        && !input.is_null()
    {
        // SAFETY: non-null, valid for this call (above).
        unsafe { (*input).user_interrupt = 1 };
    }
}

/// Solves `hm` (a MIP) with `check` watching it: each improving solution's
/// first `n` columns go to `check`, and once it returns true HiGHS is
/// interrupted with that solution as its answer. HiGHS's own error comes
/// back as `Err`.
pub fn solve_watched(
    mut hm: Live,
    n: usize,
    check: &mut dyn FnMut(&[f64]) -> bool,
) -> Result<Watched, ::highs::HighsStatus> {
    let mut watch = Watch {
        check,
        n,
        stopped_at: None,
        panicked: false,
    };
    let watch_ptr = &mut watch as *mut Watch as *mut std::os::raw::c_void;
    // SAFETY: a live instance; the watch outlives the solve, and the
    // callback is removed before this function returns.
    unsafe {
        highs_sys::Highs_setCallback(hm.as_mut_ptr(), Some(watch_callback), watch_ptr);
        highs_sys::Highs_startCallback(
            hm.as_mut_ptr(),
            highs_sys::kHighsCallbackMipImprovingSolution,
        );
        highs_sys::Highs_startCallback(hm.as_mut_ptr(), highs_sys::kHighsCallbackMipInterrupt);
    }
    let mut solved = hm.try_solve()?;
    // SAFETY: as above; afterwards HiGHS holds no pointer to the watch.
    unsafe {
        let ptr = solved.as_mut_ptr();
        highs_sys::Highs_stopCallback(ptr, highs_sys::kHighsCallbackMipImprovingSolution);
        highs_sys::Highs_stopCallback(ptr, highs_sys::kHighsCallbackMipInterrupt);
        highs_sys::Highs_setCallback(ptr, None, std::ptr::null_mut());
    }
    Ok(Watched {
        solved,
        stopped_at: watch.stopped_at.take(),
        panicked: watch.panicked,
    })
}
