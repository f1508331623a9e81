//! Loading: Polars reads every table, the schemas check them, and the
//! loader turns them into domain types or reports every problem at once.

pub mod deliveries;
pub mod file;
pub mod load;
pub mod outcomes;
pub mod problem;
pub mod ranges;
pub mod scenario;
pub mod schema;
pub mod table;
pub mod whatif;

pub use load::{
    load, load_from_raw, load_tables, load_tables_within, load_within, read_raw_tables, LoadError,
    LoadSummary, RawTables,
};
pub use problem::{Problem, Problems};
pub use scenario::{load_scenario, Scenario};
