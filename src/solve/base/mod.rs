//! The base solve, below every strategy and explanation: what a solve is
//! told and how it fails (`options`), one HiGHS run (`run`), the cut loop's
//! link rows (`links`), the phases 0-2 (`phases`) and the interface of the
//! strategies that replace phases 0 and 1 (`strategy`), the answer read back
//! (`read`) and checked against every row (`check`), and the model under
//! the plan's names (`names`).

pub mod check;
pub mod links;
pub mod names;
pub mod options;
pub mod phases;
pub mod read;
pub mod run;
pub mod strategy;
